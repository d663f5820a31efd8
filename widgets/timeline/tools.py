"""Drag tools: each mouse drag in the lanes is one tool object with ``begin`` (on press),
``update`` (on each move), ``finish`` (on release) and ``cancel`` (Esc or the right button).

The widget picks a tool on press and forwards the drag to it; a tool changes only view state
(playhead, view range, selection, the key drag's preview) and emits the widget's intents.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from core.anim.edit import channel_range, move_keys

from .layout import Selection, lane_dy_to_value

if TYPE_CHECKING:
    from core.anim.take import Take

    from .widget import TimelineWidget


class Tool:
    """A drag in the lanes. ``press_view`` is the press in view coordinates (frame, lane y),
    ``press_px`` in the plot viewport's pixels."""

    name = "tool"

    def __init__(self, timeline: "TimelineWidget", press_view: QtCore.QPointF, press_px: QtCore.QPoint):
        self.tl = timeline
        self.press_view = QtCore.QPointF(press_view)
        self.press_px = QtCore.QPoint(press_px)
        #: the drag has moved past the start distance (a click never starts)
        self.started = False

    def moved_enough(self, px: QtCore.QPoint) -> bool:
        return (px - self.press_px).manhattanLength() >= QtWidgets.QApplication.startDragDistance()

    def begin(self) -> None:
        """On press."""

    def update(self, view: QtCore.QPointF, px: QtCore.QPoint, modifiers: QtCore.Qt.KeyboardModifier) -> None:
        """On each mouse move while the button is held."""

    def finish(self, view: QtCore.QPointF) -> None:
        """On release: apply the drag."""

    def cancel(self) -> None:
        """Esc or right button: undo what the drag showed."""


class ScrubTool(Tool):
    """Moves the playhead: the ruler, the waveform lane or the playhead line."""

    name = "scrub"

    def __init__(self, timeline, press_view, press_px, jump: bool = True):
        super().__init__(timeline, press_view, press_px)
        self.jump = jump

    def begin(self) -> None:
        tl = self.tl
        f = tl._set_frame_from_user(self.press_view.x()) if self.jump else tl._frame
        tl.scrub_started.emit(f)
        tl.scrubbed.emit(f)

    def update(self, view, px, modifiers) -> None:
        self.started = True
        tl = self.tl
        f = tl._frame
        if tl._set_frame_from_user(view.x()) != f:
            tl.scrubbed.emit(tl._frame)

    def finish(self, view) -> None:
        self.tl.scrub_finished.emit(self.tl._frame)

    def cancel(self) -> None:
        # the playhead stays where the scrub left it; the studio still hears the scrub end
        self.tl.scrub_finished.emit(self.tl._frame)


class PanTool(Tool):
    """Middle drag: pans the time axis."""

    name = "pan"

    def begin(self) -> None:
        self.x_range = self.tl.frame_range()

    def update(self, view, px, modifiers) -> None:
        self.started = True
        x0, x1 = self.x_range
        width = max(1.0, float(self.tl._vb.width()))
        shift = (px.x() - self.press_px.x()) / width * (x1 - x0)
        self.tl._vb.setXRange(x0 - shift, x1 - shift, padding=0)

    def cancel(self) -> None:
        self.tl._vb.setXRange(*self.x_range, padding=0)


class BoxSelectTool(Tool):
    """Left drag on empty lane space: a rubber band selects the keys inside it on release."""

    name = "box"

    def __init__(self, timeline, press_view, press_px, extend: bool = False):
        super().__init__(timeline, press_view, press_px)
        self.extend = extend

    def update(self, view, px, modifiers) -> None:
        if self.moved_enough(px):
            self.started = True
            self.tl._items.show_box(QtCore.QRectF(self.press_view, view).normalized())

    def finish(self, view) -> None:
        self.tl._items.hide_box()
        if self.started:
            self.tl._box_select(self.press_view, view, self.extend)
        elif not self.extend:
            self.tl._selection.clear()

    def cancel(self) -> None:
        self.tl._items.hide_box()


class KeyMoveTool(Tool):
    """Left drag on a key: moves the selected keys of editable channels. The widget draws the
    move itself (the take at the drag's start plus the delta) and emits
    ``keys_moved_preview(drag_id, selection, dframe, dvalues)`` on each change, one
    ``keys_move_committed`` on release if the keys moved, ``keys_move_cancelled(drag_id)`` on
    cancel (and on a release where they ended where they started).

    A press without a drag is a click: a plain click selects ``click_key`` alone, a Shift / Ctrl
    click (``toggle``) adds it to or takes it out of the selection. A toggle-press that becomes
    a drag does not toggle: it drags what a plain press would (the pressed key's selection, or
    the pressed key alone if it was not selected). Shift held while dragging constrains the
    move to time or value, whichever is larger."""

    name = "keys"

    def __init__(self, timeline, press_view, press_px, click_key: tuple[str, int] | None = None,
                 toggle: bool = False):
        super().__init__(timeline, press_view, press_px)
        self.click_key = click_key
        self.toggle = toggle
        self.drag_id = 0
        self.selection: Selection = {}
        self.dframe = 0.0
        self.dvalues: dict[str, float] = {}
        self.base: "Take | None" = None
        self.previewed = False

    def _start(self) -> None:
        tl = self.tl
        if self.toggle and self.click_key is not None and not tl._selection.is_selected(*self.click_key):
            tl._selection.select(self.click_key[0], [self.click_key[1]])
        tl._drag_counter += 1
        self.drag_id = tl._drag_counter
        self.selection = tl._editable_selection()
        self.base = tl._take
        self.started = True

    def update(self, view, px, modifiers) -> None:
        if not self.started and self.moved_enough(px):
            self._start()
        if not (self.started and self.selection):
            return
        tl = self.tl
        dx = view.x() - self.press_view.x()
        dy = view.y() - self.press_view.y()
        if modifiers & QtCore.Qt.ShiftModifier:
            pw, ph = tl._vb.viewPixelSize()
            if abs(dx / pw) >= abs(dy / ph):
                dy = 0.0
            else:
                dx = 0.0
        dframe = float(round(dx))
        dvalues = {c: lane_dy_to_value(c, dy) for c in self.selection}
        if self.previewed and dframe == self.dframe and dvalues == self.dvalues:
            return
        self.dframe, self.dvalues = dframe, dvalues
        self.previewed = True
        preview, preview_selected = {}, {}
        for c, idx in self.selection.items():
            curve = self.base.curves[c]
            # the same clamp to the channel's range as the committed move (core.anim.edit.move_selection)
            preview[c] = move_keys(curve, idx, dframe, dvalues[c], snap=True, value_range=channel_range(c))
            preview_selected[c] = {float(round(curve.frames[i] + dframe)) for i in idx}
        tl._preview, tl._preview_selected = preview, preview_selected
        tl._redraw(set(self.selection))
        tl.keys_moved_preview.emit(self.drag_id, self.selection, dframe, dict(dvalues))

    def moved(self) -> bool:
        """The keys are somewhere else than where the drag found them."""
        return self.dframe != 0.0 or any(v != 0.0 for v in self.dvalues.values())

    def finish(self, view) -> None:
        tl = self.tl
        if self.started and self.selection:
            if self.moved():
                tl._pending_sel_frames = {c: set(fs) for c, fs in tl._preview_selected.items()}
                tl.keys_move_committed.emit(self.drag_id, self.selection, self.dframe, dict(self.dvalues))
            else:
                self.cancel()
        elif not self.started and self.click_key is not None:
            name, i = self.click_key
            if self.toggle:
                tl._selection.toggle(name, i)
            else:
                tl._selection.select(name, [i])

    def cancel(self) -> None:
        if not self.started:
            return
        tl = self.tl
        # draw the take the drag started from (the studio may have handed back previews)
        if self.base is not None:
            tl._take = self.base
        tl._preview, tl._preview_selected = {}, {}
        tl._redraw()
        if self.selection and self.previewed:
            tl.keys_move_cancelled.emit(self.drag_id)
