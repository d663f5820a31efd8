"""The timeline driven with real mouse and keyboard events; intents are applied with core edits."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from core.anim.curve import Curve, HandleType, Interpolation, Keyframe
from core.anim.edit import delete_selection, insert_key, move_keys, paste_keys
from core.anim.take import Take
from widgets.timeline import TimelineWidget, channel_range, value_to_lane_y

L = QtCore.Qt.LeftButton


def make_take() -> Take:
    return Take(fps=25.0, duration=100, curves={
        "AU12": Curve((Keyframe(10, 1.0), Keyframe(20, 3.0), Keyframe(40, 2.0))),
        "AU25": Curve((Keyframe(10, 0.5), Keyframe(30, 4.0))),
        "jaw_open": Curve((Keyframe(5, 0.2), Keyframe(50, 0.8))),
        "AU01": Curve((Keyframe(15, 2.0),), lock=True),
    })


@pytest.fixture
def tl(qtbot):
    w = TimelineWidget()
    qtbot.addWidget(w)
    w.resize(1000, 900)
    w.show()
    qtbot.waitExposed(w)
    w.set_take(make_take())
    w.frame_all()
    QtWidgets.QApplication.processEvents()
    return w


def key_pos(tl, channel, index) -> QtCore.QPoint:
    return tl.key_viewport_pos(channel, index)


def click(qtbot, tl, pos, modifier=QtCore.Qt.NoModifier, button=L):
    qtbot.mouseClick(tl.plot_viewport(), button, modifier, pos)


def drag(qtbot, tl, a, b, steps=4, release=True):
    vp = tl.plot_viewport()
    qtbot.mousePress(vp, L, QtCore.Qt.NoModifier, a)
    for t in np.linspace(0, 1, steps + 1)[1:]:
        qtbot.mouseMove(vp, QtCore.QPoint(int(a.x() + (b.x() - a.x()) * t), int(a.y() + (b.y() - a.y()) * t)))
    if release:
        qtbot.mouseRelease(vp, L, QtCore.Qt.NoModifier, b)


def px_per_frame(tl) -> float:
    return tl.view_to_viewport(10.0, 1.0).x() - tl.view_to_viewport(9.0, 1.0).x()


def test_click_selects_key_and_shift_click_extends(qtbot, tl):
    click(qtbot, tl, key_pos(tl, "AU12", 1))
    assert tl.selection.as_dict() == {"AU12": [1]}
    assert tl.active_channel() == "AU12"
    click(qtbot, tl, key_pos(tl, "AU25", 0), QtCore.Qt.ShiftModifier)
    assert tl.selection.as_dict() == {"AU12": [1], "AU25": [0]}
    # clicking empty space clears
    empty = tl.view_to_viewport(70.0, tl._lane_index("AU12") + 0.5)
    click(qtbot, tl, empty)
    assert tl.selection.as_dict() == {}


def test_insert_key_with_i_emits_current_value(qtbot, tl):
    click(qtbot, tl, tl.view_to_viewport(70.0, tl._lane_index("AU25") + 0.5))  # activates the lane
    assert tl.active_channel() == "AU25"
    tl.set_current_frame(20)
    with qtbot.waitSignal(tl.keys_insert_requested) as sig:
        qtbot.keyClick(tl, QtCore.Qt.Key_I)
    [(channel, frame, value)] = sig.args[0]
    assert (channel, frame) == ("AU25", 20)
    take = make_take()
    expected = take.curves["AU25"]
    from core.anim.curve import evaluate
    assert value == pytest.approx(float(evaluate(expected, np.array([20.0]))[0]))
    new = take.with_curve(channel, insert_key(take.curves[channel], frame, value))
    assert len(new.curves["AU25"]) == 3


def test_drag_key_previews_then_commits_once(qtbot, tl):
    previews, commits = [], []
    tl.keys_moved_preview.connect(lambda *a: previews.append(a))
    tl.keys_move_committed.connect(lambda *a: commits.append(a))
    a = key_pos(tl, "AU12", 1)  # frame 20
    b = QtCore.QPoint(int(a.x() + 5.2 * px_per_frame(tl)), a.y())
    drag(qtbot, tl, a, b)
    assert previews, "no live preview during the drag"
    assert len(commits) == 1
    drag_id, sel, dframe, dvalues = commits[0]
    assert all(p[0] == drag_id for p in previews)
    assert sel == {"AU12": [1]}
    assert dframe == 5.0 and dframe == round(dframe)
    assert dvalues["AU12"] == pytest.approx(0.0)
    take = make_take()
    moved = move_keys(take.curves["AU12"], sel["AU12"], dframe, dvalues["AU12"])
    assert list(moved.frames) == [10.0, 25.0, 40.0]
    # the studio hands the new take back: the moved key stays selected
    tl.set_take(take.with_curve("AU12", moved))
    assert tl.selection.as_dict() == {"AU12": [1]}


def test_vertical_drag_changes_value_in_channel_units(qtbot, tl):
    commits = []
    tl.keys_move_committed.connect(lambda *a: commits.append(a))
    a = key_pos(tl, "jaw_open", 0)  # value 0.2
    lane = tl._lane_index("jaw_open")
    target = value_to_lane_y("jaw_open", lane, np.array([0.6]))[0]
    b = tl.view_to_viewport(5.0, target)
    drag(qtbot, tl, a, b)
    [(_, sel, dframe, dvalues)] = commits
    assert sel == {"jaw_open": [0]} and dframe == 0.0
    lo, hi = channel_range("jaw_open")
    tolerance = (hi - lo) / (tl.lane_layout.lane_px * 0.7)  # about one pixel of the lane
    assert dvalues["jaw_open"] == pytest.approx(0.4, abs=tolerance)


def test_escape_and_right_button_cancel_a_drag(qtbot, tl):
    commits, cancels = [], []
    tl.keys_move_committed.connect(lambda *a: commits.append(a))
    tl.keys_move_cancelled.connect(cancels.append)
    a = key_pos(tl, "AU25", 1)
    b = QtCore.QPoint(int(a.x() + 8 * px_per_frame(tl)), a.y())
    drag(qtbot, tl, a, b, release=False)
    assert tl._preview, "the drag shows a preview"
    assert list(tl.drawn_keys("AU25")[0]) == [10.0, 38.0]
    qtbot.keyClick(tl, QtCore.Qt.Key_Escape)
    assert not tl._preview
    qtbot.mouseRelease(tl.plot_viewport(), L, QtCore.Qt.NoModifier, b)
    assert commits == [] and len(cancels) == 1
    # the drawn keys are back where the take has them
    xs, values, selected = tl.drawn_keys("AU25")
    assert list(xs) == [10.0, 30.0] and list(values) == [0.5, 4.0]
    assert list(selected) == [False, True]

    drag(qtbot, tl, a, b, release=False)
    qtbot.mousePress(tl.plot_viewport(), QtCore.Qt.RightButton, QtCore.Qt.NoModifier, b)
    qtbot.mouseRelease(tl.plot_viewport(), QtCore.Qt.RightButton, QtCore.Qt.NoModifier, b)
    qtbot.mouseRelease(tl.plot_viewport(), L, QtCore.Qt.NoModifier, b)
    assert commits == [] and len(cancels) == 2
    assert cancels[1] != cancels[0]


def test_box_select_and_delete(qtbot, tl):
    lane12 = tl._lane_index("AU12")
    lane25 = tl._lane_index("AU25")
    a = tl.view_to_viewport(8.0, lane12 + 0.02)
    b = tl.view_to_viewport(22.0, lane25 + 0.98)
    drag(qtbot, tl, a, b)
    assert tl.selection.as_dict() == {"AU12": [0, 1], "AU25": [0]}
    with qtbot.waitSignal(tl.keys_delete_requested) as sig:
        qtbot.keyClick(tl, QtCore.Qt.Key_Delete)
    assert sig.args[0] == {"AU12": [0, 1], "AU25": [0]}
    with qtbot.waitSignal(tl.keys_delete_requested) as sig:
        qtbot.keyClick(tl, QtCore.Qt.Key_X)
    new = delete_selection(make_take(), sig.args[0])
    assert list(new.curves["AU12"].frames) == [40.0]
    assert list(new.curves["AU25"].frames) == [30.0]


def test_locked_channel_is_left_out_of_edits(qtbot, tl):
    click(qtbot, tl, key_pos(tl, "AU01", 0))
    assert tl.selection.as_dict() == {"AU01": [0]}
    deletes = []
    tl.keys_delete_requested.connect(deletes.append)
    qtbot.keyClick(tl, QtCore.Qt.Key_Delete)
    assert deletes == []


def test_copy_paste_at_the_playhead(qtbot, tl):
    click(qtbot, tl, key_pos(tl, "AU12", 0))
    click(qtbot, tl, key_pos(tl, "AU12", 1), QtCore.Qt.ShiftModifier)
    qtbot.keyClick(tl, QtCore.Qt.Key_C, QtCore.Qt.ControlModifier)
    tl.set_current_frame(60)
    with qtbot.waitSignal(tl.paste_requested) as sig:
        qtbot.keyClick(tl, QtCore.Qt.Key_V, QtCore.Qt.ControlModifier)
    clipboard, frame = sig.args
    assert frame == 60
    new = paste_keys(make_take(), clipboard, frame)
    assert list(new.curves["AU12"].frames) == [10.0, 20.0, 40.0, 60.0, 70.0]
    assert list(new.curves["AU12"].values[3:]) == [1.0, 3.0]


def test_context_menu_sets_interpolation_and_handles(qtbot, tl):
    click(qtbot, tl, key_pos(tl, "AU25", 1))
    qtbot.mouseClick(tl.plot_viewport(), QtCore.Qt.RightButton, QtCore.Qt.NoModifier, key_pos(tl, "AU25", 1))
    menu = tl._menu
    assert menu is not None and menu.isVisible()
    sub = {a.text(): a.menu() for a in menu.actions() if a.menu()}
    linear = next(a for a in sub["Interpolation"].actions() if a.text() == "Linear")
    with qtbot.waitSignal(tl.interpolation_requested) as sig:
        linear.trigger()
    assert sig.args == [{"AU25": [1]}, Interpolation.LINEAR.value]
    vector = next(a for a in sub["Handle Type"].actions() if a.text() == "Vector")
    with qtbot.waitSignal(tl.handle_type_requested) as sig:
        vector.trigger()
    assert sig.args == [{"AU25": [1]}, HandleType.VECTOR.value]
    menu.close()


def test_context_menu_copy_paste_delete_by_mouse(qtbot, tl):
    vp = tl.plot_viewport()

    def choose(text, at):
        qtbot.mouseClick(vp, QtCore.Qt.RightButton, QtCore.Qt.NoModifier, at)
        menu = tl._menu
        qtbot.waitUntil(menu.isVisible)
        action = next(a for a in menu.actions() if a.text() == text)
        assert action.isEnabled()
        qtbot.mouseClick(menu, L, QtCore.Qt.NoModifier, menu.actionGeometry(action).center())
        qtbot.waitUntil(lambda: not menu.isVisible())

    choose("Copy Keys", key_pos(tl, "AU12", 2))
    tl.set_current_frame(90)
    empty = tl.view_to_viewport(70.0, tl._lane_index("AU05") + 0.5)
    with qtbot.waitSignal(tl.paste_requested) as sig:
        choose("Paste Keys", empty)
    clipboard, frame = sig.args
    assert frame == 90
    assert list(paste_keys(make_take(), clipboard, frame).curves["AU12"].frames) == [10.0, 20.0, 40.0, 90.0]
    with qtbot.waitSignal(tl.keys_delete_requested) as sig:
        choose("Delete Keys", key_pos(tl, "jaw_open", 0))
    assert sig.args[0] == {"jaw_open": [0]}


def test_right_click_on_unselected_key_selects_it(qtbot, tl):
    qtbot.mouseClick(tl.plot_viewport(), QtCore.Qt.RightButton, QtCore.Qt.NoModifier, key_pos(tl, "jaw_open", 1))
    assert tl.selection.as_dict() == {"jaw_open": [1]}
    tl._menu.close()


def test_scrubbing_the_ruler_moves_the_playhead(qtbot, tl):
    frames, scrubs = [], []
    tl.current_frame_changed.connect(frames.append)
    tl.scrubbed.connect(scrubs.append)
    ruler_y = max(2, tl.view_to_viewport(0.0, tl._vb.viewRange()[1][0]).y() - 10)
    a = QtCore.QPoint(tl.view_to_viewport(10.0, 0).x(), ruler_y)
    b = QtCore.QPoint(tl.view_to_viewport(30.0, 0).x(), ruler_y)
    with qtbot.waitSignal(tl.scrub_finished) as fin:
        drag(qtbot, tl, a, b)
    assert fin.args == [30]
    assert tl.current_frame() == 30
    assert frames[0] == 10 and frames[-1] == 30
    assert scrubs == sorted(scrubs) and len(scrubs) >= 2


def test_home_frames_all_and_wheel_zooms(qtbot, tl):
    tl.set_frame_range(40, 50)
    qtbot.keyClick(tl, QtCore.Qt.Key_Home)
    x0, x1 = tl.frame_range()
    assert x0 <= 0 and x1 >= 99
    (_, _), (y0, y1) = tl._vb.viewRange()
    assert y0 == 0 and y1 >= len(tl.lane_layout.lanes) - 1e-6
    from PySide6 import QtGui
    vp = tl.plot_viewport()
    centre = QtCore.QPointF(vp.width() / 2, vp.height() / 2)
    ev = QtGui.QWheelEvent(centre, vp.mapToGlobal(centre), QtCore.QPoint(), QtCore.QPoint(0, 240),
                           QtCore.Qt.NoButton, QtCore.Qt.NoModifier, QtCore.Qt.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(vp, ev)
    z0, z1 = tl.frame_range()
    assert z1 - z0 < x1 - x0


def test_hidden_channels_have_no_lane(qtbot, tl):
    tl.set_channel_visible("AU12", False)
    assert "AU12" not in tl.visible_channels()
    assert not tl._curve_items["AU12"].isVisible()
    with pytest.raises(KeyError):
        tl.key_viewport_pos("AU12", 0)
    tl.set_channel_visible("AU12", True)
    assert tl._curve_items["AU12"].isVisible()


def test_waveform_lane_shows_the_envelope(qtbot, tl):
    rate = 8000
    t = np.arange(4 * rate) / rate
    # loud for the first second, silent after
    samples = (np.sin(2 * np.pi * 220 * t) * (t < 1.0)).astype(np.float32)
    tl.set_audio(samples, rate)
    xs, pairs = tl.waveform_envelope()
    assert len(xs) > 100
    height = pairs[:, 1] - pairs[:, 0]
    loud = height[(xs > 2) & (xs < 22)]
    quiet = height[(xs > 30) & (xs < 95)]
    assert loud.min() > 0.5 and quiet.max() < 0.01
    # the envelope stays in the waveform lane (lane 0)
    assert pairs.min() >= 0.0 and pairs.max() <= 1.0


def test_curve_drawn_where_the_take_evaluates(qtbot, tl):
    xs, ys = tl._curve_items["AU12"].getData()
    lane = tl._lane_index("AU12")
    from core.anim.curve import evaluate
    expected = value_to_lane_y("AU12", lane, evaluate(make_take().curves["AU12"], xs))
    np.testing.assert_allclose(ys, expected)
    kx, kv, selected = tl.drawn_keys("AU12")
    assert list(kx) == [10.0, 20.0, 40.0] and list(kv) == [1.0, 3.0, 2.0]
    assert not selected.any()


def test_dragging_the_playhead_line_scrubs(qtbot, tl):
    tl.set_current_frame(70)
    scrubs = []
    tl.scrubbed.connect(scrubs.append)
    lane_y = tl._lane_index("AU45") + 0.5
    a = tl.view_to_viewport(70.0, lane_y)
    b = tl.view_to_viewport(60.0, lane_y)
    with qtbot.waitSignal(tl.scrub_finished) as fin:
        drag(qtbot, tl, a, b)
    assert fin.args == [60] and tl.current_frame() == 60
    assert scrubs[0] == 70 and scrubs[-1] == 60
    assert tl.selection.as_dict() == {}


def test_middle_drag_pans_and_arrows_step_frames(qtbot, tl):
    x0, x1 = tl.frame_range()
    vp = tl.plot_viewport()
    a = tl.view_to_viewport(50.0, 3.5)
    b = QtCore.QPoint(a.x() - 100, a.y())
    qtbot.mousePress(vp, QtCore.Qt.MiddleButton, QtCore.Qt.NoModifier, a)
    qtbot.mouseMove(vp, b)
    qtbot.mouseRelease(vp, QtCore.Qt.MiddleButton, QtCore.Qt.NoModifier, b)
    p0, p1 = tl.frame_range()
    assert p0 > x0 and p1 - p0 == pytest.approx(x1 - x0)
    tl.set_current_frame(5)
    with qtbot.waitSignal(tl.current_frame_changed) as sig:
        qtbot.keyClick(tl, QtCore.Qt.Key_Right)
    assert sig.args == [6]


def test_studio_applying_previews_mid_drag_does_not_double_move(qtbot, tl):
    """Wired like the studio: each preview is applied to the original take and handed back."""
    original = make_take()
    applied = []

    def apply(drag_id, sel, dframe, dvalues):
        take = original
        for c, idx in sel.items():
            take = take.with_curve(c, move_keys(take.curves[c], idx, dframe, dvalues[c]))
        applied.append(dframe)
        tl.set_take(take)

    tl.keys_moved_preview.connect(apply)
    tl.keys_move_committed.connect(apply)
    tl.keys_move_cancelled.connect(lambda _id: tl.set_take(original))
    a = key_pos(tl, "AU12", 0)  # frame 10
    b = QtCore.QPoint(int(a.x() + 3 * px_per_frame(tl)), a.y())
    drag(qtbot, tl, a, b, steps=6)
    assert applied[-1] == 3.0 and len(applied) >= 2
    assert list(tl._take.curves["AU12"].frames) == [13.0, 20.0, 40.0]
    assert list(tl.drawn_keys("AU12")[0]) == [13.0, 20.0, 40.0]
    assert tl.selection.as_dict() == {"AU12": [0]}


def test_selected_bezier_keys_show_their_handles(qtbot, tl):
    assert tl.handle_points().shape == (0, 2)
    click(qtbot, tl, key_pos(tl, "AU12", 1))
    pts = tl.handle_points()
    arr = make_take().curves["AU12"].arrays
    lane = tl._lane_index("AU12")
    expected = {(arr.hl[1, 0], value_to_lane_y("AU12", lane, arr.hl[1, 1:])[0]),
                (arr.hr[1, 0], value_to_lane_y("AU12", lane, arr.hr[1, 1:])[0])}
    assert {(round(x, 6), round(y, 6)) for x, y in pts} == {(round(x, 6), round(y, 6)) for x, y in expected}


def test_i_keys_every_channel_with_a_selection_and_ctrl_a_selects_all(qtbot, tl):
    qtbot.keyClick(tl, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    assert tl.selection.as_dict() == {"AU01": [0], "AU12": [0, 1, 2], "AU25": [0, 1], "jaw_open": [0, 1]}
    tl.set_current_frame(33)
    with qtbot.waitSignal(tl.keys_insert_requested) as sig:
        qtbot.keyClick(tl, QtCore.Qt.Key_I)
    # the locked AU01 is left out
    assert sorted(c for c, _, _ in sig.args[0]) == ["AU12", "AU25", "jaw_open"]
    assert {f for _, f, _ in sig.args[0]} == {33}
    qtbot.keyClick(tl, QtCore.Qt.Key_Escape)
    assert tl.selection.as_dict() == {}
