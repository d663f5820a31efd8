"""Legend for the viewport overlays: zone swatches, or the heat ramp with its scale."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter
from PySide6.QtWidgets import QWidget

from core.aus import ZONE_COLORS, ZONES

from .zone_overlay import OverlayMode, heat_colors

ZONE_LABELS = {"brow": "Brow", "eyes": "Eyes", "cheek_nose": "Cheek / nose", "mouth": "Mouth",
               "jaw_chin": "Jaw / chin", "static": "Static"}


def _qcolor(rgb) -> QColor:
    return QColor.fromRgbF(float(rgb[0]), float(rgb[1]), float(rgb[2]))


class OverlayLegend(QWidget):
    """A translucent box that sits over the viewport's corner (the studio positions it)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("legend")
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.mode = OverlayMode.NONE
        self.zone = 0
        self.scale = 0.0
        self.unit = ""
        self.note = ""
        self.setFixedSize(170, 150)
        self.hide()

    def set_state(self, mode: OverlayMode, zone: int = 0, scale: float = 0.0, unit: str = "",
                  note: str = "") -> None:
        """``note``: a line shown instead of the heat ramp (e.g. why the overlay has no data)."""
        self.mode, self.zone, self.scale, self.unit = OverlayMode(mode), int(zone), float(scale), unit
        self.note = note
        self.setVisible(self.mode is not OverlayMode.NONE)
        self.setFixedHeight(self._height())
        self.update()

    def _height(self) -> int:
        if self.mode in (OverlayMode.ATTENTION, OverlayMode.MOTION):
            return 70
        if self.mode is OverlayMode.ISOLATE:
            return 50
        return 26 + 18 * len(ZONES)

    def title(self) -> str:
        if self.mode is OverlayMode.ISOLATE:
            return "Isolated zone"
        return {OverlayMode.ZONES: "Zones", OverlayMode.ATTENTION: "Attention bias",
                OverlayMode.MOTION: "Motion from rest"}.get(self.mode, "")

    def paintEvent(self, _ev) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(20, 22, 26, 210))
        p.drawRoundedRect(QRectF(self.rect()), 6, 6)
        p.setPen(QColor(225, 228, 232))
        f = p.font()
        f.setBold(True)
        p.setFont(f)
        p.drawText(10, 18, self.title())
        f.setBold(False)
        p.setFont(f)
        if self.mode is OverlayMode.ZONES:
            for i, z in enumerate(ZONES):
                y = 28 + 18 * i
                p.fillRect(10, y, 14, 12, _qcolor(ZONE_COLORS[z]))
                p.drawText(32, y + 11, ZONE_LABELS[z])
        elif self.mode is OverlayMode.ISOLATE:
            z = ZONES[self.zone]
            p.fillRect(10, 28, 14, 12, _qcolor(ZONE_COLORS[z]))
            p.drawText(32, 39, ZONE_LABELS[z])
        elif self.note:
            p.setPen(QColor(235, 190, 120))
            p.drawText(QRectF(10, 24, self.width() - 20, 40), Qt.AlignLeft | Qt.TextWordWrap, self.note)
        elif self.mode in (OverlayMode.ATTENTION, OverlayMode.MOTION):
            grad = QLinearGradient(10, 0, self.width() - 10, 0)
            for t in np.linspace(0, 1, 9):
                grad.setColorAt(float(t), _qcolor(heat_colors(np.array([t]))[0]))
            p.fillRect(QRectF(10, 26, self.width() - 20, 14), grad)
            p.drawText(10, 58, "0")
            top = f"{self.scale:.3g} {self.unit}".strip()
            p.drawText(QRectF(10, 44, self.width() - 20, 18), Qt.AlignRight | Qt.AlignVCenter, top)
        p.end()
