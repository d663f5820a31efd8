"""Receivers that a mutation check (every ``.connect`` in studio/ and every QAction of
studio/actions.py disconnected or made a no-op, one at a time) found no test would notice.

Each test drives the real window with QTest mouse and key events and asserts what the user sees
change; an edit is also undone in one step. Where the user's trigger is something that cannot be
made on a working machine (no OpenGL, a deformation that raises, the OS file and colour pickers),
the failing part is replaced by fault injection (monkeypatch) and the rest is real."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QColorDialog, QFileDialog, QMessageBox, QPushButton

from core.anim import AudioRef, Curve, Keyframe, Take
from studio.app import apply_theme
from studio.engine import Engine
from studio.main_window import MainWindow
from studio.settings import StudioSettings
from widgets.zone_overlay import OverlayMode

from tests.core.audio.conftest import jack_device  # noqa: F401  (the session's JACK dummy server)

from .test_journey_playback import make_window, paced_output, recording  # noqa: F401  (fixtures)
from .test_wiring import engine, open_window  # noqa: F401  (fixtures)
from .windows import wait_current


def choose(qtbot, w, *path: str) -> None:
    """Open a menu of the menu bar with the mouse and click through ``path`` (submenus included)."""
    bar = w.menuBar()
    top = next(a for a in bar.actions() if a.text().replace("&", "") == path[0])
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.actionGeometry(top).center())
    menu = top.menu()
    for item in path[1:]:
        qtbot.waitUntil(menu.isVisible, timeout=5000)
        act = next(a for a in menu.actions() if a.text().replace("&", "") == item)
        sub = act.menu()  # read first: a clicked item may rebuild its menu (Open Recent)
        qtbot.mouseClick(menu, Qt.LeftButton, pos=menu.actionGeometry(act).center())
        if sub is not None:
            menu = sub


def error_box(w) -> QMessageBox:
    boxes = [b for b in w.findChildren(QMessageBox, "error_box") if b.isVisible()]
    assert boxes, "no error box shown"
    return boxes[-1]


def dismiss(qtbot, w, box) -> None:
    """Escape closes the error box; the window is made active again (Xvfb has no window manager
    to hand the focus back)."""
    qtbot.keyClick(box, Qt.Key_Escape)
    assert not box.isVisible()
    w.activateWindow()
    w.raise_()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    w.viewport.setFocus()


def strip_key_and_undo(qtbot, w) -> None:
    """The studio still edits: K keys AU12 at the playhead, one Ctrl+Z removes it."""
    before = w.document.take
    w.viewport.setFocus()
    qtbot.keyClick(w.viewport, Qt.Key_K)
    assert w.document.take.curves["AU12"].keys and w.windowTitle().endswith("*")
    qtbot.keyClick(w.viewport, Qt.Key_Z, Qt.ControlModifier)
    assert w.document.take == before


# ------------------------------------------------------------------ the viewport and the worker


def test_no_opengl_shows_an_error_box_and_the_studio_still_edits(qtbot, tmp_path, engine, monkeypatch):
    # Fault injection: this machine has OpenGL; the viewport's renderer is made to fail as it
    # would without a GL 3.3 driver (main_window: viewport.gl_failed -> show_error).
    import widgets.viewport as viewport

    def no_gl():
        raise RuntimeError("OpenGL 3.3 is not available for the viewport: no driver (test)")

    monkeypatch.setattr(viewport, "_shared_renderer", no_gl)
    apply_theme(QApplication.instance())
    w = MainWindow(engine=engine, settings=StudioSettings(tmp_path / "s.ini"), take=Take(name="NoGL", duration=20))
    try:
        w.show()
        qtbot.waitExposed(w)
        qtbot.waitUntil(lambda: any(b.isVisible() for b in w.findChildren(QMessageBox, "error_box")), timeout=5000)
        box = error_box(w)
        assert box.windowTitle() == "Viewport" and "OpenGL 3.3" in box.text()
        assert "OpenGL 3.3" in w.statusBar().currentMessage()
        dismiss(qtbot, w, box)
        strip_key_and_undo(qtbot, w)
    finally:
        w.document.history.set_clean()
        w.close()
        w.deleteLater()


def test_a_frame_that_fails_to_deform_is_named_in_an_error_and_the_next_frame_shows(open_window, qtbot, monkeypatch):
    # Fault injection: frame 1 raises in the deformation worker (main_window: worker.failed).
    w = open_window(Take(name="Flaky", duration=30))
    real = w.engine.evaluate

    def flaky(take, frame, revision=0):
        if int(frame) == 1:
            raise RuntimeError("deformation blew up (test)")
        return real(take, frame, revision)

    monkeypatch.setattr(w.engine, "evaluate", flaky)
    qtbot.keyClick(w.viewport, Qt.Key_Right)
    qtbot.waitUntil(lambda: any(b.isVisible() for b in w.findChildren(QMessageBox, "error_box")), timeout=20000)
    box = error_box(w)
    assert box.windowTitle() == "Deformation failed"
    assert "Frame 1" in box.text() and "deformation blew up (test)" in box.text()
    assert w.statusBar().currentMessage().startswith("Frame 1 could not be evaluated")
    dismiss(qtbot, w, box)
    qtbot.keyClick(w.viewport, Qt.Key_Right)
    assert w.current_frame == 2
    wait_current(qtbot, w)  # the worker lives on and draws frame 2
    strip_key_and_undo(qtbot, w)


# ------------------------------------------------------------------ the View menu and its keys


@pytest.mark.parametrize("how", ["menu", "key"])
def test_view_front_side_and_frame_head_move_the_camera(open_window, qtbot, how):
    w = open_window()
    orbit = w.viewport.orbit
    orbit.yaw, orbit.pitch, orbit.distance = 30.0, 20.0, orbit.distance * 3
    far = orbit.distance
    w.viewport.setFocus()
    if how == "menu":
        choose(qtbot, w, "View", "Side View")
    else:
        qtbot.keyClick(w.viewport, Qt.Key_3)
    assert (w.viewport.orbit.yaw, w.viewport.orbit.pitch) == (90.0, 0.0)
    if how == "menu":
        choose(qtbot, w, "View", "Front View")
    else:
        qtbot.keyClick(w.viewport, Qt.Key_1)
    assert (w.viewport.orbit.yaw, w.viewport.orbit.pitch) == (0.0, 0.0)
    if how == "menu":
        choose(qtbot, w, "View", "Frame Head")
    else:
        qtbot.keyClick(w.viewport, Qt.Key_F)
    assert w.viewport.orbit.distance < far * 0.6
    assert not w.windowTitle().endswith("*")  # the view is not an edit of the take


def test_view_overlay_menu_and_the_zone_box_recolour_the_face(open_window, qtbot):
    w = open_window()
    shaded = w.viewport.grab_rgb()
    choose(qtbot, w, "View", "Overlay", OverlayMode.ISOLATE.label)
    assert w.overlay_combo.currentData() == OverlayMode.ISOLATE.value
    assert w.legend.isVisible() and w.legend.title() == "Isolated zone"
    first_zone = w.legend.zone
    isolated = w.viewport.grab_rgb()
    assert (abs(isolated.astype(int) - shaded.astype(int)).max(axis=-1) > 8).mean() > 0.02
    # Another zone, picked in the Display panel's zone box with the keyboard.
    combo = w.zone_combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key_Down if combo.currentIndex() + 1 < combo.count() else Qt.Key_Up)
    assert w.legend.zone == combo.currentIndex() != first_zone
    other = w.viewport.grab_rgb()
    assert (abs(other.astype(int) - isolated.astype(int)).max(axis=-1) > 8).mean() > 0.005
    choose(qtbot, w, "View", "Overlay", OverlayMode.NONE.label)
    assert not w.legend.isVisible()


def test_file_load_model_with_a_corrupt_checkpoint_names_it_and_keeps_the_rig(qtbot, tmp_path, engine, monkeypatch):
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(bad), "")))
    eng = Engine(head=engine.head, checkpoint=None)  # its own engine: the error sticks to it
    apply_theme(QApplication.instance())
    w = MainWindow(engine=eng, settings=StudioSettings(tmp_path / "s.ini"), take=Take(name="M", duration=20))
    try:
        w.show()
        qtbot.waitExposed(w)
        w.activateWindow()
        qtbot.waitActive(w)
        wait_current(qtbot, w)
        choose(qtbot, w, "File", "Load Model…")
        qtbot.waitUntil(lambda: any(b.isVisible() for b in w.findChildren(QMessageBox, "error_box")), timeout=10000)
        box = error_box(w)
        assert box.windowTitle() == "Model checkpoint" and "broken.safetensors" in box.text()
        assert w.driver_combo.currentData() == "rig" and not w.driver_combo.model().item(1).isEnabled()
    finally:
        w.document.history.set_clean()
        w.close()
        w.deleteLater()


# ------------------------------------------------------------------ the export dialog's pickers


def keyed_take():
    return Take(name="Exported", fps=25.0, duration=40).with_curve("AU12", Curve((Keyframe(0, 0.0), Keyframe(39, 5.0))))


def test_export_browse_and_background_buttons_set_the_target_and_the_colour(open_window, qtbot, tmp_path, monkeypatch):
    target = tmp_path / "picked" / "clip.mp4"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor(255, 0, 0)))
    w = open_window(keyed_take())
    qtbot.keyClick(w.viewport, Qt.Key_E, Qt.ControlModifier)
    d = w.export_dialog
    assert d is not None and d.isVisible()
    d.format_combo.setCurrentIndex(d.format_combo.findData("mp4"))
    assert d.path_edit.text() != str(target)
    qtbot.mouseClick(d.findChild(QPushButton, "export_browse"), Qt.LeftButton)
    assert d.path_edit.text() == str(target)
    assert str(d.options().path) == str(target)
    qtbot.mouseClick(d.background_button, Qt.LeftButton)
    assert d.background_button.text() == "#ff0000"
    assert "#ff0000" in d.background_button.styleSheet()


# ------------------------------------------------------------------ the transport bar, by mouse


def test_transport_buttons_box_and_slider_move_the_playhead_and_play_button_plays(open_window, qtbot):
    w = open_window(Take(name="Transport", fps=25.0, duration=60))
    tr = w.transport
    qtbot.mouseClick(tr.fwd_button, Qt.LeftButton)
    qtbot.mouseClick(tr.fwd_button, Qt.LeftButton)
    assert w.current_frame == 2 and w.timeline.current_frame() == 2
    qtbot.mouseClick(tr.back_button, Qt.LeftButton)
    assert w.current_frame == 1
    qtbot.mouseClick(tr.end_button, Qt.LeftButton)
    assert w.current_frame == 59 and w.timeline.current_frame() == 59
    wait_current(qtbot, w)
    assert w.shown.frame == 59
    qtbot.mouseClick(tr.start_button, Qt.LeftButton)
    assert w.current_frame == 0
    # A frame typed into the frame box.
    box = tr.frame_box
    box.setFocus()
    qtbot.keyClick(box, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(box, "17")
    qtbot.keyClick(box, Qt.Key_Return)
    assert w.current_frame == 17 and w.timeline.current_frame() == 17
    # The slider, given focus by a mouse click, then its End key (Home is the window's Frame Head).
    s = tr.slider
    qtbot.mouseClick(s, Qt.LeftButton, pos=s.rect().center())
    qtbot.keyClick(s, Qt.Key_End)
    assert w.current_frame == s.maximum() == 59
    qtbot.mouseClick(tr.start_button, Qt.LeftButton)
    assert w.current_frame == 0
    # The play button plays, and a second click pauses.
    qtbot.mouseClick(tr.play_button, Qt.LeftButton)
    assert w.is_playing() and tr.shows_pause()
    qtbot.waitUntil(lambda: w.current_frame >= 3, timeout=10000)
    qtbot.mouseClick(tr.play_button, Qt.LeftButton)
    assert not w.is_playing() and not tr.shows_pause()
    assert not w.windowTitle().endswith("*")  # moving the playhead is not an edit


# ------------------------------------------------------------------ the timeline's active lane


def test_clicking_a_timeline_lane_makes_it_the_keying_strips_channel(open_window, qtbot):
    from .test_journey_edit import click_plot, keyed_take, lane_point, show_lanes

    w = open_window(keyed_take())
    assert w.channel_combo.currentData() == "AU12"
    show_lanes(qtbot, w, "AU06")
    click_plot(qtbot, w, lane_point(w, "AU06", 65))  # empty lane space of AU06
    assert w.timeline.active_channel() == "AU06"
    assert w.channel_combo.currentData() == "AU06" and w.channel_list.current_channel() == "AU06"
    before = w.document.take
    w.viewport.setFocus()
    qtbot.keyClick(w.viewport, Qt.Key_K)  # Insert Strip Key: the strip's channel, now AU06
    assert len(w.document.take.curves["AU06"].keys) == 3 and w.document.take.curves["AU12"] == before.curves["AU12"]
    qtbot.keyClick(w.viewport, Qt.Key_Z, Qt.ControlModifier)
    assert w.document.take == before


# ------------------------------------------------------------------ scrubbing is heard


@pytest.mark.audio  # the session's JACK dummy server is the sound device (see test_journey_playback)
def test_dragging_the_playhead_while_paused_plays_grains_of_the_audio_there(make_window, qtbot, tmp_path):
    w = make_window(Take(name="Scrub", fps=25.0, duration=50, audio=AudioRef(recording(tmp_path, 2.0))))
    player = w.player
    assert player is not None and not player.is_playing
    seq0 = player._grain_seq
    tl = w.timeline
    lane_y = tl._lane_index("AU45") + 0.5
    a = tl.view_to_viewport(0.0, lane_y)
    b = tl.view_to_viewport(30.0, lane_y)
    vp = tl.plot_viewport()
    with qtbot.waitSignal(tl.scrub_finished):
        qtbot.mousePress(vp, Qt.LeftButton, Qt.NoModifier, a)
        for t in np.linspace(0, 1, 5)[1:]:
            qtbot.mouseMove(vp, QPoint(int(a.x() + (b.x() - a.x()) * t), a.y()))
        qtbot.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, b)
    assert w.current_frame == 30 and not player.is_playing
    # Grains were made from the recording (a 220 Hz tone: not silence) and the device took them.
    assert player._grain_seq > seq0
    assert np.abs(player._grains[player._grain_cmd[1]]).max() > 0.05
    qtbot.waitUntil(lambda: player._grain_seen == player._grain_seq, timeout=5000)
    assert not w.windowTitle().endswith("*")


# ------------------------------------------------------------------ the file workflow


def test_the_fps_dialog_shows_the_length_for_the_typed_rate_and_its_cancel_button_cancels(open_window, qtbot,
                                                                                          tmp_path, monkeypatch):
    from PySide6.QtWidgets import QDialogButtonBox, QDoubleSpinBox, QLabel
    from PySide6.QtTest import QTest

    from .test_journey_files import Modals, choose as choose_menu, patch_open_dialog, write_voice

    w = open_window()
    before = w.document.take
    patch_open_dialog(monkeypatch, write_voice(tmp_path / "hello.wav", 2.0))
    shown = []

    def answer(dialog):
        spin = dialog.findChild(QDoubleSpinBox, "new_take_fps")
        spin.setFocus()
        QTest.keyClick(spin, Qt.Key_A, Qt.ControlModifier)
        QTest.keyClicks(spin, "50")
        shown.append(dialog.findChild(QLabel, "new_take_length").text())
        cancel = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Cancel)
        QTest.mouseClick(cancel, Qt.LeftButton)

    modals = Modals()
    try:
        modals.expect("fps_dialog", answer)
        choose_menu(qtbot, w, "File", "New From Audio…")
        qtbot.waitUntil(lambda: modals.seen == ["fps_dialog"], timeout=10000)
        qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=5000)
    finally:
        modals.stop()
    assert shown == ["100 frames"]  # 2 s at the typed 50 fps
    assert w.document.take is before and not modals.unexpected


def test_file_open_recent_reopens_the_saved_take(open_window, qtbot, tmp_path):
    w = open_window()
    w.seek(7)
    wait_current(qtbot, w)
    w.value_box.setValue(5.0)
    qtbot.keyClick(w.viewport, Qt.Key_K)
    path = tmp_path / "smile.emz"
    assert w.file_save_as(path)
    assert w.file_new() and w.document.take.curves["AU12"].keys == ()
    choose(qtbot, w, "File", "Open Recent", "smile.emz")
    assert [(k.frame, k.value) for k in w.document.take.curves["AU12"].keys] == [(7.0, 5.0)]
    assert w.windowTitle() == "EmoZone Studio - smile" and not w.document.is_dirty


def test_the_autosave_timer_writes_the_unsaved_edit_beside_the_take(open_window, qtbot, tmp_path):
    from core.document import autosave_path, load_take

    w = open_window()
    path = tmp_path / "take.emz"
    assert w.file_save_as(path)
    w.autosaver.interval_s = 0.05  # the check itself still runs off the studio's own timer
    w.files._autosave_timer.setInterval(50)
    qtbot.keyClick(w.viewport, Qt.Key_K)
    auto = autosave_path(path)
    qtbot.waitUntil(auto.exists, timeout=10000)
    assert len(load_take(auto).curves["AU12"].keys) == 1
    assert load_take(path).curves["AU12"].keys == ()  # the take file itself is untouched


def test_file_quit_by_ctrl_q_and_by_the_menu_asks_about_unsaved_edits(open_window, qtbot):
    from .test_journey_files import Modals, click_standard

    w = open_window()
    qtbot.keyClick(w.viewport, Qt.Key_K)
    modals = Modals()
    try:
        modals.expect("unsaved_box", click_standard(QMessageBox.Cancel))
        qtbot.keyClick(w.viewport, Qt.Key_Q, Qt.ControlModifier)
        qtbot.waitUntil(lambda: modals.seen == ["unsaved_box"], timeout=5000)
        assert w.isVisible() and w.windowTitle().endswith("*")  # Cancel: the studio and the edit stay
        modals.expect("unsaved_box", click_standard(QMessageBox.Discard))
        choose(qtbot, w, "File", "Quit")
        qtbot.waitUntil(lambda: not w.isVisible(), timeout=5000)
        assert modals.seen == ["unsaved_box", "unsaved_box"] and not modals.unexpected
    finally:
        modals.stop()
