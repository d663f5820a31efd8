"""The open document: the current take, its file and its undo history; the autosaver, and the
autosaves of untitled takes (one side file per studio instance in a per-user folder).

Untitled side files are named ``untitled-<start time>-<pid>.emz.autosave``: the instance that
writes one is running while its pid is alive (and, within one process, while the path is claimed:
a process may hold several windows), so a new instance offers only the side files of instances
that are gone (``find_untitled_recoveries``)."""
from __future__ import annotations

import dataclasses
import os
import re
import threading
import time
from pathlib import Path

from core.anim.take import CameraState, Take
from core.fileio import pid_alive

from .history import Command, History
from .project import AUTOSAVE_SUFFIX, PROJECT_SUFFIX, autosave_path, discard_recovery, load_take, save_take


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


UNTITLED_PREFIX = "untitled-"
_UNTITLED_RE = re.compile(r"^untitled-(.+)-(\d+)" + re.escape(PROJECT_SUFFIX + AUTOSAVE_SUFFIX) + "$")
#: Untitled paths claimed by the autosavers of this process (one per window).
_CLAIMED: set[Path] = set()
_CLAIM_LOCK = threading.Lock()


def claim_untitled_path(folder: str | os.PathLike) -> Path:
    """A new untitled path in ``folder`` for one studio instance (a window), unique in the folder
    and marked as alive in this process until ``release_untitled_path``. Its side file
    (``autosave_path``) is where the instance autosaves a take that has no file yet."""
    folder = Path(folder)
    with _CLAIM_LOCK:
        t = time.time()
        while True:
            stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(t)) + f".{int(t * 1e6) % 1000000:06d}"
            path = folder / f"{UNTITLED_PREFIX}{stamp}-{os.getpid()}{PROJECT_SUFFIX}"
            if path not in _CLAIMED and not autosave_path(path).exists():
                _CLAIMED.add(path)
                return path
            t += 1e-6


def release_untitled_path(path: str | os.PathLike | None) -> None:
    """The instance that claimed ``path`` is closing: from now on its side file (if one is left:
    the take was not saved nor discarded) is offered to the next instance."""
    if path is not None:
        with _CLAIM_LOCK:
            _CLAIMED.discard(Path(path))


def untitled_owner_alive(side: str | os.PathLike) -> bool:
    """Whether the studio instance that writes the untitled side file ``side`` is still running."""
    side = Path(side)
    m = _UNTITLED_RE.match(side.name)
    if m is None:
        return False
    pid = int(m.group(2))
    if pid == os.getpid():
        with _CLAIM_LOCK:
            return side.parent / side.name[:-len(AUTOSAVE_SUFFIX)] in _CLAIMED
    return pid_alive(pid)


def find_untitled_recoveries(folder: str | os.PathLike) -> list[Path]:
    """The untitled side files in ``folder`` left by instances that are no longer running,
    newest first."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = []
    for name in names:
        if not _UNTITLED_RE.match(name):
            continue
        side = Path(folder) / name
        try:
            mtime = side.stat().st_mtime_ns
        except OSError:
            continue
        if not untitled_owner_alive(side):
            found.append((mtime, side))
    return [side for _, side in sorted(found, reverse=True)]


class Autosaver:
    """Writes the document to its side file at most every ``interval_s`` seconds while it has
    unsaved changes. The GUI calls ``tick(now)`` from a timer; tests call it with any clock.

    The side file is ``name.emz.autosave`` beside the document's file, or, for a take that has
    no file yet, beside ``untitled_path`` (see ``claim_untitled_path``). A side file this saver
    wrote goes as soon as it offers nothing: on the first tick after the take is clean again
    (undo back to the saved state, a save), when the take gets a file (Save As: later autosaves
    go beside the file) and on ``discard`` (the user threw the edits away)."""

    def __init__(self, document: Document, interval_s: float = 60.0,
                 untitled_path: str | os.PathLike | None = None) -> None:
        if interval_s <= 0:
            raise ValueError("Autosaver: interval must be positive")
        self.document = document
        self.interval_s = interval_s
        self.untitled_path = Path(untitled_path) if untitled_path is not None else None
        self._last_time: float | None = None
        self._last_revision: int | None = None
        self._written: set[Path] = set()

    def target(self) -> Path | None:
        base = self.document.path or self.untitled_path
        return autosave_path(base) if base is not None else None

    def adopt(self, side: str | os.PathLike) -> None:
        """Treat ``side`` as written by this saver (a recovered autosave now shown as the
        document's unsaved state): it goes when the take is clean or discarded."""
        self._written.add(Path(side))

    def _remove(self, paths) -> list[Path]:
        removed = []
        for p in list(paths):
            try:
                p.unlink()
                removed.append(p)
            except FileNotFoundError:
                pass
            except OSError:
                continue  # kept in _written: tried again on the next tick
            self._written.discard(p)
        return removed

    def cleanup(self) -> list[Path]:
        """Remove the side files that no longer offer anything: all this saver wrote when the take
        is clean, else those that are not the current target (the untitled one after Save As).
        Returns the files removed."""
        if not self.document.is_dirty:
            self._last_revision = None
            return self._remove(self._written)
        target = self.target()
        return self._remove(p for p in self._written if p != target)

    def discard(self) -> Path | None:
        """The user threw the unsaved edits away (Discard at quit, New or Open): remove the side
        file so that the next start does not offer to recover them. Returns the file removed."""
        target = self.target()
        self._last_revision = None  # edits still in the window after this are autosaved again
        others = [p for p in self._written if p != target]
        self._remove(others)
        if target is None:
            return None
        self._written.discard(target)
        try:
            target.unlink()
        except FileNotFoundError:
            return None
        return target

    def tick(self, now: float) -> Path | None:
        """Autosave if due; returns the side file written, or None. Side files that offer nothing
        any more (see ``cleanup``) are removed on every tick."""
        if self._written:
            self.cleanup()
        if self._last_time is None:
            self._last_time = now
            return None
        if now - self._last_time < self.interval_s:
            return None
        self._last_time = now
        doc = self.document
        rev = doc.history.revision
        target = self.target()
        if target is None or not doc.is_dirty or (rev == self._last_revision and target in self._written):
            return None
        save_take(doc.take, target)
        self._written.add(target)
        self._last_revision = rev
        self.cleanup()
        return target
