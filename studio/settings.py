"""Persistent studio settings (QSettings): recent files, window geometry and dock layout, the
timeline's lane view state and the last folder and fps of File > New From Audio."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "EmoZone"
APPLICATION = "EmoZone Studio"
MAX_RECENT = 10


class StudioSettings:
    """Thin typed wrapper; ``path`` (an INI file) isolates tests from the user's settings."""

    def __init__(self, path: str | Path | None = None):
        if path is None:
            self.qs = QSettings(ORGANIZATION, APPLICATION)
        else:
            self.qs = QSettings(str(path), QSettings.IniFormat)

    # -- recent files
    def recent_files(self) -> list[str]:
        value = self.qs.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: str | Path) -> list[str]:
        p = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != p]
        files.insert(0, p)
        files = files[:MAX_RECENT]
        self.qs.setValue("recent_files", files)
        return files

    def remove_recent(self, path: str | Path) -> list[str]:
        p = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != p]
        self.qs.setValue("recent_files", files)
        return files

    # -- window state
    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qs.setValue("window/geometry", geometry)
        self.qs.setValue("window/state", state)

    def window_geometry(self) -> QByteArray | None:
        v = self.qs.value("window/geometry")
        return v if isinstance(v, QByteArray) else None

    def window_state(self) -> QByteArray | None:
        v = self.qs.value("window/state")
        return v if isinstance(v, QByteArray) else None

    # -- timeline lanes (heights, visibility: view state, not part of the take)
    def timeline_view_state(self) -> dict | None:
        """The timeline's last ``view_state()``, or None (never saved, or unreadable: then the
        timeline keeps its defaults rather than failing to start)."""
        text = self.qs.value("timeline/view_state")
        if not isinstance(text, str) or not text:
            return None
        try:
            state = json.loads(text)
        except ValueError:
            return None
        return state if isinstance(state, dict) else None

    def save_timeline_view_state(self, state: dict) -> None:
        self.qs.setValue("timeline/view_state", json.dumps(state, sort_keys=True))

    # -- audio in
    def audio_dir(self) -> str:
        v = self.qs.value("audio/last_dir", "")
        return str(v) if v else ""

    def set_audio_dir(self, folder: str | Path) -> None:
        self.qs.setValue("audio/last_dir", str(folder))

    def new_take_fps(self) -> float:
        try:
            v = float(self.qs.value("audio/new_take_fps", 25.0))
        except (TypeError, ValueError):
            return 25.0
        return v if 0 < v <= 1000 else 25.0

    def set_new_take_fps(self, fps: float) -> None:
        self.qs.setValue("audio/new_take_fps", float(fps))

    def value(self, key: str, default=None):
        return self.qs.value(key, default)

    def set_value(self, key: str, value) -> None:
        self.qs.setValue(key, value)

    def sync(self) -> None:
        self.qs.sync()


def bind_timeline_view_state(settings: StudioSettings, timeline, channel_list=None) -> None:
    """Lane heights and hidden lanes survive reopening the studio: bring back the saved
    ``view_state()`` (the channel list's V toggles follow it) and save it whenever the user changes
    it (``view_state_changed``)."""
    from core.anim.take import CHANNEL_NAMES

    state = settings.timeline_view_state()
    if state is not None:
        timeline.restore_view_state(state)
        if channel_list is not None:
            visible = set(timeline.visible_channels())
            for channel in CHANNEL_NAMES:
                channel_list.set_channel_visible(channel, channel in visible)
    timeline.view_state_changed.connect(lambda: settings.save_timeline_view_state(timeline.view_state()))

