"""Qt tests run on a real X display (pytest-xvfb) so QOpenGLWidget gets a real GL context;
the offscreen platform has none. The GL format must be set before the QApplication exists."""
from tests.widgets.gl_setup import configure  # noqa: F401  (import side effect: the surface format)

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _no_dialog_outlives_its_test(qapp):
    """An error box a test left open (window-modal, non-blocking) would otherwise be seen by the
    next test's dialog watcher as an unexpected dialog, or take the focus its keys go to."""
    yield
    from PySide6.QtWidgets import QDialog

    for widget in qapp.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible():
            widget.done(0)
    qapp.processEvents()


@pytest.fixture(autouse=True)
def _app_data_in_a_temp_folder(tmp_path, monkeypatch):
    """The studio's per-user data (untitled autosaves: QStandardPaths AppDataLocation, which Qt
    reads from XDG_DATA_HOME on every call) goes to the test's folder, never the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture(scope="module")
def engine():
    """One rig-only Engine per test module (the default head; no checkpoint to load)."""
    from studio.engine import Engine

    return Engine(checkpoint=None)


@pytest.fixture
def window_size():
    """The size the journey windows open at; a module overrides it to try another screen."""
    return (1240, 860)


@pytest.fixture
def open_window(qtbot, tmp_path, engine, window_size):
    """make(take=None, eng=None) -> a real, shown MainWindow (tests/studio/windows.py)."""
    from .windows import open_windows

    yield from open_windows(qtbot, tmp_path, engine, size=window_size)
