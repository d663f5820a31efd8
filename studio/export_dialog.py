"""File > Export: the take to a video, an image or Gaussian sequence, or AU curves (core.export).

The export runs on its own thread (core.export.export_take blocks), reporting progress to a bar;
Cancel sets the export's CancelToken, after which core.export leaves nothing at the target.
The camera is the viewport's current orbit (yaw, pitch, distance, field of view). The formats, their
labels, their default target suffix and which options apply to each come from core.export's one
table (EXPORT_FORMATS), the same one ``main.py export --format`` reads.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout,
    QLabel, QLineEdit, QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from core.export.options import EXPORT_FORMATS, FORMAT_BY_NAME


class ExportJob(QThread):
    """core.export.export_take on a worker thread. Signals arrive on the GUI thread:
    ``progress(done, total)``, ``warned(line)`` for what the export does differently from the take
    (a missing recording: exported without sound), then exactly one of ``succeeded(ExportResult)``,
    ``failed(message)`` or ``cancelled()``."""

    progress = Signal(int, int)
    warned = Signal(str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, take, head, options, driver=None, parent=None):
        super().__init__(parent)
        from core.export import CancelToken

        self.setObjectName("export-job")
        self.take, self.head, self.options, self.driver = take, head, options, driver
        self.token = CancelToken()

    def cancel(self) -> None:
        self.token.cancel()

    def run(self) -> None:
        from core.export import ExportCancelled, ExportError, export_take

        try:
            result = export_take(self.take, self.head, self.options, progress=self.progress.emit,
                                 cancel=self.token, driver=self.driver, warn=self.warned.emit)
        except ExportCancelled:
            self.cancelled.emit()
        except ExportError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # the studio stays up whatever the exporter hits
            self.failed.emit(f"{self.options.path}: {type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(result)


class ExportDialog(QDialog):
    """Options, a progress bar, Export and Cancel. ``window``: the MainWindow (take, engine,
    viewport camera, error dialogs). ``finished_export(result_or_None)`` fires when a job ends."""

    finished_export = Signal(object)

    def __init__(self, window, parent: QWidget | None = None):
        super().__init__(parent or window)
        self.setObjectName("export_dialog")
        self.setWindowTitle("Export")
        self.window_ = window
        self.job: ExportJob | None = None
        self.result = None
        take = window.document.take
        self._background = QColor(0, 0, 0)

        form = QFormLayout()
        self.format_combo = QComboBox(self)
        self.format_combo.setObjectName("export_format")
        for row in EXPORT_FORMATS:
            self.format_combo.addItem(row.label, row.name)
        form.addRow("Format", self.format_combo)

        path_row = QHBoxLayout()
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("export_path")
        base = window.files.start_folder()  # the take's folder, else its audio's, else home
        self.path_edit.setText(str(base / f"{take.name}.mp4"))
        browse = QPushButton("Browse…", self)
        browse.setObjectName("export_browse")
        browse.clicked.connect(self._browse)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        form.addRow("Output", path_row)

        size_row = QHBoxLayout()
        self.width_box, self.height_box = QSpinBox(self), QSpinBox(self)
        for box, name, value in ((self.width_box, "export_width", 512), (self.height_box, "export_height", 512)):
            box.setObjectName(name)
            box.setRange(16, 4096)
            box.setValue(value)
            box.setSuffix(" px")
        size_row.addWidget(self.width_box)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_box)
        form.addRow("Size", size_row)

        self.fps_box = QDoubleSpinBox(self)
        self.fps_box.setObjectName("export_fps")
        self.fps_box.setRange(1.0, 240.0)
        self.fps_box.setDecimals(3)
        self.fps_box.setValue(take.fps)
        form.addRow("Frame rate", self.fps_box)

        range_row = QHBoxLayout()
        self.first_box, self.last_box = QSpinBox(self), QSpinBox(self)
        self.first_box.setObjectName("export_first")
        self.last_box.setObjectName("export_last")
        for box in (self.first_box, self.last_box):
            box.setRange(0, take.duration - 1)
        self.first_box.setValue(0)
        self.last_box.setValue(take.duration - 1)
        range_row.addWidget(self.first_box)
        range_row.addWidget(QLabel("to"))
        range_row.addWidget(self.last_box)
        form.addRow("Frames", range_row)

        self.background_button = QPushButton(self)
        self.background_button.setObjectName("export_background")
        self.background_button.clicked.connect(self._pick_background)
        self._show_background()
        form.addRow("Background", self.background_button)

        orbit = window.viewport.orbit
        self.camera_label = QLabel(f"viewport: yaw {orbit.yaw:.0f}°, pitch {orbit.pitch:.0f}°, "
                                   f"distance {orbit.distance:.3g}", self)
        self.camera_label.setObjectName("export_camera")
        form.addRow("Camera", self.camera_label)
        from core.drive import DRIVERS

        self.driver_label = QLabel(DRIVERS[window.engine.driver], self)
        self.driver_label.setObjectName("export_driver")
        form.addRow("Driver", self.driver_label)

        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("export_progress")
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.status_label = QLabel("", self)
        self.status_label.setObjectName("export_status")

        self.buttons = QDialogButtonBox(self)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.AcceptRole)
        self.export_button.setObjectName("export_start")
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.Cancel)
        self.cancel_button.setObjectName("export_cancel")
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)

        outer = QVBoxLayout(self)
        outer.addLayout(form)
        outer.addWidget(self.progress_bar)
        outer.addWidget(self.status_label)
        outer.addWidget(self.buttons)
        self.format_combo.currentIndexChanged.connect(self._on_format_changed)
        self._on_format_changed()
        self.resize(520, self.sizeHint().height())

    # ------------------------------------------------------------------ options
    def fmt(self) -> str:
        return self.format_combo.currentData()

    def _on_format_changed(self, *_):
        row = FORMAT_BY_NAME[self.fmt()]
        suffix = row.default_suffix
        path = Path(self.path_edit.text() or "export")
        stem = path.with_suffix("") if path.suffix else path
        self.path_edit.setText(str(stem.with_suffix(suffix) if suffix else stem))
        self.width_box.setEnabled("size" in row.options)
        self.height_box.setEnabled("size" in row.options)
        self.background_button.setEnabled("background" in row.options)

    def _browse(self) -> None:
        if FORMAT_BY_NAME[self.fmt()].default_suffix == "":  # a folder of numbered files
            path = QFileDialog.getExistingDirectory(self, "Export into folder", self.path_edit.text())
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text())
        if path:
            self.path_edit.setText(path)
            self._on_format_changed()

    def _pick_background(self) -> None:
        colour = QColorDialog.getColor(self._background, self, "Background")
        if colour.isValid():
            self.set_background(colour)

    def set_background(self, colour: QColor) -> None:
        self._background = QColor(colour)
        self._show_background()

    def _show_background(self) -> None:
        c = self._background
        text = "white" if c.lightness() < 128 else "black"
        self.background_button.setText(c.name())
        self.background_button.setStyleSheet(f"background: {c.name()}; color: {text};")

    def options(self):
        """The dialog's choices as core.export.ExportOptions (camera = the viewport's orbit)."""
        from core.export import ExportOptions

        orbit = self.window_.viewport.orbit
        first, last = self.first_box.value(), self.last_box.value()
        c = self._background
        return ExportOptions(
            path=Path(self.path_edit.text()).expanduser(), format=self.fmt(),
            size=(self.width_box.value(), self.height_box.value()), fps=float(self.fps_box.value()),
            frame_range=(min(first, last), max(first, last) + 1),
            yaw=float(orbit.yaw), pitch=float(orbit.pitch), distance=float(orbit.distance),
            fov_y=float(orbit.fov_y), background=(c.redF(), c.greenF(), c.blueF()), backend="auto",
            driver=self.window_.engine.driver)

    # ------------------------------------------------------------------ running
    def is_running(self) -> bool:
        return self.job is not None

    def start(self) -> None:
        if self.job is not None:
            return
        from core.export import ExportError

        try:
            options = self.options()
            options.resolved_format()
            if not self.path_edit.text().strip():
                raise ExportError("no output path given")
        except ExportError as exc:
            self.window_.show_error("Export", str(exc))
            return
        w = self.window_
        take = w.document.take
        self.result = None
        self.warnings = []
        self.job = ExportJob(take, w.engine.head, options, driver=w.engine.export_driver(take), parent=self)
        self.job.progress.connect(self._on_progress)
        self.job.warned.connect(self.warnings.append)
        self.job.succeeded.connect(self._on_succeeded)
        self.job.failed.connect(self._on_failed)
        self.job.cancelled.connect(self._on_cancelled)
        self.job.finished.connect(self._on_job_finished)
        self._set_running(True)
        self.status_label.setText("Exporting…")
        self.job.start()

    def cancel(self) -> None:
        """Cancel the running export, or close the dialog when none runs."""
        if self.job is not None:
            self.job.cancel()
            self.status_label.setText("Cancelling…")
            self.cancel_button.setEnabled(False)
        else:
            self.reject()

    def _set_running(self, running: bool) -> None:
        for w in (self.format_combo, self.path_edit, self.width_box, self.height_box, self.fps_box,
                  self.first_box, self.last_box, self.background_button, self.export_button):
            w.setEnabled(not running)
        if not running:
            self._on_format_changed()
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel" if running else "Close")

    def _on_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        self.status_label.setText(f"Frame {done} of {total}")

    def _on_succeeded(self, result) -> None:
        self.result = result
        wrote = f"Wrote {result.frames} frames to {result.path}"
        if self.warnings:  # e.g. the recording is missing: said in the summary and the status bar
            self.status_label.setText("\n".join([wrote, *(w[:1].upper() + w[1:] for w in self.warnings)]))
            self.window_.statusBar().showMessage(f"Exported {result.path}; {'; '.join(self.warnings)}", 12000)
        else:
            self.status_label.setText(wrote)
            self.window_.statusBar().showMessage(f"Exported {result.path}", 6000)

    def _on_failed(self, message: str) -> None:
        self.status_label.setText("Export failed")
        self.window_.show_error("Export failed", message)

    def _on_cancelled(self) -> None:
        self.progress_bar.setValue(0)
        self.status_label.setText("Export cancelled; nothing was written")

    def _on_job_finished(self) -> None:
        job, self.job = self.job, None
        self._set_running(False)
        if job is not None:
            job.deleteLater()
        self.finished_export.emit(self.result)

    def done(self, r: int) -> None:  # closing while exporting cancels and waits for the job
        if self.job is not None:
            self.job.cancel()
            self.job.wait()
        super().done(r)
