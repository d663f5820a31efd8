"""Transport bar: play/pause, frame steps, loop range, the current frame and an fps readout.

The bar only shows state and emits intents; the studio owns the clock. Updates from the studio run
with signals blocked so that setting the frame does not echo back as a seek."""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QSpinBox, QToolButton, QWidget


class TransportBar(QWidget):
    play_toggled = Signal(bool)
    seek_requested = Signal(int)        # frame
    step_requested = Signal(int)        # +1 / -1
    loop_changed = Signal(bool, int, int)  # enabled, first frame, last frame (inclusive)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("transport")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(6)

        def button(text, tip, name):
            b = QToolButton(self)
            b.setText(text)
            b.setToolTip(tip)
            b.setObjectName(name)
            b.setAutoRaise(True)
            lay.addWidget(b)
            return b

        self.start_button = button("|\u25c0\u25c0", "Go to the first frame (Shift+Left)", "to_start")
        self.back_button = button("\u25c0\u2009|", "Previous frame (Left)", "step_back")
        self.play_button = button("\u25b6", "Play / pause (Space)", "play")
        self.play_button.setCheckable(True)
        self.fwd_button = button("|\u2009\u25b6", "Next frame (Right)", "step_forward")
        self.end_button = button("\u25b6\u25b6|", "Go to the last frame (Shift+Right)", "to_end")

        self.slider = QSlider(Qt.Horizontal, self)
        self.slider.setObjectName("scrub")
        lay.addWidget(self.slider, 1)
        self.frame_box = QSpinBox(self)
        self.frame_box.setObjectName("frame")
        self.frame_box.setToolTip("Current frame")
        lay.addWidget(self.frame_box)
        self.time_label = QLabel("0:00.00", self)
        self.time_label.setObjectName("time")
        self.time_label.setMinimumWidth(64)
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
        self.fps_label.setMinimumWidth(96)
        lay.addWidget(self.fps_label)

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
    def _on_play_toggled(self, playing: bool) -> None:
        self.play_button.setText("\u23f8" if playing else "\u25b6")
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
        with QSignalBlocker(self.loop_last):
            self.loop_last.setValue(last)

    def set_frame(self, frame: int) -> None:
        for w in (self.slider, self.frame_box):
            with QSignalBlocker(w):
                w.setValue(int(frame))
        s = frame / self._fps
        self.time_label.setText(f"{int(s // 60)}:{s % 60:05.2f}")

    def set_playing(self, playing: bool) -> None:
        with QSignalBlocker(self.play_button):
            self.play_button.setChecked(playing)
        self.play_button.setText("\u23f8" if playing else "\u25b6")

    def set_shown_fps(self, shown: float | None) -> None:
        rate = f"({self._fps:g})"
        self.fps_label.setText(f"{shown:5.1f} fps {rate}" if shown is not None else f"-- fps {rate}")

    def loop_range(self) -> tuple[bool, int, int]:
        first, last = sorted((self.loop_first.value(), self.loop_last.value()))
        return self.loop_check.isChecked(), first, last
