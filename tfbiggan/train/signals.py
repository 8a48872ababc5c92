"""SIGTERM / SIGINT as a flag that the training loop checks between steps."""
import signal


class StopSignals:
    """Within this context SIGTERM and SIGINT set ``received`` (the signal's
    name) instead of stopping the process, so the loop can save first."""

    def __init__(self):
        self.received = None
        self._previous = {}

    def __enter__(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def _handle(self, signum, frame):
        del frame
        self.received = signal.Signals(signum).name

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


EXIT_CODES = {"SIGINT": 128 + 2, "SIGTERM": 128 + 15}
