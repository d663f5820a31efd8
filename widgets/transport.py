"""Transport bar: play/pause, frame steps, loop range, the current frame and an fps readout.

The bar only shows state and emits intents; the studio owns the clock. Updates from the studio run
with signals blocked so that setting the frame does not echo back as a seek.

The buttons' glyphs are painted (``transport_icon``), not font characters: a font without the
media symbols (U+23F8 pause) draws them as boxes."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QPolygonF
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QSpinBox, QToolButton, QWidget

#: The scrub slider never gets narrower than this (a 1280 px window keeps a usable slider).
SLIDER_MIN_PX = 160
#: The painted glyphs, by name: play, pause, first, last, back, forward.
ICON_NAMES = ("play", "pause", "first", "last", "back", "forward")
ICON_SIZE = 18
_GLYPH = QColor("#d8dade")
_GLYPH_OFF = QColor("#6b6e75")


def _paint_glyph(p: QPainter, name: str, s: float) -> None:
    def tri(x0, x1, y0=0.18 * s, y1=0.82 * s):
        # Points from x0 towards x1 (a left-pointing one when x1 < x0).
        p.drawPolygon(QPolygonF([QPointF(x0, y0), QPointF(x1, 0.5 * s), QPointF(x0, y1)]))

    def bar(x, w=0.14 * s):
        p.drawRect(QRectF(x, 0.18 * s, w, 0.64 * s))

    if name == "play":
        tri(0.25 * s, 0.82 * s)
    elif name == "pause":
        bar(0.24 * s, 0.18 * s)
        bar(0.58 * s, 0.18 * s)
    elif name == "first":
        bar(0.14 * s)
        tri(0.56 * s, 0.28 * s)
        tri(0.86 * s, 0.58 * s)
    elif name == "last":
        tri(0.14 * s, 0.42 * s)
        tri(0.44 * s, 0.72 * s)
        bar(0.72 * s)
    elif name == "back":
        bar(0.22 * s)
        tri(0.78 * s, 0.38 * s)
    elif name == "forward":
        tri(0.22 * s, 0.62 * s)
        bar(0.64 * s)
    else:
        raise ValueError(f"transport_icon: unknown glyph {name!r}; choose one of {', '.join(ICON_NAMES)}")


def transport_icon(name: str, size: int = ICON_SIZE) -> QIcon:
    """A painted media glyph (normal and disabled), so no font has to carry the symbol."""
    icon = QIcon()
    for mode, colour in ((QIcon.Normal, _GLYPH), (QIcon.Disabled, _GLYPH_OFF)):
        for scale in (1, 2):
            pm = QPixmap(size * scale, size * scale)
            pm.setDevicePixelRatio(scale)
            pm.fill(Qt.transparent)
            p = QPainter(pm)
            p.setRenderHint(QPainter.Antialiasing)
            p.setPen(Qt.NoPen)
            p.setBrush(colour)
            _paint_glyph(p, name, float(size))
            p.end()
            icon.addPixmap(pm, mode)
    return icon



def time_text(seconds: float) -> str:
    """The time readout: M:SS.ss, or H:MM:SS.ss from an hour on."""
    cs = int(round(max(seconds, 0.0) * 100))
    h, rest = divmod(cs, 360000)
    m, rest = divmod(rest, 6000)
    sec = rest / 100
    return f"{h}:{m:02d}:{sec:05.2f}" if h else f"{m}:{sec:05.2f}"

class TransportBar(QWidget):
    play_toggled = Signal(bool)
    seek_requested = Signal(int)        # frame
    step_requested = Signal(int)        # +1 / -1
    loop_changed = Signal(bool, int, int)  # enabled, first frame, last frame (inclusive)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("transport")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(4)

        self._icons = {n: transport_icon(n) for n in ICON_NAMES}

        def button(icon, text, tip, name):
            b = QToolButton(self)
            b.setIcon(self._icons[icon])
            b.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
            b.setToolButtonStyle(Qt.ToolButtonIconOnly)
            b.setText(text)  # not drawn (icon only); read by screen readers and tests
            b.setAccessibleName(text)
            b.setToolTip(tip)
            b.setObjectName(name)
            b.setAutoRaise(True)
            # Compact (the slider gets the width) and never narrower than the glyph and its padding.
            b.setStyleSheet("QToolButton { padding: 3px 4px; }")
            b.setFixedWidth(ICON_SIZE + 12)
            lay.addWidget(b)
            return b

        self.start_button = button("first", "First frame", "Go to the first frame (Shift+Left)", "to_start")
        self.back_button = button("back", "Previous frame", "Previous frame (Left)", "step_back")
        self.play_button = button("play", "Play", "Play / pause (Space)", "play")
        self.play_button.setCheckable(True)
        self.fwd_button = button("forward", "Next frame", "Next frame (Right)", "step_forward")
        self.end_button = button("last", "Last frame", "Go to the last frame (Shift+Right)", "to_end")

        self.slider = QSlider(Qt.Horizontal, self)
        self.slider.setObjectName("scrub")
        self.slider.setMinimumWidth(SLIDER_MIN_PX)
        lay.addWidget(self.slider, 1)
        self.frame_box = QSpinBox(self)
        self.frame_box.setObjectName("frame")
        self.frame_box.setToolTip("Current frame")
        lay.addWidget(self.frame_box)
        self.time_label = QLabel("0:00.00", self)
        self.time_label.setObjectName("time")
        self.time_label.setFixedWidth(self.fontMetrics().horizontalAdvance("00:00.00") + 6)
        lay.addWidget(self.time_label)

        self.loop_check = QCheckBox("Loop", self)
        self.loop_check.setToolTip("Loop playback between the two frames")
        lay.addWidget(self.loop_check)
        self.loop_first = QSpinBox(self)
        self.loop_last = QSpinBox(self)
        for box in (self.loop_first, self.loop_last):
            box.setEnabled(False)
            lay.addWidget(box)
        self.fps_label = QLabel("-- fps", self)
        self.fps_label.setObjectName("fps")
        self.fps_label.setToolTip("Frames shown per second (the take's rate is in brackets)")
        # Fixed widths: the controls stay put while the readouts change.
        self.fps_label.setFixedWidth(self.fontMetrics().horizontalAdvance("000.0 fps (00.00)") + 4)
        lay.addWidget(self.fps_label)
        for box in (self.frame_box, self.loop_first, self.loop_last):
            box.setFixedWidth(self.fontMetrics().horizontalAdvance("00000") + 26)

        self._fps = 25.0
        self.play_button.toggled.connect(self._on_play_toggled)
        self.back_button.clicked.connect(lambda: self.step_requested.emit(-1))
        self.fwd_button.clicked.connect(lambda: self.step_requested.emit(1))
        self.start_button.clicked.connect(lambda: self.seek_requested.emit(self.slider.minimum()))
        self.end_button.clicked.connect(lambda: self.seek_requested.emit(self.slider.maximum()))
        self.slider.valueChanged.connect(self.seek_requested)
        self.frame_box.valueChanged.connect(self.seek_requested)
        self.loop_check.toggled.connect(self._on_loop_changed)
        self.loop_first.valueChanged.connect(self._on_loop_changed)
        self.loop_last.valueChanged.connect(self._on_loop_changed)

    # -- intents
    def _show_playing(self, playing: bool) -> None:
        """The button shows what a click does: Pause while playing, Play otherwise."""
        name = "pause" if playing else "play"
        self.play_button.setIcon(self._icons[name])
        self.play_button.setText(name.capitalize())
        self.play_button.setAccessibleName(name.capitalize())

    def shows_pause(self) -> bool:
        """True when the play button shows the pause glyph (playback running)."""
        return self.play_button.icon().cacheKey() == self._icons["pause"].cacheKey()

    def _on_play_toggled(self, playing: bool) -> None:
        self._show_playing(playing)
        self.play_toggled.emit(playing)

    def _on_loop_changed(self, *_):
        on = self.loop_check.isChecked()
        self.loop_first.setEnabled(on)
        self.loop_last.setEnabled(on)
        first, last = sorted((self.loop_first.value(), self.loop_last.value()))
        self.loop_changed.emit(on, first, last)

    # -- state from the studio (no echo)
    def set_duration(self, frames: int, fps: float) -> None:
        self._fps = fps
        last = max(int(frames) - 1, 0)
        for w in (self.slider, self.frame_box, self.loop_first, self.loop_last):
            with QSignalBlocker(w):
                w.setRange(0, last)
        # Readouts wide enough for the take's last frame (a 30-min take reads 29:59.96, a 4-hour
        # one 3:59:59.96 and frame 359999), never narrower than before, so nothing is clipped.
        digits = "0" * max(5, len(str(last)))
        for box in (self.frame_box, self.loop_first, self.loop_last):
            box.setFixedWidth(box.fontMetrics().horizontalAdvance(digits) + 26)
        longest = "".join("0" if c.isdigit() else c for c in time_text(last / fps if fps > 0 else 0.0))
        fm = self.time_label.fontMetrics()
        self.time_label.setFixedWidth(max(fm.horizontalAdvance("00:00.00"), fm.horizontalAdvance(longest)) + 6)
        with QSignalBlocker(self.loop_last):
            self.loop_last.setValue(last)

    def set_frame(self, frame: int) -> None:
        for w in (self.slider, self.frame_box):
            with QSignalBlocker(w):
                w.setValue(int(frame))
        self.time_label.setText(time_text(frame / self._fps))

    def set_playing(self, playing: bool) -> None:
        with QSignalBlocker(self.play_button):
            self.play_button.setChecked(playing)
        self._show_playing(playing)

    def set_shown_fps(self, shown: float | None) -> None:
        rate = f"({self._fps:g})"
        self.fps_label.setText(f"{shown:5.1f} fps {rate}" if shown is not None else f"-- fps {rate}")

    def loop_range(self) -> tuple[bool, int, int]:
        first, last = sorted((self.loop_first.value(), self.loop_last.value()))
        return self.loop_check.isChecked(), first, last
