"""Checks of an exported SavedModel: its graph, its signatures, and parity.

- ``check_graph``: no variables and no control flow anywhere (function
  library included), what conversion to TFLite and TF.js needs;
- ``read_signature``: a signature's inputs and outputs, read from
  ``saved_model.pb`` without loading it (one parse, ``read_saved_model``);
- ``self_check``: the written SavedModel against the live models it came from;
- ``make_cases`` / ``SavedModelReference`` / ``max_abs_diff``: feeds and ground
  truth for checking converted models (``hub_export.tflite``, ``.tfjs``, the web
  page). Nothing depends on z_dim, num_classes or R: they are read from the
  signature, so these work on any SavedModel with the contract of
  ``hub_export.contract``.

TensorFlow is imported lazily so that modules which only need the input
sampling (the web-site builder, for instance) stay light.
"""
import dataclasses
import os
import time

import numpy as np

from hub_export.contract import (DISCRIMINATOR_SIGNATURE, LOGITS_KEY, OUTPUT_KEY,
                                 SIGNATURE)
from tfbiggan.sampling import one_hot, tfhub_truncated_z

DEFAULT_BATCHES = (1, 3)
# 0.55 falls between two points of a 0.02 truncation grid, 1.0 is the end point.
DEFAULT_TRUNCATIONS = (0.55, 1.0)
# Ops that mean state or control flow; none may appear in the exported graph.
# (The input checks' Assert may: it has no outputs, TFLite's converter drops it
# and the TF.js converter strips it as a debug op.)
FORBIDDEN_OPS = frozenset({
    "VarHandleOp", "VariableV2", "Variable", "ReadVariableOp", "AssignVariableOp",
    "AssignAddVariableOp", "AssignSubVariableOp", "ResourceGather", "If", "StatelessIf",
    "While", "StatelessWhile", "Switch", "Merge", "Enter", "Exit", "NextIteration",
    "LoopCond", "Case", "StatelessCase",
})

SELF_CHECK_TOLERANCE = 1e-5
SENSITIVITY_MARGIN = 100


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """One signature input or output.

    ``shape`` is a tuple with ``None`` for unknown dimensions, or ``None`` for an
    unknown rank; ``dtype`` is a numpy dtype name such as ``"float32"``.
    """
    name: str
    dtype: str
    shape: tuple


@dataclasses.dataclass(frozen=True)
class SignatureInfo:
    """Inputs and outputs of one SavedModel signature, keyed by argument name."""
    key: str
    inputs: dict
    outputs: dict


def _tensor_info(name, proto):
    import tensorflow as tf  # lazy: heavy import
    dtype = tf.dtypes.as_dtype(proto.dtype).name
    if proto.tensor_shape.unknown_rank:
        shape = None
    else:
        shape = tuple(None if d.size < 0 else int(d.size) for d in proto.tensor_shape.dim)
    return TensorInfo(name=name, dtype=dtype, shape=shape)


def read_saved_model(saved_model_dir):
    """The parsed ``saved_model.pb`` of a folder (SavedModel proto).

    Raises FileNotFoundError naming the folder when there is none.
    """
    from tensorflow.core.protobuf import saved_model_pb2  # lazy: heavy import
    pb_path = os.path.join(saved_model_dir, "saved_model.pb")
    if not os.path.isfile(pb_path):
        raise FileNotFoundError(
            f"No saved_model.pb in {saved_model_dir!r}. Pass the directory written by "
            "`python -m hub_export.export` (the one that holds saved_model.pb).")
    saved_model = saved_model_pb2.SavedModel()
    with open(pb_path, "rb") as f:
        saved_model.ParseFromString(f.read())
    return saved_model


def read_signature(saved_model_dir, signature=SIGNATURE, tags=("serve",)):
    """Reads a signature's inputs/outputs from ``saved_model.pb`` without loading it.

    Raises:
      FileNotFoundError: ``saved_model_dir`` holds no ``saved_model.pb``.
      ValueError: the signature is missing; the message lists those present.
    """
    saved_model = read_saved_model(saved_model_dir)
    metas = [m for m in saved_model.meta_graphs
             if set(tags) <= set(m.meta_info_def.tags)] or list(saved_model.meta_graphs)
    if not metas:
        raise ValueError(f"{saved_model_dir!r} holds no MetaGraph; re-export the model.")
    sig_defs = metas[0].signature_def
    if signature not in sig_defs:
        present = sorted(k for k in sig_defs if not k.startswith("__"))
        raise ValueError(
            f"SavedModel {saved_model_dir!r} has no signature {signature!r} "
            f"(it has {present}). Export it with `python -m hub_export.export`, which "
            f"writes the signatures '{SIGNATURE}' and '{DISCRIMINATOR_SIGNATURE}', or pass "
            f"--signature=NAME for one of {present}.")
    sig = sig_defs[signature]
    return SignatureInfo(
        key=signature,
        inputs={k: _tensor_info(k, v) for k, v in sorted(sig.inputs.items())},
        outputs={k: _tensor_info(k, v) for k, v in sorted(sig.outputs.items())})


def graph_op_types(saved_model_dir):
    """``{op_type: count}`` over every graph and function body in saved_model.pb."""
    counts = {}
    for meta in read_saved_model(saved_model_dir).meta_graphs:
        bodies = [meta.graph_def.node] + [fn.node_def for fn in meta.graph_def.library.function]
        for nodes in bodies:
            for node in nodes:
                counts[node.op] = counts.get(node.op, 0) + 1
    return counts


def make_inputs(sig, batch, truncation, rng):
    """Builds one feed for a generator-like signature.

    Args:
      sig: a ``SignatureInfo``.
      batch: batch size used for every input whose first dimension is unknown.
      truncation: float in (0, 1]; fed to scalar inputs and used to scale z.
      rng: a ``numpy.random.Generator``.
    Returns:
      ``{input_name: np.ndarray}``: scalar inputs get ``truncation``; ``y`` gets
      random one-hot rows [batch, num_classes]; any other float input gets
      ``truncation * truncnorm(-2, 2)`` (z for the generator, pixels for the
      discriminator, where they stay within [-1, 1] only for truncation <= 0.5).
    """
    feed = {}
    for name, info in sig.inputs.items():
        if not info.dtype.startswith("float"):
            raise ValueError(
                f"Input {name!r} has dtype {info.dtype}; only float inputs can be "
                "synthesised. Check that the signature follows the hub contract "
                "(z, y, truncation as float32).")
        if info.shape is None:
            raise ValueError(f"Input {name!r} has an unknown rank; export it with a "
                             "fixed rank, e.g. [None, z_dim].")
        if len(info.shape) == 0:
            feed[name] = np.asarray(truncation, np.float32)
            continue
        shape = (batch,) + tuple(info.shape[1:])
        if any(d is None for d in shape[1:]):
            raise ValueError(f"Input {name!r} has shape {info.shape}: only the batch "
                             "dimension may be unknown.")
        if name == "y":
            feed[name] = one_hot(rng.integers(0, shape[-1], size=shape[:-1]), shape[-1])
        else:
            flat = tfhub_truncated_z(shape[0], int(np.prod(shape[1:])), truncation, rng)
            feed[name] = flat.reshape(shape)
    return feed


def make_cases(sig, batches=DEFAULT_BATCHES, truncations=DEFAULT_TRUNCATIONS, seed=0):
    """All (batch, truncation) combinations as a list of feeds, seeded."""
    rng = np.random.default_rng(seed)
    return [make_inputs(sig, b, t, rng) for b in batches for t in truncations]


class SavedModelReference:
    """Runs one signature of a SavedModel with TensorFlow; the ground truth.

    Call with a feed from ``make_inputs``; returns ``{output_name: np.ndarray}``.
    """

    def __init__(self, saved_model_dir, signature=SIGNATURE):
        import tensorflow as tf  # lazy: heavy import
        self.info = read_signature(saved_model_dir, signature)
        start = time.perf_counter()
        self._loaded = tf.saved_model.load(saved_model_dir)
        self.load_seconds = time.perf_counter() - start
        self._fn = self._loaded.signatures[signature]

    def __call__(self, feed):
        import tensorflow as tf  # lazy: heavy import
        outputs = self._fn(**{k: tf.constant(v) for k, v in feed.items()})
        return {k: v.numpy() for k, v in outputs.items()}


def max_abs_diff(got, want, what="converted model"):
    """Largest |got - want| over all outputs; checks names and shapes first.

    Args:
      got, want: ``{output_name: np.ndarray}``.
    Raises:
      ValueError: output names or shapes differ.
    """
    if set(got) != set(want):
        raise ValueError(f"{what} returned outputs {sorted(got)}, the SavedModel "
                         f"returns {sorted(want)}.")
    worst = 0.0
    for name, ref in want.items():
        out = np.asarray(got[name])
        if out.shape != ref.shape:
            raise ValueError(f"{what} output {name!r} has shape {out.shape}, the "
                             f"SavedModel gives {ref.shape}.")
        if ref.size:
            worst = max(worst, float(np.max(np.abs(out.astype(np.float64) - ref))))
    return worst


def check_graph(saved_model_dir):
    """Raises RuntimeError when the graph holds variables or control flow."""
    bad = sorted(set(graph_op_types(saved_model_dir)) & FORBIDDEN_OPS)
    if bad:
        raise RuntimeError(f"the exported graph holds stateful / control-flow ops {bad}; "
                           "it would not convert to TFLite / TF.js.")


def _run(fn, feed, specs):
    return fn(*[feed[s.name] for s in specs]).numpy()


def self_check(saved_model_dir, source, interface, seed=0):
    """Runs the signatures on the interface's cases and compares them with
    the live models.

    The graph is the same arithmetic in another order (constant folding,
    fused ops), so the generator may differ by rounding, and a generator
    amplifies rounding by its own sensitivity: with standing statistics from
    few samples some variances sit near epsilon. That sensitivity is measured
    on the live model (the change a one-ulp nudge of the latent causes), and
    the generator must agree within ``SENSITIVITY_MARGIN`` times it, and never
    worse than needed: at most ``SELF_CHECK_TOLERANCE`` when the model is
    well conditioned. Export bugs (a wrong statistics row, unfolded spectral
    norm) move images by orders of magnitude more.

    Returns ``{"generator": max|diff|, "generator_tolerance": ...,
    "rounding_sensitivity": ..., "discriminator": max relative |diff| (only
    when the source has a discriminator), and the interface's own facts
    (``check_summary``, e.g. BigGAN's "truncation_effect")}``; raises
    RuntimeError when a difference exceeds its tolerance, or when the
    export's signatures do not match the source.
    """
    import tensorflow as tf
    cfg = source.config
    loaded = tf.saved_model.load(saved_model_dir)
    rng = np.random.default_rng(seed)
    g_specs = interface.generator_specs(cfg)
    latent = g_specs[0].name
    live = interface.generator_call(source.generator)
    gen = loaded.signatures[SIGNATURE]
    cases = interface.generator_cases(cfg, rng)
    diffs, outs = {"generator": 0.0, "rounding_sensitivity": 0.0}, []
    for feed in cases:
        got = gen(**{k: tf.constant(v) for k, v in feed.items()})[OUTPUT_KEY].numpy()
        want = _run(live, feed, g_specs)
        nudged = dict(feed, **{latent: np.nextafter(
            feed[latent], np.float32(np.inf)).astype(np.float32)})
        moved = _run(live, nudged, g_specs)
        outs.append(got)
        diffs["generator"] = max(diffs["generator"], float(np.max(np.abs(got - want))))
        diffs["rounding_sensitivity"] = max(diffs["rounding_sensitivity"],
                                            float(np.max(np.abs(moved - want))))
    diffs["generator_tolerance"] = max(
        SELF_CHECK_TOLERANCE, SENSITIVITY_MARGIN * diffs["rounding_sensitivity"])
    tolerances = {"generator": diffs["generator_tolerance"]}
    present = DISCRIMINATOR_SIGNATURE in loaded.signatures
    if (source.discriminator is not None) != present:
        raise RuntimeError(f"the export {'has' if present else 'lacks'} a "
                           f"'{DISCRIMINATOR_SIGNATURE}' signature although the source "
                           f"{'has none' if present else 'has one'}.")
    if present:
        middle = len(cases) // 2
        feed = interface.discriminator_feed(outs[middle], cases[middle])
        logits = loaded.signatures[DISCRIMINATOR_SIGNATURE](
            **{k: tf.constant(v) for k, v in feed.items()})[LOGITS_KEY].numpy()
        want = _run(interface.discriminator_call(source.discriminator), feed,
                    interface.discriminator_specs(cfg))
        # Logits are sums over many activations: compare relative to their scale.
        diffs["discriminator"] = float(np.max(np.abs(logits - want))
                                       / max(1.0, np.abs(want).max()))
        tolerances["discriminator"] = SELF_CHECK_TOLERANCE
    diffs.update(interface.check_summary(outs))
    for key, tolerance in tolerances.items():
        if not diffs[key] <= tolerance:
            raise RuntimeError(f"exported {key} differs from the live model by "
                               f"{diffs[key]:.3g} (> {tolerance:.3g}).")
    return diffs
