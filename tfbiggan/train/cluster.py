"""Faults of a multi-worker run: a lost worker, and a preemption notice.

A lost worker. When one worker of a ``MultiWorkerMirroredStrategy`` cluster
dies (killed, crashed, its machine gone), TensorFlow's coordination service
notices: the others' collective ops fail at once when the connection is
reset, or within its heartbeat timeout (about 10 s) when the worker stops
answering. ``cluster_failure`` turns that error into a ``ClusterError`` that
names the worker, the step and the last complete checkpoint (exit 5), so no
worker hangs and the fix is plain: relaunch every worker with the same
command, which resumes from that checkpoint.

A preemption notice. SIGTERM (a cloud VM's or a TPU host's notice) or SIGINT
on any one worker must make *every* worker save at the same step, because
saving takes all of them. ``Preemption`` hands that agreement to
``tf.distribute.experimental.PreemptionCheckpointHandler``, TensorFlow's own
mechanism: the signal reaches it through its ``termination_watcher_fn``
(``StopSignals`` catches both signals), the handler agrees on the step
through the coordination service, every worker saves there with the run's
own ``save`` (its ``save_fn``), and each then raises ``Preempted``, which
ends the run with the signal's exit code (128 + 15 for SIGTERM) on every
worker.
"""
import re
import threading

import tensorflow as tf

_FAILURES = (tf.errors.UnavailableError, tf.errors.AbortedError,
             tf.errors.DeadlineExceededError, tf.errors.CancelledError,
             tf.errors.InternalError, tf.errors.UnknownError)
_TASK = re.compile(r"/job:\w+/replica:\d+/task:\d+")
_WHY = ((r"stopped sending heartbeats|heartbeat", "it stopped sending heartbeats"),
        (r"Connection reset|Socket closed|connection refused|failed to connect|"
         r"Connection refused", "its connection was lost"),
        (r"Collective ops is aborted", "the collective ops were aborted"))


class ClusterError(RuntimeError):
    """A worker of the cluster was lost; this worker stopped (exit 5)."""


class Preempted(Exception):
    """Every worker saved for a preemption notice; ``signal`` is the name of
    the signal this worker got, or SIGTERM for a peer's notice."""

    def __init__(self, signal):
        super().__init__(signal)
        self.signal = signal


def is_cluster_failure(error):
    """Whether a TensorFlow error means that a peer worker is gone."""
    text = getattr(error, "message", "") or str(error)
    return isinstance(error, _FAILURES) and bool(
        _TASK.search(text) or re.search("|".join(w for w, _ in _WHY), text))


def cluster_failure(error, step, latest_checkpoint, own_task):
    """The ClusterError for ``error`` (raised at ``step``)."""
    text = getattr(error, "message", "") or str(error)
    peers = [t for t in dict.fromkeys(_TASK.findall(text)) if not t.endswith(own_task)]
    who = f"worker {peers[0]}" if peers else "a worker of the cluster"
    why = next((reason for pattern, reason in _WHY if re.search(pattern, text)),
               "it stopped answering")
    where = (f"the last complete checkpoint is {latest_checkpoint}" if latest_checkpoint
             else "no checkpoint was written yet")
    return ClusterError(
        f"lost {who} after step {step} ({why}); this worker stopped too and {where}. "
        "Relaunch every worker with the same command to resume from it.")


class Preemption:
    """Saves every worker at one agreed step after a SIGTERM / SIGINT on any.

    Args:
      strategy: the run's MultiWorkerMirroredStrategy.
      signals: the run's StopSignals (its ``received`` is polled each second).
      save: callable() that writes the run's checkpoint on every worker.
    """

    def __init__(self, strategy, signals, save):
        self.signals = signals

        def exit_fn():
            raise Preempted(signals.received or "SIGTERM")

        config = tf.distribute.experimental.TerminationConfig(
            termination_watcher_fn=lambda: signals.received is not None,
            exit_fn=exit_fn, grace_period=0, save_fn=lambda: save())
        # The run restores and saves its own checkpoints (save_fn); the handler
        # gets an empty Checkpoint with no directory to read, so it restores
        # nothing and every worker starts its step count at the same point.
        unused = tf.train.CheckpointManager(tf.train.Checkpoint(), "/nonexistent-unused",
                                            max_to_keep=1)
        _quiet_watcher_threads()
        self.handler = tf.distribute.experimental.PreemptionCheckpointHandler(
            strategy.cluster_resolver, unused, termination_config=config)

    def check(self):
        """Call after every step; raises Preempted once every worker saved."""
        self.handler.save_checkpoint_if_preempted()


_WATCHERS = ("PeerTerminationWatcher", "WorkerTerminationSignalWatcher")


def _quiet_watcher_threads():
    """The handler's watcher threads wait on the coordination service; when a
    lost worker takes it down they die with its error, which the training
    loop reports as a ClusterError. Their tracebacks are not printed."""
    previous = threading.excepthook
    if getattr(previous, "tfbiggan_quiet", False):
        return

    def hook(args):
        if (args.thread is not None and args.thread.name.startswith(_WATCHERS)
                and is_cluster_failure(args.exc_value)):
            return
        previous(args)

    hook.tfbiggan_quiet = True
    threading.excepthook = hook
