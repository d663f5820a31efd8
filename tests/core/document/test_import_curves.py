"""Import AU Curves (core): the one undoable edit that puts an OpenFace CSV's AU curves into a take,
and ``new_take_from_openface`` (``main.py new --openface``), against files written the way OpenFace
2.x and 3.0 write them."""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.anim import AudioRef, Curve, Keyframe, Take, evaluate
from core.aus import AU_NAMES
from core.document import Document
from core.document.import_curves import (
    CurveImportError, import_curves_command, is_curve_path, new_take_from_openface, summary,
)
from core.document.openface import OPENFACE3_AUS, openface_2x_columns, openface_3_columns
from tests.openface_files import smile, write_openface2



def write_openface3(path: Path, frames: int = 60) -> Path:
    """``openface detect-video`` output: frame_index from 0, action_units as [[8 scores]]."""
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(openface_3_columns())
        for k in range(frames):
            scores = [0.0] * 8
            scores[OPENFACE3_AUS.index("AU12")] = round(float(0.5 + 0.5 * np.sin(2 * np.pi * k / frames)), 6)
            w.writerow(["2025-06-10 12:00:00", "clip.mp4", k, 0, "[1.0, 2.0]", "[[1.0, 2.0]]", 1, 0.1, -0.05,
                        str([scores])])
    return path


def _voice(path: Path, seconds: float, rate: int = 8000) -> Path:
    t = np.arange(int(round(rate * seconds))) / rate
    sf.write(path, (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), rate)
    return path


def base_take() -> Take:
    return (Take(name="Scene", fps=25.0, duration=50)
            .with_curve("AU12", Curve((Keyframe(0, 1.0), Keyframe(45, 1.0))))
            .with_curve("AU01", Curve((Keyframe(10, 3.0),)))
            .with_curve("jaw_open", Curve((Keyframe(5, 0.4),))))


def test_the_files_aus_replace_the_takes_others_stay_and_the_take_grows_in_one_undo_step(tmp_path):
    csv_path = write_openface2(tmp_path / "clip.csv", failed=range(40, 50))
    take = dataclasses.replace(base_take(), audio=AudioRef(str(tmp_path / "line.wav")))
    doc = Document(take)
    result = import_curves_command(doc.take, csv_path)
    doc.push(result.command)
    after = doc.take
    # 4 s of rows, the last at 119/30 s: floor(3.967 * 25) + 1 = 100 frames at the take's 25 fps.
    assert result.frames == 100 and after.duration == 100 and after.fps == 25.0
    assert result.channels == AU_NAMES and result.locked == () and result.skipped == 10
    assert result.layout == "OpenFace 2.x" and result.source_fps is None
    f = np.arange(100, dtype=float)
    ok = (f / 25 < 39 / 30) | (f / 25 > 50 / 30)
    assert np.max(np.abs(evaluate(after.curves["AU12"], f)[ok] - smile(f / 25)[ok])) < 0.06
    assert np.allclose(evaluate(after.curves["AU04"], f), 1.5, atol=1e-6)
    # The file has every AU, so AU01's key at 10 (3.0) is gone: the file is the performance.
    assert np.allclose(evaluate(after.curves["AU01"], f), 0.0)
    # Speech controls, audio, name and camera are not the file's.
    assert after.curves["jaw_open"] == take.curves["jaw_open"]
    assert after.audio == take.audio and after.name == "Scene" and after.camera == take.camera
    assert doc.history.undo_text == "Import AU curves clip.csv" and len(doc.history) == 1
    doc.history.undo()
    assert doc.take is take


def test_a_longer_take_keeps_its_length_and_a_locked_channel_keeps_its_curve(tmp_path):
    csv_path = write_openface2(tmp_path / "short.csv", seconds=1.0, failed=())
    take = base_take()
    take = dataclasses.replace(take, duration=400)
    take = take.with_curve("AU12", dataclasses.replace(take.curves["AU12"], lock=True))
    take = take.with_curve("AU04", dataclasses.replace(take.curves["AU04"], mute=True))
    result = import_curves_command(take, csv_path)
    after = result.command.after
    assert after.duration == 400 and result.frames == 25
    assert after.curves["AU12"] == take.curves["AU12"]  # locked: kept
    assert result.locked == ("AU12",) and "AU12" not in result.channels and len(result.channels) == 16
    assert after.curves["AU04"].mute and evaluate(after.curves["AU04"], [10.0], respect_mute=False)[0] == \
        pytest.approx(1.5)
    text = summary(result, "short.csv")
    assert text == ("Imported 16 AUs, 25 frames from short.csv (OpenFace 2.x); 0 rows skipped as failed; "
                    "locked, kept: AU12")


def test_openface3_rows_are_timed_at_the_takes_fps_unless_told_otherwise(tmp_path):
    csv_path = write_openface3(tmp_path / "face_analysis.csv", frames=60)
    take = Take(name="t", fps=30.0, duration=10).with_curve("AU45", Curve((Keyframe(3, 5.0),)))
    result = import_curves_command(take, csv_path)
    after = result.command.after
    # One take frame per video frame: frame_index 59 is frame 59.
    assert result.frames == 60 and after.duration == 60 and result.source_fps == 30.0
    assert result.channels == tuple(a for a in AU_NAMES if a in OPENFACE3_AUS)
    assert after.curves["AU45"] == take.curves["AU45"]  # OpenFace 3.0 has no AU45
    assert evaluate(after.curves["AU12"], [15.0])[0] == pytest.approx(5.0, abs=0.06)  # score 1 x 5
    assert "timed at 30 fps" in summary(result, "face_analysis.csv")
    # The video was 60 fps: the same rows span half the time.
    half = import_curves_command(take, csv_path, source_fps=60.0)
    assert half.frames == 30 and half.command.after.duration == 30 and half.source_fps == 60.0


def test_a_bad_file_raises_naming_file_line_and_column_and_changes_nothing(tmp_path):
    good = write_openface2(tmp_path / "clip.csv", seconds=1.0, failed=())
    lines = good.read_text().splitlines()
    cols = openface_2x_columns()
    row = lines[5].split(", ")
    row[cols.index("AU12_r")] = "9.0"
    lines[5] = ", ".join(row)
    bad = tmp_path / "bad clip.csv"
    bad.write_text("\n".join(lines) + "\n")
    take = base_take()
    doc = Document(take)
    with pytest.raises(CurveImportError) as err:
        doc.push(import_curves_command(doc.take, bad).command)
    assert str(err.value).startswith(f"{bad} line 6, column AU12_r: AU value 9 is out of range")
    assert doc.take is take and not doc.history.can_undo
    for text, problem in [("", "the file is empty"), ("a,b\n1,2\n", "no AU intensity columns")]:
        p = tmp_path / "x.csv"
        p.write_text(text)
        with pytest.raises(CurveImportError, match=problem) as err:
            import_curves_command(take, p)
        assert str(p) in str(err.value)
    with pytest.raises(CurveImportError, match="cannot be read"):
        import_curves_command(take, tmp_path / "missing.csv")


def test_new_take_from_openface_alone_and_with_a_recording(tmp_path):
    csv_path = write_openface2(tmp_path / "perf.csv", seconds=2.0, failed=())
    take, result = new_take_from_openface(csv_path, fps=30.0)
    assert take.name == "perf" and take.fps == 30.0 and take.duration == 60 and take.audio is None
    assert set(result.channels) == set(AU_NAMES)
    assert evaluate(take.curves["AU04"], [30.0])[0] == pytest.approx(1.5)
    # With a recording longer than the file: the recording's take (its length, auto-blink) with the
    # file's AUs; OpenFace 2.x writes AU45, so its AU45 (0 here) replaces the blinks.
    wav = _voice(tmp_path / "line.wav", 3.0)
    take, result = new_take_from_openface(csv_path, fps=25.0, audio=wav, name="Shot 4")
    assert take.name == "Shot 4" and take.duration == 75 and take.audio.path == str(wav)
    assert np.allclose(evaluate(take.curves["AU45"], np.arange(75.0)), 0.0)
    assert result.frames == 50
    # OpenFace 3.0 has no AU45: the recording's blinks stay.
    of3 = write_openface3(tmp_path / "of3.csv", frames=30)
    take, _ = new_take_from_openface(of3, fps=25.0, audio=wav)
    assert take.name == "line" and take.duration == 75 and len(take.curves["AU45"].keys) > 0


def test_is_curve_path():
    assert is_curve_path("a/b/Clip.CSV") and is_curve_path(Path("x.csv"))
    assert not is_curve_path("take.emz") and not is_curve_path("voice.wav") and not is_curve_path("csv")
