"""Playback: the playhead, the audio player whose clock is master, the GUI tick that follows it,
the loop range, seek and step.

The controller knows nothing of the panels: it emits ``frame_changed`` when the playhead moves
(seek, step, or the clock during playback) and ``playing_changed``; the window moves the transport,
the timeline and the AU panel and asks for the frame.
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
        self.current_frame = 0
        self.loop = (False, 0, 0)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.setTimerType(Qt.PreciseTimer)
        self._tick.timeout.connect(self._on_tick)

    # -- the audio
    def set_clip(self, clip) -> None:
        """A new take's audio (silence when it has none): a fresh player at the playhead."""
        self.stop()
        if self.player is not None:
            self.player.close()
        self.player = make_player(clip)
        self.current_frame = min(self.current_frame, self._take().duration - 1)

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
            self._apply_player_loop()
            self.player.seek(self.current_frame / take.fps)
            self.player.play()
            self._tick.start()
        else:
            self._tick.stop()
            self.player.pause()
        self.playing_changed.emit(playing)

    def set_loop(self, on: bool, first: int, last: int) -> None:
        self.loop = (bool(on), int(first), int(last))
        if self.player is not None:
            self._apply_player_loop()

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
