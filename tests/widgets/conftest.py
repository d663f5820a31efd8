"""Qt tests run on a real X display (pytest-xvfb) so QOpenGLWidget gets a real GL context;
the offscreen platform has none. The GL format must be set before the QApplication exists."""
from tests.widgets.gl_setup import configure  # noqa: F401  (import side effect: the surface format)
