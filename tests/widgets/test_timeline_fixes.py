"""Fixes from an animator's first walk through the studio, driven by real mouse, key and wheel
events: key values stay in their channel's range while dragging, a key on a lane's edge wins
the click, the Edit menu's timeline items (enabled state; the wheel after one was chosen), and
the context menu's ticks for the selected keys' types."""
from __future__ import annotations

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from core.anim.curve import Curve, HandleType, Interpolation, Keyframe
from core.anim.edit import move_selection
from core.anim.take import Take
from tests.widgets.test_timeline import L, click, drag, key_pos, make_take, tl  # noqa: F401
from tests.widgets.test_timeline_keymap import Window
from widgets.timeline import TimelineWidget, channel_range

NO = QtCore.Qt.NoModifier


def edge_take() -> Take:
    """AU12 (between AU10 and AU14) keyed at its maximum (frame 20) and minimum (40, 80); at
    frame 80 AU14 below has a key at its maximum, right across the lane edge."""
    return Take(fps=25.0, duration=100, curves={
        "AU10": Curve((Keyframe(20, 2.5), Keyframe(40, 3.0))),
        "AU12": Curve((Keyframe(20, 5.0), Keyframe(40, 0.0), Keyframe(60, 4.0), Keyframe(80, 0.0))),
        "AU14": Curve((Keyframe(40, 2.0), Keyframe(80, 5.0))),
        "jaw_open": Curve((Keyframe(10, 0.8), Keyframe(50, 0.1))),
    })


@pytest.fixture
def small(qtbot):
    """The timeline with the smallest lanes (14 px), where a key at 0 or 5 is 2 px from the edge."""
    w = TimelineWidget()
    qtbot.addWidget(w)
    w.resize(1000, 500)
    w.show()
    qtbot.waitExposed(w)
    w.set_take(edge_take())
    w.restore_view_state({"lane_px": 14})
    w.scroll_to_channel("AU10")
    QtWidgets.QApplication.processEvents()
    return w


def lane_of(tl, pos: QtCore.QPoint) -> str | None:
    """The channel of the lane under a viewport point."""
    return tl.lane_layout.channel_at(int(tl._to_view(QtCore.QPointF(pos)).y() // 1))


# ------------------------------------------------------------------ 1. values stay in range


def test_a_key_dragged_past_the_lane_stops_at_the_channels_range_in_preview_and_commit(qtbot, small):
    tl = small
    commits = []
    tl.keys_move_committed.connect(lambda *a: commits.append(a))
    lane_h = tl.view_to_viewport(0, 1).y() - tl.view_to_viewport(0, 0).y()
    a = key_pos(tl, "AU12", 2)  # frame 60, value 4
    b = QtCore.QPoint(a.x(), a.y() - 3 * lane_h)  # three lanes up: +25 on a 0..5 lane
    drag(qtbot, tl, a, b, release=False)
    frames, values, _ = tl.drawn_keys("AU12")
    assert list(values) == [5.0, 0.0, 5.0, 0.0], "the preview shows the key stopped at AU_MAX"
    lane = tl.lane_layout.lane_index("AU12")
    assert lane < tl._to_view(QtCore.QPointF(tl.key_viewport_pos("AU12", 0))).y() < lane + 1
    qtbot.mouseRelease(tl.plot_viewport(), L, NO, b)
    assert len(commits) == 1
    _, sel, dframe, dvalues = commits[0]
    # the studio's command (core move_selection) lands where the preview showed
    after = move_selection(edge_take(), sel, dframe, dvalues["AU12"])
    assert [k.value for k in after.curves["AU12"].keys] == [5.0, 0.0, 5.0, 0.0]
    tl.set_take(after)
    assert list(tl.drawn_keys("AU12")[1]) == [5.0, 0.0, 5.0, 0.0]
    tl.set_take(edge_take())  # the undo
    assert list(tl.drawn_keys("AU12")[1]) == [5.0, 0.0, 4.0, 0.0]


def test_a_speech_key_dragged_down_stops_at_zero(qtbot, small):
    tl = small
    tl.scroll_to_channel("jaw_open")
    tl.lane_layout.top = 0.0
    tl._apply_lane_range()
    a = key_pos(tl, "jaw_open", 1)  # value 0.1
    lane_h = tl.view_to_viewport(0, 1).y() - tl.view_to_viewport(0, 0).y()
    drag(qtbot, tl, a, QtCore.QPoint(a.x(), a.y() + 2 * lane_h), release=False)
    assert list(tl.drawn_keys("jaw_open")[1]) == [0.8, 0.0]
    assert channel_range("jaw_open") == (0.0, 1.0)
    qtbot.keyClick(tl, QtCore.Qt.Key_Escape)
    assert list(tl.drawn_keys("jaw_open")[1]) == [0.8, 0.1]


# ------------------------------------------------------------------ 1. a key on a lane's edge


@pytest.mark.parametrize("index, value", [(1, 0.0), (0, 5.0)])
def test_a_click_on_a_key_at_the_lanes_edge_picks_the_key_not_the_lane_across(qtbot, small, index, value):
    tl = small
    tl.set_active_channel("jaw_open")
    centre = key_pos(tl, "AU12", index)
    assert tl.drawn_keys("AU12")[1][index] == value
    # the drawn centre, then the part of the diamond across the lane edge (3 px of its 4.5)
    outward = 3 if value == 0.0 else -3
    across = QtCore.QPoint(centre.x(), centre.y() + outward)
    assert lane_of(tl, across) == ("AU14" if value == 0.0 else "AU10"), "the test must click across the edge"
    for pos in (centre, across):
        tl.set_active_channel("jaw_open")
        qtbot.keyClick(tl, QtCore.Qt.Key_Escape)  # clears the selection
        assert tl.selection.as_dict() == {}
        click(qtbot, tl, pos)
        assert tl.selection.as_dict() == {"AU12": [index]}
        assert tl.active_channel() == "AU12"


def test_of_two_keys_facing_across_a_lane_edge_the_nearer_one_wins(qtbot, small):
    tl = small
    low, high = key_pos(tl, "AU12", 3), key_pos(tl, "AU14", 1)  # AU12 at 0 over AU14 at 5, frame 80
    assert 0 < high.y() - low.y() <= 8
    click(qtbot, tl, low)
    assert tl.selection.as_dict() == {"AU12": [3]}
    click(qtbot, tl, high)
    assert tl.selection.as_dict() == {"AU14": [1]} and tl.active_channel() == "AU14"


# ------------------------------------------------------------------ the Edit menu


@pytest.fixture
def bare(qtbot):
    """The keymap tests' main window (Edit menu of the timeline's actions), before any take."""
    w = Window()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is w)
    return w


def open_edit_menu(qtbot, win) -> QtWidgets.QMenu:
    """Alt+E, as a keyboard user opens it."""
    qtbot.keyClick(win, QtCore.Qt.Key_E, QtCore.Qt.AltModifier)
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activePopupWidget() is win.edit)
    return win.edit


def reachable_items(qtbot, win) -> set[str]:
    """Open the Edit menu and walk it with Down: the names of the items the highlight reaches
    (a greyed-out item is skipped); Esc closes it."""
    menu = open_edit_menu(qtbot, win)
    seen: list[str] = []
    for _ in range(2 * len(menu.actions()) + 1):
        qtbot.keyClick(menu, QtCore.Qt.Key_Down)
        act = menu.activeAction()
        if act is not None and act.text() not in seen:
            seen.append(act.text())
    qtbot.keyClick(menu, QtCore.Qt.Key_Escape)
    qtbot.waitUntil(lambda: not menu.isVisible())
    return set(seen)


def choose(qtbot, win, text: str) -> None:
    """Open the Edit menu with Alt+E, walk to ``text`` with Down and press Return."""
    menu = open_edit_menu(qtbot, win)
    for _ in range(2 * len(menu.actions()) + 1):
        if menu.activeAction() is not None and menu.activeAction().text() == text:
            break
        qtbot.keyClick(menu, QtCore.Qt.Key_Down)
    assert menu.activeAction().text() == text, f"{text} cannot be reached (greyed out?)"
    qtbot.keyClick(menu, QtCore.Qt.Key_Return)
    qtbot.waitUntil(lambda: not menu.isVisible())


def test_copy_and_delete_are_greyed_out_in_the_menu_while_nothing_is_selected(qtbot, bare):
    win, tl = bare, bare.tl
    # at start, no take: nothing to copy, delete, paste, select or key
    assert reachable_items(qtbot, win) == set()
    tl.set_take(make_take())
    tl.frame_all()
    assert reachable_items(qtbot, win) == {"Select All Keys", "Insert Key"}
    click(qtbot, tl, key_pos(tl, "AU12", 1))
    assert reachable_items(qtbot, win) == {"Copy Keys", "Delete Keys", "Select All Keys", "Insert Key"}
    # a click on empty lane space clears the selection: greyed out again
    click(qtbot, tl, tl.view_to_viewport(70.0, tl.lane_layout.lane_index("AU12") + 0.5))
    assert reachable_items(qtbot, win) == {"Select All Keys", "Insert Key"}
    # a locked channel's key can be copied but not deleted
    click(qtbot, tl, key_pos(tl, "AU01", 0))
    assert reachable_items(qtbot, win) == {"Copy Keys", "Select All Keys", "Insert Key"}
    choose(qtbot, win, "Copy Keys")
    assert "Paste Keys" in reachable_items(qtbot, win)
    # a take without the selected key (an undo, another file): nothing selected, greyed out
    click(qtbot, tl, key_pos(tl, "AU25", 1))
    assert "Delete Keys" in reachable_items(qtbot, win)
    tl.set_take(Take(fps=25.0, duration=100, curves={"AU25": Curve((Keyframe(10, 0.5),))}))
    assert tl.selection.as_dict() == {}
    assert reachable_items(qtbot, win) == {"Paste Keys", "Select All Keys", "Insert Key"}
    # Esc in the timeline clears a selection: greyed out again
    click(qtbot, tl, key_pos(tl, "AU25", 0))
    qtbot.keyClick(tl, QtCore.Qt.Key_Escape)
    assert "Copy Keys" not in reachable_items(qtbot, win)


def window_wheel(win, tl, steps: int = 1, mods=NO) -> None:
    """A wheel turn over the middle of the lanes, given to the window as the window system gives
    it (routed by Qt to the widget under the pointer, through any popup or grab in the way)."""
    vp = tl.plot_viewport()
    centre = vp.rect().center()
    ev = QtGui.QWheelEvent(QtCore.QPointF(vp.mapTo(win, centre)), QtCore.QPointF(vp.mapToGlobal(centre)),
                           QtCore.QPoint(), QtCore.QPoint(0, 120 * steps), QtCore.Qt.NoButton, mods,
                           QtCore.Qt.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(win.windowHandle(), ev)
    QtWidgets.QApplication.processEvents()


@pytest.mark.parametrize("item", ["Copy Keys", "Delete Keys", "Select All Keys", "Insert Key", "Paste Keys"])
def test_after_an_edit_menu_item_the_wheel_and_the_scroll_bar_still_work(qtbot, bare, item):
    win, tl = bare, bare.tl
    tl.set_take(make_take())
    win.resize(1100, 420)  # fewer lanes than the take has: the scroll bar is live
    QtWidgets.QApplication.processEvents()
    tl.frame_time()
    assert tl.lane_scrollbar().maximum() > 0
    click(qtbot, tl, key_pos(tl, "jaw_open", 1))
    qtbot.keyClick(tl, QtCore.Qt.Key_C, QtCore.Qt.ControlModifier)  # so that Paste is enabled
    win.other.setFocus()  # the focus elsewhere, as when the animator reaches for the menu
    qtbot.waitUntil(win.other.hasFocus)
    choose(qtbot, win, item)
    assert QtWidgets.QApplication.activePopupWidget() is None
    assert tl._tool is None
    # the wheel zooms time at once, without a click in the timeline first
    before = tl.frame_range()
    window_wheel(win, tl, 1)
    after = tl.frame_range()
    assert after[1] - after[0] < before[1] - before[0], "the wheel did not zoom"
    # Shift + wheel scrolls the lanes
    top = tl.lane_scrollbar().value()
    window_wheel(win, tl, -2, QtCore.Qt.ShiftModifier)
    assert tl.lane_scrollbar().value() > top, "Shift + wheel did not scroll"
    # the first click on the scroll bar's track pages the lanes
    bar = tl.lane_scrollbar()
    value = bar.value()
    qtbot.mouseClick(bar, L, NO, QtCore.QPoint(bar.width() // 2, bar.height() - 20))
    assert bar.value() > value or bar.value() == bar.maximum() > value - 1, "the scroll-bar click was lost"


# ------------------------------------------------------------------ 4. context menu ticks


def typed_take() -> Take:
    return Take(fps=25.0, duration=100, curves={
        "AU12": Curve((Keyframe(10, 1.0, Interpolation.LINEAR, HandleType.VECTOR),
                       Keyframe(20, 3.0, Interpolation.LINEAR, HandleType.AUTO_CLAMPED),
                       Keyframe(40, 2.0, Interpolation.BEZIER, HandleType.AUTO_CLAMPED))),
        "AU25": Curve((Keyframe(10, 0.5, Interpolation.CONSTANT, HandleType.FREE),)),
    })


def ticks(qtbot, tl, pos) -> dict[str, list[str]]:
    """Right click at ``pos``, open each type submenu with the keyboard and read its ticked items;
    Esc closes the menus."""
    qtbot.mouseClick(tl.plot_viewport(), QtCore.Qt.RightButton, NO, pos)
    qtbot.waitUntil(lambda: isinstance(QtWidgets.QApplication.activePopupWidget(), QtWidgets.QMenu))
    menu = QtWidgets.QApplication.activePopupWidget()
    out = {}
    for title in ("Interpolation", "Handle Type"):
        entry = next(a for a in menu.actions() if a.text() == title)
        menu.setActiveAction(entry)
        qtbot.keyClick(menu, QtCore.Qt.Key_Right)
        sub = entry.menu()
        qtbot.waitUntil(sub.isVisible)
        assert all(a.isCheckable() for a in sub.actions())
        out[title] = [a.text() for a in sub.actions() if a.isChecked()]
        qtbot.keyClick(sub, QtCore.Qt.Key_Escape)
        qtbot.waitUntil(lambda: not sub.isVisible())
    qtbot.keyClick(menu, QtCore.Qt.Key_Escape)
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activePopupWidget() is None)
    return out


def test_the_type_submenus_tick_the_type_the_selected_keys_share(qtbot, tl):
    tl.set_take(typed_take())
    tl.frame_all()
    assert ticks(qtbot, tl, key_pos(tl, "AU12", 0)) == {"Interpolation": ["Linear"], "Handle Type": ["Vector"]}
    assert ticks(qtbot, tl, key_pos(tl, "AU25", 0)) == {"Interpolation": ["Constant"], "Handle Type": ["Free"]}
    # two keys sharing the interpolation but not the handle type
    click(qtbot, tl, key_pos(tl, "AU12", 0))
    click(qtbot, tl, key_pos(tl, "AU12", 1), QtCore.Qt.ShiftModifier)
    assert ticks(qtbot, tl, key_pos(tl, "AU12", 1)) == {"Interpolation": ["Linear"], "Handle Type": []}
    # keys sharing the handle type but not the interpolation
    click(qtbot, tl, key_pos(tl, "AU12", 1))
    click(qtbot, tl, key_pos(tl, "AU12", 2), QtCore.Qt.ShiftModifier)
    assert ticks(qtbot, tl, key_pos(tl, "AU12", 2)) == {"Interpolation": [], "Handle Type": ["Auto Clamped"]}
    # choosing a type asks for it on the selection, and the next menu ticks it
    with qtbot.waitSignal(tl.interpolation_requested) as sig:
        qtbot.mouseClick(tl.plot_viewport(), QtCore.Qt.RightButton, NO, key_pos(tl, "AU12", 2))
        qtbot.waitUntil(lambda: isinstance(QtWidgets.QApplication.activePopupWidget(), QtWidgets.QMenu))
        menu = QtWidgets.QApplication.activePopupWidget()
        entry = next(a for a in menu.actions() if a.text() == "Interpolation")
        menu.setActiveAction(entry)
        qtbot.keyClick(menu, QtCore.Qt.Key_Right)
        qtbot.waitUntil(entry.menu().isVisible)
        sub = entry.menu()
        sub.setActiveAction(next(a for a in sub.actions() if a.text() == "Constant"))
        qtbot.keyClick(sub, QtCore.Qt.Key_Return)
    selection, mode = sig.args
    assert mode == "constant" and selection == {"AU12": [1, 2]}
    from core.anim.edit import edit_selection, set_interpolation
    tl.set_take(edit_selection(tl._take, selection, lambda c, i: set_interpolation(c, i, mode)))
    assert ticks(qtbot, tl, key_pos(tl, "AU12", 2))["Interpolation"] == ["Constant"]
