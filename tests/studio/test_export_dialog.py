"""File > Export from the real window: an MP4 read back with PyAV, curves, cancel, errors."""
import dataclasses
import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from core.anim import Take

from .test_wiring import checkpoint, engine, open_window, wait_current  # noqa: F401  (fixtures)


def keyed_take():
    from core.anim import Curve, Keyframe

    take = Take(name="Exported", fps=25.0, duration=40)
    return take.with_curve("AU12", Curve((Keyframe(0, 0.0), Keyframe(39, 5.0))))


def run_export(qtbot, dialog, timeout=120000):
    with qtbot.waitSignal(dialog.finished_export, timeout=timeout) as sig:
        qtbot.mouseClick(dialog.export_button, Qt.LeftButton)
    return sig.args[0]


def test_ctrl_e_exports_a_small_mp4_with_the_viewport_camera(open_window, qtbot, tmp_path):
    import av

    w = open_window(keyed_take())
    w.viewport.side_view()
    qtbot.keyClick(w.viewport, Qt.Key_E, Qt.ControlModifier)
    d = w.export_dialog
    assert d is not None and d.isVisible()
    d.format_combo.setCurrentIndex(d.format_combo.findData("mp4"))
    target = tmp_path / "clip.mp4"
    d.path_edit.setText(str(target))
    d.width_box.setValue(64)
    d.height_box.setValue(64)
    d.first_box.setValue(2)
    d.last_box.setValue(6)
    d.set_background(QColor(0, 0, 255))
    opts = d.options()
    assert opts.yaw == pytest.approx(w.viewport.orbit.yaw) and abs(opts.yaw) > 45
    assert opts.distance == pytest.approx(w.viewport.orbit.distance)
    result = run_export(qtbot, d)
    assert result is not None and result.frames == 5 and target.exists()
    assert d.progress_bar.value() == d.progress_bar.maximum() == 5
    with av.open(str(target)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 5 and frames[0].shape == (64, 64, 3)
    corner = frames[0][:4, :4].reshape(-1, 3).mean(0)
    assert corner[2] > 150 and corner[0] < 80, f"background is not blue: {corner}"
    centre = frames[0][24:40, 24:40].reshape(-1, 3).mean(0)
    assert abs(centre - corner).max() > 40, "no head in the picture"
    assert w.isVisible()


def test_a_curve_export_writes_json(open_window, qtbot, tmp_path):
    w = open_window(keyed_take())
    d = w.open_export_dialog()
    d.format_combo.setCurrentIndex(d.format_combo.findData("json"))
    assert d.path_edit.text().endswith(".json") and not d.width_box.isEnabled()
    target = tmp_path / "curves.json"
    d.path_edit.setText(str(target))
    assert run_export(qtbot, d) is not None
    data = json.loads(target.read_text())
    assert "AU12" in json.dumps(data)


def test_cancel_stops_the_export_and_leaves_no_file(open_window, qtbot, tmp_path):
    w = open_window(Take(name="Long", duration=200))
    d = w.open_export_dialog()
    target = tmp_path / "long.mp4"
    d.path_edit.setText(str(target))
    d.width_box.setValue(128)
    d.height_box.setValue(128)
    started = []
    d.finished_export.connect(started.append)

    def cancel_on_first_frame(done, _total):
        if done >= 1 and d.cancel_button.isEnabled() and d.is_running():
            qtbot.mouseClick(d.cancel_button, Qt.LeftButton)

    qtbot.mouseClick(d.export_button, Qt.LeftButton)
    assert d.is_running() and d.cancel_button.text() == "Cancel"
    d.job.progress.connect(cancel_on_first_frame)
    qtbot.waitUntil(lambda: bool(started), timeout=120000)
    assert started == [None]
    assert "cancelled" in d.status_label.text()
    assert not target.exists() and list(tmp_path.glob("long*")) == []
    assert d.export_button.isEnabled() and d.cancel_button.text() == "Close"


def test_an_export_error_is_shown_and_the_studio_stays_up(open_window, qtbot, tmp_path):
    w = open_window(keyed_take())
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    d = w.open_export_dialog()
    d.path_edit.setText(str(blocker / "out.mp4"))
    d.width_box.setValue(32)
    d.height_box.setValue(32)
    errors = []
    w.error_shown.connect(errors.append)
    assert run_export(qtbot, d) is None
    assert errors and "out.mp4" in errors[0]
    assert w.isVisible() and not d.is_running()
    w.seek(3)
    wait_current(qtbot, w)
    assert np.isfinite(w.shown.motion).all()


def test_a_ply_sequence_exports_the_model_drivers_frames(open_window, qtbot, tmp_path, checkpoint, engine):  # noqa: F811
    from core.ply import read_ply
    from studio.engine import Engine

    w = open_window(keyed_take(), Engine(head=engine.head, checkpoint=checkpoint))
    w.set_driver("model")
    qtbot.waitUntil(lambda: w.shown.driver == "model", timeout=20000)
    d = w.open_export_dialog()
    assert "model" in d.driver_label.text().lower()
    d.format_combo.setCurrentIndex(d.format_combo.findData("ply"))
    folder = tmp_path / "plys"
    d.path_edit.setText(str(folder))
    d.first_box.setValue(3)
    d.last_box.setValue(4)
    result = run_export(qtbot, d)
    assert result is not None and len(result.files) == 2
    expected = w.engine.cloud(w.document.take, 3).means.numpy()
    assert np.allclose(read_ply(result.files[0]).means.numpy(), expected, atol=1e-5)


def test_the_viewport_shows_what_make_driver_model_gives_on_the_shipped_checkpoint(open_window, qtbot, engine):  # noqa: F811
    """One driver path: the studio's model frame is core.drive.make_driver('model')'s frame, bit for bit
    up to float32, on the shipped checkpoint and the take's own audio."""
    from core.anim import AudioRef, Curve, Keyframe
    from core.drive import make_driver
    from core.model.checkpoint import DEFAULT_CHECKPOINT
    from studio.engine import Engine
    from studio.session import SAMPLE_AUDIO

    take = Take(name="Spoken", fps=25.0, duration=30, audio=AudioRef(str(SAMPLE_AUDIO)))
    take = take.with_curve("AU12", Curve((Keyframe(0, 0.0), Keyframe(29, 4.0))))
    w = open_window(take, Engine(head=engine.head, checkpoint=DEFAULT_CHECKPOINT))
    w.set_driver("model")
    w.seek(20)
    qtbot.waitUntil(lambda: w.shown.driver == "model" and w.shown.frame == 20, timeout=30000)
    wait_current(qtbot, w)
    expected = make_driver("model", engine.head, w.document.take).cloud(20.0).means.numpy()
    rest = engine.head.cloud.means.numpy()
    assert np.abs(expected - rest).max() > 1e-4  # the model moved the face: the comparison means something
    np.testing.assert_allclose(w.shown.splats.means, expected, atol=1e-6)


def test_the_format_menu_is_the_export_table(open_window, qtbot, tmp_path):
    """Stepping through the Format menu with the keyboard: every row of core.export's table, in order,
    with its label, its default target and only the options that apply to it."""
    from core.export import EXPORT_FORMATS, detect_format

    w = open_window(keyed_take())
    d = w.open_export_dialog()
    d.path_edit.setText(str(tmp_path / "shot.mp4"))
    combo = d.format_combo
    combo.setFocus()
    combo.setCurrentIndex(0)
    seen = []
    for k, row in enumerate(EXPORT_FORMATS):
        if k:
            qtbot.keyClick(combo, Qt.Key_Down)
        assert combo.currentText() == row.label and d.fmt() == row.name
        path = d.path_edit.text()
        assert detect_format(path, row.name) == row.name
        assert path.endswith(row.default_suffix) if row.default_suffix else not path.endswith((".png", ".ply"))
        assert d.width_box.isEnabled() == ("size" in row.options)
        assert d.background_button.isEnabled() == ("background" in row.options)
        seen.append(d.fmt())
    assert seen == [row.name for row in EXPORT_FORMATS] and combo.count() == len(EXPORT_FORMATS)


def test_a_take_whose_recording_is_missing_exports_without_sound_and_says_so(open_window, qtbot, tmp_path):
    """Open a take whose recording is gone, Continue Silently, File > Export MP4: every frame, no
    audio track, and the summary and the status bar name the missing file."""
    import av

    from core.anim import AudioRef
    from core.document import save_take

    from .test_journey_files import Modals, click_named, write_voice

    wav = write_voice(tmp_path / "gone.wav", 1.0)
    take = keyed_take()
    emz = tmp_path / "gone.emz"
    save_take(dataclasses.replace(take, audio=AudioRef(str(wav))), emz)
    wav.unlink()
    w = open_window(Take(name="Blank", duration=40))
    modals = Modals()
    try:
        modals.expect("relink_box", click_named("relink_silent"))
        assert w.files.open_path(emz, offer_recovery=False)
        qtbot.waitUntil(lambda: modals.seen == ["relink_box"], timeout=10000)
    finally:
        modals.stop()
    wait_current(qtbot, w)
    assert w.document.take.audio.path == str(wav)  # the take keeps its path; it plays silently
    d = w.open_export_dialog()
    d.format_combo.setCurrentIndex(d.format_combo.findData("mp4"))
    target = tmp_path / "silent.mp4"
    d.path_edit.setText(str(target))
    d.width_box.setValue(48)
    d.height_box.setValue(48)
    d.first_box.setValue(0)
    d.last_box.setValue(5)
    result = run_export(qtbot, d)
    assert result is not None and result.frames == 6, d.status_label.text()
    with av.open(str(target)) as c:
        assert not c.streams.audio
        assert sum(1 for _ in c.decode(video=0)) == 6
    summary = d.status_label.text()
    assert "Wrote 6 frames" in summary and "without sound" in summary and str(wav) in summary
    assert "relink it in the studio" in summary
    bar = w.statusBar().currentMessage()
    assert "without sound" in bar and "gone.wav" in bar
    assert "Error" not in summary and w.isVisible()
