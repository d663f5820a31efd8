"""The file workflow: New, Open, Open Recent, Save, Save As, autosave and its recovery, the
unsaved-changes prompt, and the error dialogs of bad files; audio in: New From Audio, Import
Audio, drag and drop of recordings, OpenFace CSVs and takes onto the window, and the relink prompt
for a take whose recording is missing; curves in: Import AU Curves (OpenFace CSV).

It asks the window for a few things only: ``set_document`` (show another document), ``push``
(an undoable edit), ``show_error`` (a non-blocking error box) and the status bar; everything
about files is here.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QStandardPaths, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QLabel, QMessageBox,
)

from core.document import Autosaver, Document, TakeEdit, TakeFileError, find_recovery, load_take
from core.document.new_take import (
    AUDIO_SUFFIXES, DEFAULT_FPS, frames_for_seconds, import_audio_command, is_audio_path, missing_audio,
    new_take_from_audio, relink_audio_command,
)
from core.document.document import claim_untitled_path, find_untitled_recoveries, release_untitled_path
from core.document.import_curves import CURVE_SUFFIXES, import_curves_command, is_curve_path, summary
from core.document.project import PROJECT_SUFFIX

FILE_FILTER = f"EmoZone takes (*{PROJECT_SUFFIX});;All files (*)"
AUDIO_FILTER = ("Recordings (" + " ".join(f"*{s}" for s in sorted(AUDIO_SUFFIXES)) + ");;All files (*)")
CURVES_FILTER = ("OpenFace CSV (" + " ".join(f"*{s}" for s in sorted(CURVE_SUFFIXES)) + ");;All files (*)")
AUTOSAVE_CHECK_MS = 5000
MAX_FPS = 240.0
#: The folder in the per-user data folder (QStandardPaths AppDataLocation) that holds the
#: autosaves of untitled takes.
AUTOSAVE_FOLDER = "autosave"
FPS_DIALOG_MIN_WIDTH = 360


def default_autosave_dir() -> Path | None:
    """``<AppDataLocation>/autosave`` (on Linux ``$XDG_DATA_HOME/EmoZone/EmoZone Studio/autosave``),
    or None when Qt knows no data folder."""
    base = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)
    return Path(base) / AUTOSAVE_FOLDER if base else None


def _error_text(exc: BaseException, path) -> str:
    """A loader's message naming the file once (any exception: the studio shows it, it never
    aborts on one)."""
    text = str(exc) or type(exc).__name__
    if not isinstance(exc, (TakeFileError, OSError, ValueError)):
        text = f"{type(exc).__name__}: {text}"
    return text if str(path) in text else f"{path}: {text}"


def move_aside(side: Path) -> Path:
    """Rename a damaged autosave to ``<name>.damaged-<time>`` in its folder (kept, never deleted,
    and no longer offered: only ``*.autosave`` files are). Raises OSError when it cannot."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = side.with_name(f"{side.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = side.with_name(f"{side.name}.damaged-{stamp}-{n}")
    os.replace(side, target)
    return target


def recent_labels(files: list[str]) -> list[str]:
    """The Open Recent items: the file's name, and "name — folder" where two files share a name."""
    names = [Path(f).name for f in files]
    home = str(Path.home())

    def folder(f: str) -> str:
        parent = str(Path(f).parent)
        return "~" + parent[len(home):] if parent == home or parent.startswith(home + "/") else parent

    return [f"{n} \u2014 {folder(f)}" if names.count(n) > 1 else n for n, f in zip(names, files)]


class FpsDialog(QDialog):
    """The frame rate of a new take from a recording, with the length it gives."""

    def __init__(self, parent, audio_name: str, seconds: float, fps: float = DEFAULT_FPS):
        super().__init__(parent)
        self.setObjectName("fps_dialog")
        self.setWindowTitle("New take from audio")
        # Wide enough for its title next to the window manager's buttons (it was cut to "New take… m audio").
        self.setMinimumWidth(max(FPS_DIALOG_MIN_WIDTH, 2 * self.fontMetrics().horizontalAdvance(self.windowTitle())))
        self.seconds = float(seconds)
        form = QFormLayout(self)
        form.addRow(QLabel(f"{audio_name}: {seconds:.2f} s"))
        self.spin = QDoubleSpinBox(self)
        self.spin.setObjectName("new_take_fps")
        self.spin.setDecimals(3)
        self.spin.setRange(1.0, MAX_FPS)
        self.spin.setValue(fps)
        self.spin.setSuffix(" fps")
        form.addRow("Frame rate", self.spin)
        self.length_label = QLabel(self)
        self.length_label.setObjectName("new_take_length")
        form.addRow("Length", self.length_label)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.spin.valueChanged.connect(self._update_length)
        self._update_length()
        self.spin.selectAll()

    def _update_length(self, *_):
        self.length_label.setText(f"{frames_for_seconds(self.seconds, self.spin.value())} frames")

    def fps(self) -> float:
        return float(self.spin.value())


class FileWorkflow(QObject):
    """``window``: the MainWindow (document, settings, set_document, show_error, viewport).
    ``autosave_dir``: where untitled takes are autosaved (default: ``default_autosave_dir()``);
    each window claims its own side file there."""

    def __init__(self, window, autosave_interval_s: float = 60.0, autosave_dir: str | Path | None = None):
        super().__init__(window)
        self.window = window
        self.settings = window.settings
        self.recent_menu = None
        self.autosave_dir = Path(autosave_dir) if autosave_dir is not None else default_autosave_dir()
        self.untitled_path = claim_untitled_path(self.autosave_dir) if self.autosave_dir is not None else None
        self._recovery_offered = False
        self._stopped = False
        self.autosaver = Autosaver(window.document, interval_s=autosave_interval_s, untitled_path=self.untitled_path)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_CHECK_MS)
        self._autosave_timer.timeout.connect(self._on_autosave_tick)
        self._autosave_timer.start()
        # Recordings and takes dropped anywhere on the window (children that do not take drops
        # pass them up to it).
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        self._relink_pending = False

    @property
    def document(self) -> Document:
        return self.window.document

    def _status(self, text: str, ms: int) -> None:
        self.window.statusBar().showMessage(text, ms)

    def _set_document(self, document: Document, discard_old: bool = False) -> None:
        # The document shown so far was saved, discarded or clean (maybe_save): its side files
        # that offer nothing go now, not on a tick that will never come. Its autosave goes only
        # here, once the new take has replaced it (``discard_old``: Discard was answered).
        if discard_old:
            self.autosaver.discard()
        self.autosaver.cleanup()
        self.autosaver = Autosaver(document, interval_s=self.autosaver.interval_s, untitled_path=self.untitled_path)
        self.window.set_document(document)

    # -- prompts
    def _exec(self, dialog) -> int:
        """Run a modal prompt, then hand the keyboard back to the window: without a window manager
        (a bare X server) nobody else does, and the window's shortcuts would stay dead."""
        try:
            return dialog.exec()
        finally:
            self.window.activateWindow()

    def _choose(self, box: QMessageBox, choices, default: str, escape: str | None = None) -> str | None:
        """Run ``box`` with one button per (answer, label, role, object name) of ``choices`` and
        return the answer of the button clicked (None for any other way out, e.g. a Cancel button
        the caller added). ``default`` / ``escape``: the answers of the Return and Esc buttons."""
        buttons = {}
        for answer, label, role, name in choices:
            b = box.addButton(label, role)
            b.setObjectName(name)
            buttons[answer] = b
        box.setDefaultButton(buttons[default])
        if escape is not None:
            box.setEscapeButton(buttons[escape])
        self._exec(box)
        return next((a for a, b in buttons.items() if b is box.clickedButton()), None)

    def ask_unsaved(self) -> QMessageBox.StandardButton:
        """Save / Discard / Cancel for a take with unsaved changes (blocking, as a prompt must be)."""
        box = QMessageBox(QMessageBox.Warning, "Unsaved changes",
                          f"The take “{self.document.take.name}” has unsaved changes.",
                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, self.window)
        box.setObjectName("unsaved_box")
        box.setInformativeText("Save them before continuing?")
        box.setDefaultButton(QMessageBox.Save)
        return QMessageBox.StandardButton(self._exec(box))

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document (the window closes: Discard removes
        its autosave now)."""
        answer = self._ask_replace()
        if answer == "discard":
            # The edits are thrown away on purpose: the next start must not offer to recover them.
            self.autosaver.discard()
        return answer is not None

    def _ask_replace(self) -> str | None:
        """The unsaved-changes prompt before another take replaces this one: "clean" (nothing to
        ask), "saved", "discard" (the caller passes ``discard_old`` to ``_set_document``, so the
        autosave goes only once the new take is shown) or None (Cancel, or the save failed)."""
        if not self.document.is_dirty:
            return "clean"
        answer = self.ask_unsaved()
        if answer == QMessageBox.Save:
            return "saved" if self.save() else None
        if answer == QMessageBox.Discard:
            return "discard"
        return None

    def ask_recover(self, path: Path, recovery: Path) -> str | None:
        """Yes: "recover"; No: "saved" (the saved file opens and the autosave is deleted once it
        is shown); Cancel or Esc: None (nothing opens, the autosave stays)."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(recovery.stat().st_mtime))
        box = QMessageBox(QMessageBox.Question, "Recover autosave",
                          f"An autosave newer than {path.name} was found ({recovery.name}, saved {when}).",
                          QMessageBox.Yes | QMessageBox.No | QMessageBox.Cancel, self.window)
        box.setObjectName("recover_box")
        box.setInformativeText("Recover the autosaved edits? Yes opens them as unsaved changes; No opens the "
                               "saved file and deletes the autosave; Cancel opens nothing and keeps it.")
        box.setDefaultButton(QMessageBox.Yes)
        box.setEscapeButton(QMessageBox.Cancel)
        answer = self._exec(box)
        return {QMessageBox.Yes: "recover", QMessageBox.No: "saved"}.get(QMessageBox.StandardButton(answer))

    def tell_damaged(self, side: Path, exc: BaseException, then: str) -> Path | None:
        """A damaged autosave: move it aside (kept, not offered again) and say so in a box that
        waits for OK (one prompt at a time: the next one comes after it). Returns where it went."""
        problem = _error_text(exc, side)
        try:
            moved = move_aside(side)
            where = f"It was kept as {moved} and will not be offered again."
        except OSError as err:
            moved = None
            where = f"It could not be moved aside ({err}); it stays where it is."
        box = QMessageBox(QMessageBox.Warning, "Damaged autosave",
                          f"The autosave {side} cannot be read:\n{problem}", QMessageBox.Ok, self.window)
        box.setObjectName("damaged_autosave_box")
        box.setInformativeText(f"{where} {then}")
        self.window.last_error = f"{box.text()}\n{box.informativeText()}"
        self._status(f"Damaged autosave {side.name}: {where}", 8000)
        self._exec(box)
        return moved

    # -- new / open
    def new(self) -> bool:
        answer = self._ask_replace()
        if answer is None:
            return False
        from core.anim import Take

        self._set_document(Document(Take(name="Untitled", fps=25.0, duration=250)), answer == "discard")
        return True

    def open(self, path: str | Path | None = None) -> bool:
        """File > Open, Open Recent, a dropped take: the file is chosen and read first; only then
        is the current take's unsaved-changes prompt asked (a cancelled dialog or a broken file
        leaves the current take and its autosave as they were)."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, "Open take", "", FILE_FILTER)
            if not path:
                return False
        read = self._read_take(Path(path), offer_recovery=True)
        if read is None:
            return False
        answer = self._ask_replace()
        if answer is None:
            return False
        return self._show_read(Path(path), read, discard_old=answer == "discard")

    def open_path(self, path: str | Path, offer_recovery: bool = True) -> bool:
        """Open a take file (no unsaved-changes prompt: ``open`` asks it); a bad file gets an error
        dialog and leaves the current take as it was."""
        path = Path(path)
        read = self._read_take(path, offer_recovery)
        return read is not None and self._show_read(path, read)

    def _read_take(self, path: Path, offer_recovery: bool):
        """Read ``path`` and, when the user recovers it, its newer autosave: (saved take or None,
        recovered take or None, the autosave file, delete it once shown), or None after an error
        box (nothing changed). A damaged autosave is moved aside and the saved file is read."""
        recovery = find_recovery(path) if offer_recovery else None
        recovered = None
        delete_side = False
        if recovery is not None:
            try:
                candidate = load_take(recovery)
            except Exception as exc:  # noqa: BLE001 - a damaged autosave is said and set aside
                self.tell_damaged(recovery, exc, f"Opening the saved file {path.name}.")
                recovery = None
            else:
                answer = self.ask_recover(path, recovery)
                if answer is None:
                    return None
                if answer == "recover":
                    recovered = candidate
                else:
                    delete_side = True
        saved = None
        if recovered is None or path.exists():
            try:
                saved = load_take(path)
            except Exception as exc:  # noqa: BLE001 - whatever a loader raises is shown, never fatal
                self.window.show_error("Cannot open take", _error_text(exc, path))
                if not path.exists():
                    self.rebuild_recent_menu(self.settings.remove_recent(path))
                return None
        return saved, recovered, recovery, delete_side

    def _show_read(self, path: Path, read, discard_old: bool = False) -> bool:
        saved, recovered, recovery, delete_side = read
        if recovered is None:
            self._set_document(Document(saved, path), discard_old)
            if delete_side and recovery is not None:  # No at the recovery prompt: as it said
                try:
                    recovery.unlink()
                except OSError:
                    pass
        else:
            # The recovered edits are one undoable step on top of the saved file, and unsaved.
            self._set_document(Document(saved if saved is not None else recovered, path), discard_old)
            self.window.push(TakeEdit("Recover autosave", self.document.take, recovered))
            self.autosaver.adopt(recovery)  # undone to the saved file or discarded: it goes
        self.rebuild_recent_menu(self.settings.add_recent(path))
        self._status(f"Opened {path}", 4000)
        return True

    # -- audio in
    def _audio_error(self, exc: Exception, path) -> None:
        self.window.show_error("Cannot read audio", _error_text(exc, path))

    def _decode(self, path):
        """The decoded clip, or None after an error box naming the file."""
        from core.audio.decode import AudioLoadError, load_audio

        try:
            return load_audio(path)
        except (AudioLoadError, OSError) as exc:
            self._audio_error(exc, path)
            return None
        except Exception as exc:  # noqa: BLE001 - a decoder's own error: shown, never fatal
            self._audio_error(exc, path)
            return None

    def _pick_audio(self, title: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.window, title, self.settings.audio_dir(), AUDIO_FILTER)
        if not path:
            return None
        self.settings.set_audio_dir(Path(path).parent)
        return path

    def ask_fps(self, audio_name: str, seconds: float) -> float | None:
        """The fps dialog (blocking); None when cancelled."""
        dialog = FpsDialog(self.window, audio_name, seconds, self.settings.new_take_fps())
        try:
            if self._exec(dialog) != QDialog.Accepted:
                return None
            return dialog.fps()
        finally:
            dialog.deleteLater()

    def new_from_audio(self, path: str | Path | None = None, fps: float | None = None, clip=None) -> bool:
        """File > New From Audio: pick a recording (unless ``path``), then the frame rate (unless
        ``fps``), then the usual unsaved-changes prompt; the new take is as long as the
        recording. A file that cannot be decoded gets an error naming it and the current take
        stays."""
        if path is None:
            path = self._pick_audio("New take from audio")
            if path is None:
                return False
        clip = clip if clip is not None else self._decode(path)
        if clip is None:
            return False
        if fps is None:
            fps = self.ask_fps(Path(path).name, clip.duration)
            if fps is None:
                return False
            self.settings.set_new_take_fps(fps)
        try:
            take = new_take_from_audio(path, fps=fps, seconds=clip.duration)
        except Exception as exc:  # noqa: BLE001 - shown, never fatal
            self._audio_error(exc, path)
            return False
        answer = self._ask_replace()
        if answer is None:
            return False
        self._set_document(Document(take), answer == "discard")
        self._status(f"New take from {Path(path).name}: {take.duration} frames at {take.fps:g} fps", 6000)
        return True

    def import_audio(self, path: str | Path | None = None, clip=None) -> bool:
        """File > Import Audio: attach a recording to the current take, one undoable edit (the
        take grows to cover a longer recording in the same step)."""
        if path is None:
            path = self._pick_audio("Import audio")
            if path is None:
                return False
        clip = clip if clip is not None else self._decode(path)
        if clip is None:
            return False
        self.window.push(import_audio_command(self.document.take, path, seconds=clip.duration))
        self._status(f"Imported {Path(path).name}", 4000)
        return True

    def import_curves(self, path: str | Path | None = None) -> bool:
        """File > Import AU Curves…: the AU curves of an OpenFace 2.x or 3.0 CSV replace the
        take's curves of the AUs the file has, at the take's fps (OpenFace 3.0's frame_index
        is timed at the take's fps too: its files record no frame rate), one undoable edit; the
        take grows to cover a longer file in the same step. A file that cannot be imported gets
        an error box naming the file, line and column, and the take stays as it was."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, "Import AU curves", str(self.start_folder()),
                                                  CURVES_FILTER)
            if not path:
                return False
        QApplication.setOverrideCursor(Qt.WaitCursor)  # an hour of OpenFace rows takes a while to read
        try:
            result = import_curves_command(self.document.take, path)
        except Exception as exc:  # noqa: BLE001 - CurveImportError names file, line, column; shown, never fatal
            QApplication.restoreOverrideCursor()
            self.window.show_error("Cannot import AU curves", _error_text(exc, path))
            return False
        QApplication.restoreOverrideCursor()
        self.window.push(result.command)
        self._status(summary(result, Path(path).name), 8000)
        return True

    def open_any(self, path: str | Path, fps: float | None = DEFAULT_FPS) -> bool:
        """``main.py AUDIO_OR_TAKE``: a take file opens, a recording becomes a new take
        (at ``fps``; None asks), an OpenFace CSV is imported as AU curves (Import AU Curves…)."""
        if is_curve_path(path):
            return self.import_curves(path)
        if is_audio_path(path):
            return self.new_from_audio(path, fps)
        return self.open(path)

    def ask_drop_choice(self, name: str) -> str | None:
        """A recording dropped on a take that has audio: "import", "new" or None (cancel)."""
        box = QMessageBox(QMessageBox.Question, "Dropped a recording",
                          f"The take “{self.document.take.name}” already has audio.", QMessageBox.NoButton,
                          self.window)
        box.setObjectName("drop_box")
        box.setInformativeText(f"Import {name} into this take, or make a new take from it?")
        box.addButton(QMessageBox.Cancel)
        return self._choose(box, [("import", "&Import Into This Take", QMessageBox.AcceptRole, "drop_import"),
                                  ("new", "&New Take", QMessageBox.AcceptRole, "drop_new")], default="import")

    def drop_paths(self, paths: list[str]) -> bool:
        """Files dropped on the window: the first recording, curve file or take among them. A
        recording becomes a new take when the current take has no audio, else the user picks
        Import or New; a ``.csv`` is imported as AU curves (Import AU Curves…); a take file opens."""
        for p in paths:
            if is_curve_path(p):
                return self.import_curves(p)
            if not is_audio_path(p):
                return self.open(p)
            # The file is decoded before anything is asked: one that is not audio gets an error
            # naming it, and the take stays as it was.
            clip = self._decode(p)
            if clip is None:
                return False
            if self.document.take.audio is None:
                return self.new_from_audio(p, clip=clip)
            choice = self.ask_drop_choice(Path(p).name)
            if choice == "import":
                return self.import_audio(p, clip=clip)
            if choice == "new":
                return self.new_from_audio(p, clip=clip)
            return False
        return False

    def eventFilter(self, obj, ev) -> bool:  # noqa: N802 - Qt's name
        if obj is self.window and ev.type() in (QEvent.DragEnter, QEvent.DragMove, QEvent.Drop):
            urls = [u.toLocalFile() for u in ev.mimeData().urls() if u.isLocalFile()] if ev.mimeData() else []
            if not urls:
                return False
            ev.acceptProposedAction()
            if ev.type() == QEvent.Drop:
                # Dialogs must not run inside the drop handler (the drag source waits for it).
                QTimer.singleShot(0, lambda urls=urls: self.drop_paths(urls))
            return True
        return super().eventFilter(obj, ev)

    # -- missing audio
    def audio_problem(self, problem: str) -> None:
        """The window could not load the take's audio: a missing file gets the relink prompt
        (after the take is on screen), an unreadable one an error box."""
        if missing_audio(self.document.take) is not None:
            self.window.statusBar().showMessage(f"Audio missing: {problem}", 8000)
            if not self._relink_pending:  # one prompt, however often the take is reloaded
                self._relink_pending = True
                QTimer.singleShot(0, self.offer_relink)
        else:
            self.window.show_error("Audio", f"The take's audio could not be loaded; playing silently.\n\n{problem}")

    def ask_relink(self, missing: str) -> bool:
        """Locate… (True) or Continue Silently (False)."""
        box = QMessageBox(QMessageBox.Warning, "Audio missing",
                          f"The recording of “{self.document.take.name}” was not found:\n{missing}",
                          QMessageBox.NoButton, self.window)
        box.setObjectName("relink_box")
        box.setInformativeText("Locate it, or continue without sound (the take keeps its audio path).")
        return self._choose(box, [("locate", "&Locate…", QMessageBox.AcceptRole, "relink_locate"),
                                  ("silent", "Continue &Silently", QMessageBox.RejectRole, "relink_silent")],
                            default="locate", escape="silent") == "locate"

    def offer_relink(self) -> bool:
        """Relink prompt for a take whose recording is missing. Locate… picks the file and fixes
        the path (an undoable edit: save to keep it); Continue Silently keeps the take as it is.
        Returns True when the audio was relinked."""
        try:
            return self._offer_relink()
        finally:
            self._relink_pending = False

    def _offer_relink(self) -> bool:
        missing = missing_audio(self.document.take)
        if missing is None:
            return False
        if not self.ask_relink(missing):
            self._status("Playing silently; the take keeps its audio path", 6000)
            return False
        suffix = Path(missing).suffix
        start = str(Path(self.settings.audio_dir() or Path(missing).parent) / Path(missing).name)
        path, _ = QFileDialog.getOpenFileName(self.window, f"Locate {Path(missing).name}", start,
                                              f"The recording (*{suffix});;" + AUDIO_FILTER if suffix else AUDIO_FILTER)
        if not path or self._decode(path) is None:
            return False
        self.settings.set_audio_dir(Path(path).parent)
        self.window.push(relink_audio_command(self.document.take, path))
        self._status(f"Relinked the audio to {path}", 6000)
        return True

    # -- save
    def start_folder(self) -> Path:
        """Where Save As and Export start: the take's folder, else its audio's, else the home folder
        (never the program's working folder)."""
        if self.document.path is not None:
            return self.document.path.parent
        audio = self.document.take.audio
        if audio is not None and Path(audio.path).is_absolute() and Path(audio.path).parent.is_dir():
            return Path(audio.path).parent
        return Path.home()

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        if path is None:
            start = self.start_folder() / f"{self.document.take.name}{PROJECT_SUFFIX}"
            path, _ = QFileDialog.getSaveFileName(self.window, "Save take as", str(start), FILE_FILTER)
            if not path:
                return False
        path = Path(path)
        if path.suffix == "":
            path = path.with_suffix(PROJECT_SUFFIX)
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        # with_orbit keeps the camera's fields this version does not know (from_orbit drops them).
        camera = self.document.take.camera.with_orbit(self.window.viewport.orbit)
        try:
            # Save As names the take after the file; name and camera are saved state, not
            # undoable edits (core Document.save keeps them through undo / redo).
            self.document.save(path, camera=camera)
        except (OSError, ValueError) as exc:
            self.window.show_error("Cannot save take", _error_text(exc, path))
            return False
        # The untitled side file (Save As of a new take) or the old file's: the take is saved.
        self.autosaver.cleanup()
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
        for f, label in zip(files, recent_labels(files)):
            act = self.recent_menu.addAction(label)
            act.setToolTip(f)
            act.setStatusTip(f)
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

    # -- untitled autosaves of instances that are gone
    def ask_recover_untitled(self, side: Path, name: str | None = None) -> str:
        """Recover / Discard / Not Now for an untitled autosave: "recover", "discard" or "later"
        (Not Now, or Esc: it is offered again at the next start)."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(side.stat().st_mtime))
        what = f"an untitled take (“{name}”)" if name else "an untitled take"
        box = QMessageBox(QMessageBox.Question, "Recover untitled take",
                          f"EmoZone Studio closed without saving {what}.", QMessageBox.NoButton,
                          self.window)
        box.setObjectName("recover_untitled_box")
        box.setInformativeText(f"It was autosaved at {when} in {side.name}. Recover it as an unsaved take, "
                               "discard it (the autosave is deleted), or decide at the next start (Not Now)?")
        box.setDetailedText(str(side))
        return self._choose(box, [("recover", "&Recover", QMessageBox.AcceptRole, "recover_untitled"),
                                  ("discard", "&Discard", QMessageBox.DestructiveRole, "discard_untitled"),
                                  ("later", "&Not Now", QMessageBox.RejectRole, "later_untitled")],
                            default="recover", escape="later") or "later"

    def untitled_recoveries(self) -> list[Path]:
        """The untitled autosaves that ``offer_untitled_recovery`` would offer now."""
        if self._recovery_offered or self._stopped or self.autosave_dir is None:
            return []
        return find_untitled_recoveries(self.autosave_dir)

    def offer_untitled_recovery(self) -> bool:
        """At start-up (once per window): offer the untitled autosaves left by studio instances
        that are no longer running, newest first, until one is recovered or the user says Not
        Now. Returns True when one was recovered."""
        if self._recovery_offered or self._stopped or self.autosave_dir is None:
            return False
        self._recovery_offered = True
        for side in find_untitled_recoveries(self.autosave_dir):
            # Read before asking: a damaged one is said (naming it) and set aside, one prompt at a
            # time, and the next one is offered.
            try:
                take = load_take(side)
            except Exception as exc:  # noqa: BLE001 - said and set aside, never fatal
                if not side.exists():  # removed meanwhile (another instance took it)
                    continue
                self.tell_damaged(side, exc, "The untitled take it held cannot be recovered.")
                continue
            try:
                answer = self.ask_recover_untitled(side, take.name)
            except OSError:  # removed meanwhile (another instance took it)
                continue
            if answer == "recover":
                return self.recover_untitled(side, take)
            if answer == "discard":
                try:
                    side.unlink()
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    self.window.show_error("Cannot discard autosave", _error_text(exc, side))
                continue
            return False
        return False

    def recover_untitled(self, side: Path, take=None) -> bool:
        """Show an untitled autosave as an unsaved, untitled take (one undoable step on top of the
        take shown before); it becomes this window's own side file. A damaged one is moved aside
        (``tell_damaged``)."""
        side = Path(side)
        if take is None:
            try:
                take = load_take(side)
            except Exception as exc:  # noqa: BLE001 - said and set aside, never fatal
                self.tell_damaged(side, exc, "The untitled take it held cannot be recovered.")
                return False
        answer = self._ask_replace()
        if answer is None:
            return False
        self._set_document(Document(self.document.take), answer == "discard")
        self.window.push(TakeEdit("Recover autosave", self.document.take, take))
        offered = side.name  # the name the prompt showed; the file moves to this studio's own name
        own = self.autosaver.target()
        if own is not None:
            try:
                os.replace(side, own)
                side = own
            except OSError:
                pass
        self.autosaver.adopt(side)
        self._status(f"Recovered the untitled take autosaved in {offered}", 6000)
        return True

    def stop(self) -> None:
        """The window closes (after the unsaved-changes prompt): a clean take leaves no side file;
        the untitled one of a take that is still unsaved (an abnormal exit) stays for the next
        start to offer."""
        if self._stopped:
            return
        self._stopped = True
        self._autosave_timer.stop()
        try:
            self.autosaver.cleanup()
        except OSError:
            pass
        release_untitled_path(self.untitled_path)
