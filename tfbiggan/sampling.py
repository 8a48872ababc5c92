"""Latent samplers, reproducible from a seed.

Two different things are both called "truncation" in the BigGAN literature:

- ``truncated_normal(shape, threshold)``: the paper's truncation trick. Draw
  N(0, 1) and resample every value whose magnitude exceeds ``threshold``.
- ``tfhub_truncated_z(batch, z_dim, truncation)``: the tfhub.dev convention,
  ``truncation * truncnorm(-2, 2)``; the same ``truncation`` is then passed to
  the generator, where it selects the batch-norm standing statistics.
"""
import numpy as np


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def truncated_normal(shape, threshold=2.0, seed=None):
    """N(0, 1) samples with every |value| > threshold resampled.

    Args:
      shape: output shape.
      threshold: positive float; values land in [-threshold, threshold].
      seed: int, None or a numpy Generator.
    Returns: float32 array of ``shape``.
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold}.")
    rng = _rng(seed)
    values = rng.standard_normal(shape)
    outside = np.abs(values) > threshold
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > threshold
    return values.astype(np.float32)


def tfhub_truncated_z(batch_size, z_dim, truncation=1.0, seed=None):
    """``truncation * truncnorm(-2, 2)`` as the tfhub.dev BigGAN colabs sample z.

    Returns float32 [batch_size, z_dim] with values in [-2t, 2t].
    """
    if not 0.0 <= truncation <= 1.0:
        raise ValueError(f"truncation must be in [0, 1], got {truncation}.")
    return truncation * truncated_normal((batch_size, z_dim), 2.0, seed)


def one_hot(labels, num_classes):
    """Integer labels [batch] -> float32 one-hot [batch, num_classes]."""
    labels = np.asarray(labels)
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"labels must be in [0, {num_classes}), got range "
            f"[{labels.min()}, {labels.max()}].")
    return np.eye(num_classes, dtype=np.float32)[labels]
