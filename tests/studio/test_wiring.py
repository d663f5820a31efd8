"""The panels wired into the real studio window: the channel list and the AU sliders as undoable
commands, the audio lane and scrubbing, speech from the take's audio, the model driver."""
import math

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QScrollArea, QStyle, QStyleOptionSlider

from core.anim import AudioRef, Take
from core.aus import SPEECH_NAMES, ZONE_INDEX
from studio.app import apply_theme
from studio.engine import Engine
from studio.main_window import DOCK_AUS, DOCK_CHANNELS, MainWindow
from studio.session import SAMPLE_AUDIO
from studio.settings import StudioSettings
from widgets.au_panel import AUPanel
from widgets.channel_list import ChannelList
from widgets.zone_overlay import OverlayMode

from .test_window import changed_pixels
from .windows import open_windows, wait_current

#: A frame of the sample speech where the jaw is wide open (mid-word).
OPEN_FRAME = 123  # 4.92 s of the sample speech: the jaw wide open (phonemes 0.66, energy driver 0.99)


@pytest.fixture(scope="module")
def engine():
    return Engine(checkpoint=None)


@pytest.fixture
def open_window(qtbot, tmp_path, engine):
    yield from open_windows(qtbot, tmp_path, engine, size=(1200, 800))


def speech_take(name="Speech"):
    """A take on the bundled sample speech with no AU keys: only the audio moves the face."""
    duration = int(math.ceil(soundfile.info(str(SAMPLE_AUDIO)).duration * 25.0))
    return Take(name=name, fps=25.0, duration=duration, audio=AudioRef(str(SAMPLE_AUDIO)))


def wait_driver(qtbot, w, driver):
    """A driver switch keeps the revision: wait for a frame of the new driver."""
    qtbot.waitUntil(lambda: w.shown is not None and w.shown.driver == driver, timeout=20000)
    wait_current(qtbot, w)


def mouth_motion(w):
    zones = w.engine.zones
    members = (zones[:, ZONE_INDEX["mouth"]] + zones[:, ZONE_INDEX["jaw_chin"]]) > 0.5
    return float(w.shown.motion[members].max())


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.LeftButton)


def drag_slider(qtbot, slider, fraction, release=True):
    """Press the slider's handle and drag it to ``fraction`` of the groove in a few steps (and
    release there unless ``release`` is False); returns where the drag ended."""
    area = slider.parentWidget()
    while area is not None and not isinstance(area, QScrollArea):
        area = area.parentWidget()
    area.ensureWidgetVisible(slider)
    qtbot.wait(20)
    opt = QStyleOptionSlider()
    slider.initStyleOption(opt)
    handle = slider.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, slider)
    start = handle.center()
    end = QPoint(int(slider.width() * fraction), start.y())
    qtbot.mousePress(slider, Qt.LeftButton, Qt.NoModifier, start)
    for t in np.linspace(0, 1, 6)[1:]:
        qtbot.mouseMove(slider, QPoint(int(start.x() + (end.x() - start.x()) * t), start.y()))
    if release:
        qtbot.mouseRelease(slider, Qt.LeftButton, Qt.NoModifier, end)
    return end


# ---------------------------------------------------------------------------- panels


def test_the_docks_hold_the_real_panels_and_no_placeholder(open_window):
    w = open_window()
    assert isinstance(w.docks[DOCK_CHANNELS].widget(), ChannelList)
    assert isinstance(w.docks[DOCK_AUS].widget(), AUPanel)
    assert w.findChildren(QLabel, "placeholder") == []
    assert w.docks[DOCK_CHANNELS].isVisible() and w.channel_list.isVisible()


def test_mute_solo_lock_buttons_are_undoable_commands_on_the_take(open_window, qtbot):
    w = open_window()
    w.value_box.setValue(5.0)
    qtbot.keyClick(w.viewport, Qt.Key_K)  # AU12 = 5 at frame 0
    wait_current(qtbot, w)
    moved = w.shown.motion.max()
    assert moved > 1e-4

    mute = w.channel_list.button("AU12", "mute")
    click(qtbot, mute)
    assert w.document.take.curves["AU12"].mute and mute.isChecked()
    assert w.document.history.undo_text == "Mute AU12"
    wait_current(qtbot, w)
    assert w.shown.motion.max() < moved * 1e-3, "a muted channel still deforms the face"
    qtbot.keyClick(w.viewport, Qt.Key_Z, Qt.ControlModifier)
    assert not w.document.take.curves["AU12"].mute and not mute.isChecked()
    wait_current(qtbot, w)
    assert w.shown.motion.max() == pytest.approx(moved)

    click(qtbot, w.channel_list.button("AU01", "solo"))
    assert w.document.take.curves["AU01"].solo
    wait_current(qtbot, w)
    assert w.shown.motion.max() < moved * 1e-3, "a solo elsewhere must silence AU12"
    click(qtbot, w.channel_list.button("AU01", "solo"))
    assert not w.document.take.curves["AU01"].solo

    slider = w.au_panel.slider("AU12")
    assert slider.isEnabled()
    click(qtbot, w.channel_list.button("AU12", "lock"))
    assert w.document.take.curves["AU12"].lock and not slider.isEnabled()
    assert len(w.document.history.labels) == 4  # the undone mute was dropped by the solo


def test_visibility_hides_the_timeline_lane_without_an_undo_step(open_window, qtbot):
    w = open_window()
    assert "AU12" in w.timeline.visible_channels()
    click(qtbot, w.channel_list.button("AU12", "visible"))
    assert "AU12" not in w.timeline.visible_channels()
    assert len(w.document.history.labels) == 0
    click(qtbot, w.channel_list.button("AU12", "visible"))
    assert "AU12" in w.timeline.visible_channels()


def test_an_au_slider_drag_keys_the_current_frame_in_one_undo_step(open_window, qtbot):
    w = open_window()
    w.seek(12)
    wait_current(qtbot, w)
    before = w.viewport.grab_rgb()
    slider = w.au_panel.slider("AU12")
    drag_slider(qtbot, slider, 0.7)
    curve = w.document.take.curves["AU12"]
    assert len(curve) == 1 and curve.keys[0].frame == 12
    assert curve.keys[0].value == pytest.approx(slider.value() / 100) and curve.keys[0].value > 1.0
    assert len(w.document.history) == 1 and w.document.history.undo_text == "Set AU12 @ 12"
    wait_current(qtbot, w)
    assert changed_pixels(before, w.viewport.grab_rgb()).sum() > 20
    first = curve.keys[0].value

    drag_slider(qtbot, slider, 0.3)
    assert len(w.document.history) == 2
    assert w.document.take.curves["AU12"].keys[0].value < first
    qtbot.keyClick(w.viewport, Qt.Key_Z, Qt.ControlModifier)
    assert w.document.take.curves["AU12"].keys[0].value == pytest.approx(first)
    assert slider.value() == round(first * 100)


def test_the_au_panel_follows_the_current_frame(open_window, qtbot):
    w = open_window()
    w.seek(20)
    w.value_box.setValue(5.0)
    qtbot.keyClick(w.viewport, Qt.Key_K)  # AU12 = 5 at frame 20
    w.channel_combo.setCurrentIndex(w.channel_combo.findData("AU12"))
    w.seek(30)
    w.value_box.setValue(1.0)
    qtbot.keyClick(w.viewport, Qt.Key_K)  # AU12 = 1 at frame 30
    assert w.au_panel.frame() == 30 and w.au_panel.slider("AU12").value() == 100
    qtbot.keyClick(w.viewport, Qt.Key_Left)
    assert w.au_panel.frame() == 29
    values = []
    for frame in (20, 25, 30):
        w.seek(frame)
        values.append(w.au_panel.slider("AU12").value())
    assert values[0] == 500 and values[2] == 100 and 100 < values[1] < 500
    qtbot.keyClick(w.viewport, Qt.Key_Z, Qt.ControlModifier)
    assert w.au_panel.slider("AU12").value() == 500  # frame 30 after the undo: only the first key


def test_clicking_a_channel_row_makes_it_current_everywhere(open_window, qtbot):
    w = open_window()
    row = w.channel_list.rows["AU04"]
    w.channel_list.findChild(QScrollArea).ensureWidgetVisible(row)
    qtbot.mouseClick(row, Qt.LeftButton, Qt.NoModifier, QPoint(2, 5))
    assert w.channel_list.current_channel() == "AU04"
    assert w.channel_combo.currentData() == "AU04"
    assert w.timeline.active_channel() == "AU04"
    assert w.engine.attention_channel == "AU04"


# ---------------------------------------------------------------------------- audio


def test_the_timeline_draws_the_takes_audio_and_scrubbing_moves_the_sound(open_window, qtbot):
    w = open_window(speech_take())
    assert w.clip.sample_rate > 0 and w.clip.samples.shape[0] > 1000
    frames, lanes = w.timeline.waveform_envelope()
    assert len(frames) > 20
    spread = lanes[:, 1] - lanes[:, 0]
    assert spread.max() > 5 * max(np.median(np.sort(spread)[: len(spread) // 10 + 1]), 1e-3), \
        "the waveform lane shows no speech and pause"

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
    assert w.current_frame == 30 and w.transport.frame_box.value() == 30
    assert w.player.position_seconds() == pytest.approx(30 / 25.0, abs=0.05)
    assert not w.player.is_playing


def test_a_take_without_audio_has_an_empty_audio_lane(open_window):
    w = open_window()
    frames, _ = w.timeline.waveform_envelope()
    assert len(frames) == 0


def test_the_mouth_follows_the_audio_and_muted_speech_stops_it(open_window, qtbot):
    w = open_window(speech_take())
    w.seek(OPEN_FRAME)
    wait_current(qtbot, w)
    _au, speech = w.engine.controls(w.document.take, OPEN_FRAME)
    assert speech[SPEECH_NAMES.index("jaw_open")] > 0.5
    talking = w.viewport.grab_rgb()
    assert mouth_motion(w) > 1e-3, "the speech did not move the mouth"
    assert w.shown.motion[w.engine.zones[:, ZONE_INDEX["brow"]] > 0.9].max() < 1e-6

    for name in SPEECH_NAMES:
        click(qtbot, w.channel_list.button(name, "mute"))
    wait_current(qtbot, w)
    assert mouth_motion(w) < 1e-6
    assert changed_pixels(talking, w.viewport.grab_rgb()).sum() > 50


# ---------------------------------------------------------------------------- model driver


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, engine):
    from core.model.checkpoint import save_checkpoint
    from core.model.deform import EmoZoneModel

    model = EmoZoneModel.for_cloud(engine.head.cloud)
    path = tmp_path_factory.mktemp("model") / "emozone_test.safetensors"
    save_checkpoint(path, model, model.config, engine.head.fingerprint())
    return path


def test_the_model_driver_runs_from_a_checkpoint_with_an_attention_heat_map(open_window, qtbot, checkpoint, engine):
    eng = Engine(head=engine.head, checkpoint=checkpoint)
    assert eng.available_drivers() == {"rig": None, "model": None}
    w = open_window(speech_take(), eng)
    assert w.driver_combo.model().item(1).isEnabled()
    w.seek(OPEN_FRAME)
    w.driver_combo.setCurrentIndex(1)
    assert w.engine.driver == "model"
    wait_driver(qtbot, w, "model")
    assert w.shown.driver == "model" and w.shown.attention is not None
    w.set_overlay(OverlayMode.ATTENTION)
    assert w.legend.note == "" and w.legend.scale > 0 and w.legend.unit == "AU12"
    heat_au12 = w.viewport.grab_rgb()
    # The brow AU's token draws brow Gaussians, not the mouth's.
    w.set_current_channel("AU01")
    att = w.shown.attention
    zones = w.engine.zones
    assert att[zones[:, ZONE_INDEX["brow"]] > 0.9].mean() > att[zones[:, ZONE_INDEX["mouth"]] > 0.9].mean()
    assert changed_pixels(heat_au12, w.viewport.grab_rgb()).mean() > 0.01

    w.driver_combo.setCurrentIndex(0)
    wait_driver(qtbot, w, "rig")
    assert w.shown.driver == "rig" and w.shown.attention is None
    assert "model" in w.legend.note


def test_the_rig_says_the_attention_overlay_needs_the_model(open_window):
    w = open_window()
    w.set_overlay(OverlayMode.ATTENTION)
    assert w.legend.isVisible() and "EmoZone model" in w.legend.note
    assert not w.driver_combo.model().item(1).isEnabled()
    assert "checkpoint" in w.driver_combo.model().item(1).toolTip()


def test_a_corrupt_checkpoint_shows_an_error_and_the_rig_runs_on(open_window, qtbot, tmp_path, engine):
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")
    eng = Engine(head=engine.head, checkpoint=bad)
    assert eng.model_error and "broken.safetensors" in eng.model_error
    errors = []
    apply_theme(QApplication.instance())
    w = MainWindow(engine=eng, settings=StudioSettings(tmp_path / "s.ini"), take=Take(name="B", duration=20))
    w.error_shown.connect(errors.append)
    w.show()
    try:
        qtbot.waitUntil(lambda: bool(errors), timeout=5000)
        assert "broken.safetensors" in errors[0]
        assert not w.driver_combo.model().item(1).isEnabled() and w.engine.driver == "rig"
        wait_current(qtbot, w)
        assert w.shown.driver == "rig"
    finally:
        w.close()


def test_a_checkpoint_for_another_head_falls_back_to_the_rig(open_window, qtbot, tmp_path, checkpoint, engine):
    from core.model.checkpoint import save_checkpoint
    from core.model.deform import EmoZoneModel

    eng = Engine(head=engine.head, checkpoint=checkpoint)
    w = open_window(eng=eng)
    w.set_driver("model")
    wait_driver(qtbot, w, "model")
    assert w.shown.driver == "model"
    model = EmoZoneModel.for_cloud(engine.head.cloud)
    other = tmp_path / "other_head.safetensors"
    save_checkpoint(other, model, model.config, "another-head")
    errors = []
    w.error_shown.connect(errors.append)
    assert not w.load_model(other)
    assert errors and "other_head.safetensors" in errors[0] and "another-head" in errors[0]
    assert w.engine.driver == "rig" and w.driver_combo.currentData() == "rig"
    wait_driver(qtbot, w, "rig")
    assert w.shown.driver == "rig" and w.isVisible()
