"""The latent and label samplers: the home of ``one_hot`` and of every way
this project draws z.

Two different things are both called "truncation" in the BigGAN literature:

- ``truncated_normal(shape, threshold)``: the paper's truncation trick
  (Brock et al. 2019, Sec. 3.1). Draw N(0, 1) and resample every value whose
  magnitude exceeds ``threshold``.
- ``tfhub_truncated_z(batch, z_dim, truncation)``: the tfhub.dev convention,
  ``truncation * truncnorm(-2, 2)``; the same ``truncation`` is then passed to
  the generator, where it selects the batch norms' standing statistics
  (``tfbiggan.truncation``).

``sample_latents`` is what evaluation draws: N(0, 1) without a truncation,
the tfhub.dev draw with one.
"""
import numpy as np

from tfbiggan.truncation import check_truncation

TFHUB_TRUNCNORM_BOUND = 2.0


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def truncated_normal(shape, threshold=TFHUB_TRUNCNORM_BOUND, seed=None):
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
    """``truncation * truncnorm(-2, 2)``, as the tfhub.dev BigGAN colabs sample z.

    Returns float32 [batch_size, z_dim] with values in [-2t, 2t].
    """
    t = check_truncation(truncation)
    return np.float32(t) * truncated_normal((batch_size, z_dim), TFHUB_TRUNCNORM_BOUND,
                                            seed)


def sample_latents(num_samples, z_dim, truncation, seed=0):
    """z for evaluating at ``truncation``: float32 [num_samples, z_dim].

    None: z ~ N(0, 1) (untruncated, as in training). A float t: the tfhub.dev
    draw t * truncnorm(-2, 2), whose base draw depends only on ``seed``, so one
    seed gives the same base latents at every truncation.
    """
    t = check_truncation(truncation)
    rng = _rng(seed)
    if t is None:
        return rng.standard_normal((num_samples, z_dim)).astype(np.float32)
    return tfhub_truncated_z(num_samples, z_dim, t, rng)


def one_hot(labels, num_classes):
    """Integer labels [batch] -> float32 one-hot [batch, num_classes]."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"labels must be in [0, {num_classes}), got range "
            f"[{labels.min()}, {labels.max()}].")
    return np.eye(num_classes, dtype=np.float32)[labels]
