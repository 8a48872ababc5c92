"""What stops a run on one machine, with the message that says why.

Exit codes (``tfbiggan.train.main``): ``NonFiniteLossError`` 3,
``RunWriteError`` 4; a lost worker of a cluster is ``tfbiggan.train.cluster``'s
``ClusterError`` (5).
"""
from tfbiggan.errors import plain_reason


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or Inf; training stopped without saving."""


class RunWriteError(RuntimeError):
    """A checkpoint could not be written (disk full, file too large,
    permissions); training stopped, earlier files intact."""


def non_finite_loss(step, metrics, config, latest_checkpoint):
    """The NonFiniteLossError of ``metrics`` at ``step``."""
    bad = ", ".join(f"{k}={v}" for k, v in metrics.items() if v != v or abs(v) == float("inf"))
    kept = (f"the last good checkpoint, {latest_checkpoint}, was left untouched"
            if latest_checkpoint else "no checkpoint had been written yet")
    return NonFiniteLossError(
        f"non-finite loss at step {step} ({bad}); training stopped and {kept}. The "
        f"settings that most often cause it: the learning rates (--g_lr={config.g_lr:g}, "
        f"--d_lr={config.d_lr:g}), --precision={config.precision}, and the weights of "
        "the penalty terms; rerun with smaller ones.")


def checkpoint_write_error(step, folder, error, latest_checkpoint):
    """The RunWriteError of a checkpoint at ``step`` that ``error`` stopped."""
    kept = (f"the last complete checkpoint, {latest_checkpoint}, is intact"
            if latest_checkpoint else "no earlier checkpoint exists")
    return RunWriteError(
        f"could not write checkpoint ckpt-{step} in {folder}: {plain_reason(error)}. "
        f"Training stopped at step {step}; {kept}. Free disk space (or fix the folder) "
        "and rerun the same command to resume.")
