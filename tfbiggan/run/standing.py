"""Standing statistics written back into a run's checkpoint."""
import os

from tfbiggan.models import STANDING_BATCH_SIZE, STANDING_BATCHES, accumulate_standing_stats
from tfbiggan.run.checkpoints import load_run, register_checkpoint, rewrite_checkpoint
from tfbiggan.run.layout import STANDING_SUFFIX


def store_standing_stats(model_dir, checkpoint_path=None, num_batches=STANDING_BATCHES,
                         batch_size=STANDING_BATCH_SIZE, seed=0, progress=None):
    """Fills the EMA generator's standing statistics and saves a new checkpoint.

    The new checkpoint is the source's name plus "-standing" (``ckpt-N`` ->
    ``ckpt-N-standing``, same step; the training loop numbers its checkpoints
    by step, so the next one, ``ckpt-M`` with M > N, never collides with it).
    It sits next to the source (the latest in `model_dir` by default, or
    `checkpoint_path`, e.g. one in ``model_dir/best``) and takes the source's
    place as that folder's latest if the source was the latest, so `load_run`
    and a resumed training pick it up. It holds everything the source held
    (generator, discriminator, optimizers, step, data iterator), with the EMA
    generator's variables replaced: standing statistics, ``standing_ready``,
    and the spectral-norm vectors refined by the extra forward passes.

    Args:
      progress: optional callable(done, total, seconds) per truncation.
    Returns:
      (new checkpoint prefix, LoadedRun whose ema_generator has the statistics).
    """
    run = load_run(model_dir, checkpoint_path)
    accumulate_standing_stats(run.ema_generator, num_batches=num_batches,
                              batch_size=batch_size, seed=seed, progress=progress)
    folder = os.path.dirname(os.path.abspath(run.path))
    name = os.path.basename(run.path)
    if not name.endswith(STANDING_SUFFIX):
        name += STANDING_SUFFIX
    target = os.path.join(folder, name)
    rewrite_checkpoint(run.path, {"ema_generator": run.ema_generator}, target)
    register_checkpoint(folder, os.path.basename(run.path), name)
    run.path = target
    return target, run
