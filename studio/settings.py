"""Persistent studio settings (QSettings): recent files, window geometry and dock layout."""
from __future__ import annotations

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

    def value(self, key: str, default=None):
        return self.qs.value(key, default)

    def set_value(self, key: str, value) -> None:
        self.qs.setValue(key, value)

    def sync(self) -> None:
        self.qs.sync()
