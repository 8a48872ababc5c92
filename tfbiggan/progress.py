"""Console progress for long jobs: a duration formatter and a one-line bar."""
import math
import sys
import time


def format_duration(seconds):
    """Seconds as '12s', '12m34s' or '2h03m'; '?' for None or non-finite."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = int(round(max(0.0, seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


class Progress:
    """A one-line progress bar with elapsed time and ETA, on stderr.

    Use as ``bar.update(done)`` (absolute) or as a
    ``callback(done, total, seconds_elapsed)`` (what
    `tfbiggan.models.accumulate_standing_stats` calls). On a terminal the
    line is redrawn in place; otherwise (logs, pipes) a line is printed at most
    every `min_interval` seconds and at the end.
    """

    def __init__(self, total, desc="", stream=None, width=24, min_interval=None):
        self.total = max(int(total), 1)
        self.desc = desc
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.min_interval = (min_interval if min_interval is not None
                             else (0.2 if self._tty else 10.0))
        self.start = time.time()
        self.done = 0
        self._last_draw = -math.inf
        self._closed = False

    def line(self, now=None):
        elapsed = (now or time.time()) - self.start
        frac = min(self.done / self.total, 1.0)
        eta = elapsed * (self.total - self.done) / self.done if self.done else None
        filled = int(round(frac * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        return (f"{self.desc} [{bar}] {self.done}/{self.total} "
                f"{100 * frac:3.0f}% elapsed {format_duration(elapsed)} "
                f"ETA {format_duration(eta if self.done < self.total else 0)}")

    def update(self, done=None, advance=1):
        self.done = min(self.done + advance if done is None else int(done), self.total)
        now = time.time()
        if self.done >= self.total or now - self._last_draw >= self.min_interval:
            self._last_draw = now
            end = "" if self._tty and self.done < self.total else "\n"
            prefix = "\r" if self._tty else ""
            self.stream.write(prefix + self.line(now) + end)
            self.stream.flush()
            if self.done >= self.total:
                self._closed = True

    def __call__(self, done, total=None, seconds_elapsed=None):
        if total is not None and int(total) != self.total:
            self.total = max(int(total), 1)
        self.update(done)

    def close(self):
        if not self._closed and self.done < self.total and self._tty:
            self.stream.write("\n")
            self.stream.flush()
        self._closed = True
