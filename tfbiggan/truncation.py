"""Truncation: the one home of the truncation grid, its interpolation weights
and the range policy. The latent samplers (the paper's truncation trick and
the tfhub.dev ``truncation * truncnorm(-2, 2)``) are in ``tfbiggan.sampling``.

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
