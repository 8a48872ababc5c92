"""Generating images for evaluation: latents, balanced labels, batched calls.

Conventions (those of the tfhub.dev BigGAN modules and their colab):

- ``truncation=t`` (a float in [0, 1]): z = t * truncnorm(-2, 2) and
  ``generator(z, y, truncation=t)``, which normalises with the standing
  statistics stored for t. A generator without standing statistics is never
  silently evaluated with something else: `ensure_standing_stats` fills them
  first and says so.
- ``truncation=None``: z ~ N(0, 1) (untruncated, as in training) and the batch
  norms' moving averages.
- Images are float32 [N, R, R, 3] in [-1, 1]; labels are int class ids [N].
"""
import logging

import numpy as np
import tensorflow as tf

from tfbiggan.models import (STANDING_BATCH_SIZE, STANDING_BATCHES,
                             accumulate_standing_stats, has_standing_stats)
from tfbiggan.progress import Progress
from tfbiggan.sampling import one_hot, sample_latents
from tfbiggan.truncation import check_truncation, truncation_grid

# Images per generator call when scoring (small enough for any preset on one device).
EVAL_BATCH_SIZE = 100

log = logging.getLogger(__name__)


def ensure_standing_stats(generator, num_batches=STANDING_BATCHES,
                          batch_size=STANDING_BATCH_SIZE, seed=0, progress=True):
    """Fills the standing statistics if the generator has none.

    Returns:
      True if they had to be computed (they live only in this in-memory
      generator until a checkpoint is written; `python -m tfbiggan.evaluate
      standing` stores them), False if they were there.
    """
    if has_standing_stats(generator):
        return False
    log.warning(
        "The generator has no standing statistics; computing them now (%d x %d "
        "samples at each of the 51 truncations). They are not saved: run "
        "`python -m tfbiggan.evaluate standing --model_dir=...` to store them.",
        num_batches, batch_size)
    bar = Progress(len(truncation_grid()), "standing stats") if progress else None
    accumulate_standing_stats(generator, num_batches=num_batches,
                              batch_size=batch_size, seed=seed, progress=bar)
    return True


def balanced_labels(num_samples, num_classes):
    """Class ids 0, 1, ..., C-1, 0, 1, ... : [num_samples] int64."""
    return np.arange(int(num_samples), dtype=np.int64) % int(num_classes)


class GeneratorRunner:
    """Batched inference calls of one generator, traced once.

    ``runner(z, y, truncation)`` -> images [N, R, R, 3] float32 numpy. It
    samples nothing itself: z and y come from the caller. A truncation needs
    standing statistics (the generator raises MissingStandingStatsError).
    """

    def __init__(self, generator):
        self.generator = generator

        @tf.function(reduce_retracing=True)
        def with_truncation(z, y, t):
            return generator(z, y, truncation=t, training=False)

        @tf.function(reduce_retracing=True)
        def with_moving_stats(z, y):
            return generator(z, y, training=False)

        self._with_truncation = with_truncation
        self._with_moving_stats = with_moving_stats

    def __call__(self, z, y, truncation=None, batch_size=EVAL_BATCH_SIZE, progress=None):
        truncation = check_truncation(truncation)
        z = np.asarray(z, np.float32)
        y = np.asarray(y, np.float32)
        out = []
        for start in range(0, len(z), batch_size):
            zb = tf.constant(z[start:start + batch_size])
            yb = tf.constant(y[start:start + batch_size])
            if truncation is None:
                images = self._with_moving_stats(zb, yb)
            else:
                images = self._with_truncation(zb, yb, tf.constant(truncation, tf.float32))
            out.append(images.numpy())
            if progress is not None:
                progress.update(advance=len(out[-1]))
        return np.concatenate(out)


def generate_images(generator, num_samples, truncation=None, batch_size=EVAL_BATCH_SIZE,
                    seed=0, labels=None, progress=None, runner=None):
    """Samples the generator for balanced (or given) classes.

    Args:
      generator: a built Generator; with a float truncation it must have
        standing statistics (see `ensure_standing_stats`).
      num_samples: N.
      truncation: None or a float in [0, 1] (see the module docstring).
      labels: optional int class ids [N]; default `balanced_labels`.
      progress: optional `Progress`, advanced per image.
      runner: a `GeneratorRunner` of this generator, to reuse its traced
        functions.

    Returns:
      (images float32 [N, R, R, 3] in [-1, 1], labels int64 [N]).
    """
    cfg = generator.config
    labels = (balanced_labels(num_samples, cfg.num_classes) if labels is None
              else np.asarray(labels, np.int64))
    if len(labels) != num_samples:
        raise ValueError(f"{len(labels)} labels for {num_samples} samples.")
    z = sample_latents(num_samples, cfg.z_dim, truncation, seed)
    runner = runner or GeneratorRunner(generator)
    images = runner(z, one_hot(labels, cfg.num_classes), truncation, batch_size, progress)
    return images, labels
