"""Shared helpers for checking edge conversions (TFLite, TF.js) of the hub export.

The exported SavedModel (see ``python -m hub_export.export``) has a signature
``default``:

* ``z``          float32 [batch, z_dim], z = truncation * truncnorm(-2, 2)
* ``y``          float32 [batch, num_classes], one-hot class
* ``truncation`` float32 scalar [], in (0, 1]

returning ``{'default': images}`` float32 [batch, R, R, 3] in [-1, 1], with a
dynamic batch. Nothing here depends on z_dim, num_classes or R: they are read
from the signature, so the helpers work on any SavedModel with that contract.

TensorFlow is imported lazily so that modules which only need the input
sampling (the web-site builder, for instance) stay light.
"""
import dataclasses
import os
import time

import numpy as np

DEFAULT_SIGNATURE = "default"
DEFAULT_BATCHES = (1, 3)
# 0.55 falls between two points of a 0.02 truncation grid, 1.0 is the end point.
DEFAULT_TRUNCATIONS = (0.55, 1.0)
TRUNCNORM_BOUND = 2.0


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


def read_signature(saved_model_dir, signature=DEFAULT_SIGNATURE, tags=("serve",)):
    """Reads a signature's inputs/outputs from ``saved_model.pb`` without loading it.

    Raises:
      FileNotFoundError: ``saved_model_dir`` holds no ``saved_model.pb``.
      ValueError: the signature is missing; the message lists those present.
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
    metas = [m for m in saved_model.meta_graphs
             if set(tags) <= set(m.meta_info_def.tags)] or list(saved_model.meta_graphs)
    if not metas:
        raise ValueError(f"{pb_path} holds no MetaGraph; re-export the model.")
    sig_defs = metas[0].signature_def
    if signature not in sig_defs:
        present = sorted(k for k in sig_defs if not k.startswith("__"))
        raise ValueError(
            f"SavedModel {saved_model_dir!r} has no signature {signature!r} "
            f"(it has {present}). Export it with `python -m hub_export.export`, which "
            f"writes the signatures 'default' and 'discriminator', or pass "
            f"--signature=NAME for one of {present}.")
    sig = sig_defs[signature]
    return SignatureInfo(
        key=signature,
        inputs={k: _tensor_info(k, v) for k, v in sorted(sig.inputs.items())},
        outputs={k: _tensor_info(k, v) for k, v in sorted(sig.outputs.items())})


def truncated_normal(rng, shape, bound=TRUNCNORM_BOUND):
    """Standard normal samples in [-bound, bound], resampled beyond it.

    Args:
      rng: a ``numpy.random.Generator``.
      shape: output shape.
    Returns:
      float32 array of ``shape`` with values in [-bound, bound].
    """
    from tfbiggan.sampling import truncated_normal as sample
    return sample(shape, bound, rng)


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
            labels = rng.integers(0, shape[-1], size=shape[:-1])
            feed[name] = np.eye(shape[-1], dtype=np.float32)[labels]
        else:
            feed[name] = np.float32(truncation) * truncated_normal(rng, shape)
    return feed


def make_cases(sig, batches=DEFAULT_BATCHES, truncations=DEFAULT_TRUNCATIONS, seed=0):
    """All (batch, truncation) combinations as a list of feeds, seeded."""
    rng = np.random.default_rng(seed)
    return [make_inputs(sig, b, t, rng) for b in batches for t in truncations]


class SavedModelReference:
    """Runs one signature of a SavedModel with TensorFlow; the ground truth.

    Call with a feed from ``make_inputs``; returns ``{output_name: np.ndarray}``.
    """

    def __init__(self, saved_model_dir, signature=DEFAULT_SIGNATURE):
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


def describe_feed(feed):
    """Short text such as ``batch=3 truncation=0.55`` for logs."""
    batch = next((v.shape[0] for v in feed.values() if np.ndim(v)), None)
    scalars = " ".join(f"{k}={float(v):g}" for k, v in feed.items() if np.ndim(v) == 0)
    return f"batch={batch} {scalars}".strip()


def human_size(num_bytes):
    """``1536`` -> ``'1.5 KiB'``."""
    size = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
