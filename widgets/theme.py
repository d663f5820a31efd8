"""Colours and the dark palette shared by the studio's editing widgets.

Zone colours come from ``core.aus.ZONE_COLORS`` so the timeline, the channel list, the AU panel
and the viewport's zone overlay always agree.
"""
from __future__ import annotations

from PySide6 import QtGui, QtWidgets

from core.aus import AU_ZONE, SPEECH_NAMES, ZONE_COLORS


BACKGROUND = "#1e1f22"
PANEL = "#26272b"
LANE_EVEN = "#232428"
LANE_ODD = "#2a2b30"
LANE_SELECTED = "#33363e"
GRID = "#3a3c42"
GRID_MINOR = "#2e3035"
TEXT = "#d4d4d8"
TEXT_DIM = "#8a8c94"
ACCENT = "#4f9dff"
PLAYHEAD = "#ff7a1a"
KEY = "#e8e8ec"
KEY_SELECTED = "#ffb02e"
KEY_OUTLINE = "#101114"
WAVEFORM = "#5fb3a6"
BOX_SELECT = "#4f9dff"

#: Speech controls are driven by audio; they share the waveform's teal so they read as "sound".
SPEECH_COLOR = (0.37, 0.80, 0.74)


def zone_rgb(zone: str) -> tuple[float, float, float]:
    """RGB 0..1 of a synergy zone (ZONE_COLORS)."""
    return ZONE_COLORS[zone]


def channel_zone(channel: str) -> str | None:
    """The zone an AU channel lives in; None for the speech controls."""
    return AU_ZONE.get(channel)


def channel_rgb(channel: str) -> tuple[float, float, float]:
    """RGB 0..1 used for a channel's label and curve."""
    if channel in SPEECH_NAMES:
        return SPEECH_COLOR
    return ZONE_COLORS[AU_ZONE.get(channel, "static")]


def qcolor(rgb: tuple[float, float, float] | str, alpha: float = 1.0) -> QtGui.QColor:
    """A QColor from an RGB 0..1 tuple or a '#rrggbb' string."""
    if isinstance(rgb, str):
        c = QtGui.QColor(rgb)
    else:
        c = QtGui.QColor.fromRgbF(float(rgb[0]), float(rgb[1]), float(rgb[2]))
    c.setAlphaF(float(alpha))
    return c


def channel_qcolor(channel: str, alpha: float = 1.0) -> QtGui.QColor:
    return qcolor(channel_rgb(channel), alpha)


def dark_palette() -> QtGui.QPalette:
    """The studio's dark palette (Fusion style expected)."""
    p = QtGui.QPalette()
    roles = {
        QtGui.QPalette.Window: PANEL, QtGui.QPalette.WindowText: TEXT, QtGui.QPalette.Base: BACKGROUND,
        QtGui.QPalette.AlternateBase: LANE_ODD, QtGui.QPalette.ToolTipBase: PANEL,
        QtGui.QPalette.ToolTipText: TEXT, QtGui.QPalette.Text: TEXT, QtGui.QPalette.Button: "#303136",
        QtGui.QPalette.ButtonText: TEXT, QtGui.QPalette.BrightText: "#ffffff",
        QtGui.QPalette.Highlight: ACCENT, QtGui.QPalette.HighlightedText: "#ffffff",
        QtGui.QPalette.PlaceholderText: TEXT_DIM,
    }
    for role, colour in roles.items():
        p.setColor(role, QtGui.QColor(colour))
    p.setColor(QtGui.QPalette.Disabled, QtGui.QPalette.Text, QtGui.QColor(TEXT_DIM))
    p.setColor(QtGui.QPalette.Disabled, QtGui.QPalette.ButtonText, QtGui.QColor(TEXT_DIM))
    p.setColor(QtGui.QPalette.Disabled, QtGui.QPalette.WindowText, QtGui.QColor(TEXT_DIM))
    return p


def apply_dark_theme(app: QtWidgets.QApplication) -> None:
    """Fusion style with the dark palette, for the whole application."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())


def section_header(title: str, colour: str) -> QtWidgets.QLabel:
    """The zone-coloured group title used by the channel list and the AU panel."""
    head = QtWidgets.QLabel(title.upper())
    head.setStyleSheet(f"color: {colour}; font-size: 8pt; font-weight: bold; padding: 6px 2px 1px 6px;"
                       f" border-bottom: 1px solid {GRID};")
    return head
