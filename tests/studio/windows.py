"""The studio window as the tests open it: real, shown, focused, with its first frame drawn."""
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from core.anim import Take
from studio.app import apply_theme
from studio.main_window import MainWindow
from studio.settings import StudioSettings


def wait_current(qtbot, w, timeout=20000):
    qtbot.waitUntil(lambda: w.shown is not None and w.shown.revision == w.document.history.revision
                    and w.shown.frame == w.current_frame, timeout=timeout)


def open_windows(qtbot, tmp_path, engine, size=(1100, 750)):
    """Generator for a fixture: yields make(take=None, eng=None) -> MainWindow; closes them all after."""
    made = []

    def make(take=None, eng=None):
        apply_theme(QApplication.instance())
        w = MainWindow(engine=eng or engine, settings=StudioSettings(tmp_path / "settings.ini"),
                       take=take if take is not None else Take(name="Blank", duration=40))
        w.resize(*size)
        w.show()
        qtbot.waitExposed(w)
        w.activateWindow()
        qtbot.waitActive(w)
        w.viewport.setFocus()
        wait_current(qtbot, w)
        made.append(w)
        return w

    yield make
    for w in made:  # closed here, not by qtbot, so that no unsaved-changes prompt blocks teardown
        w.document.history.set_clean()
        w.close()
        w.deleteLater()
    # Delete them now: a window that died later, inside the next test, could hand the activation
    # to no window at all, and that test's shortcut keys (window shortcuts) would go nowhere.
    app = QApplication.instance()
    app.sendPostedEvents(None, QEvent.DeferredDelete)
    app.processEvents()
