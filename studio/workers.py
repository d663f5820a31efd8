"""Deformation off the GUI thread, with latest-request-wins coalescing.

The GUI asks for (take, frame, revision) as often as it likes (every scrub step, every edit); the
worker keeps only the newest request, so a slow frame never builds a queue and playback drops frames
instead of drifting. A request made after an edit carries a higher revision; results of older
revisions that were already under way are discarded by the receiver (``is_current``)."""
from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QObject, QThread, Signal

from .engine import Engine, FrameResult


class _Loop(QThread):
    finished_frame = Signal(object)   # FrameResult, queued to the GUI thread
    failed = Signal(int, str)   # frame, message

    def __init__(self, engine: Engine):
        super().__init__()
        self.setObjectName("deform-worker")
        self.engine = engine
        self._cond = threading.Condition()
        self._request = None
        self._stop = False

    def submit(self, request) -> None:
        with self._cond:
            self._request = request  # replaces any request not started yet
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._request = None
            self._cond.notify()

    def pending(self) -> bool:
        with self._cond:
            return self._request is not None

    def run(self) -> None:
        while True:
            with self._cond:
                while self._request is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                take, frame, revision = self._request
                self._request = None
            try:
                result = self.engine.evaluate(take, frame, revision)
            except Exception as exc:  # reported to the GUI, the worker lives on
                traceback.print_exc()
                self.failed.emit(int(frame), f"{type(exc).__name__}: {exc}")
                continue
            self.finished_frame.emit(result)


class DeformWorker(QObject):
    """Owns the worker thread. ``request(take, frame, revision)``; ``frame_ready(FrameResult)`` is
    delivered on the GUI thread for the newest revision only; ``cancel()`` drops what is queued."""

    frame_ready = Signal(object)
    failed = Signal(int, str)

    def __init__(self, engine: Engine, parent=None):
        super().__init__(parent)
        self.engine = engine
        self._loop = _Loop(engine)
        self._loop.finished_frame.connect(self._on_finished)
        self._loop.failed.connect(self.failed)
        self._revision = -1
        self.busy = False
        self.dropped = 0
        self._loop.start()

    def request(self, take, frame: int, revision: int) -> None:
        self._revision = max(self._revision, int(revision))
        if self._loop.pending():
            self.dropped += 1
        self.busy = True
        self._loop.submit((take, int(frame), int(revision)))

    def cancel(self) -> None:
        with self._loop._cond:
            self._loop._request = None

    def is_current(self, result: FrameResult) -> bool:
        return result.revision >= self._revision

    def _on_finished(self, result: FrameResult) -> None:
        self.busy = self._loop.pending()
        if self.is_current(result):
            self.frame_ready.emit(result)

    def shutdown(self) -> None:
        self._loop.stop()
        self._loop.wait(10000)
