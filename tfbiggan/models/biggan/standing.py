"""Standing batch-norm statistics of a generator, per truncation value.

BigGAN evaluates with "standing statistics" (Brock et al. 2019, Appendix C.1):
batch-norm moments averaged over many forward passes of the final generator,
instead of the running averages. The tfhub.dev modules store them for each
truncation t on ``tfbiggan.truncation.truncation_grid`` (0.00, 0.02, ...,
1.00): for each t the generator runs in training mode on ``num_batches``
batches of z = t * truncnorm(-2, 2) and random one-hot classes, and every batch
norm averages the batch means and variances it saw. The averages go into the
layers' ``standing_mean`` / ``standing_variance`` [51, C] variables, so they
are saved with checkpoints and exported as constants.

Side effect worth knowing: training-mode calls also run the spectral-norm power
iteration, refining each layer's ``u`` for the current weights (as
BigGAN-PyTorch's accumulate_standing_stats does).

``STANDING_BATCHES`` x ``STANDING_BATCH_SIZE`` (16 x 64) is BigGAN-PyTorch's
default (``num_standing_accumulations=16``); every command that computes
standing statistics defaults to it.
"""
import time

import numpy as np
import tensorflow as tf

from tfbiggan.sampling import one_hot, tfhub_truncated_z
from tfbiggan.truncation import truncation_grid

STANDING_BATCHES = 16
STANDING_BATCH_SIZE = 64


def accumulate_standing_stats(generator, num_batches=STANDING_BATCHES,
                              batch_size=STANDING_BATCH_SIZE, grid_indices=None, seed=0,
                              progress=None):
    """Fills the generator's standing statistics at the truncation grid points.

    Args:
      generator: a built generator with ``batch_norm_layers()``,
        ``accumulating_standing_stats()`` and ``standing_ready`` (usually the
        EMA generator).
      num_batches, batch_size: forward passes averaged per truncation value.
      grid_indices: indices into ``truncation_grid()`` to fill (default: all
        51). The generator counts as having standing statistics
        (``has_standing_stats``, which truncation calls require) only after a
        call that fills all of them.
      seed: makes z and the classes reproducible.
      progress: optional callable(done, total, seconds_elapsed) for ETA output.
    """
    cfg = generator.config
    grid = truncation_grid()
    indices = list(range(len(grid)) if grid_indices is None else grid_indices)

    @tf.function(reduce_retracing=True)
    def forward(z, y):
        generator(z, y, training=True)

    rng = np.random.default_rng(seed)
    start = time.time()
    with generator.accumulating_standing_stats() as layers:
        for done, index in enumerate(indices):
            for layer in layers:
                layer.reset_accumulators()
            for _ in range(num_batches):
                z = tfhub_truncated_z(batch_size, cfg.z_dim, float(grid[index]), rng)
                y = one_hot(rng.integers(0, cfg.num_classes, batch_size), cfg.num_classes)
                forward(tf.constant(z), tf.constant(y))
            for layer in layers:
                layer.commit_standing(index)
            if progress is not None:
                progress(done + 1, len(indices), time.time() - start)
    if set(indices) >= set(range(len(grid))):
        generator.standing_ready.assign(1.0)


def has_standing_stats(generator):
    """True once ``accumulate_standing_stats`` has filled every grid point."""
    return bool(generator.standing_ready.numpy() > 0)
