"""Standing batch-norm statistics per truncation value (BigGAN, tfhub.dev).

For each truncation t on the grid 0.00, 0.02, ..., 1.00, the generator is run in
training mode on ``num_batches`` batches of z = t * truncnorm(-2, 2) and random
one-hot classes; every batch norm averages the batch means and variances it
saw. The averages are stored in the layers' ``standing_mean`` /
``standing_variance`` [51, C] variables, so they are saved with the checkpoint
and exported as constants. ``generator(z, y, truncation=t)`` then uses them.

Side effect worth knowing: training-mode calls also run the spectral-norm power
iteration, refining each layer's ``u`` for the current weights (as
BigGAN-PyTorch's accumulate_standing_stats does).
"""
import time

import numpy as np
import tensorflow as tf

from tfbiggan.layers import truncation_grid
from tfbiggan.sampling import tfhub_truncated_z


def accumulate_standing_stats(generator, num_batches=16, batch_size=64,
                              truncations=None, seed=0, progress=None):
    """Fills the generator's standing statistics at every grid truncation.

    Args:
      generator: a built ``tfbiggan.models.Generator`` (usually the EMA one).
      num_batches, batch_size: forward passes averaged per truncation value.
      truncations: grid indices to fill (default: all 51). The generator
        counts as having standing statistics (``has_standing_stats``, which
        truncation calls require) only after a call that fills all of them.
      seed: makes z and the classes reproducible.
      progress: optional callable(done, total, seconds_elapsed) for ETA output.
    """
    cfg = generator.config
    grid = truncation_grid()
    indices = range(len(grid)) if truncations is None else truncations

    @tf.function(reduce_retracing=True)
    def forward(z, y):
        generator(z, y, training=True)

    rng = np.random.default_rng(seed)
    start = time.time()
    total = len(list(indices))
    with generator.accumulating_standing_stats() as layers:
        for done, index in enumerate(indices):
            for layer in layers:
                layer.reset_accumulators()
            for _ in range(num_batches):
                z = tfhub_truncated_z(batch_size, cfg.z_dim, float(grid[index]), rng)
                labels = rng.integers(0, cfg.num_classes, batch_size)
                y = np.eye(cfg.num_classes, dtype=np.float32)[labels]
                forward(tf.constant(z), tf.constant(y))
            for layer in layers:
                layer.commit_standing(index)
            if progress is not None:
                progress(done + 1, total, time.time() - start)
    if set(indices) >= set(range(len(grid))):
        generator.standing_ready.assign(1.0)


def has_standing_stats(generator):
    """True once ``accumulate_standing_stats`` has filled every grid point."""
    return bool(generator.standing_ready.numpy() > 0)
