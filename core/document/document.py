"""The open document: the current take, its file and its undo history; the autosaver."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from core.anim.take import CameraState, Take

from .history import Command, History
from .project import autosave_path, discard_recovery, load_take, save_take


class Document:
    """Holds the take the studio shows. Every change goes through ``push`` (a Command).

    The take's name and saved camera belong to the document's file, not to the curves' history:
    Save As renames the take and Save stores the view through ``set_name`` / ``set_camera``,
    which change every state the history can reach, so undo / redo keep them."""

    def __init__(self, take: Take | None = None, path: str | os.PathLike | None = None,
                 max_undo: int = 1000, max_undo_bytes: int = 64 * 2**20) -> None:
        self.take = take if take is not None else Take()
        self.path = Path(path) if path is not None else None
        self.history = History(self, max_count=max_undo, max_bytes=max_undo_bytes)

    def set_name(self, name: str) -> None:
        """Rename the take (not an undoable edit)."""
        self._set_fields(name=str(name))

    def set_camera(self, camera: CameraState) -> None:
        """The view saved with the take (not an undoable edit)."""
        self._set_fields(camera=camera)

    def _set_fields(self, **fields) -> None:
        def apply(take: Take) -> Take:
            if all(getattr(take, k) == v for k, v in fields.items()):
                return take
            return dataclasses.replace(take, **fields)

        self.take = self.history.map_takes(apply)(self.take)

    @classmethod
    def open(cls, path: str | os.PathLike) -> "Document":
        return cls(load_take(path), path)

    def push(self, cmd: Command) -> None:
        self.history.push(cmd)

    @property
    def is_dirty(self) -> bool:
        return not self.history.is_clean

    def save(self, path: str | os.PathLike | None = None, camera: CameraState | None = None) -> Path:
        """Save atomically (to ``path``, which becomes the document's file); the autosave side
        file is removed since the real file is now newer. Saving to another file (Save As) names
        the take after it; ``camera``: the view to store with it."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("Document.save: the document has no file yet; give a path")
        take = self.take
        fields = {}
        if camera is not None and camera != take.camera:
            fields["camera"] = camera
        if (self.path is None or target != self.path) and take.name != target.stem:
            fields["name"] = target.stem
        save_take(dataclasses.replace(take, **fields) if fields else take, target)
        if fields:
            self._set_fields(**fields)
        if self.path is not None and self.path != target:
            discard_recovery(self.path)
        self.path = target
        discard_recovery(target)
        self.history.set_clean()
        return target


class Autosaver:
    """Writes the document to its side file at most every ``interval_s`` seconds while it has
    unsaved changes. The GUI calls ``tick(now)`` from a timer; tests call it with any clock."""

    def __init__(self, document: Document, interval_s: float = 60.0,
                 untitled_path: str | os.PathLike | None = None) -> None:
        if interval_s <= 0:
            raise ValueError("Autosaver: interval must be positive")
        self.document = document
        self.interval_s = interval_s
        self.untitled_path = Path(untitled_path) if untitled_path is not None else None
        self._last_time: float | None = None
        self._last_revision: int | None = None

    def target(self) -> Path | None:
        base = self.document.path or self.untitled_path
        return autosave_path(base) if base is not None else None

    def discard(self) -> Path | None:
        """The user threw the unsaved edits away (Discard at quit, New or Open): remove the side
        file so that the next start does not offer to recover them. Returns the file removed."""
        target = self.target()
        self._last_revision = None  # edits still in the window after this are autosaved again
        if target is None:
            return None
        try:
            target.unlink()
        except FileNotFoundError:
            return None
        return target

    def tick(self, now: float) -> Path | None:
        """Autosave if due; returns the side file written, or None."""
        if self._last_time is None:
            self._last_time = now
            return None
        if now - self._last_time < self.interval_s:
            return None
        self._last_time = now
        doc = self.document
        rev = doc.history.revision
        target = self.target()
        if target is None or not doc.is_dirty or rev == self._last_revision:
            return None
        save_take(doc.take, target)
        self._last_revision = rev
        return target
