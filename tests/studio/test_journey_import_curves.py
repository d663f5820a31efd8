"""The animator brings an OpenFace performance into the real window: File > Import AU Curves… by menu
and by Ctrl+Shift+I, a ``.csv`` dropped on the window, a broken CSV (an error naming the file, line
and column; the take unchanged), and Ctrl+S keeping the camera fields of a newer version.

The file dialog is QFileDialog's static getter, monkeypatched to return the path (native dialogs
cannot be driven), as tests/studio/test_journey_files.py does for Import Audio; everything else is
real key presses, mouse clicks and drops on the window."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from core.anim import CameraState, Curve, Keyframe, Take
from core.aus import AU_NAMES
from core.document import save_take
from core.document.openface import openface_2x_columns
from tests.openface_files import smile
from tests.openface_files import write_openface2 as write_openface

from .test_journey_files import Modals, choose, drop_files, patch_open_dialog
from .windows import wait_current


@pytest.fixture
def window_size():
    return (1200, 800)


@pytest.fixture
def modals():
    m = Modals()
    yield m
    m.stop()


def keyed_take() -> Take:
    return Take(name="Blank", duration=40).with_curve("AU12", Curve((Keyframe(0, 0.0), Keyframe(30, 4.0))))


def lane_keys(w, channel: str = "AU12") -> tuple[np.ndarray, np.ndarray]:
    """The keys the timeline draws on ``channel``'s lane (scrolled into view first)."""
    w.timeline.scroll_to_channel(channel)
    frames, values, _ = w.timeline.drawn_keys(channel)
    return frames, values


def value_at(qtbot, w, frame: int) -> float:
    """The keying strip's Value at the playhead (it shows the AU12 curve's value there)."""
    w.seek(frame)
    wait_current(qtbot, w)
    return float(w.value_box.value())


def test_import_au_curves_by_menu_draws_the_curve_and_one_undo_restores(open_window, qtbot, tmp_path,
                                                                           monkeypatch, modals):
    before = keyed_take()
    w = open_window(before)
    assert w.channel_combo.currentData() == "AU12"
    old_frames, old_values = lane_keys(w)
    assert list(old_frames) == [0.0, 30.0] and list(old_values) == [0.0, 4.0]
    csv_path = write_openface(tmp_path / "perf" / "smile.csv")
    asked = patch_open_dialog(monkeypatch, csv_path)
    choose(qtbot, w, "File", "Import AU Curves…")
    assert asked == ["Import AU curves"] and not modals.unexpected

    take = w.document.take
    # 4 s of rows (the last at 119/30 s) at the take's 25 fps: the take grew from 40 to 100 frames.
    assert take.duration == 100 and take.fps == 25 and take.name == "Blank"
    assert w.transport.frame_box.maximum() == 99
    first, last = w.timeline.frame_range()
    assert first <= 0 and 99 <= last < 130  # the grown take is seen whole
    assert w.document.history.undo_text == "Import AU curves smile.csv" and len(w.document.history) == 1
    assert w.windowTitle().endswith("*")
    assert w.statusBar().currentMessage() == (
        "Imported 17 AUs, 100 frames from smile.csv (OpenFace 2.x); 15 rows skipped as failed")
    # The AU12 lane draws the smile: linear keys that follow it within the import's tolerance,
    # across the whole take (the failed rows 40..54 are bridged).
    frames, values = lane_keys(w)
    assert len(frames) > 10 and frames[0] == 0.0 and frames[-1] == 99.0
    tracked = (frames / 25 <= 39 / 30) | (frames / 25 >= 55 / 30)
    assert np.max(np.abs(values - smile(frames / 25.0))[tracked]) < 0.06
    # The playhead's value is the smile's: peak at 0.5 s (frame 12.5), trough at 1.5 s (frame 37.5).
    assert value_at(qtbot, w, 13) == pytest.approx(smile(13 / 25), abs=0.06)
    assert value_at(qtbot, w, 75) == pytest.approx(smile(3.0), abs=0.06)
    # AU04 is held at 1.5 by the file.
    _, au04 = lane_keys(w, "AU04")
    assert len(au04) and np.allclose(au04, 1.5)

    w.viewport.setFocus()
    qtbot.keyClick(w.viewport, Qt.Key_Z, Qt.ControlModifier)
    assert w.document.take is before
    assert w.transport.frame_box.maximum() == 39 and not w.windowTitle().endswith("*")
    frames, values = lane_keys(w)
    assert list(frames) == [0.0, 30.0] and list(values) == [0.0, 4.0]
    assert len(lane_keys(w, "AU04")[0]) == 0
    wait_current(qtbot, w)


def test_a_broken_csv_shows_its_error_and_the_take_stays(open_window, qtbot, tmp_path, monkeypatch, modals):
    before = keyed_take()
    w = open_window(before)
    good = write_openface(tmp_path / "good.csv", seconds=1.0, failed=())
    lines = good.read_text().splitlines()
    cols = openface_2x_columns()
    row = lines[6].split(", ")
    row[cols.index("AU12_r")] = "9.00"  # beyond OpenFace's 0..5
    lines[6] = ", ".join(row)
    bad = tmp_path / "bad take.csv"
    bad.write_text("\n".join(lines) + "\n")
    errors = []
    w.error_shown.connect(errors.append)
    shown = []  # the error boxes as they came up: their text, then closed with the mouse

    def read_and_close(box):
        shown.append(box.text())
        QTest.mouseClick(box.button(QMessageBox.Ok), Qt.LeftButton)

    for _ in range(3):
        modals.expect("error_box", read_and_close)
    patch_open_dialog(monkeypatch, bad)
    qtbot.keyClick(w.viewport, Qt.Key_I, Qt.ControlModifier | Qt.ShiftModifier)  # Import AU Curves…
    expected = f"{bad} line 7, column AU12_r: AU value 9 is out of range (OpenFace AU intensities are 0..5)"
    assert errors == [expected]
    qtbot.waitUntil(lambda: shown == [expected], timeout=5000)
    assert w.document.take is before and not w.document.history.can_undo and not w.windowTitle().endswith("*")
    frames, values = lane_keys(w)
    assert list(frames) == [0.0, 30.0] and list(values) == [0.0, 4.0]
    # Dropped on the window: the same error, nothing changes, the studio stays up.
    assert drop_files(w, bad)
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=5000)
    assert errors[1] == shown[1] == expected and w.document.take is before and w.isVisible()
    # Not an OpenFace file at all.
    other = tmp_path / "notes.csv"
    other.write_text("name,score\nA,1\n")
    patch_open_dialog(monkeypatch, other)
    choose(qtbot, w, "File", "Import AU Curves…")
    qtbot.waitUntil(lambda: len(shown) == 3, timeout=5000)
    assert shown[2] == errors[2] and errors[2].startswith(f"{other} line 1: no AU intensity columns")
    assert w.document.take is before and not w.document.history.can_undo
    assert modals.seen == ["error_box"] * 3 and not modals.unexpected


def test_dropping_an_openface_csv_imports_it_in_one_undo_step(open_window, qtbot, tmp_path, modals):
    before = keyed_take()
    w = open_window(before)
    csv_path = write_openface(tmp_path / "drop.csv", seconds=1.0, failed=())
    assert drop_files(w, csv_path)
    qtbot.waitUntil(lambda: w.document.take is not before, timeout=10000)
    take = w.document.take
    assert take.duration == 40  # a 1 s file does not shorten the 40-frame take
    assert set(a for a in AU_NAMES if take.curves[a] != before.curves[a]) >= {"AU12", "AU04"}
    frames, values = lane_keys(w)
    assert frames[0] == 0.0 and frames[-1] == 24.0 and np.max(np.abs(values - smile(frames / 25))) < 0.06
    assert w.statusBar().currentMessage().startswith("Imported 17 AUs, 25 frames from drop.csv")
    qtbot.keyClick(w.viewport, Qt.Key_Z, Qt.ControlModifier)
    assert w.document.take is before
    assert not modals.unexpected


def test_a_csv_on_the_command_line_is_imported_as_curves(open_window, qtbot, tmp_path, modals):
    """``main.py perf.csv`` reaches FileWorkflow.open_any: the CSV's AUs come in as curves (it was
    read as audio and refused)."""
    before = keyed_take()
    w = open_window(before)
    csv_path = write_openface(tmp_path / "perf.csv", seconds=1.0, failed=())
    assert w.files.open_any(str(csv_path))
    take = w.document.take
    assert take is not before and take.curves["AU12"] != before.curves["AU12"]
    frames, values = lane_keys(w)
    assert frames[-1] == 24.0 and np.max(np.abs(values - smile(frames / 25))) < 0.06
    qtbot.keyClick(w.viewport, Qt.Key_Z, Qt.ControlModifier)
    assert w.document.take is before
    assert not modals.unexpected


def test_ctrl_s_keeps_the_cameras_unknown_fields(open_window, qtbot, tmp_path, monkeypatch, modals):
    emz = tmp_path / "shot.emz"
    camera = CameraState(target=(0.0, 0.02, 0.0), yaw=10.0, pitch=5.0, distance=0.8, fov_y=30.0,
                         extra={"lens": {"model": "85mm", "focus_m": 1.2}, "roll": 0.0})
    save_take(Take(name="shot", duration=30, camera=camera), emz)
    w = open_window()
    patch_open_dialog(monkeypatch, emz)
    qtbot.keyClick(w.viewport, Qt.Key_O, Qt.ControlModifier)
    assert w.document.path == emz
    wait_current(qtbot, w)
    # Orbit the view with the mouse: a left drag to the right.
    vp = w.viewport
    a = vp.rect().center()
    qtbot.mousePress(vp, Qt.LeftButton, pos=a)
    for t in np.linspace(0.1, 1.0, 6):
        qtbot.mouseMove(vp, QPoint(a.x() + int(80 * t), a.y()))
    qtbot.mouseRelease(vp, Qt.LeftButton, pos=QPoint(a.x() + 80, a.y()))
    yaw = vp.orbit.yaw
    assert abs(yaw - 10.0) > 1.0
    qtbot.keyClick(w.viewport, Qt.Key_S, Qt.ControlModifier)
    raw = json.loads(emz.read_text())["camera"]
    assert raw["lens"] == {"model": "85mm", "focus_m": 1.2} and raw["roll"] == 0.0
    assert raw["yaw"] == pytest.approx(yaw) and raw["distance"] == pytest.approx(vp.orbit.distance)
    assert w.document.take.camera.extra["lens"] == {"model": "85mm", "focus_m": 1.2}
    assert not modals.unexpected
