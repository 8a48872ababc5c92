"""The extractor interface and what every extractor shares.

An extractor is any object with

  name: str
      Identity of the network that produced the features, e.g.
      "inception_v3_tfgan_pool3:<sha12>" or "digits_classifier:<sha12>".
      Metrics computed with different names are never comparable, and the
      reference-statistics cache refuses to mix them.
  __call__(images) -> {"features": [N, D] float32, "logits": [N, C] float32}
      `images` is float NHWC in [-1, 1] (the generator's output range).

`FeatureExtractor` implements the batching and input checks; subclasses only
supply `_extract`.
"""
import hashlib

import keras
import numpy as np

_RANGE_TOLERANCE = 1e-3


def check_images(images, name="images"):
    """Returns images as float32 [N, H, W, C] in [-1, 1], or raises."""
    arr = np.asarray(images)
    if arr.ndim != 4:
        hint = (" Add the batch axis with x[None]." if arr.ndim == 3 else "")
        raise ValueError(
            f"`{name}` must be a 4-D NHWC batch [N, H, W, C], got shape "
            f"{arr.shape}.{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"`{name}` is empty (shape {arr.shape}).")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(
            f"`{name}` has dtype {arr.dtype}; pass float images in [-1, 1] "
            "(for uint8 pixels use x.astype('float32') / 127.5 - 1).")
    arr = arr.astype(np.float32, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` contains NaN or inf values.")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < -1 - _RANGE_TOLERANCE or hi > 1 + _RANGE_TOLERANCE:
        raise ValueError(
            f"`{name}` must lie in [-1, 1] but spans [{lo:.4g}, {hi:.4g}]. "
            "Rescale: pixels in [0, 255] -> x / 127.5 - 1; in [0, 1] -> 2x - 1.")
    return arr


def _flatten_rows(x):
    x = np.asarray(x, dtype=np.float32)
    return x.reshape(x.shape[0], -1)


def sha256_files(paths):
    """Short sha256 (12 hex chars) of the files' contents, in the given order."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:12]


def weights_digest(model):
    """Short sha256 (12 hex chars) of a Keras model's weight shapes and values."""
    digest = hashlib.sha256()
    for w in model.weights:
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(w),
                                     dtype=np.float32)
        digest.update(str(value.shape).encode())
        digest.update(value.tobytes())
    return digest.hexdigest()[:12]


class FeatureExtractor:
    """Base extractor: checks images, runs `_extract` batch by batch.

    Subclasses set `self.name` and implement `_extract(images)` taking float32
    [B, H, W, C] in [-1, 1] and returning (features [B, ...], logits [B, C]).
    """

    def __init__(self, name, batch_size=64):
        if not name or not isinstance(name, str):
            raise ValueError(f"`name` must be a non-empty string, got {name!r}.")
        if int(batch_size) < 1:
            raise ValueError(f"`batch_size` must be >= 1, got {batch_size}.")
        self.name = name
        self.batch_size = int(batch_size)

    def _extract(self, images):
        raise NotImplementedError

    def __call__(self, images):
        """Features and logits of float NHWC images in [-1, 1].

        Returns:
          {"features": float32 [N, D], "logits": float32 [N, C]}.
        """
        images = check_images(images)
        features, logits = [], []
        for start in range(0, len(images), self.batch_size):
            f, l = self._extract(images[start:start + self.batch_size])
            features.append(_flatten_rows(f))
            logits.append(_flatten_rows(l))
        return {"features": np.concatenate(features),
                "logits": np.concatenate(logits)}

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"
