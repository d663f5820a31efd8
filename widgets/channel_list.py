"""The channel list: every AU and speech control grouped by synergy zone, with visibility, mute,
solo and lock toggles.

Mute, solo and lock are the take's data, so toggling them only emits ``flag_requested``; the studio
turns it into a Command and calls ``set_take`` back. Visibility is view state (which lanes the
timeline shows): ``visibility_changed`` can be wired straight to ``TimelineWidget.set_channel_visible``.
"""
from __future__ import annotations

from typing import Iterable

from PySide6 import QtCore, QtWidgets

from core.anim.take import CHANNEL_NAMES, Take
from core.aus import AU_FACS_NAMES, AU_NAMES, AU_ZONE, SPEECH_NAMES, ZONES

from . import theme

FLAGS: tuple[str, ...] = ("mute", "solo", "lock")
_BUTTONS = (("visible", "V", "Show the channel's lane"), ("mute", "M", "Mute: the channel rests at 0"),
            ("solo", "S", "Solo: only soloed channels deform the face"),
            ("lock", "L", "Lock: the channel's keys cannot be edited"))
_ZONE_TITLES = {"brow": "Brow", "eyes": "Eyes", "cheek_nose": "Cheek / Nose", "mouth": "Mouth",
                "jaw_chin": "Jaw / Chin", "static": "Static"}


def _button_style(rgb_checked: str) -> str:
    return (
        "QToolButton { border: 1px solid %s; border-radius: 3px; background: %s; color: %s; padding: 0px;"
        " font-size: 8pt; font-weight: bold; }"
        "QToolButton:checked { background: %s; color: #111214; border-color: %s; }"
        "QToolButton:disabled { color: %s; }"
        % (theme.GRID, theme.BACKGROUND, theme.TEXT_DIM, rgb_checked, rgb_checked, theme.GRID)
    )


_CHECKED = {"visible": theme.ACCENT, "mute": "#9a9ca4", "solo": theme.KEY_SELECTED, "lock": "#e05a5a"}


class _ChannelRow(QtWidgets.QFrame):
    def __init__(self, channel: str, owner: "ChannelList"):
        super().__init__()
        self.channel = channel
        self._owner = owner
        self.setObjectName("channelRow")
        self.setFixedHeight(24)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 4, 0)
        lay.setSpacing(3)
        swatch = QtWidgets.QFrame()
        swatch.setFixedWidth(4)
        swatch.setStyleSheet(f"background: {theme.channel_qcolor(channel).name()}; border: none;")
        lay.addWidget(swatch)
        self.label = QtWidgets.QLabel(channel)
        self.label.setStyleSheet(f"color: {theme.channel_qcolor(channel).name()}; font-weight: bold;")
        self.label.setToolTip(AU_FACS_NAMES.get(channel, "speech control (driven by audio)"))
        lay.addWidget(self.label)
        desc = QtWidgets.QLabel(AU_FACS_NAMES.get(channel, "speech"))
        desc.setStyleSheet(f"color: {theme.TEXT_DIM}; font-size: 8pt;")
        desc.setToolTip(desc.text())
        # The description gives way (clipped) so the toggles stay in view in a narrow dock.
        desc.setSizePolicy(QtWidgets.QSizePolicy.Ignored, QtWidgets.QSizePolicy.Preferred)
        desc.setMinimumWidth(0)
        lay.addWidget(desc, 1)
        self.buttons: dict[str, QtWidgets.QToolButton] = {}
        for key, text, tip in _BUTTONS:
            b = QtWidgets.QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.setCheckable(True)
            b.setFixedSize(20, 18)
            b.setFocusPolicy(QtCore.Qt.NoFocus)
            b.setStyleSheet(_button_style(_CHECKED[key]))
            b.toggled.connect(lambda on, k=key: owner._on_button(channel, k, on))
            lay.addWidget(b)
            self.buttons[key] = b
        self.buttons["visible"].setChecked(True)

    def mousePressEvent(self, ev) -> None:
        self._owner.set_current_channel(self.channel)
        self._owner.channel_clicked.emit(self.channel)
        ev.accept()


class ChannelList(QtWidgets.QWidget):
    """Rows per channel (AUs by zone, then speech controls) with V / M / S / L toggles.

    Signals: ``flag_requested(channel, "mute"|"solo"|"lock", on)`` (an intent on the take),
    ``visibility_changed(channel, visible)`` (view state), ``channel_clicked(channel)``.
    """

    flag_requested = QtCore.Signal(str, str, bool)
    visibility_changed = QtCore.Signal(str, bool)
    channel_clicked = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._take: Take | None = None
        self._current: str | None = None
        self.rows: dict[str, _ChannelRow] = {}
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.NoFrame)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)  # rows fit the width
        outer.addWidget(scroll)
        body = QtWidgets.QWidget()
        body.setObjectName("channelBody")
        body.setStyleSheet(f"#channelBody {{ background: {theme.PANEL}; }}")
        lay = QtWidgets.QVBoxLayout(body)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(1)
        groups = [(z, [a for a in AU_NAMES if AU_ZONE[a] == z]) for z in ZONES]
        groups = [(_ZONE_TITLES[z], theme.qcolor(theme.zone_rgb(z)).name(), names) for z, names in groups if names]
        groups.append(("Speech", theme.qcolor(theme.SPEECH_COLOR).name(), list(SPEECH_NAMES)))
        for title, colour, names in groups:
            lay.addWidget(theme.section_header(title, colour))
            for name in names:
                row = _ChannelRow(name, self)
                self.rows[name] = row
                lay.addWidget(row)
        lay.addStretch(1)
        scroll.setWidget(body)
        self._restyle_rows()
        self.setMinimumWidth(200)  # the rows' descriptions give way; the toggles stay in view

    # ------------------------------------------------------------------ model -> widget
    def set_take(self, take: Take | None) -> None:
        """Show the take's mute / solo / lock flags (no signals are emitted)."""
        self._take = take
        if take is None:
            return
        for name, row in self.rows.items():
            curve = take.curves[name]
            for flag in FLAGS:
                b = row.buttons[flag]
                b.blockSignals(True)
                b.setChecked(bool(getattr(curve, flag)))
                b.blockSignals(False)
            row.label.setEnabled(not curve.mute)

    def refresh(self, channels: Iterable[str] | None = None) -> None:
        self.set_take(self._take)

    def set_channel_visible(self, channel: str, visible: bool) -> None:
        b = self.rows[channel].buttons["visible"]
        b.blockSignals(True)
        b.setChecked(bool(visible))
        b.blockSignals(False)

    def visible_channels(self) -> list[str]:
        return [n for n in CHANNEL_NAMES if self.rows[n].buttons["visible"].isChecked()]

    def set_current_channel(self, channel: str | None) -> None:
        self._current = channel
        self._restyle_rows()

    def current_channel(self) -> str | None:
        return self._current

    def button(self, channel: str, flag: str) -> QtWidgets.QToolButton:
        """The toggle of ``flag`` ("visible", "mute", "solo", "lock") on ``channel``'s row."""
        return self.rows[channel].buttons[flag]

    # ------------------------------------------------------------------ widget -> intents
    def _on_button(self, channel: str, key: str, on: bool) -> None:
        if key == "visible":
            self.visibility_changed.emit(channel, on)
            return
        # the model decides: show the take's state again until set_take brings the change back
        if self._take is not None:
            b = self.rows[channel].buttons[key]
            b.blockSignals(True)
            b.setChecked(bool(getattr(self._take.curves[channel], key)))
            b.blockSignals(False)
        self.flag_requested.emit(channel, key, on)

    def _restyle_rows(self) -> None:
        for name, row in self.rows.items():
            bg = theme.LANE_SELECTED if name == self._current else theme.PANEL
            row.setStyleSheet(f"#channelRow {{ background: {bg}; }}")
