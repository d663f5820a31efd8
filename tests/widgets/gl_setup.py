"""Shared set-up for the Qt test folders: OpenGL 3.3 core as the default surface format."""
from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QSurfaceFormat
from PySide6.QtWidgets import QApplication


def configure() -> None:
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        raise RuntimeError("the viewport tests need a real X display (pytest-xvfb), not QT_QPA_PLATFORM=offscreen")
    if QApplication.instance() is None:
        fmt = QSurfaceFormat()
        fmt.setVersion(3, 3)
        fmt.setProfile(QSurfaceFormat.CoreProfile)
        fmt.setSwapInterval(0)
        QSurfaceFormat.setDefaultFormat(fmt)
        QApplication.setAttribute(Qt.AA_ShareOpenGLContexts)


configure()
