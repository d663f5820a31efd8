"""The timeline: a waveform lane and one lane per channel with its curve and keys (pyqtgraph).

The view never edits the take. It shows ``set_take``'s take and turns mouse and keyboard input
into intents (Qt signals with plain data: channel names, key indices, frames, values); the studio
turns them into Commands and hands the new take back. Selection lives in a ``SelectionModel``
(core.document), which is view state and is edited here directly.

Coordinates: x is the frame; y is the lane, lane ``i`` spanning [i, i+1] top to bottom (the
ViewBox is y-inverted). Lane 0 is the waveform, lanes 1.. are the visible channels.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable, Mapping

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from core.anim.curve import Curve, HandleType, Interpolation, evaluate
from core.anim.edit import Clipboard, copy_keys, indices_at, move_keys
from core.anim.take import CHANNEL_NAMES, SPEECH_MAX, SPEECH_MIN, Take
from core.audio.waveform import WaveformSummary
from core.aus import AU_FACS_NAMES, AU_MAX, AU_MIN, SPEECH_NAMES
from core.document.selection import SelectionModel

from . import theme

WAVEFORM_LANE = "audio"
#: Fraction of a lane kept free above the maximum and below the minimum value.
LANE_PAD = 0.14
LABEL_WIDTH = 150
DEFAULT_LANE_PX = 34
MIN_LANE_PX = 14
MAX_LANE_PX = 160
KEY_HIT_PX = 7
KEY_SIZE = 9
PLAYHEAD_GRAB_PX = 4

Selection = dict[str, list[int]]
_GRID_STEPS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000)


def channel_range(channel: str) -> tuple[float, float]:
    """(min, max) value a channel's lane shows: AUs 0..5, speech controls 0..1."""
    return (SPEECH_MIN, SPEECH_MAX) if channel in SPEECH_NAMES else (AU_MIN, AU_MAX)


def value_to_lane_y(channel: str, lane: int, values: np.ndarray) -> np.ndarray:
    """Values [N] of ``channel`` -> view y [N] inside lane ``lane`` (larger values higher up)."""
    lo, hi = channel_range(channel)
    t = (np.asarray(values, dtype=np.float64) - lo) / (hi - lo)
    return lane + 1.0 - LANE_PAD - t * (1.0 - 2.0 * LANE_PAD)


def lane_dy_to_value(channel: str, dy: float) -> float:
    """A vertical move of ``dy`` lanes (down positive) as a change of the channel's value."""
    lo, hi = channel_range(channel)
    return -float(dy) / (1.0 - 2.0 * LANE_PAD) * (hi - lo)


@dataclasses.dataclass
class _Drag:
    mode: str  # "keys", "box", "scrub", "pan"
    press_view: QtCore.QPointF
    press_px: QtCore.QPoint
    started: bool = False
    drag_id: int = 0
    selection: Selection = dataclasses.field(default_factory=dict)
    dframe: float = 0.0
    dvalues: dict[str, float] = dataclasses.field(default_factory=dict)
    extend: bool = False
    x_range: tuple[float, float] = (0.0, 1.0)
    click_key: tuple[str, int] | None = None
    base: Take | None = None


class _LaneBands(pg.GraphicsObject):
    """Alternating lane backgrounds, separators and the active lane highlight, painted in view
    coordinates for the visible lanes only."""

    def __init__(self, timeline: "TimelineWidget"):
        super().__init__()
        self._tl = timeline
        self.setZValue(-100)

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(-1e7, -1e3, 2e7, 1e5)

    def paint(self, p: QtGui.QPainter, *args) -> None:
        vb = self._tl._vb
        (x0, x1), (y0, y1) = vb.viewRange()
        lanes = self._tl._lanes
        active = self._tl._active_channel
        first, last = max(0, int(np.floor(y0))), min(len(lanes), int(np.ceil(y1)) + 1)
        p.setPen(QtCore.Qt.NoPen)
        for i in range(first, last):
            name = lanes[i]
            if name == active:
                colour = theme.LANE_SELECTED
            else:
                colour = theme.LANE_ODD if i % 2 else theme.LANE_EVEN
            p.setBrush(QtGui.QColor(colour))
            p.drawRect(QtCore.QRectF(x0, i, x1 - x0, 1.0))
        sep = QtGui.QPen(QtGui.QColor(theme.GRID_MINOR))
        sep.setCosmetic(True)
        p.setPen(sep)
        for i in range(first, last):
            p.drawLine(QtCore.QPointF(x0, i + 1.0), QtCore.QPointF(x1, i + 1.0))
        # frame grid, drawn here because the bands would hide the axis' own grid
        pw = max(1e-9, vb.viewPixelSize()[0])
        step = next((s for s in _GRID_STEPS if s / pw >= 64), _GRID_STEPS[-1])
        major = QtGui.QPen(QtGui.QColor(theme.GRID))
        major.setCosmetic(True)
        minor = QtGui.QPen(QtGui.QColor(theme.GRID_MINOR))
        minor.setCosmetic(True)
        sub = step / 5 if step >= 5 and step / 5 / pw >= 10 else None
        if sub:
            p.setPen(minor)
            for x in np.arange(np.ceil(x0 / sub) * sub, x1, sub):
                p.drawLine(QtCore.QPointF(x, y0), QtCore.QPointF(x, y1))
        p.setPen(major)
        for x in np.arange(np.ceil(x0 / step) * step, x1, step):
            p.drawLine(QtCore.QPointF(x, y0), QtCore.QPointF(x, y1))
        # the take's end: frames past it are never played
        dur = self._tl._take.duration if self._tl._take is not None else None
        if dur is not None and x1 > dur - 1:
            p.setPen(QtCore.Qt.NoPen)
            p.setBrush(QtGui.QColor(0, 0, 0, 70))
            p.drawRect(QtCore.QRectF(dur - 1, y0, x1 - dur + 1, y1 - y0))
        if x0 < 0:
            p.setPen(QtCore.Qt.NoPen)
            p.setBrush(QtGui.QColor(0, 0, 0, 70))
            p.drawRect(QtCore.QRectF(x0, y0, -x0, y1 - y0))


class _LaneLabels(QtWidgets.QWidget):
    """The channel names beside the lanes, coloured by synergy zone, aligned to the ViewBox."""

    clicked = QtCore.Signal(str)

    def __init__(self, timeline: "TimelineWidget"):
        super().__init__(timeline)
        self._tl = timeline
        self.setFixedWidth(LABEL_WIDTH)
        self.setAutoFillBackground(False)

    def lane_at(self, y: float) -> str | None:
        top, height = self._tl._viewbox_widget_span()
        (_, _), (y0, y1) = self._tl._vb.viewRange()
        if height <= 0:
            return None
        lane = int(np.floor(y0 + (y - top) / height * (y1 - y0)))
        lanes = self._tl._lanes
        return lanes[lane] if 0 <= lane < len(lanes) else None

    def mousePressEvent(self, ev: QtGui.QMouseEvent) -> None:
        name = self.lane_at(ev.position().y())
        if name is not None and name != WAVEFORM_LANE:
            self.clicked.emit(name)
        ev.accept()

    def paintEvent(self, ev) -> None:
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), QtGui.QColor(theme.PANEL))
        top, height = self._tl._viewbox_widget_span()
        (_, _), (y0, y1) = self._tl._vb.viewRange()
        if height <= 0 or y1 <= y0:
            return
        px = height / (y1 - y0)
        # above the lanes, beside the ruler: the playhead as frame and timecode
        take = self._tl._take
        frame = self._tl._frame
        fps = take.fps if take is not None else 25.0
        seconds = frame / fps
        p.setPen(QtGui.QColor(theme.PLAYHEAD))
        p.drawText(QtCore.QRectF(10, 0, self.width() - 14, top), QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter,
                   f"{frame}")
        p.setPen(QtGui.QColor(theme.TEXT_DIM))
        p.drawText(QtCore.QRectF(10, 0, self.width() - 14, top), QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter,
                   f"{int(seconds // 60):02d}:{seconds % 60:05.2f}")
        p.setClipRect(QtCore.QRectF(0, top, self.width(), height))
        lanes = self._tl._lanes
        font = p.font()
        font.setPointSizeF(9.0)
        small = QtGui.QFont(font)
        small.setPointSizeF(7.5)
        for i in range(max(0, int(np.floor(y0))), min(len(lanes), int(np.ceil(y1)) + 1)):
            name = lanes[i]
            y = top + (i - y0) * px
            rect = QtCore.QRectF(0, y, self.width(), px)
            active = name == self._tl._active_channel
            p.fillRect(rect, QtGui.QColor(theme.LANE_SELECTED if active else
                                          (theme.LANE_ODD if i % 2 else theme.LANE_EVEN)))
            p.setPen(QtGui.QColor(theme.GRID_MINOR))
            p.drawLine(QtCore.QPointF(0, y + px), QtCore.QPointF(self.width(), y + px))
            if name == WAVEFORM_LANE:
                colour = theme.qcolor(theme.WAVEFORM)
                title, sub = "Audio", ""
            else:
                colour = theme.channel_qcolor(name)
                title = name
                sub = AU_FACS_NAMES.get(name)
                if sub is None:
                    drive = take.speech.get(name) if take is not None else None
                    sub = "speech: curve" if drive is not None and drive.uses_curve else "speech: from audio"
            curve = take.curves[name] if take is not None and name in take.curves else None
            dim = curve is not None and curve.mute
            p.fillRect(QtCore.QRectF(0, y + 1, 4, px - 2), colour)
            text_colour = QtGui.QColor(colour)
            if dim:
                text_colour.setAlphaF(0.45)
            p.setFont(font)
            p.setPen(text_colour)
            if px >= 30 and sub:
                p.drawText(QtCore.QRectF(10, y + 2, self.width() - 40, px / 2),
                           QtCore.Qt.AlignLeft | QtCore.Qt.AlignBottom, title)
                p.setFont(small)
                p.setPen(QtGui.QColor(theme.TEXT_DIM))
                p.drawText(QtCore.QRectF(10, y + px / 2, self.width() - 14, px / 2 - 2),
                           QtCore.Qt.AlignLeft | QtCore.Qt.AlignTop, sub)
            else:
                p.drawText(QtCore.QRectF(10, y, self.width() - 40, px),
                           QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter, title)
            if curve is not None:
                flags = "".join(f for f, on in (("M", curve.mute), ("S", curve.solo), ("L", curve.lock)) if on)
                if flags:
                    p.setFont(small)
                    p.setPen(QtGui.QColor(theme.KEY_SELECTED))
                    p.drawText(QtCore.QRectF(self.width() - 34, y, 30, min(px, 20)),
                               QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter, flags)
        p.end()


class _FrameAxis(pg.AxisItem):
    """The frame ruler: whole frame numbers only."""

    def tickValues(self, minVal, maxVal, size):
        levels = super().tickValues(minVal, maxVal, size)
        out = []
        for spacing, values in levels:
            if spacing < 1:
                continue
            out.append((spacing, [v for v in values if float(v).is_integer()]))
        return out or [(1.0, [float(v) for v in range(int(np.ceil(minVal)), int(maxVal) + 1)])]

    def tickStrings(self, values, scale, spacing):
        return [str(int(round(v))) for v in values]


class TimelineWidget(QtWidgets.QWidget):
    """Lanes of curves and keys over a frame ruler, with a playhead.

    Intents (the widget never changes the take):

    - ``current_frame_changed(frame)``; ``scrub_started(frame)``, ``scrubbed(frame)``,
      ``scrub_finished(frame)`` while the playhead is dragged (the studio plays the audio there).
    - ``keys_insert_requested([(channel, frame, value), ...])``: I.
    - ``keys_delete_requested({channel: [index, ...]})``: X / Delete.
    - ``keys_moved_preview(drag_id, selection, dframe, {channel: dvalue})`` during a key drag and
      ``keys_move_committed`` with the same arguments once on release; ``keys_move_cancelled(drag_id)``
      when Esc or the right button aborts it (the studio undoes its preview). dframe is whole frames.
    - ``paste_requested(clipboard, frame)``: Ctrl+V; the clipboard is a ``core.anim.edit.Clipboard``
      and its earliest key lands on ``frame`` (the playhead).
    - ``interpolation_requested(selection, "constant"|"linear"|"bezier")`` and
      ``handle_type_requested(selection, "auto_clamped"|"auto"|"vector"|"free")``: context menu.
    - ``active_channel_changed(channel)``.

    Selections are ``{channel: [key index, ...]}``; locked channels are left out of every edit.
    """

    current_frame_changed = QtCore.Signal(int)
    scrub_started = QtCore.Signal(int)
    scrubbed = QtCore.Signal(int)
    scrub_finished = QtCore.Signal(int)
    keys_insert_requested = QtCore.Signal(object)
    keys_delete_requested = QtCore.Signal(object)
    keys_moved_preview = QtCore.Signal(int, object, float, object)
    keys_move_committed = QtCore.Signal(int, object, float, object)
    keys_move_cancelled = QtCore.Signal(int)
    paste_requested = QtCore.Signal(object, int)
    interpolation_requested = QtCore.Signal(object, str)
    handle_type_requested = QtCore.Signal(object, str)
    active_channel_changed = QtCore.Signal(str)
    selection_changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None, selection: SelectionModel | None = None):
        super().__init__(parent)
        self.setFocusPolicy(QtCore.Qt.StrongFocus)
        self._take: Take | None = None
        self._selection = selection if selection is not None else SelectionModel()
        self._selection.add_listener(self._on_selection)
        self._hidden: set[str] = set()
        self._lanes: list[str] = [WAVEFORM_LANE] + list(CHANNEL_NAMES)
        self._active_channel: str | None = None
        self._frame = 0
        self._lane_px = float(DEFAULT_LANE_PX)
        self._top = 0.0
        self._drag: _Drag | None = None
        self._drag_counter = 0
        self._preview: dict[str, Curve] = {}
        self._preview_selected: dict[str, set[float]] = {}
        self._pending_sel_frames: dict[str, set[float]] | None = None
        self._clipboard: Clipboard | None = None
        self._wave: WaveformSummary | None = None
        self._wave_rate = 1
        self._wave_offset = 0.0
        self._menu: QtWidgets.QMenu | None = None
        self._batch = False

        self._plot = pg.PlotWidget(axisItems={"top": _FrameAxis("top")}, background=theme.BACKGROUND)
        self._plot.setFocusPolicy(QtCore.Qt.NoFocus)
        self._plot.setMouseTracking(True)
        item = self._plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.hideAxis("bottom")
        item.hideAxis("left")
        item.showAxis("top")
        item.layout.setContentsMargins(0, 0, 4, 0)
        axis = item.getAxis("top")
        axis.setPen(pg.mkPen(theme.GRID))
        axis.setTextPen(pg.mkPen(theme.TEXT))
        axis.setHeight(26)
        axis.setStyle(tickTextOffset=4, tickLength=-6)
        font = QtGui.QFont()
        font.setPointSizeF(8.5)
        axis.setTickFont(font)
        self._vb: pg.ViewBox = item.getViewBox()
        self._vb.setMouseEnabled(False, False)
        self._vb.setMenuEnabled(False)
        self._vb.invertY(True)
        self._vb.setDefaultPadding(0.0)
        self._vb.disableAutoRange()

        self._bands = _LaneBands(self)
        self._vb.addItem(self._bands, ignoreBounds=True)
        self._wave_item = pg.PlotCurveItem(pen=pg.mkPen(theme.WAVEFORM, width=1), connect="pairs")
        self._vb.addItem(self._wave_item, ignoreBounds=True)
        self._curve_items: dict[str, pg.PlotCurveItem] = {}
        # selected and unselected keys are two items with one style each: per-point brushes
        # would make pyqtgraph render a symbol per key on every redraw
        self._key_items: dict[str, pg.ScatterPlotItem] = {}
        self._sel_items: dict[str, pg.ScatterPlotItem] = {}
        outline = pg.mkPen(theme.KEY_OUTLINE, width=1)
        self._key_brush = pg.mkBrush(theme.KEY)
        self._locked_brush = pg.mkBrush(theme.qcolor(theme.KEY, 0.45))
        for name in CHANNEL_NAMES:
            c = pg.PlotCurveItem(pen=pg.mkPen(theme.channel_qcolor(name), width=1.6), antialias=True)
            k = pg.ScatterPlotItem(size=KEY_SIZE, symbol="d", pxMode=True, antialias=True, pen=outline,
                                   brush=self._key_brush)
            k.setZValue(10)
            ks = pg.ScatterPlotItem(size=KEY_SIZE + 3, symbol="d", pxMode=True, antialias=True, pen=outline,
                                    brush=pg.mkBrush(theme.KEY_SELECTED))
            ks.setZValue(11)
            for item in (c, k, ks):
                self._vb.addItem(item, ignoreBounds=True)
            self._curve_items[name] = c
            self._key_items[name] = k
            self._sel_items[name] = ks
        self._pens: dict[tuple[str, bool], QtGui.QPen] = {}
        # bezier handles of the selected keys, all lanes in one item each
        self._handle_lines = pg.PlotCurveItem(pen=pg.mkPen(theme.qcolor(theme.KEY_SELECTED, 0.5), width=1),
                                              connect="pairs")
        # hollow, so handle ends never read as keys
        self._handle_dots = pg.ScatterPlotItem(size=6, symbol="o", pxMode=True, pen=pg.mkPen(theme.KEY_SELECTED),
                                               brush=pg.mkBrush(theme.BACKGROUND))
        self._handle_lines.setZValue(9)
        self._handle_dots.setZValue(9)
        self._vb.addItem(self._handle_lines, ignoreBounds=True)
        self._vb.addItem(self._handle_dots, ignoreBounds=True)
        self._eval_cache: dict[str, tuple[Curve, tuple]] = {}
        self._playhead = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(theme.PLAYHEAD, width=2))
        self._playhead.setZValue(50)
        self._vb.addItem(self._playhead, ignoreBounds=True)
        self._playhead_label = pg.TextItem("0", color="#101114", fill=pg.mkBrush(theme.PLAYHEAD), anchor=(0.5, 0))
        self._playhead_label.setZValue(51)
        self._vb.addItem(self._playhead_label, ignoreBounds=True)
        # the rubber band is a pyqtgraph (QObject) item: a plain QGraphicsRectItem held from
        # Python is deleted twice (by the scene, then by its wrapper) once the widget goes away
        self._box = pg.PlotCurveItem(pen=pg.mkPen(theme.BOX_SELECT, width=1, style=QtCore.Qt.DashLine),
                                     brush=pg.mkBrush(theme.qcolor(theme.BOX_SELECT, 0.15)))
        self._box.setZValue(60)
        self._box.setVisible(False)
        self._vb.addItem(self._box, ignoreBounds=True)

        self._labels = _LaneLabels(self)
        self._labels.clicked.connect(self.set_active_channel)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._labels)
        layout.addWidget(self._plot, 1)

        self._plot.viewport().installEventFilter(self)
        self._vb.sigRangeChanged.connect(self._on_range_changed)
        self._vb.sigResized.connect(self._apply_lane_range)
        self._vb.setXRange(-2, 250, padding=0)
        self._apply_lane_range()
        self.resize(1100, 720)

    # ------------------------------------------------------------------ model -> widget
    def set_take(self, take: Take | None) -> None:
        """Show ``take`` (the model's new state): drops any preview, keeps the selection valid.

        During a key drag the studio may hand back its live-preview takes: they are stored, but
        the drag keeps measuring from the take it started on and keeps drawing its own preview."""
        first = self._take is None
        self._take = take
        drag = self._drag
        if take is not None and drag is not None and drag.mode == "keys" and drag.started:
            self._redraw()
            return
        self._preview = {}
        self._preview_selected = {}
        if take is not None:
            self._batch = True
            try:
                if self._pending_sel_frames is not None:
                    self._reselect_frames(self._pending_sel_frames)
                    self._pending_sel_frames = None
                self._selection.prune({n: len(c) for n, c in take.curves.items()})
            finally:
                self._batch = False
            if first:
                self.frame_all()
        self._redraw()

    def refresh(self, channels: Iterable[str] | None = None) -> None:
        """Redraw ``channels`` (all when None) from the current take."""
        self._redraw(None if channels is None else set(channels))

    def set_audio(self, samples: np.ndarray | None, sample_rate: int = 1, offset_s: float = 0.0) -> None:
        """The sound for the waveform lane: samples [S] or [S, C] at ``sample_rate``; ``offset_s``
        delays it on the timeline (Take.audio.offset). None clears the lane."""
        self._wave = None if samples is None else WaveformSummary(samples)
        self._wave_rate = int(sample_rate)
        self._wave_offset = float(offset_s)
        self._redraw_waveform()

    def set_waveform(self, summary: WaveformSummary | None, sample_rate: int = 1, offset_s: float = 0.0) -> None:
        """Like ``set_audio`` with a pyramid already built (shared with other views)."""
        self._wave, self._wave_rate, self._wave_offset = summary, int(sample_rate), float(offset_s)
        self._redraw_waveform()

    def set_current_frame(self, frame: int) -> None:
        """Move the playhead (no signal: this is the model talking)."""
        self._frame = int(frame)
        self._update_playhead()

    def current_frame(self) -> int:
        return self._frame

    def set_channel_visible(self, channel: str, visible: bool) -> None:
        if channel not in CHANNEL_NAMES:
            raise KeyError(f"unknown channel {channel!r}")
        if visible:
            self._hidden.discard(channel)
        else:
            self._hidden.add(channel)
        self._relayout()

    def set_visible_channels(self, channels: Iterable[str]) -> None:
        keep = set(channels)
        self._hidden = {c for c in CHANNEL_NAMES if c not in keep}
        self._relayout()

    def visible_channels(self) -> list[str]:
        return [n for n in self._lanes if n != WAVEFORM_LANE]

    def set_active_channel(self, channel: str | None) -> None:
        if channel == self._active_channel:
            return
        self._active_channel = channel
        self._bands.update()
        self._labels.update()
        if channel is not None:
            self.active_channel_changed.emit(channel)

    def active_channel(self) -> str | None:
        return self._active_channel

    @property
    def selection(self) -> SelectionModel:
        return self._selection

    def clipboard(self) -> Clipboard | None:
        return self._clipboard

    # ------------------------------------------------------------------ view range
    def frame_all(self) -> None:
        """Home: the whole take in x, every lane in y."""
        dur = self._take.duration if self._take is not None else 250
        first, last = 0.0, float(dur - 1)
        if self._take is not None:
            xs = [c.frames for c in self._take.curves.values() if len(c)]
            if xs:
                allx = np.concatenate(xs)
                first, last = min(first, float(allx.min())), max(last, float(allx.max()))
        pad = max(1.0, 0.02 * (last - first))
        self._vb.setXRange(first - pad, last + pad, padding=0)
        height = self._vb.height()
        if height > 0:
            self._lane_px = float(np.clip(height / len(self._lanes), MIN_LANE_PX, MAX_LANE_PX))
        self._top = 0.0
        self._apply_lane_range()

    def set_frame_range(self, first: float, last: float) -> None:
        self._vb.setXRange(float(first), float(last), padding=0)

    def frame_range(self) -> tuple[float, float]:
        (x0, x1), _ = self._vb.viewRange()
        return float(x0), float(x1)

    def scroll_to_channel(self, channel: str) -> None:
        lane = self._lane_index(channel)
        if lane is None:
            return
        (_, _), (y0, y1) = self._vb.viewRange()
        if not (y0 <= lane and lane + 1 <= y1):
            self._top = max(0.0, lane - 1.0)
            self._apply_lane_range()

    def _apply_lane_range(self) -> None:
        height = max(1.0, float(self._vb.height()))
        span = height / self._lane_px
        self._top = float(np.clip(self._top, 0.0, max(0.0, len(self._lanes) - span)))
        self._vb.setYRange(self._top, self._top + span, padding=0)

    def _relayout(self) -> None:
        self._lanes = [WAVEFORM_LANE] + [n for n in CHANNEL_NAMES if n not in self._hidden]
        self._apply_lane_range()
        self._redraw()

    def _on_range_changed(self, *args) -> None:
        self._redraw()

    # ------------------------------------------------------------------ geometry
    def _lane_index(self, channel: str) -> int | None:
        try:
            return self._lanes.index(channel)
        except ValueError:
            return None

    def _viewbox_widget_span(self) -> tuple[float, float]:
        """(top, height) of the ViewBox in this widget's (and the label column's) y pixels."""
        rect = self._plot.mapFromScene(self._vb.sceneBoundingRect()).boundingRect()
        top = self._plot.mapTo(self, rect.topLeft()).y()
        return float(top), float(rect.height())

    def _to_view(self, pos: QtCore.QPointF | QtCore.QPoint) -> QtCore.QPointF:
        return self._vb.mapSceneToView(self._plot.mapToScene(QtCore.QPoint(int(pos.x()), int(pos.y()))))

    def view_to_viewport(self, frame: float, y: float) -> QtCore.QPoint:
        """A view point (frame, lane y) in the plot viewport's pixels."""
        return self._plot.mapFromScene(self._vb.mapViewToScene(QtCore.QPointF(frame, y)))

    def key_viewport_pos(self, channel: str, index: int) -> QtCore.QPoint:
        """Where key ``index`` of ``channel`` is drawn, in the plot viewport's pixels."""
        lane = self._lane_index(channel)
        if lane is None or self._take is None:
            raise KeyError(f"channel {channel!r} has no visible lane")
        k = self._take.curves[channel].keys[index]
        y = float(value_to_lane_y(channel, lane, np.array([k.value]))[0])
        return self.view_to_viewport(k.frame, y)

    def lane_viewport_y(self, channel: str) -> int:
        lane = self._lane_index(channel)
        if lane is None:
            raise KeyError(f"channel {channel!r} has no visible lane")
        return self.view_to_viewport(0.0, lane + 0.5).y()

    def plot_viewport(self) -> QtWidgets.QWidget:
        """The widget receiving the lanes' mouse input."""
        return self._plot.viewport()

    def _curve(self, name: str) -> Curve:
        return self._preview.get(name) or self._take.curves[name]

    def _hit_key(self, view: QtCore.QPointF) -> tuple[str, int] | None:
        if self._take is None:
            return None
        lane = int(np.floor(view.y()))
        if not 0 < lane < len(self._lanes):
            return None
        name = self._lanes[lane]
        curve = self._take.curves[name]
        if not len(curve):
            return None
        pw, ph = self._vb.viewPixelSize()
        ys = value_to_lane_y(name, lane, curve.values)
        d = np.hypot((curve.frames - view.x()) / pw, (ys - view.y()) / ph)
        i = int(np.argmin(d))
        return (name, i) if d[i] <= KEY_HIT_PX else None

    def _editable_selection(self) -> Selection:
        if self._take is None:
            return {}
        return {c: idx for c, idx in self._selection.as_dict().items() if not self._take.curves[c].lock}

    # ------------------------------------------------------------------ drawing
    def _redraw(self, channels: set[str] | None = None) -> None:
        if self._batch:
            return
        (x0, x1), (y0, y1) = self._vb.viewRange()
        width = max(2, int(self._vb.width()))
        visible_lanes = set(range(max(0, int(np.floor(y0))), min(len(self._lanes), int(np.ceil(y1)) + 1)))
        # one sample per two pixels is smooth enough and halves the bezier solves
        xs = np.linspace(x0, x1, min(width // 2 + 2, 2000))
        sel = self._selection.as_dict()
        for name in CHANNEL_NAMES:
            if channels is not None and name not in channels:
                continue
            lane = self._lane_index(name)
            citem, kitem, sitem = self._curve_items[name], self._key_items[name], self._sel_items[name]
            if self._take is None or lane is None or lane not in visible_lanes:
                for item in (citem, kitem, sitem):
                    item.setVisible(False)
                continue
            curve = self._curve(name)
            citem.setPen(self._curve_pen(name, curve.mute))
            # curves are immutable, so an unchanged curve over an unchanged range and lane is
            # not evaluated again (selection changes and single-channel edits redraw cheaply)
            key = (x0, x1, len(xs), lane)
            cached = self._eval_cache.get(name)
            if cached is None or cached[0] is not curve or cached[1] != key:
                if len(curve):
                    ys = value_to_lane_y(name, lane, evaluate(curve, xs, respect_mute=False))
                else:
                    ys = np.full(xs.shape, value_to_lane_y(name, lane, np.zeros(1))[0])
                citem.setData(xs, ys)
                self._eval_cache[name] = (curve, key)
            citem.setVisible(True)
            frames = curve.frames
            lo, hi = np.searchsorted(frames, [x0 - 1.0, x1 + 1.0])
            if name in self._preview:
                selected = np.isin(frames[lo:hi], np.fromiter(self._preview_selected.get(name, ()), float))
            else:
                selected = np.zeros(hi - lo, dtype=bool)
                chosen = np.asarray(sel.get(name, ()), dtype=np.int64)
                chosen = chosen[(chosen >= lo) & (chosen < hi)] - lo
                selected[chosen] = True
            ys = value_to_lane_y(name, lane, curve.values[lo:hi])
            fx = frames[lo:hi]
            brush = self._locked_brush if curve.lock else self._key_brush
            if kitem.opts["brush"] is not brush:
                kitem.setBrush(brush)
            kitem.setData(fx[~selected], ys[~selected])
            sitem.setData(fx[selected], ys[selected])
            kitem.setVisible(True)
            sitem.setVisible(True)
        self._redraw_handles(visible_lanes)
        if channels is None:
            self._redraw_waveform()
            self._update_playhead()
            self._bands.update()
            self._labels.update()

    def _redraw_handles(self, visible_lanes: set[int]) -> None:
        """Lines from each selected bezier key to its handles: [2 per handle] points."""
        xs, ys = [], []
        if self._take is not None and not self._preview:
            for name, idx in self._selection.as_dict().items():
                lane = self._lane_index(name)
                if lane is None or lane not in visible_lanes:
                    continue
                arr = self._take.curves[name].arrays
                idx = np.asarray([i for i in idx if i < len(arr.x)], dtype=np.int64)
                if not len(idx):
                    continue
                # a handle matters where a bezier segment uses it: right of a bezier key,
                # left of a key that a bezier segment comes into
                right = idx[arr.interp[idx] == 2]
                left = idx[(idx > 0) & (arr.interp[np.maximum(idx - 1, 0)] == 2)]
                for sel, handles in ((right, arr.hr), (left, arr.hl)):
                    if not len(sel):
                        continue
                    kx, ky = arr.x[sel], value_to_lane_y(name, lane, arr.y[sel])
                    hx, hy = handles[sel, 0], value_to_lane_y(name, lane, handles[sel, 1])
                    xs.append(np.stack([kx, hx], 1).ravel())
                    ys.append(np.stack([ky, hy], 1).ravel())
        if xs:
            x, y = np.concatenate(xs), np.concatenate(ys)
            self._handle_lines.setData(x, y)
            self._handle_dots.setData(x[1::2], y[1::2])
            self._handle_lines.setVisible(True)
            self._handle_dots.setVisible(True)
        else:
            self._handle_lines.setVisible(False)
            self._handle_dots.setVisible(False)

    def handle_points(self) -> np.ndarray:
        """The drawn handle ends [H, 2] (frame, lane y) of the selected bezier keys."""
        if not self._handle_dots.isVisible():
            return np.zeros((0, 2))
        x, y = self._handle_dots.getData()
        return np.stack([np.asarray(x), np.asarray(y)], 1)

    def _curve_pen(self, name: str, muted: bool) -> QtGui.QPen:
        key = (name, muted)
        if key not in self._pens:
            colour = theme.channel_qcolor(name, 0.35 if muted else 1.0)
            self._pens[key] = pg.mkPen(colour, width=1.6, style=QtCore.Qt.DashLine if muted else QtCore.Qt.SolidLine)
        return self._pens[key]

    def drawn_keys(self, channel: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keys of ``channel`` as drawn now (the preview during a drag), sorted by frame:
        frames [K], values [K], selected [K] bool."""
        out = []
        for item, sel in ((self._key_items[channel], False), (self._sel_items[channel], True)):
            x, _ = item.getData()
            if item.isVisible() and x is not None:
                out += [(float(f), sel) for f in x]
        out.sort()
        frames = np.array([f for f, _ in out])
        curve = self._curve(channel) if self._take is not None else Curve()
        values = np.array([curve.values[curve.index_at(f)] for f in frames]) if len(frames) else np.zeros(0)
        return frames, values, np.array([s for _, s in out], dtype=bool)

    def _redraw_waveform(self) -> None:
        if self._wave is None or self._take is None:
            self._wave_item.setVisible(False)
            return
        (x0, x1), (y0, y1) = self._vb.viewRange()
        if y0 > 1.0:
            self._wave_item.setVisible(False)
            return
        columns = max(2, int(self._vb.width()))
        fps = self._take.fps
        start = (x0 / fps - self._wave_offset) * self._wave_rate
        end = (x1 / fps - self._wave_offset) * self._wave_rate
        mins, maxs = self._wave.summary(int(np.floor(start)), int(np.ceil(end)), columns)
        xs = x0 + (np.arange(columns) + 0.5) * (x1 - x0) / columns
        peak = max(1e-3, float(np.max(np.abs(np.concatenate([mins, maxs])))) if columns else 1.0)
        scale = 0.45 / max(peak, 0.25)
        # a vertical segment per pixel column: the envelope fills itself in
        x = np.repeat(xs, 2)
        y = np.empty(2 * columns)
        y[0::2] = 0.5 - maxs * scale
        y[1::2] = 0.5 - np.minimum(mins, maxs - 1e-4) * scale
        self._wave_item.setData(x, y)
        self._wave_item.setVisible(True)

    def waveform_envelope(self) -> tuple[np.ndarray, np.ndarray]:
        """The waveform lane as drawn: column frames [C] and lane-y pairs [C, 2] (top, bottom)."""
        x, y = self._wave_item.getData()
        if x is None or not self._wave_item.isVisible():
            return np.zeros(0), np.zeros((0, 2))
        return np.asarray(x[0::2]), np.asarray(y).reshape(-1, 2)

    def _update_playhead(self) -> None:
        self._labels.update()
        self._playhead.setValue(self._frame)
        (_, _), (y0, _) = self._vb.viewRange()
        self._playhead_label.setText(str(self._frame))
        self._playhead_label.setPos(self._frame, y0)

    def _on_selection(self) -> None:
        if self._batch:
            return
        self._redraw()
        self.selection_changed.emit()

    def _reselect_frames(self, frames: Mapping[str, set[float]]) -> None:
        self._selection.clear()
        for name, fs in frames.items():
            idx = indices_at(self._take.curves[name], fs)
            if idx:
                self._selection.select(name, idx, extend=True)

    # ------------------------------------------------------------------ intents
    def _set_frame_from_user(self, frame: float) -> int:
        f = int(round(frame))
        if self._take is not None:
            f = int(np.clip(f, 0, self._take.duration - 1))
        if f != self._frame:
            self._frame = f
            self._update_playhead()
            self.current_frame_changed.emit(f)
        return f

    def insert_keys(self) -> None:
        """I: a key at the playhead on every channel with selected keys, else the active channel,
        holding the curve's current value there."""
        if self._take is None:
            return
        targets = list(self._selection.as_dict()) or ([self._active_channel] if self._active_channel else [])
        out = []
        for name in targets:
            curve = self._take.curves[name]
            if curve.lock:
                continue
            value = float(evaluate(curve, np.array([float(self._frame)]), respect_mute=False)[0])
            out.append((name, self._frame, value))
        if out:
            self.keys_insert_requested.emit(out)

    def delete_selected(self) -> None:
        sel = self._editable_selection()
        if sel:
            self.keys_delete_requested.emit(sel)

    def copy_selected(self) -> None:
        if self._take is None or not self._selection:
            return
        self._clipboard = copy_keys(self._take, self._selection.as_dict())

    def paste(self) -> None:
        if self._clipboard is not None and self._clipboard.keys:
            self.paste_requested.emit(self._clipboard, self._frame)

    def request_interpolation(self, interpolation: Interpolation | str) -> None:
        sel = self._editable_selection()
        if sel:
            self.interpolation_requested.emit(sel, Interpolation(interpolation).value)

    def request_handle_type(self, handle_type: HandleType | str) -> None:
        sel = self._editable_selection()
        if sel:
            self.handle_type_requested.emit(sel, HandleType(handle_type).value)

    def select_all(self) -> None:
        if self._take is None:
            return
        self._batch = True
        try:
            self._selection.clear()
            for name in self.visible_channels():
                n = len(self._take.curves[name])
                if n:
                    self._selection.select(name, range(n), extend=True)
        finally:
            self._batch = False
        self._on_selection()

    def context_menu(self) -> QtWidgets.QMenu:
        """The lanes' context menu (built afresh, enabled for the current selection)."""
        menu = QtWidgets.QMenu(self)
        has_sel = bool(self._editable_selection())
        a = menu.addAction("Insert Key", self.insert_keys)
        a.setShortcut(QtGui.QKeySequence("I"))
        a = menu.addAction("Delete Keys", self.delete_selected)
        a.setShortcut(QtGui.QKeySequence("X"))
        a.setEnabled(has_sel)
        menu.addSeparator()
        a = menu.addAction("Copy", self.copy_selected)
        a.setShortcut(QtGui.QKeySequence.Copy)
        a.setEnabled(bool(self._selection))
        a = menu.addAction("Paste", self.paste)
        a.setShortcut(QtGui.QKeySequence.Paste)
        a.setEnabled(self._clipboard is not None and bool(self._clipboard.keys))
        menu.addSeparator()
        interp = menu.addMenu("Interpolation")
        interp.setEnabled(has_sel)
        for mode, label in ((Interpolation.CONSTANT, "Constant"), (Interpolation.LINEAR, "Linear"),
                            (Interpolation.BEZIER, "Bezier")):
            act = interp.addAction(label)
            act.setData(mode.value)
            act.triggered.connect(lambda _=False, m=mode: self.request_interpolation(m))
        handles = menu.addMenu("Handle Type")
        handles.setEnabled(has_sel)
        for mode, label in ((HandleType.AUTO_CLAMPED, "Auto Clamped"), (HandleType.AUTO, "Auto"),
                            (HandleType.VECTOR, "Vector"), (HandleType.FREE, "Free")):
            act = handles.addAction(label)
            act.setData(mode.value)
            act.triggered.connect(lambda _=False, m=mode: self.request_handle_type(m))
        menu.addSeparator()
        a = menu.addAction("Frame All", self.frame_all)
        a.setShortcut(QtGui.QKeySequence("Home"))
        return menu

    # ------------------------------------------------------------------ drags
    def _begin_key_drag(self, drag: _Drag) -> None:
        self._drag_counter += 1
        drag.drag_id = self._drag_counter
        drag.selection = self._editable_selection()
        drag.base = self._take
        drag.started = True

    def _update_key_drag(self, drag: _Drag, view: QtCore.QPointF, constrain: bool) -> None:
        dx = view.x() - drag.press_view.x()
        dy = view.y() - drag.press_view.y()
        if constrain:
            pw, ph = self._vb.viewPixelSize()
            if abs(dx / pw) >= abs(dy / ph):
                dy = 0.0
            else:
                dx = 0.0
        dframe = float(round(dx))
        dvalues = {c: lane_dy_to_value(c, dy) for c in drag.selection}
        if dframe == drag.dframe and dvalues == drag.dvalues and drag.dvalues:
            return
        drag.dframe, drag.dvalues = dframe, dvalues
        self._preview = {}
        self._preview_selected = {}
        for c, idx in drag.selection.items():
            curve = drag.base.curves[c]
            self._preview[c] = move_keys(curve, idx, dframe, dvalues[c], snap=True)
            self._preview_selected[c] = {float(np.round(curve.frames[i] + dframe)) for i in idx}
        self._redraw(set(drag.selection))
        self.keys_moved_preview.emit(drag.drag_id, drag.selection, dframe, dict(dvalues))

    def _finish_key_drag(self, drag: _Drag) -> None:
        self._pending_sel_frames = {c: set(fs) for c, fs in self._preview_selected.items()}
        self.keys_move_committed.emit(drag.drag_id, drag.selection, drag.dframe, dict(drag.dvalues))

    def cancel_drag(self) -> bool:
        """Esc / right button during a drag: restore the keys. True if a drag was cancelled."""
        drag = self._drag
        if drag is None:
            return False
        self._drag = None
        self._box.setVisible(False)
        if drag.mode == "keys" and drag.started:
            channels = set(self._preview)
            self._preview = {}
            self._preview_selected = {}
            self._redraw(channels)
            self.keys_move_cancelled.emit(drag.drag_id)
        elif drag.mode == "pan":
            self._vb.setXRange(*drag.x_range, padding=0)
        return True

    def _box_select(self, a: QtCore.QPointF, b: QtCore.QPointF, extend: bool) -> None:
        if self._take is None:
            return
        fx0, fx1 = sorted((a.x(), b.x()))
        y0, y1 = sorted((a.y(), b.y()))
        self._batch = True
        try:
            if not extend:
                self._selection.clear()
            for lane in range(max(1, int(np.floor(y0))), min(len(self._lanes), int(np.ceil(y1)))):
                name = self._lanes[lane]
                curve = self._take.curves[name]
                if not len(curve):
                    continue
                ys = value_to_lane_y(name, lane, curve.values)
                inside = (curve.frames >= fx0) & (curve.frames <= fx1) & (ys >= y0) & (ys <= y1)
                if inside.any():
                    self._selection.select(name, np.flatnonzero(inside).tolist(), extend=True)
        finally:
            self._batch = False
        self._on_selection()

    # ------------------------------------------------------------------ Qt events
    def eventFilter(self, obj, ev) -> bool:
        if obj is not self._plot.viewport():
            return False
        t = ev.type()
        if t in (QtCore.QEvent.MouseButtonPress, QtCore.QEvent.MouseButtonDblClick):
            return self._mouse_press(ev)
        if t == QtCore.QEvent.MouseMove:
            return self._mouse_move(ev)
        if t == QtCore.QEvent.MouseButtonRelease:
            return self._mouse_release(ev)
        if t == QtCore.QEvent.Wheel:
            return self._wheel(ev)
        if t == QtCore.QEvent.ContextMenu:
            return True
        return False

    def _in_ruler(self, pos: QtCore.QPointF) -> bool:
        scene = self._plot.mapToScene(QtCore.QPoint(int(pos.x()), int(pos.y())))
        return self._plot.getPlotItem().getAxis("top").sceneBoundingRect().contains(scene)

    def _mouse_press(self, ev: QtGui.QMouseEvent) -> bool:
        self.setFocus(QtCore.Qt.MouseFocusReason)
        pos = ev.position()
        view = self._to_view(pos)
        button = ev.button()
        if self._drag is not None:
            if button == QtCore.Qt.RightButton:
                self.cancel_drag()
            return True
        extend = bool(ev.modifiers() & (QtCore.Qt.ShiftModifier | QtCore.Qt.ControlModifier))
        if button == QtCore.Qt.LeftButton:
            if self._in_ruler(pos) or view.y() < 1.0:
                self._drag = _Drag("scrub", view, pos.toPoint())
                f = self._set_frame_from_user(view.x())
                self.scrub_started.emit(f)
                self.scrubbed.emit(f)
                return True
            hit = self._hit_key(view)
            near_playhead = abs(view.x() - self._frame) / self._vb.viewPixelSize()[0] <= PLAYHEAD_GRAB_PX
            if hit is None and near_playhead:
                self._drag = _Drag("scrub", view, pos.toPoint())
                self.scrub_started.emit(self._frame)
                self.scrubbed.emit(self._frame)
                return True
            lane = int(np.floor(view.y()))
            if 0 < lane < len(self._lanes):
                self.set_active_channel(self._lanes[lane])
            if hit is not None:
                name, i = hit
                if extend:
                    self._selection.toggle(name, i)
                    if not self._selection.is_selected(name, i):
                        return True
                elif not self._selection.is_selected(name, i):
                    self._selection.select(name, [i])
                self._drag = _Drag("keys", view, pos.toPoint(), click_key=None if extend else hit)
            else:
                self._drag = _Drag("box", view, pos.toPoint(), extend=extend)
            return True
        if button == QtCore.Qt.MiddleButton:
            self._drag = _Drag("pan", view, pos.toPoint(), x_range=self.frame_range())
            return True
        if button == QtCore.Qt.RightButton:
            hit = self._hit_key(view)
            if hit is not None and not self._selection.is_selected(*hit):
                self._selection.select(hit[0], [hit[1]])
            self._menu = self.context_menu()
            self._menu.popup(ev.globalPosition().toPoint())
            return True
        return True

    def _mouse_move(self, ev: QtGui.QMouseEvent) -> bool:
        drag = self._drag
        if drag is None:
            return True
        pos = ev.position()
        view = self._to_view(pos)
        if drag.mode == "scrub":
            f = self._frame
            if self._set_frame_from_user(view.x()) != f:
                self.scrubbed.emit(self._frame)
            return True
        moved = (pos.toPoint() - drag.press_px).manhattanLength() >= QtWidgets.QApplication.startDragDistance()
        if drag.mode == "keys":
            if not drag.started and moved:
                self._begin_key_drag(drag)
            if drag.started and drag.selection:
                self._update_key_drag(drag, view, bool(ev.modifiers() & QtCore.Qt.ShiftModifier))
        elif drag.mode == "box":
            if moved:
                drag.started = True
                r = QtCore.QRectF(drag.press_view, view).normalized()
                self._box.setData([r.left(), r.right(), r.right(), r.left(), r.left()],
                                  [r.top(), r.top(), r.bottom(), r.bottom(), r.top()])
                self._box.setFillLevel(r.top())
                self._box.setVisible(True)
        elif drag.mode == "pan":
            x0, x1 = drag.x_range
            width = max(1.0, float(self._vb.width()))
            shift = (pos.x() - drag.press_px.x()) / width * (x1 - x0)
            self._vb.setXRange(x0 - shift, x1 - shift, padding=0)
        return True

    def _mouse_release(self, ev: QtGui.QMouseEvent) -> bool:
        drag = self._drag
        if drag is None:
            return True
        if ev.button() == QtCore.Qt.RightButton:
            return True
        self._drag = None
        view = self._to_view(ev.position())
        if drag.mode == "scrub":
            self.scrub_finished.emit(self._frame)
        elif drag.mode == "keys":
            if drag.started and drag.selection:
                self._finish_key_drag(drag)
            elif not drag.started and drag.click_key is not None:
                self._selection.select(drag.click_key[0], [drag.click_key[1]])
        elif drag.mode == "box":
            self._box.setVisible(False)
            if drag.started:
                self._box_select(drag.press_view, view, drag.extend)
            elif not drag.extend:
                self._selection.clear()
        return True

    def _wheel(self, ev: QtGui.QWheelEvent) -> bool:
        steps = ev.angleDelta().y() / 120.0 or ev.angleDelta().x() / 120.0
        if not steps:
            return True
        mods = ev.modifiers()
        if mods & QtCore.Qt.ShiftModifier:
            self._top -= steps
            self._apply_lane_range()
        elif mods & QtCore.Qt.ControlModifier:
            self._lane_px = float(np.clip(self._lane_px * (1.15 ** steps), MIN_LANE_PX, MAX_LANE_PX))
            self._apply_lane_range()
        else:
            centre = self._to_view(ev.position()).x()
            x0, x1 = self.frame_range()
            factor = 0.85 ** steps
            if (x1 - x0) * factor < 4.0:
                factor = 4.0 / (x1 - x0)
            self._vb.setXRange(centre - (centre - x0) * factor, centre + (x1 - centre) * factor, padding=0)
        return True

    def event(self, ev: QtCore.QEvent) -> bool:
        # claim our keys before window-wide shortcuts take them while the timeline has focus
        if ev.type() == QtCore.QEvent.ShortcutOverride and self._handles_key(ev):
            ev.accept()
            return True
        return super().event(ev)

    def _handles_key(self, ev: QtGui.QKeyEvent) -> bool:
        if ev.matches(QtGui.QKeySequence.Copy) or ev.matches(QtGui.QKeySequence.Paste):
            return True
        if ev.matches(QtGui.QKeySequence.SelectAll):
            return True
        plain = not (ev.modifiers() & (QtCore.Qt.ControlModifier | QtCore.Qt.AltModifier | QtCore.Qt.MetaModifier))
        return plain and ev.key() in (QtCore.Qt.Key_I, QtCore.Qt.Key_X, QtCore.Qt.Key_Delete, QtCore.Qt.Key_Home,
                                      QtCore.Qt.Key_Escape, QtCore.Qt.Key_Left, QtCore.Qt.Key_Right)

    def keyPressEvent(self, ev: QtGui.QKeyEvent) -> None:
        if ev.matches(QtGui.QKeySequence.Copy):
            self.copy_selected()
        elif ev.matches(QtGui.QKeySequence.Paste):
            self.paste()
        elif ev.matches(QtGui.QKeySequence.SelectAll):
            self.select_all()
        elif not self._handles_key(ev):
            super().keyPressEvent(ev)
            return
        elif ev.key() == QtCore.Qt.Key_I:
            self.insert_keys()
        elif ev.key() in (QtCore.Qt.Key_X, QtCore.Qt.Key_Delete):
            self.delete_selected()
        elif ev.key() == QtCore.Qt.Key_Home:
            self.frame_all()
        elif ev.key() == QtCore.Qt.Key_Escape:
            if not self.cancel_drag():
                self._selection.clear()
        elif ev.key() in (QtCore.Qt.Key_Left, QtCore.Qt.Key_Right):
            self._set_frame_from_user(self._frame + (1 if ev.key() == QtCore.Qt.Key_Right else -1))
        ev.accept()


# ---------------------------------------------------------------------------- demo


def demo_take() -> Take:
    """A take with a little of everything: bezier, linear and constant keys on several zones."""
    from core.anim.blink import auto_blink
    from core.anim.curve import Keyframe

    rng = np.random.default_rng(7)
    duration = 300
    curves = {}
    for j, name in enumerate(CHANNEL_NAMES):
        if name == "AU45":
            continue
        lo, hi = channel_range(name)
        n = int(rng.integers(3, 8))
        frames = np.unique(np.sort(rng.choice(np.arange(0, duration, 6), n, replace=False)))
        interp = (Interpolation.BEZIER, Interpolation.LINEAR, Interpolation.CONSTANT)[j % 7 // 5 if j % 7 else 0]
        keys = [Keyframe(float(f), float(lo + (hi - lo) * rng.uniform(0.05, 0.85)), interp) for f in frames]
        curves[name] = Curve(tuple(keys))
    curves["AU45"] = auto_blink(duration, 25.0, seed=3)
    return Take(name="Demo", fps=25.0, duration=duration, curves=curves)


def main(argv: list[str] | None = None) -> int:
    """``python -m widgets.timeline [--screenshot out.png] [--audio file.wav]``."""
    import argparse
    import sys
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Show the timeline on a demo take.")
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the window and quit")
    parser.add_argument("--audio", type=Path,
                        default=Path(__file__).resolve().parents[1] / "assets" / "audio" / "sample_speech.wav")
    args = parser.parse_args(argv)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    theme.apply_dark_theme(app)
    take = demo_take()
    tl = TimelineWidget()
    tl.setWindowTitle("Timeline")
    tl.resize(1280, 820)
    if args.audio and args.audio.exists():
        from core.audio import load_audio

        clip = load_audio(str(args.audio))
        take = dataclasses.replace(take, duration=max(take.duration, int(np.ceil(clip.num_samples / clip.sample_rate * take.fps))))
        tl.set_audio(clip.samples, clip.sample_rate)
    tl.show()
    tl.set_take(take)
    tl.set_current_frame(72)
    sel = {n: [0, 1] for n in ("AU12", "AU25") if len(take.curves[n]) > 1}
    for n, idx in sel.items():
        tl.selection.select(n, idx, extend=True)
    tl.set_active_channel("AU12")
    tl.keys_insert_requested.connect(lambda ks: print("insert", ks))
    tl.keys_move_committed.connect(lambda *a: print("move", a))
    if args.screenshot:
        for _ in range(5):
            app.processEvents()
        tl.frame_all()
        app.processEvents()
        tl.grab().save(str(args.screenshot))
        # a second, zoomed view: fewer, taller lanes, handles of the selected keys
        tl.set_frame_range(0, 130)
        tl._lane_px = 64.0
        tl._top = float(tl._lane_index("AU10") - 1)
        tl._apply_lane_range()
        app.processEvents()
        zoomed = args.screenshot.with_name(args.screenshot.stem + "_zoom" + args.screenshot.suffix)
        tl.grab().save(str(zoomed))
        return 0
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
