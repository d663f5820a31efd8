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
