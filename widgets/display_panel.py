"""The Display panel: how the head is shown (overlay mode, the zone it is about, the deformation
driver) and how long the last frame took to evaluate.

The panel owns no state beyond its combo boxes: it emits what the user picked and the studio
answers through the setters (signals blocked, so a setter never echoes back as an intent).
"""
from __future__ import annotations

from typing import Mapping, Sequence

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from core.aus import ZONES

from .legend import ZONE_LABELS
from .zone_overlay import OverlayMode


class DisplayPanel(QWidget):
    """``drivers``: (key, label) pairs in the order the driver box lists them."""

    overlay_requested = Signal(object)   # OverlayMode
    zone_requested = Signal(int)         # index into core.aus.ZONES
    driver_requested = Signal(str)       # a driver key

    def __init__(self, drivers: Sequence[tuple[str, str]], zone: int = 0, parent=None):
        super().__init__(parent)
        self.setObjectName("display_panel")
        form = QFormLayout(self)
        form.setContentsMargins(8, 8, 8, 8)
        self.overlay_combo = QComboBox(self)
        self.overlay_combo.setObjectName("overlay_mode")
        for m in OverlayMode:
            self.overlay_combo.addItem(m.label, m.value)
        self.zone_combo = QComboBox(self)
        self.zone_combo.setObjectName("overlay_zone")
        for z in ZONES:
            self.zone_combo.addItem(ZONE_LABELS[z], z)
        self.zone_combo.setCurrentIndex(int(zone))
        self.driver_combo = QComboBox(self)
        self.driver_combo.setObjectName("driver")
        self._drivers = [key for key, _label in drivers]
        for key, label in drivers:
            self.driver_combo.addItem(label, key)
        for combo in (self.overlay_combo, self.zone_combo, self.driver_combo):
            # Narrow docks (a 1280-px screen) elide the labels rather than widen the window.
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        form.addRow("Overlay", self.overlay_combo)
        form.addRow("Zone", self.zone_combo)
        form.addRow("Driver", self.driver_combo)
        self.eval_label = QLabel("—", self)
        self.eval_label.setObjectName("eval_time")
        form.addRow("Frame eval", self.eval_label)
        self.overlay_combo.currentIndexChanged.connect(
            lambda _i: self.overlay_requested.emit(OverlayMode(self.overlay_combo.currentData())))
        self.zone_combo.currentIndexChanged.connect(lambda i: self.zone_requested.emit(int(i)))
        self.driver_combo.currentIndexChanged.connect(
            lambda _i: self.driver_requested.emit(self.driver_combo.currentData()))
        self.driver_combo.currentTextChanged.connect(self.driver_combo.setToolTip)
        self.driver_combo.setToolTip(self.driver_combo.currentText())

    # -- setters (the studio talking; no signal comes back)
    def set_overlay(self, mode: OverlayMode) -> None:
        with QSignalBlocker(self.overlay_combo):
            self.overlay_combo.setCurrentIndex(list(OverlayMode).index(OverlayMode(mode)))

    def overlay(self) -> OverlayMode:
        return OverlayMode(self.overlay_combo.currentData())

    def set_zone(self, zone: int) -> None:
        with QSignalBlocker(self.zone_combo):
            self.zone_combo.setCurrentIndex(int(zone))

    def set_driver(self, key: str) -> None:
        with QSignalBlocker(self.driver_combo):
            self.driver_combo.setCurrentIndex(self._drivers.index(key))

    def set_driver_availability(self, reasons: Mapping[str, str | None], current: str) -> None:
        """Grey out the drivers that cannot run, with the reason as the item's tooltip (a usable
        one's tooltip is its whole name, which a narrow dock elides)."""
        with QSignalBlocker(self.driver_combo):
            for i, key in enumerate(self._drivers):
                reason = reasons.get(key)
                item = self.driver_combo.model().item(i)
                item.setEnabled(not reason)
                item.setToolTip(reason or item.text())
            self.driver_combo.setCurrentIndex(self._drivers.index(current))
        self.driver_combo.setToolTip(self.driver_combo.currentText())

    def set_eval_ms(self, ms: float | None) -> None:
        self.eval_label.setText("—" if ms is None else f"{ms:.0f} ms")
