"""The file workflow: New, Open, Open Recent, Save, Save As, autosave and its recovery, the
unsaved-changes prompt, and the error dialogs of bad files.

It asks the window for three things only: ``set_document`` (show another document),
``show_error`` (a non-blocking error box) and the status bar; everything about files is here.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.document import Autosaver, Document, TakeEdit, TakeFileError, find_recovery, load_take
from core.document.project import PROJECT_SUFFIX

FILE_FILTER = f"EmoZone takes (*{PROJECT_SUFFIX});;All files (*)"
AUTOSAVE_CHECK_MS = 5000


class FileWorkflow(QObject):
    """``window``: the MainWindow (document, settings, set_document, show_error, viewport)."""

    def __init__(self, window, autosave_interval_s: float = 60.0):
        super().__init__(window)
        self.window = window
        self.settings = window.settings
        self.recent_menu = None
        self.autosaver = Autosaver(window.document, interval_s=autosave_interval_s)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_CHECK_MS)
        self._autosave_timer.timeout.connect(self._on_autosave_tick)
        self._autosave_timer.start()

    @property
    def document(self) -> Document:
        return self.window.document

    def _status(self, text: str, ms: int) -> None:
        self.window.statusBar().showMessage(text, ms)

    def _set_document(self, document: Document) -> None:
        self.autosaver = Autosaver(document, interval_s=self.autosaver.interval_s)
        self.window.set_document(document)

    # -- prompts
    def ask_unsaved(self) -> QMessageBox.StandardButton:
        """Save / Discard / Cancel for a take with unsaved changes (blocking, as a prompt must be)."""
        box = QMessageBox(QMessageBox.Warning, "Unsaved changes",
                          f"The take “{self.document.take.name}” has unsaved changes.",
                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, self.window)
        box.setObjectName("unsaved_box")
        box.setInformativeText("Save them before continuing?")
        box.setDefaultButton(QMessageBox.Save)
        return QMessageBox.StandardButton(box.exec())

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document."""
        if not self.document.is_dirty:
            return True
        answer = self.ask_unsaved()
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def ask_recover(self, path: Path, recovery: Path) -> bool:
        box = QMessageBox(QMessageBox.Question, "Recover autosave",
                          f"An autosave newer than {path.name} was found.",
                          QMessageBox.Yes | QMessageBox.No, self.window)
        box.setObjectName("recover_box")
        box.setInformativeText("Recover the autosaved edits? (No opens the saved file.)")
        return box.exec() == QMessageBox.Yes

    # -- new / open
    def new(self) -> bool:
        if not self.maybe_save():
            return False
        from core.anim import Take

        self._set_document(Document(Take(name="Untitled", fps=25.0, duration=250)))
        return True

    def open(self, path: str | Path | None = None) -> bool:
        if not self.maybe_save():
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, "Open take", "", FILE_FILTER)
            if not path:
                return False
        return self.open_path(path)

    def open_path(self, path: str | Path, offer_recovery: bool = True) -> bool:
        """Open a take file; a bad file gets an error dialog and leaves the current take as it was."""
        path = Path(path)
        source = path
        recovery = find_recovery(path) if offer_recovery else None
        if recovery is not None and self.ask_recover(path, recovery):
            source = recovery
        try:
            take = load_take(source)
            saved = load_take(path) if source is not path and path.exists() else None
        except (TakeFileError, OSError, ValueError) as exc:
            self.window.show_error("Cannot open take", str(exc) if isinstance(exc, TakeFileError)
                                   else f"{path}: {exc}")
            if not path.exists():
                self.rebuild_recent_menu(self.settings.remove_recent(path))
            return False
        if source is path:
            self._set_document(Document(take, path))
        else:
            # The recovered edits are one undoable step on top of the saved file, and unsaved.
            self._set_document(Document(saved if saved is not None else take, path))
            self.window.push(TakeEdit("Recover autosave", self.document.take, take))
        self.rebuild_recent_menu(self.settings.add_recent(path))
        self._status(f"Opened {path}", 4000)
        return True

    # -- save
    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.window, "Save take as",
                                                  f"{self.document.take.name}{PROJECT_SUFFIX}", FILE_FILTER)
            if not path:
                return False
        path = Path(path)
        if path.suffix == "":
            path = path.with_suffix(PROJECT_SUFFIX)
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        take = self.document.take
        take = dataclasses.replace(take, camera=type(take.camera).from_orbit(self.window.viewport.orbit))
        if self.document.path is None or Path(path) != self.document.path:
            take = dataclasses.replace(take, name=Path(path).stem)
        self.document.take = take  # name and camera are saved state, not undoable edits
        try:
            self.document.save(path)
        except (OSError, ValueError) as exc:
            self.window.show_error("Cannot save take", f"{path}: {exc}")
            return False
        self.window.document_saved()
        self.rebuild_recent_menu(self.settings.add_recent(path))
        self._status(f"Saved {path}", 4000)
        return True

    # -- recent files and autosave
    def attach_recent_menu(self, menu) -> None:
        self.recent_menu = menu
        self.rebuild_recent_menu()

    def rebuild_recent_menu(self, files: list[str] | None = None) -> None:
        if self.recent_menu is None:
            return
        files = self.settings.recent_files() if files is None else files
        self.recent_menu.clear()
        for f in files:
            act = self.recent_menu.addAction(Path(f).name)
            act.setToolTip(f)
            act.setData(f)
            act.triggered.connect(lambda _c=False, f=f: self.open(f))
        self.recent_menu.setEnabled(bool(files))

    def _on_autosave_tick(self) -> None:
        try:
            written = self.autosaver.tick(time.monotonic())
        except (OSError, ValueError) as exc:
            self._status(f"Autosave failed: {exc}", 8000)
            return
        if written is not None:
            self._status(f"Autosaved to {written.name}", 3000)

    def stop(self) -> None:
        self._autosave_timer.stop()
