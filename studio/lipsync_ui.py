"""The Lip Sync menu: how the take's recording drives the mouth (phonemes or energy), its transcript,
and Rhubarb / Papagayo mouth-cue files in and out. Every change of the take is one core command
(core.document.commands.set_lipsync_command, import_mouth_cues_command) pushed on the history."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication, QDialog, QDialogButtonBox, QFileDialog, QLabel, QPlainTextEdit, QVBoxLayout,
)

from core.document import commands as C

CUE_FILTER = "Mouth cues (*.tsv *.txt *.json *.dat);;All files (*)"
CUE_SAVE_FILTER = "Rhubarb TSV (*.tsv);;Rhubarb JSON (*.json);;Moho / Papagayo (*.dat);;Phonemes JSON (*.json)"


class TranscriptDialog(QDialog):
    """What is said in the recording; its words are aligned to the audio (empty: recognise)."""

    def __init__(self, parent, text: str):
        super().__init__(parent)
        self.setWindowTitle("Transcript")
        self.setObjectName("transcript_dialog")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("What is said in the recording. Its words are aligned to the audio; "
                                "leave it empty to recognise the phonemes instead."))
        self.edit = QPlainTextEdit(text)
        self.edit.setObjectName("transcript_edit")
        layout.addWidget(self.edit)
        layout.addWidget(QLabel("Ctrl+Enter: OK"))
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 240)

    def text(self) -> str:
        return self.edit.toPlainText()


class LipSyncUi:
    """Builds the menu on ``win`` (a studio MainWindow) and handles its items."""

    def __init__(self, win):
        self.win = win
        self.driver_actions = {}
        self._strip_key = None  # what the phoneme strip shows (see _wanted_key)
        self._analysing = None  # what a background analysis was started for
        self._status_pending = False  # a lip sync change waits for its phones to report them
        self._poll = QTimer(win)
        self._poll.setObjectName("lipsync_strip_poll")
        self._poll.timeout.connect(self._on_poll)

    @property
    def take(self):
        return self.win.document.take

    def build_menu(self, menubar) -> None:
        menu = menubar.addMenu("&Lip Sync")
        menu.setObjectName("lipsync_menu")
        from studio.actions import add_choice_actions

        self.driver_actions = add_choice_actions(
            self.win, menu, (("phonemes", "&Phonemes (recognised, or the transcript aligned)"),
                             ("energy", "&Energy (the signal alone)")), "lipsync", self.set_driver)
        menu.addSeparator()
        t = menu.addAction("&Transcript…")
        t.setObjectName("transcript")
        t.setShortcut(QKeySequence("Ctrl+T"))
        t.setShortcutContext(Qt.WindowShortcut)
        t.triggered.connect(lambda _c=False: self.edit_transcript())
        self.win.addAction(t)
        self.transcript_action = t
        menu.addSeparator()
        imp = menu.addAction("&Import Mouth Cues…")
        imp.setObjectName("import_mouth_cues")
        imp.triggered.connect(lambda _c=False: self.import_cues())
        exp = menu.addAction("E&xport Mouth Cues…")
        exp.setObjectName("export_mouth_cues")
        exp.triggered.connect(lambda _c=False: self.export_cues())
        self.menu = menu
        self.sync()

    def sync(self) -> None:
        """The driver checks and the timeline's phoneme strip follow the take (after an edit, an undo,
        another take)."""
        act = self.driver_actions.get(self.take.lipsync.driver)
        if act is not None and not act.isChecked():
            act.setChecked(True)
        self._strip_key = None
        self.sync_strip()

    def _needs_own_analysis(self) -> bool:
        """Under the rig the viewport's worker analyses the phones for its frames; under the model
        nothing does, so the strip has them analysed itself."""
        return self.win.engine.driver != "rig"

    def _analyse_in_background(self, clip, take) -> None:
        """The phones for the strip when no rig driver asks for them (the model driver reads the
        audio itself): analysed on a thread through the shared SPEECH_CACHE, polled from here."""
        import threading

        from core.drive import LIPSYNC_MAX_S, SPEECH_CACHE

        if clip.duration > LIPSYNC_MAX_S:
            return
        key = self._wanted_key()
        if self._analysing != key:
            self._analysing = key
            settings, fps = take.lipsync, take.fps

            def work():
                try:
                    SPEECH_CACHE.controls(clip, fps, 1, settings)
                except Exception:  # noqa: BLE001 - the viewport's driver reports a bad recording
                    pass

            threading.Thread(target=work, name="lipsync-strip", daemon=True).start()
        self._poll.start(200)

    def _on_poll(self) -> None:
        if self._strip_key == self._wanted_key():
            self._poll.stop()
            return
        self.sync_strip()
        if self._strip_key == self._wanted_key():
            self._poll.stop()

    def frame_shown(self) -> None:
        """A frame reached the viewport: the worker may have analysed the phonemes meanwhile."""
        if self._strip_key != self._wanted_key():
            self.sync_strip()

    def _wanted_key(self):
        take, clip = self.take, self.win.clip
        return (id(clip), take.audio, take.fps, take.lipsync)

    def sync_strip(self) -> None:
        """The phones of the take's lip sync under the waveform (none with the energy driver or no
        audio). Never analyses here: the viewport's worker does, and the next frame shown fills it."""
        from core.audio.lipsync import shape_of
        from core.drive import SPEECH_CACHE

        take, clip = self.take, self.win.clip
        if clip is None or take.audio is None or take.lipsync.driver != "phonemes":
            self.win.timeline.set_phonemes([])
            self._strip_key = self._wanted_key()
            return
        ls = SPEECH_CACHE.lipsync_of(clip, take.lipsync)
        if ls is None:
            if self._needs_own_analysis():
                self._analyse_in_background(clip, take)
            return  # not analysed yet: the next frame shown (or the poll) comes back when it is
        off = take.audio.offset
        self.win.timeline.set_phonemes([((p.start + off) * take.fps, (p.end + off) * take.fps, p.name,
                                         shape_of(p.name, p.duration)) for p in ls.track.phones])
        self._strip_key = self._wanted_key()
        if self._status_pending:
            self._status_pending = False
            self._report(ls)

    # -- edits (one command each)
    def set_driver(self, driver: str) -> None:
        if driver != self.take.lipsync.driver:
            self._status_pending = True  # said when the phones are in (sync_strip), not analysed here
            self.win.push(C.set_lipsync_command(self.take, driver=driver))
            if driver == "energy":
                self._status_pending = False
                self._report(None)

    def set_transcript(self, text: str) -> None:
        if text.strip() != self.take.lipsync.transcript:
            self._status_pending = True
            self.win.push(C.set_lipsync_command(self.take, transcript=text))

    def edit_transcript(self) -> bool:
        dialog = TranscriptDialog(self.win, self.take.lipsync.transcript)
        if self.win.files._exec(dialog) != QDialog.Accepted:
            return False
        self.set_transcript(dialog.text())
        return True

    def _lipsync(self):
        """The take's LipSync (phones and notes), analysed now if it was not yet (an export asked for
        it: under a wait cursor); None without audio or with the energy driver."""
        from core.drive import SPEECH_CACHE

        clip = self.win.clip
        take = self.take
        if clip is None or take.audio is None or take.lipsync.driver != "phonemes":
            return None
        got = SPEECH_CACHE.lipsync_of(clip, take.lipsync)
        if got is None:
            QApplication.setOverrideCursor(Qt.WaitCursor)
            try:
                SPEECH_CACHE.controls(clip, take.fps, 1, take.lipsync)
            finally:
                QApplication.restoreOverrideCursor()
            got = SPEECH_CACHE.lipsync_of(clip, take.lipsync)
        return got

    def _report(self, ls) -> None:
        """The status line after a lip sync change: the phones found and the notes (``ls``: the
        take's LipSync; None for the energy driver)."""
        model = (" · the EmoZone model reads the audio itself: View > Driver > Analytic rig follows the lip sync"
                 if self.win.engine.driver == "model" else "")
        if ls is None:
            self.win.statusBar().showMessage("Lip sync: the energy driver (the signal alone)" + model, 10000)
            return
        tr = ls.track
        text = (f"Lip sync: {len(tr.phones)} phones, "
                + ("the transcript aligned" if tr.source == "transcript" else "recognised from the audio"))
        if tr.notes:
            text += " · " + "; ".join(tr.notes)
        self.win.statusBar().showMessage(text + model, 10000)

    def import_cues(self, path: str | None = None) -> bool:
        """Rhubarb TSV / JSON or Moho / Papagayo .dat cues become the four speech curves (override on),
        one undo step; a bad file gets an error box naming the file and line."""
        from core.audio.lipsync import cues_to_dense, sample_frames

        from core.audio.lipsync_files import read_cues

        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.win, "Import mouth cues", str(self.win.files.start_folder()),
                                                  CUE_FILTER)
            if not path:
                return False
        take = self.take
        try:
            cues = read_cues(path, dat_fps=take.fps if Path(path).suffix.lower() == ".dat" else 24.0)
        except Exception as exc:  # noqa: BLE001 - CueFileError names the file and line; shown, never fatal
            self.win.show_error("Cannot import mouth cues", str(exc))
            return False
        offset = take.audio.offset if take.audio is not None else 0.0
        dense = cues_to_dense(cues, max(cues[-1][1], take.duration / take.fps))
        controls = sample_frames(dense, take.fps, take.duration, first=-int(round(offset * take.fps)))
        self.win.push(C.import_mouth_cues_command(take, controls, Path(path).name))
        self.win.statusBar().showMessage(f"Imported {len(cues)} mouth cues from {Path(path).name} into the "
                                         "speech curves", 6000)
        return True

    def export_cues(self, path: str | None = None) -> bool:
        from core.audio.lipsync_files import write_cues

        ls = self._lipsync()
        if ls is None:
            self.win.show_error("Cannot export mouth cues",
                                "The take needs a recording and the phoneme lip sync (Lip Sync > Phonemes).")
            return False
        fmt = None
        if path is None:
            start = Path(self.win.files.start_folder()) / (Path(self.take.audio.path).stem + ".tsv")
            path, chosen = QFileDialog.getSaveFileName(self.win, "Export mouth cues", str(start), CUE_SAVE_FILTER)
            if not path:
                return False
            fmt = "phonemes" if chosen.startswith("Phonemes") else None
        try:
            write_cues(path, ls.track, ls.cues(), fmt, Path(self.take.audio.path).name,
                       dat_fps=self.take.fps)
        except (OSError, ValueError) as exc:
            self.win.show_error("Cannot export mouth cues", f"{path}: {exc}")
            return False
        self.win.statusBar().showMessage(f"Wrote {Path(path).name}", 5000)
        return True
