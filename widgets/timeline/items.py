"""Drawing: lane bands and grid, the label column, the frame ruler, curves, keys, bezier
handles, the waveform, the playhead and the rubber band.

Everything here reads the widget's state (take, layout, selection, the key drag's preview) and
draws it; nothing here changes that state or emits intents.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from core.anim.curve import Curve, evaluate
from core.anim.take import CHANNEL_NAMES
from core.aus import AU_FACS_NAMES, SPEECH_NAMES

from .. import theme
from .layout import KEY_SIZE_PX, LABEL_WIDTH, WAVEFORM_LANE, lane_title, value_to_lane_y

#: where a speech lane's override box sits in the label column (x, width in pixels)
OVERRIDE_X = 84
OVERRIDE_MAX_WIDTH = LABEL_WIDTH - OVERRIDE_X - 6

if TYPE_CHECKING:
    from .widget import TimelineWidget

_GRID_STEPS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000)


class LaneBands(pg.GraphicsObject):
    """Alternating lane backgrounds, separators, the active lane highlight, the frame grid and
    the dimmed areas outside the take, painted in view coordinates for the visible lanes only."""

    def __init__(self, timeline: "TimelineWidget"):
        super().__init__()
        self._tl = timeline
        self.setZValue(-100)

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(-1e7, -1e3, 2e7, 1e5)

    def paint(self, p: QtGui.QPainter, *args) -> None:
        vb = self._tl._vb
        (x0, x1), (y0, y1) = vb.viewRange()
        lanes = self._tl.lane_layout.lanes
        active = self._tl._active_channel
        shown = self._tl.lane_layout.lanes_between(y0, y1)
        p.setPen(QtCore.Qt.NoPen)
        for i in shown:
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
        for i in shown:
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


#: Mouth-shape tints of the phoneme strip (Rhubarb's A-H, X): closed and rest dark, open bright.
_SHAPE_TINT = {"A": "#c0504d", "B": "#6f7f96", "C": "#d9a441", "D": "#e8c547", "E": "#5fa37a", "F": "#4d8fc0",
               "G": "#a070c0", "H": "#8aa05a", "X": "#3a3d44"}
#: The strip is the bottom part of the waveform lane (lane y from PHONEME_TOP to 1).
PHONEME_TOP = 0.5


class PhonemeStrip(pg.GraphicsObject):
    """The take's phonemes along the bottom of the waveform lane: a band per phone tinted by its mouth
    shape, its name written where it fits. Read-only (the lip sync's phones; docs/STUDIO.md)."""

    def __init__(self, timeline: "TimelineWidget"):
        super().__init__()
        self._tl = timeline
        self.items: list[tuple[float, float, str, str]] = []  # (start frame, end frame, phone, shape)
        self.setZValue(-50)

    def set_items(self, items) -> None:
        self.items = [(float(a), float(b), str(ph), str(sh)) for a, b, ph, sh in items]
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(-1e7, -1e3, 2e7, 1e5)

    def visible_items(self) -> list[tuple[float, float, str, str]]:
        (x0, x1), (y0, _y1) = self._tl._vb.viewRange()
        if y0 > 1.0:
            return []
        return [it for it in self.items if it[1] > x0 and it[0] < x1]

    def paint(self, p: QtGui.QPainter, *args) -> None:
        items = self.visible_items()
        if not items:
            return
        p.setPen(QtCore.Qt.NoPen)
        for a, b, ph, shape in items:
            if ph == "SIL":
                continue
            p.setBrush(theme.qcolor(_SHAPE_TINT.get(shape, "#6f7f96"), 0.55))
            p.drawRect(QtCore.QRectF(a, PHONEME_TOP, b - a, 1.0 - PHONEME_TOP))
        # Names in device pixels (the view is scaled): only where the band is wide enough.
        t = p.transform()
        p.save()
        p.resetTransform()
        font = p.font()
        font.setPixelSize(9)
        p.setFont(font)
        metrics = QtGui.QFontMetrics(font)
        p.setPen(QtGui.QColor("#f0f0f0"))
        for a, b, ph, _shape in items:
            if ph == "SIL":
                continue
            r = t.mapRect(QtCore.QRectF(a, PHONEME_TOP, b - a, 1.0 - PHONEME_TOP))
            if r.width() >= metrics.horizontalAdvance(ph) + 2 and r.height() >= 8:
                p.drawText(r, QtCore.Qt.AlignCenter, ph)
        p.restore()


class LaneLabels(QtWidgets.QWidget):
    """The channel names beside the lanes, coloured by synergy zone, aligned to the ViewBox.

    Each speech lane's label carries an "override" check box showing the take's
    ``speech[name].override``; clicking it asks for the flag to change
    (``speech_override_requested``) and the box goes back to the take's state until the studio
    hands the changed take back."""

    clicked = QtCore.Signal(str)

    def __init__(self, timeline: "TimelineWidget"):
        super().__init__(timeline)
        self._tl = timeline
        self.setFixedWidth(LABEL_WIDTH)
        self.setAutoFillBackground(False)
        self.overrides: dict[str, QtWidgets.QCheckBox] = {}
        font = QtGui.QFont(self.font())
        font.setPointSizeF(7.5)
        for name in SPEECH_NAMES:
            box = QtWidgets.QCheckBox("override", self)
            box.setObjectName(f"override_{name}")
            box.setFont(font)
            # never takes focus: a focused child would make the timeline's keys ambiguous
            # with the main window's shortcuts
            box.setFocusPolicy(QtCore.Qt.NoFocus)
            box.setToolTip(f"{name}: checked, the channel follows its curve instead of the audio")
            box.clicked.connect(lambda on, name=name: self._on_override_clicked(name, on))
            box.hide()
            self.overrides[name] = box

    def title(self, lane: str) -> str:
        """The name drawn on ``lane``'s label."""
        return lane_title(lane)

    def _on_override_clicked(self, name: str, on: bool) -> None:
        self.sync_overrides()
        self._tl.speech_override_requested.emit(name, bool(on))

    def sync_overrides(self) -> None:
        """Show each speech lane's box on its row with the take's flag; hide the others."""
        tl = self._tl
        take = tl._take
        top, height = tl._viewbox_widget_span()
        for name, box in self.overrides.items():
            lane = tl.lane_layout.lane_index(name)
            if take is None or lane is None or height <= 0:
                box.hide()
                continue
            with QtCore.QSignalBlocker(box):
                box.setChecked(bool(take.speech[name].override))
            row = self.lane_rect(lane)
            h = min(row.height(), 18.0)
            # the name's half of a tall row, the whole of a short one
            y = row.top() + ((row.height() / 2 - h) if row.height() >= 30 else (row.height() - h) / 2)
            if y < top - 0.5 or y + h > top + height + 0.5:
                box.hide()
                continue
            box.setGeometry(OVERRIDE_X, int(round(y)), min(box.sizeHint().width(), OVERRIDE_MAX_WIDTH), int(h))
            box.show()

    def resizeEvent(self, ev) -> None:
        super().resizeEvent(ev)
        self.sync_overrides()

    def lane_at(self, y: float) -> str | None:
        top, height = self._tl._viewbox_widget_span()
        (_, _), (y0, y1) = self._tl._vb.viewRange()
        if height <= 0:
            return None
        lane = int(np.floor(y0 + (y - top) / height * (y1 - y0)))
        lanes = self._tl.lane_layout.lanes
        return lanes[lane] if 0 <= lane < len(lanes) else None

    def lane_rect(self, lane: int) -> QtCore.QRectF:
        """Lane ``lane``'s row in this widget's pixels."""
        top, height = self._tl._viewbox_widget_span()
        (_, _), (y0, y1) = self._tl._vb.viewRange()
        px = height / max(1e-9, y1 - y0)
        return QtCore.QRectF(0, top + (lane - y0) * px, self.width(), px)

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
        lanes = self._tl.lane_layout.lanes
        font = p.font()
        font.setPointSizeF(9.0)
        small = QtGui.QFont(font)
        small.setPointSizeF(7.5)
        for i in self._tl.lane_layout.lanes_between(y0, y1):
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
                title, sub = lane_title(name), ""
            else:
                colour = theme.channel_qcolor(name)
                title = lane_title(name)
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
            title_w = (OVERRIDE_X - 12) if name in SPEECH_NAMES else self.width() - 40
            if px >= 30 and sub:
                p.drawText(QtCore.QRectF(10, y + 2, title_w, px / 2),
                           QtCore.Qt.AlignLeft | QtCore.Qt.AlignBottom, title)
                p.setFont(small)
                p.setPen(QtGui.QColor(theme.TEXT_DIM))
                p.drawText(QtCore.QRectF(10, y + px / 2, self.width() - 14, px / 2 - 2),
                           QtCore.Qt.AlignLeft | QtCore.Qt.AlignTop, sub)
            else:
                p.drawText(QtCore.QRectF(10, y, title_w, px),
                           QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter, title)
            if curve is not None:
                flags = "".join(f for f, on in (("M", curve.mute), ("S", curve.solo), ("L", curve.lock)) if on)
                if flags:
                    p.setFont(small)
                    p.setPen(QtGui.QColor(theme.KEY_SELECTED))
                    p.drawText(QtCore.QRectF(self.width() - 34, y, 30, min(px, 20)),
                               QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter, flags)
        p.end()


class FrameAxis(pg.AxisItem):
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


class LaneItems:
    """The pyqtgraph items inside the ViewBox and how they are drawn from the widget's state."""

    def __init__(self, timeline: "TimelineWidget"):
        self._tl = timeline
        vb = timeline._vb
        self.bands = LaneBands(timeline)
        vb.addItem(self.bands, ignoreBounds=True)
        self.wave = pg.PlotCurveItem(pen=pg.mkPen(theme.WAVEFORM, width=1), connect="pairs")
        vb.addItem(self.wave, ignoreBounds=True)
        self.phonemes = PhonemeStrip(timeline)
        vb.addItem(self.phonemes, ignoreBounds=True)
        self.curves: dict[str, pg.PlotCurveItem] = {}
        # selected and unselected keys are two items with one style each: per-point brushes
        # would make pyqtgraph render a symbol per key on every redraw
        self.keys: dict[str, pg.ScatterPlotItem] = {}
        self.selected: dict[str, pg.ScatterPlotItem] = {}
        outline = pg.mkPen(theme.KEY_OUTLINE, width=1)
        self._key_brush = pg.mkBrush(theme.KEY)
        self._locked_brush = pg.mkBrush(theme.qcolor(theme.KEY, 0.45))
        for name in CHANNEL_NAMES:
            c = pg.PlotCurveItem(pen=pg.mkPen(theme.channel_qcolor(name), width=1.6), antialias=True)
            k = pg.ScatterPlotItem(size=KEY_SIZE_PX, symbol="d", pxMode=True, antialias=True, pen=outline,
                                   brush=self._key_brush)
            k.setZValue(10)
            ks = pg.ScatterPlotItem(size=KEY_SIZE_PX + 3, symbol="d", pxMode=True, antialias=True, pen=outline,
                                    brush=pg.mkBrush(theme.KEY_SELECTED))
            ks.setZValue(11)
            for item in (c, k, ks):
                vb.addItem(item, ignoreBounds=True)
            self.curves[name] = c
            self.keys[name] = k
            self.selected[name] = ks
        self._pens: dict[tuple[str, bool], QtGui.QPen] = {}
        # bezier handles of the selected keys, all lanes in one item each
        self.handle_lines = pg.PlotCurveItem(pen=pg.mkPen(theme.qcolor(theme.KEY_SELECTED, 0.5), width=1),
                                             connect="pairs")
        # hollow, so handle ends never read as keys
        self.handle_dots = pg.ScatterPlotItem(size=6, symbol="o", pxMode=True, pen=pg.mkPen(theme.KEY_SELECTED),
                                              brush=pg.mkBrush(theme.BACKGROUND))
        self.handle_lines.setZValue(9)
        self.handle_dots.setZValue(9)
        vb.addItem(self.handle_lines, ignoreBounds=True)
        vb.addItem(self.handle_dots, ignoreBounds=True)
        self._eval_cache: dict[str, tuple[Curve, tuple]] = {}
        self.playhead = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(theme.PLAYHEAD, width=2))
        self.playhead.setZValue(50)
        vb.addItem(self.playhead, ignoreBounds=True)
        self.playhead_label = pg.TextItem("0", color="#101114", fill=pg.mkBrush(theme.PLAYHEAD), anchor=(0.5, 0))
        self.playhead_label.setZValue(51)
        vb.addItem(self.playhead_label, ignoreBounds=True)
        # the rubber band is a pyqtgraph (QObject) item: a plain QGraphicsRectItem held from
        # Python is deleted twice (by the scene, then by its wrapper) once the widget goes away
        self.box = pg.PlotCurveItem(pen=pg.mkPen(theme.BOX_SELECT, width=1, style=QtCore.Qt.DashLine),
                                    brush=pg.mkBrush(theme.qcolor(theme.BOX_SELECT, 0.15)))
        self.box.setZValue(60)
        self.box.setVisible(False)
        vb.addItem(self.box, ignoreBounds=True)

    # ------------------------------------------------------------------ channels
    def draw_channels(self, channels: set[str] | None = None) -> None:
        """Curves and keys of ``channels`` (all when None) in the visible lanes."""
        tl = self._tl
        vb = tl._vb
        (x0, x1), (y0, y1) = vb.viewRange()
        width = max(2, int(vb.width()))
        visible_lanes = set(tl.lane_layout.lanes_between(y0, y1))
        # one sample per two pixels is smooth enough and halves the bezier solves
        xs = np.linspace(x0, x1, min(width // 2 + 2, 2000))
        sel = tl._selection.as_dict()
        take = tl._take
        for name in CHANNEL_NAMES:
            if channels is not None and name not in channels:
                continue
            lane = tl.lane_layout.lane_index(name)
            citem, kitem, sitem = self.curves[name], self.keys[name], self.selected[name]
            if take is None or lane is None or lane not in visible_lanes:
                for item in (citem, kitem, sitem):
                    item.setVisible(False)
                continue
            curve = tl._curve(name)
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
            if name in tl._preview:
                selected = np.isin(frames[lo:hi], np.fromiter(tl._preview_selected.get(name, ()), float))
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
        self.draw_handles(visible_lanes)

    def _curve_pen(self, name: str, muted: bool) -> QtGui.QPen:
        key = (name, muted)
        if key not in self._pens:
            colour = theme.channel_qcolor(name, 0.35 if muted else 1.0)
            self._pens[key] = pg.mkPen(colour, width=1.6, style=QtCore.Qt.DashLine if muted else QtCore.Qt.SolidLine)
        return self._pens[key]

    def draw_handles(self, visible_lanes: set[int]) -> None:
        """Lines from each selected bezier key to its handles: [2 per handle] points."""
        tl = self._tl
        xs, ys = [], []
        if tl._take is not None and not tl._preview:
            for name, idx in tl._selection.as_dict().items():
                lane = tl.lane_layout.lane_index(name)
                if lane is None or lane not in visible_lanes:
                    continue
                arr = tl._take.curves[name].arrays
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
            self.handle_lines.setData(x, y)
            self.handle_dots.setData(x[1::2], y[1::2])
            self.handle_lines.setVisible(True)
            self.handle_dots.setVisible(True)
        else:
            self.handle_lines.setVisible(False)
            self.handle_dots.setVisible(False)

    def handle_points(self) -> np.ndarray:
        """The drawn handle ends [H, 2] (frame, lane y) of the selected bezier keys."""
        if not self.handle_dots.isVisible():
            return np.zeros((0, 2))
        x, y = self.handle_dots.getData()
        return np.stack([np.asarray(x), np.asarray(y)], 1)

    def drawn_keys(self, channel: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keys of ``channel`` as drawn now, sorted by frame: frames [K], values [K], selected [K]."""
        tl = self._tl
        out = []
        for item, sel in ((self.keys[channel], False), (self.selected[channel], True)):
            x, _ = item.getData()
            if item.isVisible() and x is not None:
                out += [(float(f), sel) for f in x]
        out.sort()
        frames = np.array([f for f, _ in out])
        curve = tl._curve(channel) if tl._take is not None else Curve()
        values = np.array([curve.values[curve.index_at(f)] for f in frames]) if len(frames) else np.zeros(0)
        return frames, values, np.array([s for _, s in out], dtype=bool)

    # ------------------------------------------------------------------ waveform
    def draw_waveform(self) -> None:
        tl = self._tl
        if tl._wave is None or tl._take is None:
            self.wave.setVisible(False)
            return
        vb = tl._vb
        (x0, x1), (y0, y1) = vb.viewRange()
        if y0 > 1.0:
            self.wave.setVisible(False)
            return
        columns = max(2, int(vb.width()))
        fps = tl._take.fps
        start = (x0 / fps - tl._wave_offset) * tl._wave_rate
        end = (x1 / fps - tl._wave_offset) * tl._wave_rate
        mins, maxs = tl._wave.summary(int(np.floor(start)), int(np.ceil(end)), columns)
        xs = x0 + (np.arange(columns) + 0.5) * (x1 - x0) / columns
        peak = max(1e-3, float(np.max(np.abs(np.concatenate([mins, maxs])))) if columns else 1.0)
        scale = 0.45 / max(peak, 0.25)
        # a vertical segment per pixel column: the envelope fills itself in
        x = np.repeat(xs, 2)
        y = np.empty(2 * columns)
        y[0::2] = 0.5 - maxs * scale
        y[1::2] = 0.5 - np.minimum(mins, maxs - 1e-4) * scale
        self.wave.setData(x, y)
        self.wave.setVisible(True)

    def waveform_envelope(self) -> tuple[np.ndarray, np.ndarray]:
        """The waveform lane as drawn: column frames [C] and lane-y pairs [C, 2] (top, bottom)."""
        x, y = self.wave.getData()
        if x is None or not self.wave.isVisible():
            return np.zeros(0), np.zeros((0, 2))
        return np.asarray(x[0::2]), np.asarray(y).reshape(-1, 2)

    # ------------------------------------------------------------------ playhead, box
    def draw_playhead(self, frame: int) -> None:
        self.playhead.setValue(frame)
        (_, _), (y0, _) = self._tl._vb.viewRange()
        self.playhead_label.setText(str(frame))
        self.playhead_label.setPos(frame, y0)

    def show_box(self, r: QtCore.QRectF) -> None:
        self.box.setData([r.left(), r.right(), r.right(), r.left(), r.left()],
                         [r.top(), r.top(), r.bottom(), r.bottom(), r.top()])
        self.box.setFillLevel(r.top())
        self.box.setVisible(True)

    def hide_box(self) -> None:
        self.box.setVisible(False)
