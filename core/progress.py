"""A one-line text progress bar on stderr for the headless commands (no extra dependency)."""
from __future__ import annotations

import sys
import time


class TextProgress:
    """Call with (done, total, note=""): draws `label [#####.....] 42/120 12.3/s eta 8s note`,
    at most 10 times a second, and ends the line when done reaches total."""

    def __init__(self, label: str = "", unit: str = "", stream=None, width: int = 30, enabled: bool = True):
        self.label, self.unit, self.width, self.enabled = label, unit, width, enabled
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()
        self._last = 0.0

    def __call__(self, done: int, total: int, note: str = "") -> None:
        now = time.perf_counter()
        if not self.enabled or (done < total and now - self._last < 0.1):
            return
        self._last = now
        filled = int(self.width * done / max(total, 1))
        rate = done / max(now - self.start, 1e-9)
        eta = f" eta {(total - done) / rate:4.0f}s" if 0 < rate and done < total else ""
        unit = f" {self.unit}" if self.unit else ""
        label = f"{self.label} " if self.label else ""
        self.stream.write(f"\r{label}[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}{unit} "
                          f"{rate:5.1f}/s{eta} {note}  ")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
