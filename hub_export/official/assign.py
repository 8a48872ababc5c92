"""Strict assignment of a file's tensors to a generator, after a plan of ``Entry``.

Before anything is assigned, ``check_source`` makes sure that every tensor the
plan names is in the file with the right shape and that the file holds no
tensor the plan leaves unused (unless the caller names it in
``ignore_unused``); ``assign`` then converts and assigns each one, checks its
values (finite, variances >= 0) and finally sets the variables no file holds
(``names.derived_targets``). Every generator variable is set exactly once;
the first problem raises ``SourceTensorError`` naming the file and the tensor.

A file reader (``tfhub_module.TfhubModule``, ``hf_checkpoint.HfCheckpoint``)
is any object with ``path`` (for messages), ``shapes`` (``{name: tuple}``)
and ``read(name) -> np.ndarray``.
"""
import re

import numpy as np

from hub_export.official import names
from tfbiggan.progress import Progress

# |cos| of two float32 vectors that should be parallel, after float32 rounding.
PARALLEL = 1.0 - 1e-5


class SourceTensorError(ValueError):
    """A tensor of an official-weights file is missing, mis-shaped, unused or bad."""


def _without_ones(shape):
    return tuple(d for d in shape if d != 1)


def _expected(plan):
    """``{source name: (shape, entry)}``; a name in two entries must agree."""
    expected = {}
    for entry in plan:
        for name, shape in zip(entry.sources, entry.shapes):
            if name in expected and expected[name][0] != tuple(shape):
                raise RuntimeError(f"plan bug: {name!r} expected as {expected[name][0]} "
                                   f"and {shape}.")
            expected.setdefault(name, (tuple(shape), entry))
    return expected


def check_source(plan, source, ignore_unused=None):
    """Names, shapes and leftovers of ``source`` against ``plan``.

    Args:
      ignore_unused: a regular expression; file tensors that the plan does not
        use and whose full name matches it are skipped instead of refused.
    Returns:
      The sorted names of the ignored tensors.
    Raises:
      SourceTensorError: the first missing tensor, else the first mis-shaped
        one, else the first unused one.
    """
    expected = _expected(plan)
    missing = [name for name in expected if name not in source.shapes]
    if missing:
        entry = expected[missing[0]][1]
        more = f" ({len(missing) - 1} more are missing)" if len(missing) > 1 else ""
        raise SourceTensorError(
            f"{source.path}: tensor {missing[0]!r} is missing{more}; it sets "
            f"{entry.target!r} of the generator. The file is incomplete or not of the "
            "layout its shapes suggest; use the official files unchanged.")
    for name, (shape, entry) in expected.items():
        got = tuple(source.shapes[name])
        if got != shape and not (entry.kind == names.SQUEEZE
                                 and _without_ones(got) == _without_ones(shape)):
            raise SourceTensorError(
                f"{source.path}: tensor {name!r} has shape {list(got)}, expected "
                f"{list(shape)} (it sets {entry.target!r}).")
    pattern = re.compile(ignore_unused) if ignore_unused else None
    unused = sorted(name for name in source.shapes if name not in expected)
    ignored = [name for name in unused if pattern and pattern.fullmatch(name)]
    refused = [name for name in unused if name not in ignored]
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise SourceTensorError(
            f"{source.path}: tensor {refused[0]!r} (shape {list(source.shapes[refused[0]])})"
            f"{more} has no place in the generator. If the file is right and the tensor "
            "is not a weight, skip it knowingly with --ignore_unused=REGEX (recorded in "
            "the model card).")
    return ignored


def _unit(x):
    return x / max(np.linalg.norm(x), 1e-30)


def sn_u_from_uv(weight, u, v, name):
    """tfbiggan's ``sn_u`` that reproduces a torch spectral-norm (u, v) pair.

    torch in eval mode divides by sigma = u . W v with its stored buffers; W is
    ``weight`` viewed as [out, fan_in]. tfbiggan stores only u_s and runs one
    power step at inference: v' = normalize(W^T u_s), u' = normalize(W v'),
    sigma' = u' . W v'. When v' = v and u = normalize(W v), which holds for
    buffers left by any torch power step (hf's converter runs one), the two
    sigmas are equal. So u_s solves W^T u_s = v (least squares in float64;
    a solution exists because torch made v as normalize(W^T u_prev)).

    Raises SourceTensorError when the buffers are not such a pair.
    """
    matrix = np.asarray(weight, np.float64).reshape(weight.shape[0], -1)
    u, v = np.asarray(u, np.float64), np.asarray(v, np.float64)
    if not float(_unit(matrix @ v) @ _unit(u)) >= PARALLEL:
        raise SourceTensorError(
            f"{name}: weight_u is not normalize(weight_orig @ weight_v), so these "
            "spectral-norm buffers were not left by a power-iteration step (run one "
            "training-mode forward pass, as hf's converter does, before saving).")
    solution = np.linalg.lstsq(matrix.T, v, rcond=None)[0]
    if not float(_unit(matrix.T @ solution) @ _unit(v)) >= PARALLEL:
        raise SourceTensorError(f"{name}: weight_v is not in the range of weight_orig^T, "
                                "so no u reproduces this spectral norm.")
    return _unit(solution).astype(np.float32)


def _convert(entry, arrays):
    kind, first = entry.kind, arrays[0]
    if kind in (names.COPY, names.SQUEEZE):
        return first
    if kind == names.LINEAR_T:
        return first.T
    if kind == names.CONV_OIHW:
        return np.transpose(first, (2, 3, 1, 0))
    if kind == names.SN_U_FROM_UV:
        return sn_u_from_uv(*arrays, name=entry.sources[0].rsplit(".", 1)[0])
    raise RuntimeError(f"unknown conversion {kind!r}")


def _read(source, name):
    value = np.asarray(source.read(name))
    if not np.issubdtype(value.dtype, np.floating):
        raise SourceTensorError(f"{source.path}: tensor {name!r} has dtype {value.dtype}, "
                                "expected floating point.")
    if not np.isfinite(value).all():
        raise SourceTensorError(f"{source.path}: tensor {name!r} holds NaN or Inf; the "
                                "file is damaged. Download it again.")
    return value


def _check_targets(plan, variables, derived):
    targets = [entry.target for entry in plan] + list(derived)
    twice = sorted({t for t in targets if targets.count(t) > 1})
    unset = sorted(set(variables) - set(targets))
    unknown = sorted(set(targets) - set(variables))
    if twice or unset or unknown:
        raise RuntimeError(f"plan bug: targets set twice {twice[:3]}, never set "
                           f"{unset[:3]}, unknown {unknown[:3]}.")


def _set_derived(variables, generator):
    for path in names.batch_norm_paths(generator):
        mean = variables[f"{path}/standing_mean"].numpy()
        variance = variables[f"{path}/standing_variance"].numpy()
        variables[f"{path}/moving_mean"].assign(mean[-1])
        variables[f"{path}/moving_variance"].assign(variance[-1])
        for name in ("accum_mean", "accum_variance", "accum_count"):
            variable = variables[f"{path}/{name}"]
            variable.assign(np.zeros(variable.shape, np.float32))
    variables["standing_ready"].assign(1.0)


def assign(generator, plan, source, ignore_unused=None, log=print):
    """Checks ``source`` against ``plan`` and sets every generator variable.

    Returns ``{"tensors": used, "ignored": [names], "variables": count}``.
    """
    variables = names.generator_variables(generator)
    derived = names.derived_targets(generator)
    _check_targets(plan, variables, derived)
    ignored = check_source(plan, source, ignore_unused)
    bar = Progress(len(plan), desc="assigning weights")
    for entry in plan:
        value = _convert(entry, [_read(source, name) for name in entry.sources])
        variable = variables[entry.target]
        if value.size != np.prod(variable.shape, dtype=int):
            raise RuntimeError(f"plan bug: {entry.sources} gives {value.shape} for "
                               f"{entry.target} {tuple(variable.shape)}")
        if entry.target.endswith("standing_variance") and (value < 0).any():
            raise SourceTensorError(f"{source.path}: tensor {entry.sources[0]!r} holds "
                                    "negative variances; the file is damaged.")
        variable.assign(np.asarray(value, np.float32).reshape(variable.shape))
        bar.update()
    bar.close()
    _set_derived(variables, generator)
    used = len(_expected(plan))
    log(f"assigned {len(plan)} variables from {used} tensors of {source.path}"
        + (f"; ignored {len(ignored)} ({', '.join(ignored[:3])}...)" if ignored else ""))
    return {"tensors": used, "ignored": ignored, "variables": len(variables)}
