"""Timeline drag tools and selection, driven by real mouse and key events on the widget.

The studio's part (turning an intent into an edit and handing the new take back) is played by
the core edits themselves, the way the studio applies them."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from core.anim.curve import Curve, Keyframe
from core.anim.edit import delete_selection, move_keys
from tests.widgets.test_timeline import L, click, drag, key_pos, make_take, px_per_frame, tl  # noqa: F401

SHIFT = QtCore.Qt.ShiftModifier


def shift_drag(qtbot, tl, a, b, steps=4, release=True):
    """A drag with Shift held from the press to the release (the moves carry Shift too)."""
    vp = tl.plot_viewport()
    qtbot.mousePress(vp, L, SHIFT, a)
    for t in np.linspace(0, 1, steps + 1)[1:]:
        p = QtCore.QPoint(int(a.x() + (b.x() - a.x()) * t), int(a.y() + (b.y() - a.y()) * t))
        QTest.mouseEvent(QTest.MouseAction.MouseMove, vp, QtCore.Qt.NoButton, SHIFT, p)
    if release:
        qtbot.mouseRelease(vp, L, SHIFT, b)


def apply_moves(take, sel, dframe, dvalues):
    for c, idx in sel.items():
        take = take.with_curve(c, move_keys(take.curves[c], idx, dframe, dvalues[c]))
    return take


def selected_frames(tl, channel):
    frames, _, selected = tl.drawn_keys(channel)
    return list(frames[selected])


def test_after_a_delete_no_other_key_shows_selected_and_a_second_x_deletes_nothing(qtbot, tl):
    original = make_take()
    click(qtbot, tl, key_pos(tl, "AU12", 0))  # frame 10
    deletes = []
    tl.keys_delete_requested.connect(deletes.append)
    qtbot.keyClick(tl, QtCore.Qt.Key_X)
    assert deletes == [{"AU12": [0]}]
    after = delete_selection(original, deletes[0])
    tl.set_take(after)
    # the key now at index 0 (frame 20) was never picked
    assert tl.selection.as_dict() == {}
    assert selected_frames(tl, "AU12") == []
    assert list(tl.drawn_keys("AU12")[0]) == [20.0, 40.0]
    qtbot.keyClick(tl, QtCore.Qt.Key_X)
    assert len(deletes) == 1, "a second X deleted a key the user never picked"
    # one undo brings the key back, unselected
    tl.set_take(original)
    assert list(tl.drawn_keys("AU12")[0]) == [10.0, 20.0, 40.0]
    assert selected_frames(tl, "AU12") == []


def test_a_history_jump_keeps_only_the_picked_keys_that_still_exist(qtbot, tl):
    click(qtbot, tl, key_pos(tl, "AU12", 2))  # frame 40
    click(qtbot, tl, key_pos(tl, "AU25", 1), SHIFT)  # frame 30
    assert tl.selection.as_dict() == {"AU12": [2], "AU25": [1]}
    take = make_take()
    # another state of the take: a key inserted before AU12's frame 40, AU25's frame 30 gone
    jumped = take.with_curve("AU12", Curve((Keyframe(10, 1.0), Keyframe(15, 1.5), Keyframe(20, 3.0),
                                            Keyframe(40, 2.0))))
    jumped = jumped.with_curve("AU25", Curve((Keyframe(10, 0.5),)))
    tl.set_take(jumped)
    assert tl.selection.as_dict() == {"AU12": [3]}
    assert selected_frames(tl, "AU12") == [40.0]
    assert selected_frames(tl, "AU25") == []
    with qtbot.waitSignal(tl.keys_delete_requested) as sig:
        qtbot.keyClick(tl, QtCore.Qt.Key_X)
    assert sig.args[0] == {"AU12": [3]}


def test_shift_and_ctrl_click_toggle_a_key(qtbot, tl):
    click(qtbot, tl, key_pos(tl, "AU12", 1))
    click(qtbot, tl, key_pos(tl, "AU25", 0), SHIFT)
    assert tl.selection.as_dict() == {"AU12": [1], "AU25": [0]}
    click(qtbot, tl, key_pos(tl, "AU25", 0), QtCore.Qt.ControlModifier)
    assert tl.selection.as_dict() == {"AU12": [1]}
    click(qtbot, tl, key_pos(tl, "AU12", 1), SHIFT)
    assert tl.selection.as_dict() == {}
    assert selected_frames(tl, "AU12") == []


def test_shift_drag_on_an_unselected_key_constrains_and_does_not_add_it(qtbot, tl):
    commits = []
    tl.keys_move_committed.connect(lambda *a: commits.append(a))
    click(qtbot, tl, key_pos(tl, "AU12", 1))
    a = key_pos(tl, "AU25", 0)  # frame 10, not selected
    # mostly sideways with some vertical wobble: Shift keeps it to time
    b = QtCore.QPoint(int(a.x() + 6 * px_per_frame(tl)), a.y() + 3)
    shift_drag(qtbot, tl, a, b)
    [(_, sel, dframe, dvalues)] = commits
    # a plain press on an unselected key drags that key alone
    assert sel == {"AU25": [0]}
    assert dframe == 6.0 and dvalues == {"AU25": 0.0}
    moved = apply_moves(make_take(), sel, dframe, dvalues)
    tl.set_take(moved)
    assert tl.selection.as_dict() == {"AU25": [0]}
    assert list(tl.drawn_keys("AU25")[0]) == [16.0, 30.0]


def test_shift_drag_on_a_selected_key_moves_the_selection_without_toggling(qtbot, tl):
    commits = []
    tl.keys_move_committed.connect(lambda *a: commits.append(a))
    click(qtbot, tl, key_pos(tl, "AU12", 1))
    click(qtbot, tl, key_pos(tl, "AU25", 0), SHIFT)
    lane = tl._lane_index("AU12")
    a = key_pos(tl, "AU12", 1)
    # mostly vertical: Shift keeps it to value
    b = QtCore.QPoint(a.x() + 2, tl.view_to_viewport(20.0, lane + 0.15).y())
    shift_drag(qtbot, tl, a, b)
    [(_, sel, dframe, dvalues)] = commits
    assert sel == {"AU12": [1], "AU25": [0]}
    assert dframe == 0.0 and dvalues["AU12"] > 0.5
    assert tl.selection.as_dict() == {"AU12": [1], "AU25": [0]}


def test_the_widget_previews_a_key_drag_itself_and_commits_once(qtbot, tl):
    previews, commits, cancels = [], [], []
    tl.keys_moved_preview.connect(lambda *a: previews.append(a))
    tl.keys_move_committed.connect(lambda *a: commits.append(a))
    tl.keys_move_cancelled.connect(cancels.append)
    # a click is not a move
    click(qtbot, tl, key_pos(tl, "AU25", 1))
    assert previews == [] and commits == [] and cancels == []
    a = key_pos(tl, "AU25", 1)  # frame 30
    b = QtCore.QPoint(int(a.x() + 7 * px_per_frame(tl)), a.y())
    drag(qtbot, tl, a, b, release=False)
    # nobody handed a take back: the widget draws the move from the take plus the delta
    assert list(tl.drawn_keys("AU25")[0]) == [10.0, 37.0]
    assert selected_frames(tl, "AU25") == [37.0]
    assert previews and previews[-1][2] == 7.0
    assert len({p[0] for p in previews}) == 1
    qtbot.mouseRelease(tl.plot_viewport(), L, QtCore.Qt.NoModifier, b)
    assert len(commits) == 1 and commits[0][0] == previews[-1][0] and commits[0][2] == 7.0
    assert cancels == []
    tl.set_take(apply_moves(make_take(), *commits[0][1:]))
    assert list(tl.drawn_keys("AU25")[0]) == [10.0, 37.0]
    assert tl.selection.as_dict() == {"AU25": [1]}


def test_a_drag_that_ends_where_it_started_commits_nothing(qtbot, tl):
    commits, cancels = [], []
    tl.keys_move_committed.connect(lambda *a: commits.append(a))
    tl.keys_move_cancelled.connect(cancels.append)
    a = key_pos(tl, "AU12", 0)
    vp = tl.plot_viewport()
    qtbot.mousePress(vp, L, QtCore.Qt.NoModifier, a)
    qtbot.mouseMove(vp, QtCore.QPoint(int(a.x() + 5 * px_per_frame(tl)), a.y()))
    qtbot.mouseMove(vp, a)
    qtbot.mouseRelease(vp, L, QtCore.Qt.NoModifier, a)
    assert commits == [] and len(cancels) == 1
    assert list(tl.drawn_keys("AU12")[0]) == [10.0, 20.0, 40.0]


def test_a_take_handed_back_mid_drag_does_not_break_the_preview_or_the_drag(qtbot, tl):
    commits = []
    tl.keys_move_committed.connect(lambda *a: commits.append(a))
    a = key_pos(tl, "AU12", 0)  # frame 10
    mid = QtCore.QPoint(int(a.x() + 4 * px_per_frame(tl)), a.y())
    drag(qtbot, tl, a, mid, release=False)
    assert list(tl.drawn_keys("AU12")[0]) == [14.0, 20.0, 40.0]
    # the studio hands back a preview take of its own (already moved, and AU25 edited elsewhere)
    studio = apply_moves(make_take(), {"AU12": [0]}, 4.0, {"AU12": 0.0})
    studio = studio.with_curve("AU25", Curve((Keyframe(10, 0.5), Keyframe(30, 4.0), Keyframe(60, 1.0))))
    tl.set_take(studio)
    # the drag still draws the take it started from plus its delta, not the move twice
    assert list(tl.drawn_keys("AU12")[0]) == [14.0, 20.0, 40.0]
    assert list(tl.drawn_keys("AU25")[0]) == [10.0, 30.0, 60.0]
    end = QtCore.QPoint(int(a.x() + 6 * px_per_frame(tl)), a.y())
    qtbot.mouseMove(tl.plot_viewport(), end)
    assert list(tl.drawn_keys("AU12")[0]) == [16.0, 20.0, 40.0]
    qtbot.mouseRelease(tl.plot_viewport(), L, QtCore.Qt.NoModifier, end)
    [(_, sel, dframe, _)] = commits
    assert sel == {"AU12": [0]} and dframe == 6.0


def test_cancel_draws_the_keys_back_even_after_studio_previews(qtbot, tl):
    cancels, commits = [], []
    tl.keys_move_cancelled.connect(cancels.append)
    tl.keys_move_committed.connect(lambda *a: commits.append(a))
    tl.keys_moved_preview.connect(lambda _id, sel, df, dv: tl.set_take(apply_moves(make_take(), sel, df, dv)))
    a = key_pos(tl, "jaw_open", 1)  # frame 50
    b = QtCore.QPoint(int(a.x() - 9 * px_per_frame(tl)), a.y())
    drag(qtbot, tl, a, b, release=False)
    assert list(tl.drawn_keys("jaw_open")[0]) == [5.0, 41.0]
    qtbot.mousePress(tl.plot_viewport(), QtCore.Qt.RightButton, QtCore.Qt.NoModifier, b)
    qtbot.mouseRelease(tl.plot_viewport(), QtCore.Qt.RightButton, QtCore.Qt.NoModifier, b)
    qtbot.mouseRelease(tl.plot_viewport(), L, QtCore.Qt.NoModifier, b)
    assert commits == [] and len(cancels) == 1
    assert list(tl.drawn_keys("jaw_open")[0]) == [5.0, 50.0]
    assert tl.selection.as_dict() == {"jaw_open": [1]}


def test_escape_cancels_a_box_select(qtbot, tl):
    click(qtbot, tl, key_pos(tl, "jaw_open", 0))
    lane12 = tl._lane_index("AU12")
    lane25 = tl._lane_index("AU25")
    a = tl.view_to_viewport(8.0, lane12 + 0.02)
    b = tl.view_to_viewport(22.0, lane25 + 0.98)
    drag(qtbot, tl, a, b, release=False)
    assert tl._items.box.isVisible()
    qtbot.keyClick(tl, QtCore.Qt.Key_Escape)
    assert not tl._items.box.isVisible()
    qtbot.mouseRelease(tl.plot_viewport(), L, QtCore.Qt.NoModifier, b)
    assert tl.selection.as_dict() == {"jaw_open": [0]}
    # Esc without a drag clears the selection
    qtbot.keyClick(tl, QtCore.Qt.Key_Escape)
    assert tl.selection.as_dict() == {}


def test_right_button_cancels_a_pan(qtbot, tl):
    button = QtCore.Qt.RightButton
    x0, x1 = tl.frame_range()
    vp = tl.plot_viewport()
    a = tl.view_to_viewport(50.0, 3.5)
    qtbot.mousePress(vp, QtCore.Qt.MiddleButton, QtCore.Qt.NoModifier, a)
    qtbot.mouseMove(vp, QtCore.QPoint(a.x() - 120, a.y()))
    assert tl.frame_range()[0] > x0
    qtbot.mousePress(vp, button, QtCore.Qt.NoModifier, QtCore.QPoint(a.x() - 120, a.y()))
    assert tl.frame_range() == pytest.approx((x0, x1))
    qtbot.mouseRelease(vp, button, QtCore.Qt.NoModifier, QtCore.QPoint(a.x() - 120, a.y()))
    qtbot.mouseRelease(vp, QtCore.Qt.MiddleButton, QtCore.Qt.NoModifier, QtCore.QPoint(a.x() - 120, a.y()))
    assert tl.frame_range() == pytest.approx((x0, x1))
