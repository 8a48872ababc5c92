"""Runs `python -m tfbiggan.train` with pauses inside checkpoint writes, so a
test can SIGKILL it exactly there.

    python fault_launcher.py POINTS SECONDS -- <training flags>

POINTS is a comma-separated subset of:
  merge  before TensorFlow merges the shards written to ``ckpt-N_temp/`` into
         ``ckpt-N.*`` (data written, checkpoint not yet in place);
  state  before the ``checkpoint`` state file names the new ``ckpt-N``.
At each pause the process prints ``FAULT-PAUSE <point>`` and sleeps.
"""
import sys
import time


def pausing(point, fn, seconds):
    def wrapper(*args, **kwargs):
        print(f"FAULT-PAUSE {point}", flush=True)
        time.sleep(seconds)
        return fn(*args, **kwargs)
    return wrapper


def main():
    points, seconds = set(sys.argv[1].split(",")) - {""}, float(sys.argv[2])
    flags = sys.argv[sys.argv.index("--") + 1:]
    from tensorflow.python.checkpoint import checkpoint_management
    from tensorflow.python.ops import gen_io_ops
    if "merge" in points:
        gen_io_ops.merge_v2_checkpoints = pausing(
            "merge", gen_io_ops.merge_v2_checkpoints, seconds)
    if "state" in points:
        manager = checkpoint_management.CheckpointManager
        manager._record_state = pausing("state", manager._record_state, seconds)
    sys.argv = ["tfbiggan.train", *flags]
    from tfbiggan.train.main import entry_point
    entry_point()


if __name__ == "__main__":
    main()
