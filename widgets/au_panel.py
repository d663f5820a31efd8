"""The AU panel: a slider per Action Unit at the current frame, grouped and coloured by zone.

Moving a slider asks for a key on that AU at the current frame (``key_set_requested``); the
studio sets or inserts it and hands the new take back. One slider drag keeps one ``edit_id`` so
the studio can merge its steps into one undo step.
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from core.anim.take import Take
from core.aus import AU_FACS_NAMES, AU_MAX, AU_MIN, AU_NAMES, AU_ZONE, ZONES

from . import theme

#: Slider steps per AU intensity unit.
STEPS = 100
_ZONE_TITLES = {"brow": "Brow", "eyes": "Eyes", "cheek_nose": "Cheek / Nose", "mouth": "Mouth",
                "jaw_chin": "Jaw / Chin", "static": "Static"}


class _AURow(QtWidgets.QWidget):
    def __init__(self, au: str, panel: "AUPanel"):
        super().__init__()
        self.au = au
        zone = AU_ZONE[au]
        colour = theme.qcolor(theme.zone_rgb(zone)).name()
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(0, 1, 4, 1)
        lay.setSpacing(6)
        strip = QtWidgets.QFrame()
        strip.setFixedWidth(4)
        strip.setStyleSheet(f"background: {colour}; border: none;")
        lay.addWidget(strip)
        self.label = QtWidgets.QLabel(au)
        self.label.setFixedWidth(40)
        self.label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.label.setToolTip(f"{AU_FACS_NAMES[au]} ({_ZONE_TITLES[zone]} zone)")
        lay.addWidget(self.label)
        self.key_mark = QtWidgets.QLabel("")
        self.key_mark.setFixedWidth(12)
        self.key_mark.setStyleSheet(f"color: {theme.KEY_SELECTED};")
        lay.addWidget(self.key_mark)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Horizontal)
        self.slider.setRange(int(AU_MIN * STEPS), int(AU_MAX * STEPS))
        self.slider.setSingleStep(5)
        self.slider.setPageStep(50)
        self.slider.setToolTip(AU_FACS_NAMES[au])
        self.slider.setStyleSheet(
            "QSlider::groove:horizontal { height: 4px; background: %s; border-radius: 2px; }"
            "QSlider::sub-page:horizontal { background: %s; border-radius: 2px; }"
            "QSlider::handle:horizontal { width: 10px; margin: -5px 0; border-radius: 5px; background: %s; }"
            "QSlider::handle:horizontal:disabled { background: %s; }"
            % (theme.GRID, colour, theme.KEY, theme.TEXT_DIM))
        lay.addWidget(self.slider, 1)
        self.readout = QtWidgets.QLabel("0.00")
        self.readout.setFixedWidth(34)
        self.readout.setAlignment(QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter)
        self.readout.setStyleSheet(f"color: {theme.TEXT}; font-family: monospace;")
        lay.addWidget(self.readout)
        self.slider.valueChanged.connect(lambda v: panel._on_slider(au, v))
        self.slider.sliderPressed.connect(panel._begin_edit)
        self.slider.sliderReleased.connect(panel._end_edit)


class AUPanel(QtWidgets.QWidget):
    """A slider per AU (AU_NAMES order) showing the take's value at the current frame.

    Signal ``key_set_requested(au, frame, value, edit_id)``: set or insert a key; all steps of one
    slider drag share ``edit_id``. While ``is_dragging()`` these are a live preview: the drag ends
    with ``key_drag_finished(au, frame, value, edit_id)`` (the value to keep, once, on release).
    """

    key_set_requested = QtCore.Signal(str, int, float, int)
    key_drag_finished = QtCore.Signal(str, int, float, int)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._take: Take | None = None
        self._frame = 0
        self._edit_counter = 0
        self._dragging = False
        self._drag_last: tuple[str, int, float, int] | None = None
        self.rows: dict[str, _AURow] = {}
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self._title = QtWidgets.QLabel("Frame 0")
        self._title.setStyleSheet(f"color: {theme.TEXT}; font-weight: bold; padding: 4px 6px;")
        outer.addWidget(self._title)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.NoFrame)
        outer.addWidget(scroll, 1)
        body = QtWidgets.QWidget()
        body.setObjectName("auBody")
        body.setStyleSheet(f"#auBody {{ background: {theme.PANEL}; }}")
        lay = QtWidgets.QVBoxLayout(body)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(0)
        for zone in ZONES:
            names = [a for a in AU_NAMES if AU_ZONE[a] == zone]
            if not names:
                continue
            colour = theme.qcolor(theme.zone_rgb(zone)).name()
            lay.addWidget(theme.section_header(_ZONE_TITLES[zone], colour))
            for au in names:
                row = _AURow(au, self)
                self.rows[au] = row
                lay.addWidget(row)
        lay.addStretch(1)
        scroll.setWidget(body)
        self.setMinimumWidth(236)
        self._sync()

    # ------------------------------------------------------------------ model -> widget
    def set_take(self, take: Take | None) -> None:
        self._take = take
        self._sync()

    def refresh(self, channels=None) -> None:
        self._sync()

    def set_frame(self, frame: int) -> None:
        self._frame = int(frame)
        self._sync()

    def frame(self) -> int:
        return self._frame

    def values(self) -> np.ndarray:
        """The sliders' values [17] in AU_NAMES order."""
        return np.array([self.rows[a].slider.value() / STEPS for a in AU_NAMES])

    def slider(self, au: str) -> QtWidgets.QSlider:
        return self.rows[au].slider

    def _sync(self) -> None:
        self._title.setText(f"Frame {self._frame}")
        if self._take is None:
            for row in self.rows.values():
                row.slider.setEnabled(False)
            return
        # stored values, not the deformation's clamped/solo'd ones: the slider edits the curve
        vals = self._take.evaluate_au(np.array([float(self._frame)]), for_deformation=False)[0]
        for j, au in enumerate(AU_NAMES):
            row = self.rows[au]
            curve = self._take.curves[au]
            v = float(vals[j])
            row.slider.blockSignals(True)
            if not row.slider.isSliderDown():
                row.slider.setValue(int(round(np.clip(v, AU_MIN, AU_MAX) * STEPS)))
            row.slider.blockSignals(False)
            row.slider.setEnabled(not curve.lock)
            row.readout.setText(f"{v:.2f}")
            on_key = curve.index_at(float(self._frame)) is not None
            row.key_mark.setText("\u25c6" if on_key else ("\u25c7" if len(curve) else ""))
            row.key_mark.setToolTip("key on this frame" if on_key else "")

    # ------------------------------------------------------------------ widget -> intents
    def is_dragging(self) -> bool:
        return self._dragging

    def _begin_edit(self) -> None:
        self._edit_counter += 1
        self._dragging = True
        self._drag_last = None

    def _end_edit(self) -> None:
        self._dragging = False
        last, self._drag_last = self._drag_last, None
        if last is not None:
            self.key_drag_finished.emit(*last)

    def _on_slider(self, au: str, value: int) -> None:
        if self._take is None or self._take.curves[au].lock:
            return
        if not self._dragging:
            self._edit_counter += 1
        v = value / STEPS
        self.rows[au].readout.setText(f"{v:.2f}")
        if self._dragging:
            self._drag_last = (au, self._frame, float(v), self._edit_counter)
        self.key_set_requested.emit(au, self._frame, float(v), self._edit_counter)
