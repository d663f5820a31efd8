"""Application start-up: the GL surface format, the dark theme and the main window."""
from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QPalette, QSurfaceFormat
from PySide6.QtWidgets import QApplication

from .settings import APPLICATION, ORGANIZATION

STYLE_SHEET = """
QMainWindow, QWidget { background: #2b2d31; color: #d8dadf; font-size: 10pt; }
QMainWindow::separator { background: #1e1f22; width: 3px; height: 3px; }
QDockWidget { color: #c9ccd1; titlebar-close-icon: none; }
QDockWidget::title { background: #232428; padding: 4px 8px; border-bottom: 1px solid #1a1b1e; }
QLabel#placeholder { color: #6d717a; font-size: 11pt; }
QMenuBar { background: #232428; }
QMenuBar::item:selected, QMenu::item:selected { background: #3d6fb6; color: white; }
QMenu { background: #2b2d31; border: 1px solid #1a1b1e; }
QMenu::item:disabled, QWidget:disabled { color: #6d717a; }
QToolBar { background: #26282c; border: none; border-bottom: 1px solid #1a1b1e; spacing: 4px; padding: 2px; }
QToolButton { padding: 3px 8px; border-radius: 3px; }
QToolButton:hover { background: #3a3d43; }
QToolButton:checked { background: #3d6fb6; color: white; }
QWidget#transport { background: #232428; border-top: 1px solid #1a1b1e; }
QComboBox, QSpinBox, QDoubleSpinBox { background: #1e1f22; border: 1px solid #3a3d43; border-radius: 3px;
    padding: 2px 6px; min-height: 18px; }
QComboBox QAbstractItemView { background: #1e1f22; selection-background-color: #3d6fb6; }
QSlider::groove:horizontal { height: 4px; background: #1e1f22; border-radius: 2px; }
QSlider::sub-page:horizontal { background: #3d6fb6; border-radius: 2px; }
QSlider::handle:horizontal { background: #e2a33c; width: 10px; margin: -6px 0; border-radius: 3px; }
QStatusBar { background: #232428; color: #9aa0a8; }
QLabel#engine_notes { color: #e2a33c; }
QLabel#fps { color: #8fd19e; font-family: monospace; }
QLabel#time { font-family: monospace; }
QUndoView, QListView { background: #1e1f22; alternate-background-color: #25262a; }
QTabBar::tab { background: #232428; padding: 4px 10px; border: 1px solid #1a1b1e; }
QTabBar::tab:selected { background: #2b2d31; color: white; }
QCheckBox::indicator { width: 13px; height: 13px; }
"""


def configure_gl() -> None:
    """OpenGL 3.3 core for every QOpenGLWidget; must run before the QApplication exists."""
    fmt = QSurfaceFormat()
    fmt.setVersion(3, 3)
    fmt.setProfile(QSurfaceFormat.CoreProfile)
    fmt.setDepthBufferSize(0)
    fmt.setSwapInterval(0)  # playback is paced by the audio clock, not by vsync
    QSurfaceFormat.setDefaultFormat(fmt)
    QApplication.setAttribute(Qt.AA_ShareOpenGLContexts)


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    for role, colour in {
        QPalette.Window: "#2b2d31", QPalette.WindowText: "#d8dadf", QPalette.Base: "#1e1f22",
        QPalette.AlternateBase: "#25262a", QPalette.Text: "#d8dadf", QPalette.Button: "#2f3136",
        QPalette.ButtonText: "#d8dadf", QPalette.Highlight: "#3d6fb6", QPalette.HighlightedText: "#ffffff",
        QPalette.ToolTipBase: "#1e1f22", QPalette.ToolTipText: "#d8dadf",
    }.items():
        pal.setColor(role, QColor(colour))
    pal.setColor(QPalette.Disabled, QPalette.Text, QColor("#6d717a"))
    pal.setColor(QPalette.Disabled, QPalette.ButtonText, QColor("#6d717a"))
    app.setPalette(pal)
    app.setStyleSheet(STYLE_SHEET)


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        configure_gl()
        app = QApplication([sys.argv[0]] + list(argv or []))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    apply_theme(app)
    return app


def main(argv: list[str] | None = None) -> int:
    """Open the studio, optionally on a take file or on a new take from a recording. Returns the
    exit code."""
    parser = argparse.ArgumentParser(prog="main.py", description="Open EmoZone Studio.")
    parser.add_argument("path", nargs="?", metavar="AUDIO_OR_TAKE",
                        help="a take file (.emz) to open, or a recording (WAV, FLAC, OGG, MP3, M4A...) "
                             "to start a new take from, or an OpenFace CSV to import as AU curves")
    parser.add_argument("--fps", type=float, default=25.0,
                        help="frame rate of a new take from a recording (default 25)")
    args = parser.parse_args(list(argv or []))
    if not args.fps > 0:
        parser.error(f"--fps must be positive, got {args.fps}")
    app = create_app()
    from .main_window import MainWindow

    try:
        window = MainWindow()
    except Exception as exc:  # noqa: BLE001 - no window to show it in: say it and leave cleanly
        _stop_workers(app)
        print(f"main.py: the studio could not start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    # The deform worker's thread is stopped on every way out (a thread destroyed while running
    # aborts the process: rc 134).
    app.aboutToQuit.connect(lambda: _shutdown(window))
    def start() -> None:
        # Untitled takes of studios that did not close (only here, at the user's start-up: the
        # screenshots and benchmarks open windows that must not ask), before the file asked for.
        window.files.offer_untitled_recovery()
        if args.path:
            try:
                window.files.open_any(args.path, fps=args.fps)
            except Exception as exc:  # noqa: BLE001 - a bad file is shown; the studio stays up
                window.show_error("Cannot open", f"{args.path}: {type(exc).__name__}: {exc}")

    try:
        window.show()
        if window.files.untitled_recoveries():
            QTimer.singleShot(0, start)  # the prompt runs inside the application's event loop
        else:
            start()
        return int(app.exec())
    finally:
        _shutdown(window)


def _shutdown(window) -> None:
    """``window.shutdown()`` unless Qt has deleted the window already (it stopped then)."""
    import shiboken6

    if shiboken6.isValid(window):
        window.shutdown()


def _stop_workers(app: QApplication) -> None:
    """Stop the deform workers of windows whose construction failed half way."""
    from .workers import DeformWorker

    for widget in app.topLevelWidgets():
        for worker in widget.findChildren(DeformWorker):
            worker.shutdown()
