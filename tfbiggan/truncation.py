"""Truncation: the one home of the truncation grid, its interpolation weights,
the latent samplers and the range policy.

Two different things are both called "truncation" in the BigGAN literature:

- ``truncated_normal(shape, threshold)``: the paper's truncation trick
  (Brock et al. 2019, Sec. 3.1). Draw N(0, 1) and resample every value whose
  magnitude exceeds ``threshold``.
- ``tfhub_truncated_z(batch, z_dim, truncation)``: the tfhub.dev convention,
  ``truncation * truncnorm(-2, 2)``; the same ``truncation`` is then passed to
  the generator, where it selects the batch norms' standing statistics.

Standing statistics are stored at ``NUM_TRUNCATION_POINTS`` = 51 values
0.00, 0.02, ..., 1.00 (``truncation_grid``); a truncation between two of them
is served by linear interpolation with ``interpolation_weights``, a hat
function (pure arithmetic: no gather, no cond, so graphs convert to TFLite and
TF.js).

Range policy, for truncations in [0, 1]:
- a Python number from a caller is checked: ``check_truncation`` raises
  ValueError outside [0, 1] (evaluation, sampling and the generator's eager
  calls all use it);
- a tensor inside a graph cannot raise in every runtime, so
  ``interpolation_weights`` clamps it to [0, 1]: the documented behaviour of
  the exported signature.
"""
import numpy as np

NUM_TRUNCATION_POINTS = 51
TRUNCATION_RANGE = (0.0, 1.0)
TFHUB_TRUNCNORM_BOUND = 2.0


def truncation_grid(num_points=NUM_TRUNCATION_POINTS):
    """The truncation values of the standing statistics: float32 [num_points]."""
    return np.linspace(*TRUNCATION_RANGE, num_points).astype(np.float32)


def check_truncation(truncation):
    """None, or ``truncation`` as a float in [0, 1]; ValueError otherwise."""
    if truncation is None:
        return None
    t = float(truncation)
    low, high = TRUNCATION_RANGE
    if not low <= t <= high:
        raise ValueError(f"truncation must be in [{low:g}, {high:g}] or None, got "
                         f"{truncation}.")
    return t


def interpolation_weights(truncation, num_points=NUM_TRUNCATION_POINTS):
    """Linear-interpolation weights of a truncation over the grid (a tensor op).

    Args:
      truncation: scalar (or [batch]) float tensor; clamped to [0, 1].
    Returns:
      float32 [num_points] (or [batch, num_points]) weights summing to 1:
      relu(1 - |grid - t| / spacing).
    """
    import tensorflow as tf
    t = tf.clip_by_value(tf.cast(truncation, tf.float32), *TRUNCATION_RANGE)
    grid = tf.constant(truncation_grid(num_points))
    spacing = (TRUNCATION_RANGE[1] - TRUNCATION_RANGE[0]) / (num_points - 1)
    return tf.nn.relu(1.0 - tf.abs(t[..., None] - grid) / spacing)


def grid_indices(truncation, num_points=NUM_TRUNCATION_POINTS):
    """The grid points a truncation in [0, 1] interpolates between (one when it
    sits on a grid point, else two), as ints."""
    t = check_truncation(truncation)
    position = (t - TRUNCATION_RANGE[0]) / (TRUNCATION_RANGE[1] - TRUNCATION_RANGE[0]) * (
        num_points - 1)
    low = int(np.floor(position + 1e-6))
    if abs(position - round(position)) <= 1e-6:
        return [int(round(position))]
    return [low, low + 1]


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
