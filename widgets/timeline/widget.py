"""TimelineWidget: the signals (intents), the setters (model -> widget), the view range and
the dispatch of mouse and keyboard input to the drag tools and the keymap.

The view never edits the take. It shows ``set_take``'s take and turns mouse and keyboard input
into intents (Qt signals with plain data: channel names, key indices, frames, values); the studio
turns them into Commands and hands the new take back. Selection lives in a ``SelectionModel``
(core.document), which is view state and is edited here directly.
"""
from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from core.anim.curve import Curve, HandleType, Interpolation, evaluate
from core.anim.edit import Clipboard, copy_keys, indices_at
from core.anim.take import CHANNEL_NAMES, Take
from core.audio.waveform import WaveformSummary
from core.document.selection import SelectionModel

from .. import theme
from . import keymap
from .items import FrameAxis, LaneItems, LaneLabels
from .layout import (
    KEY_HIT_PX, PLAYHEAD_GRAB_PX, LaneLayout, Selection, value_to_lane_y,
)
from .tools import BoxSelectTool, KeyMoveTool, PanTool, ScrubTool, Tool


def _differs_tenfold(a: int, b: int) -> bool:
    return max(a, b) > 10 * min(a, b)


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
    - ``active_channel_changed(channel)``; ``selection_changed()``.
    - ``speech_override_requested(channel, on)``: the override box on a speech lane's label
      (on: the channel follows its curve instead of the audio). The box shows the take's flag.
    - ``view_state_changed()``: the user changed the lane height or the visible lanes; read
      ``view_state()`` to persist them, ``restore_view_state`` to bring them back.

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
    speech_override_requested = QtCore.Signal(str, bool)
    view_state_changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None, selection: SelectionModel | None = None):
        super().__init__(parent)
        self.setFocusPolicy(QtCore.Qt.StrongFocus)
        self._take: Take | None = None
        #: the take the selection's key indices refer to (the take shown, or a key drag's base)
        self._sel_take: Take | None = None
        self._selection = selection if selection is not None else SelectionModel()
        self._selection.add_listener(self._on_selection)
        self.lane_layout = LaneLayout()
        self._active_channel: str | None = None
        self._frame = 0
        self._tool: Tool | None = None
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

        self._plot = pg.PlotWidget(axisItems={"top": FrameAxis("top")}, background=theme.BACKGROUND)
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
        self._items = LaneItems(self)

        self._labels = LaneLabels(self)
        self._labels.clicked.connect(self.set_active_channel)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._labels)
        layout.addWidget(self._plot, 1)
        # the lanes below the dock's edge (the speech lanes under the 17 AUs) are a scroll away
        self._scroll = QtWidgets.QScrollBar(QtCore.Qt.Vertical, self)
        self._scroll.setObjectName("lane_scroll")
        self._scroll.setFocusPolicy(QtCore.Qt.NoFocus)
        self._scroll.valueChanged.connect(self._on_scroll)
        layout.addWidget(self._scroll)

        self.actions_by_name = keymap.build_actions(self)
        #: the actions an Edit menu can show: "copy", "paste", "delete", "select_all", "insert"
        self.edit_actions = {name: self.actions_by_name[name] for name in keymap.EDIT_ACTIONS}
        self._update_actions()

        self._plot.viewport().installEventFilter(self)
        self._vb.sigRangeChanged.connect(self._on_range_changed)
        self._vb.sigResized.connect(self._apply_lane_range)
        self._vb.setXRange(-2, 250, padding=0)
        self._apply_lane_range()
        self.resize(1100, 720)

    # ------------------------------------------------------------------ model -> widget
    def set_take(self, take: Take | None, reset_view: bool = False) -> None:
        """Show ``take`` (the model's new state): drops any preview and keeps the selection true
        to what the user picked: a selected key stays selected only if the new take has a key
        at the same (channel, frame), so after a delete, an undo or a History jump no other key
        shows as selected.

        The time axis frames the take when ``reset_view`` (a different document), for the first
        take, and when the duration differs from the previous take's by more than 10x.

        During a key drag the studio may hand back its live-preview takes: they are stored, but
        the drag keeps measuring from the take it started on and keeps drawing its own preview."""
        previous = self._take
        before = self._selection.as_dict()
        self._take = take
        if take is not None and isinstance(self._tool, KeyMoveTool) and self._tool.started:
            self._redraw()
            return
        self._preview = {}
        self._preview_selected = {}
        self._batch = True
        try:
            if take is None:
                self._selection.clear()
            elif self._pending_sel_frames is not None:
                self._reselect_frames(self._pending_sel_frames)
            elif self._sel_take is not take:
                self._reselect_frames(self._selected_frames(self._sel_take))
        finally:
            self._batch = False
        self._pending_sel_frames = None
        self._sel_take = take
        if take is not None:
            if reset_view or previous is None or _differs_tenfold(previous.duration, take.duration):
                self.frame_time()
        self._redraw()
        self._update_actions()
        if self._selection.as_dict() != before:
            self.selection_changed.emit()

    def _selected_frames(self, take: Take | None) -> dict[str, set[float]]:
        """{channel: frames of its selected keys} in ``take`` (indices past the end dropped)."""
        out: dict[str, set[float]] = {}
        if take is None:
            return out
        for name, idx in self._selection.as_dict().items():
            frames = take.curves[name].frames
            out[name] = {float(frames[i]) for i in idx if i < len(frames)}
        return out

    def refresh(self, channels: Iterable[str] | None = None) -> None:
        """Redraw ``channels`` (all when None) from the current take."""
        self._redraw(None if channels is None else set(channels))

    def set_audio(self, samples: np.ndarray | None, sample_rate: int = 1, offset_s: float = 0.0) -> None:
        """The sound for the waveform lane: samples [S] or [S, C] at ``sample_rate``; ``offset_s``
        delays it on the timeline (Take.audio.offset). None clears the lane."""
        self._wave = None if samples is None else WaveformSummary(samples)
        self._wave_rate = int(sample_rate)
        self._wave_offset = float(offset_s)
        self._items.draw_waveform()

    def set_waveform(self, summary: WaveformSummary | None, sample_rate: int = 1, offset_s: float = 0.0) -> None:
        """Like ``set_audio`` with a pyramid already built (shared with other views)."""
        self._wave, self._wave_rate, self._wave_offset = summary, int(sample_rate), float(offset_s)
        self._items.draw_waveform()

    def set_current_frame(self, frame: int) -> None:
        """Move the playhead (no signal: this is the model talking)."""
        self._frame = int(frame)
        self._update_playhead()

    def current_frame(self) -> int:
        return self._frame

    def set_channel_visible(self, channel: str, visible: bool) -> None:
        """Show or hide ``channel``'s lane (the channel list's V); emits ``view_state_changed``
        when that changes the lanes."""
        if channel not in CHANNEL_NAMES:
            raise KeyError(f"unknown channel {channel!r}")
        hidden = set(self.lane_layout.hidden)
        if visible:
            hidden.discard(channel)
        else:
            hidden.add(channel)
        self._set_hidden(hidden)

    def set_visible_channels(self, channels: Iterable[str]) -> None:
        keep = set(channels)
        self._set_hidden({c for c in CHANNEL_NAMES if c not in keep})

    def visible_channels(self) -> list[str]:
        return self.lane_layout.visible_channels()

    def _set_hidden(self, hidden: set[str]) -> bool:
        if not self.lane_layout.set_hidden(hidden):
            return False
        self._apply_lane_range()
        self._redraw()
        self.view_state_changed.emit()
        return True

    def set_active_channel(self, channel: str | None) -> None:
        if channel == self._active_channel:
            return
        self._active_channel = channel
        self._items.bands.update()
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
        self.frame_time()
        before = self.lane_layout.lane_px
        self.lane_layout.fit(self._vb.height())
        self._apply_lane_range()
        if self.lane_layout.lane_px != before:
            self.view_state_changed.emit()

    def frame_time(self) -> None:
        """The whole take (and every key) in x; lanes untouched."""
        dur = self._take.duration if self._take is not None else 250
        first, last = 0.0, float(dur - 1)
        if self._take is not None:
            xs = [c.frames for c in self._take.curves.values() if len(c)]
            if xs:
                allx = np.concatenate(xs)
                first, last = min(first, float(allx.min())), max(last, float(allx.max()))
        pad = max(1.0, 0.02 * (last - first))
        self._vb.setXRange(first - pad, last + pad, padding=0)

    def set_frame_range(self, first: float, last: float) -> None:
        self._vb.setXRange(float(first), float(last), padding=0)

    def frame_range(self) -> tuple[float, float]:
        (x0, x1), _ = self._vb.viewRange()
        return float(x0), float(x1)

    def scroll_to_channel(self, channel: str) -> None:
        lane = self.lane_layout.lane_index(channel)
        if lane is None:
            return
        (_, _), (y0, y1) = self._vb.viewRange()
        if not (y0 <= lane and lane + 1 <= y1):
            self.lane_layout.top = max(0.0, lane - 1.0)
            self._apply_lane_range()

    def _apply_lane_range(self) -> None:
        y0, y1 = self.lane_layout.y_range(self._vb.height())
        self._vb.setYRange(y0, y1, padding=0)
        # the scroll bar counts hundredths of a lane
        span = y1 - y0
        hidden = max(0.0, len(self.lane_layout.lanes) - span)
        with QtCore.QSignalBlocker(self._scroll):
            self._scroll.setRange(0, int(np.ceil(hidden * 100)))
            self._scroll.setPageStep(max(1, int(span * 100)))
            self._scroll.setSingleStep(100)
            self._scroll.setValue(int(round(y0 * 100)))
        self._scroll.setEnabled(hidden > 0)
        self._labels.sync_overrides()

    def _on_scroll(self, value: int) -> None:
        self.lane_layout.top = value / 100.0
        self._apply_lane_range()

    def lane_scrollbar(self) -> QtWidgets.QScrollBar:
        """The scroll bar beside the lanes."""
        return self._scroll

    def override_checkbox(self, channel: str) -> QtWidgets.QCheckBox:
        """The "override" box on speech lane ``channel``'s label."""
        return self._labels.overrides[channel]

    # ------------------------------------------------------------------ view state
    def view_state(self) -> dict:
        """The view as JSON-able data for the studio to persist:
        ``{"lane_px": float, "hidden_channels": [channel, ...]}``."""
        return {"lane_px": float(self.lane_layout.lane_px), "hidden_channels": sorted(self.lane_layout.hidden)}

    def restore_view_state(self, state: Mapping | None) -> None:
        """Bring back a ``view_state()``; unknown keys and unknown channel names are ignored,
        and a bad value (not a positive number, not a list of names) leaves the current one.
        Emits nothing: this is the studio talking."""
        if not isinstance(state, Mapping):
            return
        px = state.get("lane_px")
        if isinstance(px, (int, float)) and not isinstance(px, bool) and np.isfinite(px) and px > 0:
            self.lane_layout.set_lane_px(float(px))
        hidden = state.get("hidden_channels")
        if isinstance(hidden, (list, tuple)) and all(isinstance(h, str) for h in hidden):
            # names this version does not know (a newer file) are left out
            self.lane_layout.set_hidden(h for h in hidden if h in CHANNEL_NAMES)
        self._apply_lane_range()
        self._redraw()

    def _set_lane_px_from_user(self, px: float) -> None:
        if self.lane_layout.set_lane_px(px):
            self._apply_lane_range()
            self.view_state_changed.emit()

    def _on_range_changed(self, *args) -> None:
        self._redraw()

    # ------------------------------------------------------------------ geometry
    def _lane_index(self, channel: str) -> int | None:
        return self.lane_layout.lane_index(channel)

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
        lane = self.lane_layout.lane_index(channel)
        if lane is None or self._take is None:
            raise KeyError(f"channel {channel!r} has no visible lane")
        k = self._take.curves[channel].keys[index]
        y = float(value_to_lane_y(channel, lane, np.array([k.value]))[0])
        return self.view_to_viewport(k.frame, y)

    def lane_viewport_y(self, channel: str) -> int:
        lane = self.lane_layout.lane_index(channel)
        if lane is None:
            raise KeyError(f"channel {channel!r} has no visible lane")
        return self.view_to_viewport(0.0, lane + 0.5).y()

    def plot_viewport(self) -> QtWidgets.QWidget:
        """The widget receiving the lanes' mouse input."""
        return self._plot.viewport()

    def label_column(self) -> QtWidgets.QWidget:
        """The channel names beside the lanes."""
        return self._labels

    def _curve(self, name: str) -> Curve:
        return self._preview.get(name) or self._take.curves[name]

    def _hit_key(self, view: QtCore.QPointF) -> tuple[str, int] | None:
        """The key drawn nearest ``view`` within KEY_HIT_PX, in the lane under it or a lane next
        to it: a key at a lane's minimum or maximum sits near the lane's edge, and a click on it
        must pick the key, not the lane across the edge."""
        if self._take is None:
            return None
        pw, ph = self._vb.viewPixelSize()
        reach = KEY_HIT_PX * ph
        best: tuple[float, str, int] | None = None
        for lane in range(int(np.floor(view.y() - reach)), int(np.floor(view.y() + reach)) + 1):
            name = self.lane_layout.channel_at(lane)
            if name is None:
                continue
            curve = self._take.curves[name]
            if not len(curve):
                continue
            ys = value_to_lane_y(name, lane, curve.values)
            d = np.hypot((curve.frames - view.x()) / pw, (ys - view.y()) / ph)
            i = int(np.argmin(d))
            if d[i] <= KEY_HIT_PX and (best is None or d[i] < best[0]):
                best = (float(d[i]), name, i)
        return None if best is None else (best[1], best[2])

    def _editable_selection(self) -> Selection:
        if self._take is None:
            return {}
        return {c: idx for c, idx in self._selection.as_dict().items() if not self._take.curves[c].lock}

    # ------------------------------------------------------------------ drawing (items.py)
    def _redraw(self, channels: set[str] | None = None) -> None:
        if self._batch:
            return
        self._items.draw_channels(channels)
        if channels is None:
            self._items.draw_waveform()
            self._update_playhead()
            self._items.bands.update()
            self._labels.update()
            self._labels.sync_overrides()

    def handle_points(self) -> np.ndarray:
        """The drawn handle ends [H, 2] (frame, lane y) of the selected bezier keys."""
        return self._items.handle_points()

    def drawn_keys(self, channel: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keys of ``channel`` as drawn now (the preview during a drag), sorted by frame:
        frames [K], values [K], selected [K] bool."""
        return self._items.drawn_keys(channel)

    def set_phonemes(self, items) -> None:
        """The lip sync's phones for the strip under the waveform: [(start frame, end frame, phone,
        mouth shape)] on the timeline's frames ([] hides it)."""
        self._items.phonemes.set_items(items or [])

    def phoneme_items(self) -> list[tuple[float, float, str, str]]:
        """The phones the strip holds now (all of them, drawn or not)."""
        return list(self._items.phonemes.items)

    def waveform_envelope(self) -> tuple[np.ndarray, np.ndarray]:
        """The waveform lane as drawn: column frames [C] and lane-y pairs [C, 2] (top, bottom)."""
        return self._items.waveform_envelope()

    @property
    def _curve_items(self) -> dict[str, pg.PlotCurveItem]:
        return self._items.curves

    def _update_playhead(self) -> None:
        self._labels.update()
        self._items.draw_playhead(self._frame)

    def _on_selection(self) -> None:
        if self._batch:
            return
        self._redraw()
        self._update_actions()
        self.selection_changed.emit()

    def _reselect_frames(self, frames: Mapping[str, set[float]]) -> None:
        self._selection.clear()
        for name, fs in frames.items():
            idx = indices_at(self._take.curves[name], fs)
            if idx:
                self._selection.select(name, idx, extend=True)

    def _update_actions(self) -> None:
        """Enable the edit actions (menus show them) for the current selection and clipboard."""
        acts = self.actions_by_name
        editable = bool(self._editable_selection())
        acts["delete"].setEnabled(editable)
        acts["copy"].setEnabled(bool(self._selection))
        acts["paste"].setEnabled(self._clipboard is not None and bool(self._clipboard.keys))
        acts["insert"].setEnabled(self._take is not None)
        acts["select_all"].setEnabled(self._take is not None)

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

    def step_frames(self, step: int) -> None:
        """Left / Right: move the playhead ``step`` frames."""
        self._set_frame_from_user(self._frame + int(step))

    def go_to_start(self) -> None:
        """Shift+Left: the playhead to the first frame."""
        self._set_frame_from_user(0)

    def go_to_end(self) -> None:
        """Shift+Right: the playhead to the take's last frame."""
        if self._take is not None:
            self._set_frame_from_user(self._take.duration - 1)

    def escape(self) -> None:
        """Esc: cancel a drag, else clear the selection."""
        if not self.cancel_drag():
            self._selection.clear()

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
        self._update_actions()

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

    def _selected_key_types(self) -> tuple[set[Interpolation], set[HandleType]]:
        """The interpolations and handle types of the selected keys of editable channels."""
        interps: set[Interpolation] = set()
        handle_types: set[HandleType] = set()
        for name, idx in self._editable_selection().items():
            keys = self._take.curves[name].keys
            for i in idx:
                if i < len(keys):
                    interps.add(Interpolation(keys[i].interpolation))
                    handle_types.add(HandleType(keys[i].handle_type))
        return interps, handle_types

    def context_menu(self) -> QtWidgets.QMenu:
        """The lanes' context menu (built afresh; the keymap's actions, enabled for the current
        selection and clipboard)."""
        menu = QtWidgets.QMenu(self)
        acts = self.actions_by_name
        has_sel = bool(self._editable_selection())
        menu.addAction(acts["insert"])
        menu.addAction(acts["delete"])
        menu.addSeparator()
        menu.addAction(acts["copy"])
        menu.addAction(acts["paste"])
        menu.addSeparator()
        # each submenu ticks the type that every selected key has (none when they differ)
        interps, handle_types = self._selected_key_types()
        interp = menu.addMenu("Interpolation")
        interp.setEnabled(has_sel)
        group = QtGui.QActionGroup(interp)
        for mode, label in ((Interpolation.CONSTANT, "Constant"), (Interpolation.LINEAR, "Linear"),
                            (Interpolation.BEZIER, "Bezier")):
            act = interp.addAction(label)
            act.setData(mode.value)
            act.setCheckable(True)
            act.setChecked(interps == {mode})
            group.addAction(act)
            act.triggered.connect(lambda _=False, m=mode: self.request_interpolation(m))
        handles = menu.addMenu("Handle Type")
        handles.setEnabled(has_sel)
        group = QtGui.QActionGroup(handles)
        for mode, label in ((HandleType.AUTO_CLAMPED, "Auto Clamped"), (HandleType.AUTO, "Auto"),
                            (HandleType.VECTOR, "Vector"), (HandleType.FREE, "Free")):
            act = handles.addAction(label)
            act.setData(mode.value)
            act.setCheckable(True)
            act.setChecked(handle_types == {mode})
            group.addAction(act)
            act.triggered.connect(lambda _=False, m=mode: self.request_handle_type(m))
        menu.addSeparator()
        menu.addAction(acts["frame_all"])
        return menu

    # ------------------------------------------------------------------ drags (tools.py)
    def cancel_drag(self) -> bool:
        """Esc / right button during a drag: undo what it showed. True if a drag was cancelled."""
        tool = self._tool
        if tool is None:
            return False
        self._tool = None
        tool.cancel()
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
            for lane in range(max(1, int(np.floor(y0))), min(len(self.lane_layout.lanes), int(np.ceil(y1)))):
                name = self.lane_layout.lanes[lane]
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

    def _start_tool(self, tool: Tool) -> None:
        self._tool = tool
        tool.begin()

    def _mouse_press(self, ev: QtGui.QMouseEvent) -> bool:
        self.setFocus(QtCore.Qt.MouseFocusReason)
        pos = ev.position()
        view = self._to_view(pos)
        px = pos.toPoint()
        button = ev.button()
        if self._tool is not None:
            if button == QtCore.Qt.RightButton:
                self.cancel_drag()
            return True
        extend = bool(ev.modifiers() & (QtCore.Qt.ShiftModifier | QtCore.Qt.ControlModifier))
        if button == QtCore.Qt.LeftButton:
            if self._in_ruler(pos) or view.y() < 1.0:
                self._start_tool(ScrubTool(self, view, px))
                return True
            hit = self._hit_key(view)
            near_playhead = abs(view.x() - self._frame) / self._vb.viewPixelSize()[0] <= PLAYHEAD_GRAB_PX
            if hit is None and near_playhead:
                self._start_tool(ScrubTool(self, view, px, jump=False))
                return True
            # the key's own lane, even when the click landed across its lane's edge
            channel = hit[0] if hit is not None else self.lane_layout.channel_at(int(np.floor(view.y())))
            if channel is not None:
                self.set_active_channel(channel)
            if hit is not None:
                # Shift / Ctrl + click toggles the key on release; if the press becomes a drag
                # it drags what a plain press would (the tool decides when the mouse moves)
                if not extend and not self._selection.is_selected(*hit):
                    self._selection.select(hit[0], [hit[1]])
                self._start_tool(KeyMoveTool(self, view, px, click_key=hit, toggle=extend))
            else:
                self._start_tool(BoxSelectTool(self, view, px, extend=extend))
            return True
        if button == QtCore.Qt.MiddleButton:
            self._start_tool(PanTool(self, view, px))
            return True
        if button == QtCore.Qt.RightButton:
            hit = self._hit_key(view)
            if hit is not None and not self._selection.is_selected(*hit):
                self._selection.select(hit[0], [hit[1]])
            if self._menu is not None:
                self._menu.deleteLater()
            self._menu = self.context_menu()
            self._menu.popup(ev.globalPosition().toPoint())
            return True
        return True

    def _mouse_move(self, ev: QtGui.QMouseEvent) -> bool:
        tool = self._tool
        if tool is not None:
            pos = ev.position()
            tool.update(self._to_view(pos), pos.toPoint(), ev.modifiers())
        return True

    def _mouse_release(self, ev: QtGui.QMouseEvent) -> bool:
        tool = self._tool
        if tool is None or ev.button() == QtCore.Qt.RightButton:
            return True
        self._tool = None
        tool.finish(self._to_view(ev.position()))
        return True

    def _wheel(self, ev: QtGui.QWheelEvent) -> bool:
        steps = ev.angleDelta().y() / 120.0 or ev.angleDelta().x() / 120.0
        if not steps:
            return True
        mods = ev.modifiers()
        if mods & QtCore.Qt.ShiftModifier:
            self.lane_layout.top -= steps
            self._apply_lane_range()
        elif mods & QtCore.Qt.ControlModifier:
            self._set_lane_px_from_user(self.lane_layout.lane_px * (1.15 ** steps))
        else:
            centre = self._to_view(ev.position()).x()
            x0, x1 = self.frame_range()
            factor = 0.85 ** steps
            if (x1 - x0) * factor < 4.0:
                factor = 4.0 / (x1 - x0)
            self._vb.setXRange(centre - (centre - x0) * factor, centre + (x1 - centre) * factor, padding=0)
        return True

    def event(self, ev: QtCore.QEvent) -> bool:
        # claim the keymap's keys before window-wide shortcuts take them while the timeline
        # has focus; keyPressEvent then triggers the timeline's own action
        if ev.type() == QtCore.QEvent.ShortcutOverride and keymap.action_for_key(self.actions_by_name, ev):
            ev.accept()
            return True
        return super().event(ev)

    def keyPressEvent(self, ev: QtGui.QKeyEvent) -> None:
        action = keymap.action_for_key(self.actions_by_name, ev)
        if action is None:
            super().keyPressEvent(ev)
            return
        action.trigger()
        ev.accept()
