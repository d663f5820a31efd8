"""Playback: the playhead, the audio player whose clock is master, the GUI tick that follows it,
the loop range, seek and step.

The controller knows nothing of the panels: it emits ``frame_changed`` when the playhead moves
(seek, step, or the clock during playback) and ``playing_changed``; the window moves the transport,
the timeline and the AU panel and asks for the frame.

The clock: the audio player's (the sample being heard) is master. The player runs over the take's
length, not the clip's: past the end of a shorter recording it goes on silently (on the device's
pace, or wall time without one) to the take's end, where playback stops and the transport shows
Play again (or wraps, when looping); a take shorter than its audio stops at its own end.

With a deform worker attached (``attach_worker``), playback starts the worker's stream of frames
deformed ahead of the clock at a level of detail; stopping re-draws the frame at full quality.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from .session import make_player

#: GUI clock period during playback (ms): faster than any take's frame rate.
TICK_MS = 10


class PlaybackController(QObject):
    """``take``: returns the document's current take (its fps and duration may change with edits)."""

    frame_changed = Signal(int)       # the playhead is now on this frame
    playing_changed = Signal(bool)    # also re-sent when asked for the state it is already in

    def __init__(self, take: Callable[[], object], parent=None):
        super().__init__(parent)
        self._take = take
        self.player = None
        self.worker = None
        self._revision: Callable[[], int] = lambda: 0
        self.current_frame = 0
        self.loop = (False, 0, 0)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.setTimerType(Qt.PreciseTimer)
        self._tick.timeout.connect(self._on_tick)

    def attach_worker(self, worker, revision: Callable[[], int]) -> None:
        """A studio.workers.DeformWorker to stream level-of-detail frames ahead of the clock while
        playing; ``revision`` returns the document's history revision (the frames' version)."""
        self.worker = worker
        self._revision = revision

    # -- the audio
    def set_clip(self, clip) -> None:
        """A new take's audio (silence when it has none): a fresh player at the playhead."""
        self.stop()
        if self.player is not None:
            self.player.close()
        self.player = make_player(clip)
        self._apply_length()
        self.current_frame = min(self.current_frame, self._take().duration - 1)

    def _apply_length(self) -> None:
        """The player runs over the take's length (its clock goes on past a shorter recording)."""
        take = self._take()
        if self.player is not None and hasattr(self.player, "set_length"):
            length = take.duration / take.fps
            if abs(self.player.duration - length) > 1e-9:
                self.player.set_length(length)

    def close(self) -> None:
        self._tick.stop()
        if self.player is not None:
            self.player.close()
            self.player = None

    # -- playing
    def is_playing(self) -> bool:
        return self._tick.isActive()

    def toggle(self) -> None:
        self.set_playing(not self.is_playing())

    def stop(self) -> None:
        if self.is_playing():
            self.set_playing(False)

    def set_playing(self, playing: bool) -> None:
        playing = bool(playing)
        if playing == self.is_playing():
            self.playing_changed.emit(playing)
            return
        take = self._take()
        if playing:
            on, first, last = self.loop
            if on and not first <= self.current_frame <= last:
                self.current_frame = first
            elif self.current_frame >= take.duration - 1:
                self.current_frame = 0
            self._apply_length()  # the take's length or fps may have changed since the clip was set
            self._apply_player_loop()
            self.player.seek(self.current_frame / take.fps)
            if self.worker is not None:
                self.worker.start_stream(take, self.current_frame, self._revision(), self.loop)
            self.player.play()
            self._tick.start()
        else:
            self._tick.stop()
            self.player.pause()
            if self.worker is not None:
                self.worker.stop_stream()  # the frame on screen again, at full quality
        self.playing_changed.emit(playing)

    def set_loop(self, on: bool, first: int, last: int) -> None:
        self.loop = (bool(on), int(first), int(last))
        if self.player is not None:
            self._apply_player_loop()
        if self.worker is not None:
            self.worker.set_stream_loop(self.loop)

    def _apply_player_loop(self) -> None:
        on, first, last = self.loop
        fps = self._take().fps
        if on:
            self.player.set_loop(first / fps, (last + 1) / fps)
        else:
            self.player.set_loop(None)

    def _on_tick(self) -> None:
        """Follow the audio clock: show the frame being heard, dropping any the worker missed."""
        take = self._take()
        t = self.player.position_seconds()
        frame = int(np.floor(t * take.fps + 1e-6))
        on, first, last = self.loop
        if not on and frame >= take.duration:
            self._show(take.duration - 1)
            self.set_playing(False)
            return
        if on:
            frame = int(np.clip(frame, first, last))
        self._show(min(frame, take.duration - 1))

    def _show(self, frame: int) -> None:
        if frame != self.current_frame:
            self.current_frame = frame
            self.frame_changed.emit(frame)

    # -- moving the playhead by hand
    def seek(self, frame: int) -> None:
        take = self._take()
        frame = int(np.clip(frame, 0, take.duration - 1))
        self.current_frame = frame
        if self.player is not None:
            self.player.seek(frame / take.fps)
        self.frame_changed.emit(frame)

    def step(self, delta: int) -> None:
        self.stop()
        self.seek(self.current_frame + int(delta))

    def scrub(self, frame: int) -> None:
        if self.player is not None:
            self.player.scrub(frame / self._take().fps)
