"""Curve exports stream: a long take's CSV is evaluated and written a chunk of frames at a time,
atomically, with the same bytes as the whole-array writers and finite timestamps."""
from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest

from core.anim.curve import Curve, Keyframe
from core.anim.take import SpeechDrive, Take
from core.aus import AU_NAMES, SPEECH_NAMES
from core.document.arkit import ARKIT_NAMES, arkit_csv_text, export_arkit_csv
from core.document.openface import read_openface_csv
from core.export.curves import json_text, openface_text, write_curves


def wavy_take(duration: int, fps: float = 25.0) -> Take:
    """AU12 a triangle over the whole take, AU45 blinking every 100 frames, lip_round from its curve."""
    blink = []
    for f in range(0, duration - 4, 100):
        blink += [Keyframe(float(f), 0.0, "linear"), Keyframe(f + 2.0, 5.0, "linear"), Keyframe(f + 4.0, 0.0, "linear")]
    return Take(name="long", fps=fps, duration=duration, curves={
        "AU12": Curve((Keyframe(0.0, 0.0, "linear"), Keyframe(duration / 2, 4.0, "linear"),
                       Keyframe(duration - 1.0, 0.5, "linear"))),
        "AU45": Curve(tuple(blink)),
        "lip_round": Curve((Keyframe(0.0, 0.2, "linear"), Keyframe(duration - 1.0, 0.9, "linear"))),
    }, speech={"lip_round": SpeechDrive(driven_by_audio=False)})


def controls_of(take: Take, calls: list | None = None):
    def controls(frames):
        if calls is not None:
            calls.append(len(frames))
        return take.evaluate_au(frames), take.evaluate_speech(frames)
    return controls


def test_streamed_files_have_the_bytes_of_the_whole_array_writers(tmp_path):
    take = wavy_take(230)
    frames = np.arange(0, 230, 0.5)[:450]
    au, speech = take.evaluate_au(frames), take.evaluate_speech(frames)
    calls = []
    for fmt, whole in (("openface", openface_text(au, 50.0)), ("arkit", arkit_csv_text(au, speech, 50.0)),
                       ("json", json_text(take, tmp_path / "c.json", frames, au, speech, 50.0))):
        p = tmp_path / ("c.json" if fmt == "json" else f"{fmt}.csv")
        write_curves(fmt, take, p, frames, controls=controls_of(take, calls), fps=50.0, chunk=64)
        assert p.read_text() == whole, fmt
        # the old call with whole arrays writes the same
        write_curves(fmt, take, p, frames, au, speech, 50.0)
        assert p.read_text() == whole, fmt
    assert max(calls) == 64 and sum(calls) == 3 * 450  # evaluated once, a chunk at a time
    data = json.loads((tmp_path / "c.json").read_text())
    assert len(data["au"]) == 450 and data["speech_names"] == list(SPEECH_NAMES)


def test_a_200000_frame_take_exports_every_row(tmp_path):
    take = wavy_take(200_000)
    frames = take.frame_range()
    calls = []
    p = tmp_path / "long.csv"
    write_curves("openface", take, p, frames, controls=controls_of(take, calls), fps=25.0)
    assert max(calls) == 4096 and sum(calls) == 200_000
    with p.open() as f:
        header = [h.strip() for h in f.readline().split(",")]
        picks = {0: None, 4095: None, 4096: None, 123_456: None, 199_999: None}
        n = 0
        for i, line in enumerate(f):
            n += 1
            if i in picks:
                picks[i] = [c.strip() for c in line.split(",")]
    assert n == 200_000 and len(header) == 5 + 17 + 18
    for k, row in picks.items():
        assert row[0] == str(k + 1) and row[2] == f"{k / 25:.3f}"
        au = take.evaluate_au([float(k)])[0]
        for name in ("AU12", "AU45"):
            assert float(row[header.index(f"{name}_r")]) == pytest.approx(au[AU_NAMES.index(name)], abs=0.005)
    assert picks[199_999][2] == "7999.960"
    # blink peaks at frame 100k + 2 are in the file, and are present (_c = 1)
    assert picks[123_456][header.index("AU12_c")] == "1.0"


def test_arkit_export_of_a_long_take_streams(tmp_path):
    take = wavy_take(30_000, fps=30.0)
    p = tmp_path / "llf.csv"
    export_arkit_csv(take, p, chunk=1000)
    rows = list(csv.reader(p.open()))
    assert len(rows) == 30_001 and rows[0][2:54] == list(ARKIT_NAMES)
    assert rows[1 + 29_999][0] == "00:16:39:29.000"
    blink = rows[0].index("EyeBlinkLeft")
    assert float(rows[1 + 10_002][blink]) == pytest.approx(1.0) and float(rows[1 + 10_005][blink]) == 0
    pucker = rows[0].index("MouthPucker")
    assert float(rows[1 + 15_000][pucker]) == pytest.approx(0.2 + 0.7 * 15_000 / 29_999, abs=1e-5)


def test_openface_export_reads_back_and_clamps_to_openface_range(tmp_path):
    take = wavy_take(40)
    frames = take.frame_range()
    au = take.evaluate_au(frames, for_deformation=False) * 2  # overshoots 5
    p = tmp_path / "of.csv"
    write_curves("openface", take, p, frames, au, take.evaluate_speech(frames), 25.0)
    s = read_openface_csv(p)
    np.testing.assert_allclose(s.au, np.clip(au, 0, 5), atol=0.006)
    np.testing.assert_allclose(s.timestamps, frames / 25, atol=1e-3)


@pytest.mark.parametrize("fps", [1e-320, float("inf"), float("nan"), 0.0, 5000.0, None])
def test_no_infinite_timestamps_an_fps_outside_the_limits_is_refused(tmp_path, fps):
    take = wavy_take(10)
    p = tmp_path / "of.csv"
    p.write_text("old\n")
    with pytest.raises(ValueError) as ei:
        write_curves("openface", take, p, take.frame_range(), controls=controls_of(take), fps=fps)
    assert str(p) in str(ei.value) and "1..1000" in str(ei.value)
    assert p.read_text() == "old\n"


def test_a_failing_chunk_leaves_the_old_file_and_no_temp(tmp_path):
    take = wavy_take(10_000)
    p = tmp_path / "of.csv"
    p.write_text("old\n")

    def controls(frames):
        if frames[0] >= 4096:
            raise RuntimeError("driver failed")
        return take.evaluate_au(frames), take.evaluate_speech(frames)

    for fmt in ("openface", "arkit", "json"):
        with pytest.raises(RuntimeError, match="driver failed"):
            write_curves(fmt, take, p, take.frame_range(), controls=controls, fps=25.0)
        assert p.read_text() == "old\n"
        assert os.listdir(tmp_path) == ["of.csv"]


def test_progress_after_each_chunk_and_cancel_before_one(tmp_path):
    from core.export import CancelToken, ExportCancelled

    take = wavy_take(10_000)
    p = tmp_path / "of.csv"
    seen = []
    write_curves("openface", take, p, take.frame_range(), controls=controls_of(take), fps=25.0,
                 progress=lambda done, total: seen.append((done, total)))
    assert seen == [(4096, 10_000), (8192, 10_000), (10_000, 10_000)]
    good = p.read_text()
    token = CancelToken()

    def progress(done, total):
        if done >= 4096:
            token.cancel()

    for fmt in ("openface", "arkit", "json"):
        with pytest.raises(ExportCancelled):
            write_curves(fmt, take, p, take.frame_range(), controls=controls_of(take), fps=25.0,
                         progress=progress, cancel=token)
        token = CancelToken()
        assert p.read_text() == good and os.listdir(tmp_path) == ["of.csv"]
