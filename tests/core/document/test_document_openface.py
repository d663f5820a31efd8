"""OpenFace CSV import against files written the way OpenFace writes them: 2.x FeatureExtraction
(714 columns) and OpenFace 3.0's ``openface detect-video`` (openface/demo.py process_video), plus
every hostile input issue 12 lists."""
import csv
from pathlib import Path

import numpy as np
import pytest

from core.anim import evaluate
from core.aus import AU_NAMES
from core.document.openface import (
    MAX_COLUMNS, MAX_LINE_CHARS, OPENFACE3_AUS, CurveImportError, import_openface, openface_2x_columns,
    openface_3_columns, read_openface_csv, take_from_openface,
)
from core.limits import MAX_CSV_BYTES

SRC_FPS = 30.0


def au12(t):
    return 2.5 + 2.5 * np.sin(2 * np.pi * t / 2.0)


def au04(t):
    return np.clip(4 * np.sin(np.pi * t / 3.0), 0, 5)


def write_openface_csv(path: Path, seconds: float = 4.0, failed=range(40, 55), faces=(0,)) -> Path:
    """A FeatureExtraction-style CSV: 714 columns, ", " separators, failed rows all zeros."""
    cols = openface_2x_columns()
    idx = {c: i for i, c in enumerate(cols)}
    rng = np.random.default_rng(0)
    lines = [", ".join(cols)]
    n = int(seconds * SRC_FPS)
    for k in range(n):
        t = round(k / SRC_FPS, 3)  # OpenFace prints timestamps with 3 decimals
        for face in faces:
            row = ["0"] * len(cols)
            row[idx["frame"]] = str(k + 1)
            row[idx["face_id"]] = str(face)
            row[idx["timestamp"]] = f"{t:.3f}"
            if k in failed:
                row[idx["confidence"]] = "0"
                row[idx["success"]] = "0"
            else:
                row[idx["confidence"]] = "0.98"
                row[idx["success"]] = "1"
                for c in cols[5:idx["AU01_r"]]:
                    row[idx[c]] = f"{rng.normal(0, 50):.3f}"
                vals = {a: 0.0 for a in AU_NAMES}
                vals["AU12"], vals["AU04"] = au12(t) / (1 + face), au04(t)
                for a, v in vals.items():
                    row[idx[f"{a}_r"]] = f"{v:.2f}"
                    row[idx[f"{a}_c"]] = "1" if v > 1 else "0"
            lines.append(", ".join(row))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_header_is_the_openface_22_layout():
    cols = openface_2x_columns()
    assert len(cols) == 714
    assert cols[:5] == ["frame", "face_id", "timestamp", "confidence", "success"]
    assert cols[cols.index("AU01_r"):cols.index("AU01_r") + 17] == [f"{a}_r" for a in AU_NAMES]
    assert cols[-1] == "AU45_c" and "AU28_c" in cols and "AU28_r" not in cols


def test_import_resamples_by_timestamp_and_skips_failed_rows(tmp_path):
    p = write_openface_csv(tmp_path / "clip.csv")
    s = read_openface_csv(p)
    assert s.skipped == 15 and len(s.timestamps) == 120 - 15
    imp = import_openface(p, fps=25.0, tolerance=None)
    assert imp.duration == int(np.floor(s.timestamps[-1] * 25)) + 1
    c = imp.curves["AU12"]
    f = np.arange(imp.duration, dtype=float)
    v = evaluate(c, f)
    t = f / 25.0
    # Rows 40..54 failed: frames between the last good row (39) and the next (55) are bridged.
    gap = (t > 39 / 30) & (t < 55 / 30)
    # Outside the gap the 25 fps samples follow the 30 fps signal (0.01 rounding + linear interp).
    assert np.max(np.abs(v[~gap] - au12(t[~gap]))) < 0.03
    # Inside the gap values are bridged from the rows around it, never read as the zeros written there.
    t0, t1 = 39 / 30, 55 / 30
    bridge = au12(t0) + (au12(t1) - au12(t0)) * (t[gap] - t0) / (t1 - t0)
    assert np.max(np.abs(v[gap] - bridge)) < 0.03
    assert v[gap].min() > 0.5


def test_omit_gaps_leaves_no_keys_in_the_gap(tmp_path):
    p = write_openface_csv(tmp_path / "clip.csv")
    imp = import_openface(p, fps=25.0, tolerance=None, gaps="omit")
    frames = imp.curves["AU12"].frames
    inside = (frames / 25 > 40 / 30 + 1.5 / 30) & (frames / 25 < 54 / 30 - 1.5 / 30)
    assert not inside.any()
    assert len(frames) < imp.duration


def test_thinning_keeps_the_curve_within_tolerance(tmp_path):
    p = write_openface_csv(tmp_path / "clip.csv", failed=())
    dense = import_openface(p, fps=25.0, tolerance=None)
    thin = import_openface(p, fps=25.0, tolerance=0.05)
    f = np.arange(dense.duration, dtype=float)
    for a in ("AU12", "AU04", "AU45"):
        assert len(thin.curves[a]) <= len(dense.curves[a])
        assert np.max(np.abs(evaluate(thin.curves[a], f) - evaluate(dense.curves[a], f))) <= 0.05 + 1e-9
    assert len(thin.curves["AU45"]) == 2  # all zeros: two keys suffice
    assert len(thin.curves["AU12"]) < dense.duration / 2


def test_take_from_openface_and_multiple_faces(tmp_path):
    p = write_openface_csv(tmp_path / "multi.csv", faces=(0, 1))
    take = take_from_openface(p, fps=25.0)
    assert take.name == "multi" and take.fps == 25
    # face 1 has half the AU12 of face 0; the take follows face 0.
    assert evaluate(take.curves["AU12"], [0])[0] == pytest.approx(au12(0), abs=0.05)
    assert evaluate(take.curves["AU12"], [12])[0] == pytest.approx(au12(12 / 25), abs=0.05)



# ------------------------------------------------------------------------------ OpenFace 3.0


def of3_scores(t: float) -> list[float]:
    """OpenFace 3.0's 8 AU scores (0..1, in its order AU1, AU2, AU4, AU6, AU9, AU12, AU25, AU26)
    as float32 values, the way the model's tensor .tolist() prints them."""
    s = {"AU12": au12(t) / 5, "AU26": au04(t) / 5, "AU01": 0.1, "AU02": 0.05}
    return [float(np.float32(s.get(a, 0.0))) for a in OPENFACE3_AUS]


def write_openface3_csv(path: Path, seconds: float = 3.0, gaps=range(20, 26), faces=(0,)) -> Path:
    """What ``openface detect-video`` writes (pandas to_csv of process_video's results): the
    wall-clock timestamp, the video, frame_index from 0, face_id, the detection and 98 landmarks as
    Python lists, the emotion index, gaze, action_units as [[8 scores]]; a frame without a face
    leaves every cell after frame_index empty."""
    rng = np.random.default_rng(1)
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(openface_3_columns())
        for k in range(int(seconds * SRC_FPS)):
            stamp = f"2025-06-10 12:00:{k // 30:02d}"
            if k in gaps:
                w.writerow([stamp, "clip.mp4", k, "", "", "", "", "", "", ""])
                continue
            for face in faces:
                det = [float(np.float32(v)) for v in rng.uniform(0, 640, 15)]
                lmk = [[float(np.float32(v)) for v in rng.uniform(0, 640, 2)] for _ in range(98)]
                scores = of3_scores(k / SRC_FPS)
                if face:
                    scores = [v / 2 for v in scores]
                w.writerow([stamp, "clip.mp4", k, face, str(det), str(lmk), 1, 0.1, -0.05, str([scores])])
    return path


def test_openface3_package_output_imports_by_facs_number(tmp_path):
    p = write_openface3_csv(tmp_path / "face_analysis_clip.csv", faces=(0, 1))
    with p.open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == openface_3_columns()
    # the landmarks cell: far longer than any OpenFace 2.x value
    assert max(len(c) for row in rows for c in row) > 3000
    imp = import_openface(p, fps=25.0, tolerance=None, source_fps=SRC_FPS)
    assert imp.layout == "OpenFace 3.0" and imp.skipped == 6
    assert set(imp.curves) == set(OPENFACE3_AUS)
    f = np.arange(imp.duration, dtype=float)
    t = f / 25.0
    ok = (t < 19 / 30) | (t > 26 / 30)
    # score x 5 = intensity: AU12 follows the 0..5 signal whose fifth the file holds (face 0, not face 1).
    assert np.max(np.abs(evaluate(imp.curves["AU12"], f)[ok] - au12(t[ok]))) < 0.03
    assert np.max(np.abs(evaluate(imp.curves["AU26"], f)[ok] - au04(t[ok]))) < 0.03
    assert evaluate(imp.curves["AU01"], [3.0])[0] == pytest.approx(0.5, abs=1e-6)
    assert imp.duration == int(np.floor(89 / 30 * 25)) + 1
    # source_fps times the rows: at 60 fps the same rows span half the time.
    assert import_openface(p, fps=25.0, source_fps=60.0).duration == int(np.floor(89 / 60 * 25)) + 1


def test_openface3_columns_named_by_facs_number_import(tmp_path):
    """The issue's file: OpenFace 3.0's outputs spread into columns AU01 .. AU26 (by FACS number)."""
    p = tmp_path / "of3_columns.csv"
    lines = [",".join(["frame_idx", "timestamp", "emotion", "gaze_yaw", "gaze_pitch", *OPENFACE3_AUS])]
    for k in range(60):
        lines.append(",".join([str(k), "2025-06-10T12:00:00", "1", "0.1", "0.2"] + [f"{v:.3f}" for v in of3_scores(k / 30)]))
    p.write_text("\n".join(lines) + "\n")
    take = take_from_openface(p, fps=30.0, tolerance=None)
    assert evaluate(take.curves["AU12"], [15.0])[0] == pytest.approx(au12(0.5), abs=0.01)
    assert evaluate(take.curves["AU01"], [15.0])[0] == pytest.approx(0.5, abs=0.01)
    assert len(take.curves["AU45"]) == 0 and take.duration == 60


def test_columns_numbered_by_position_are_refused_with_the_true_reason(tmp_path):
    cols = ["frame", "face_id", "timestamp", "success"] + [f"AU0{i}_r" for i in range(1, 9)] + ["emotion_neutral"]
    p = tmp_path / "of3.csv"
    p.write_text(",".join(cols) + "\n" + ",".join(["1", "0", "0.0", "1"] + ["0.1"] * 9) + "\n")
    with pytest.raises(CurveImportError) as ei:
        import_openface(p)
    msg = str(ei.value)
    assert str(p) in msg and "line 1" in msg and "by position" in msg and "FACS has no AU3" in msg
    assert "AU1, AU2, AU4, AU6, AU9, AU12, AU25, AU26" in msg
    assert "numbered 1..8" not in msg


@pytest.mark.parametrize("text, words", [
    ("frame_index,face_id,AU05\n0,0,0.5\n", "AU05 is not one of OpenFace 3.0's 8 AUs"),
    ("timestamp,face_id,action_units\n2025-06-10 12:00:00,0,\"[[0.1]]\"\n", "without a frame_index column"),
    ("frame_index,face_id,action_units\n0,0,\"[[0.1, 0.2]]\"\n", "action_units has 2 values"),
    ("frame_index,face_id,action_units\n0,0,\"[[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 1.5]]\"\n",
     "line 2, column action_units: AU value 1.5 is out of range (OpenFace 3.0 AU scores are 0..1)"),
    ("frame_index,face_id,action_units\n0.5,0,\"[[0, 0, 0, 0, 0, 0, 0, 0]]\"\n", "frame_index must be a whole number"),
    ("frame_index,face_id,action_units\n0,0,\"[[0, 0, 0, 0, 0, 0, 0, nan]]\"\n", "not a finite number"),
    ("frame_index,face_id,action_units\n0,0,\"0, 0\"\n", "must be a list of 8 numbers"),
])
def test_malformed_openface3_files(tmp_path, text, words):
    p = tmp_path / "bad3.csv"
    p.write_text(text)
    with pytest.raises(CurveImportError) as ei:
        import_openface(p)
    assert str(p) in str(ei.value) and words in str(ei.value)


# ------------------------------------------------------------------------------ hostile 2.x files


HEAD = "frame, face_id, timestamp, confidence, success, AU04_r, AU12_r, AU12_c"


def small_csv(*rows: str) -> str:
    return HEAD + "\n" + "\n".join(rows) + "\n"


GOOD = "1, 0, 0.000, 0.98, 1, 0.50, 1.20, 1"
GOOD2 = "2, 0, 0.033, 0.98, 1, 0.60, 1.30, 1"


@pytest.mark.parametrize("rows, words", [
    # a stray quote opens a field that would swallow the rest of the file (_csv.Error before)
    ((GOOD, '2, 0, 0.033, 0.98, 1, "0.60, 1.30, 1', GOOD2), "line 3: a quoted value is not closed on its line"),
    ((GOOD, '2, 0, 0.033, 0.98, 1, 0.60", 1.30, 1'), "line 3, column AU04_r: not a number"),
    # face_id inf (OverflowError before), and other impossible faces
    ((GOOD, "2, inf, 0.033, 0.98, 1, 0.6, 1.3, 1"), "line 3, column face_id: inf is NaN or infinite"),
    ((GOOD, "2, 1e400, 0.033, 0.98, 1, 0.6, 1.3, 1"), "line 3, column face_id: 1e400 is out of range"),
    ((GOOD, "2, -1, 0.033, 0.98, 1, 0.6, 1.3, 1"), "face_id must be a whole number"),
    ((GOOD, "2, 1e12, 0.033, 0.98, 1, 0.6, 1.3, 1"), "face_id must be a whole number"),
    # timestamps no take can hold (a silent 3,000,001-frame take, MemoryError, numpy traceback before)
    ((GOOD, "2, 0, 1e5, 0.98, 1, 0.6, 1.3, 1"), "line 3, column timestamp: timestamp 1e5 is 27.8 h into the video"),
    ((GOOD, "2, 0, 1e7, 0.98, 1, 0.6, 1.3, 1"), "line 3, column timestamp"),
    ((GOOD, "2, 0, 1e18, 0.98, 1, 0.6, 1.3, 1"), "at most 4 h"),
    ((GOOD, "2, 0, " + "9" * 400 + ", 0.98, 1, 0.6, 1.3, 1"), "out of range (not a finite number)"),
    # AU intensities outside OpenFace's 0..5 (accepted silently before)
    ((GOOD, "2, 0, 0.033, 0.98, 1, 0.6, 9.0, 1"), "line 3, column AU12_r: AU value 9 is out of range (OpenFace AU intensities are 0..5)"),
    ((GOOD, "2, 0, 0.033, 0.98, 1, -2.0, 1.3, 1"), "line 3, column AU04_r: AU value -2 is out of range"),
    ((GOOD, "2, 0, 0.033, 0.98, 1, 0.6, 1.3, 0.5"), "line 3, column AU12_c: an AU presence value (AUxx_c) must be 0 or 1"),
    ((GOOD, "2, 0, 0.033, 0.98, 2, 0.6, 1.3, 1"), "line 3, column success: success must be 0 or 1"),
    ((GOOD, "2, 0, 0.033, 0.98, 1, 0x10, 1.3, 1"), "not a number: '0x10'"),
    ((GOOD, "2, 0, 0.033, 0.98, 1, 1_0, 1.3, 1"), "not a number: '1_0'"),
    ((GOOD, "2, 0, 0.033, 0.98, 1, \x00, 1.3, 1"), "not a number"),
])
def test_hostile_rows_name_line_and_column(tmp_path, rows, words):
    p = tmp_path / "hostile.csv"
    p.write_text(small_csv(*rows))
    with pytest.raises(CurveImportError) as ei:
        import_openface(p)
    assert str(p) in str(ei.value) and words in str(ei.value)


def test_a_timestamp_within_4_h_but_too_many_frames_for_the_take(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text(small_csv(GOOD, "2, 0, 3600.000, 0.98, 1, 0.6, 1.3, 1"))
    assert import_openface(p, fps=25.0, tolerance=0.05).duration == 90001
    with pytest.raises(CurveImportError) as ei:
        import_openface(p, fps=1000.0)
    assert "line 3" in str(ei.value) and "3.6e+06 frames is more than the 1,000,000" in str(ei.value)
    with pytest.raises(CurveImportError, match="fps must be within 1..1000"):
        import_openface(p, fps=1e-320)


def test_files_refused_whole(tmp_path):
    cases = {}
    cases["binary.csv"] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd"
    cases["long_line.csv"] = (HEAD + "\n" + "1, 0, 0.0" + " " * (MAX_LINE_CHARS + 10) + "\n").encode()
    cases["columns.csv"] = (",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n").encode()
    cases["dup.csv"] = small_csv(GOOD).replace("AU12_c", "AU12_r").encode()
    expected = {"binary.csv": "is not UTF-8 text", "long_line.csv": "line 2: the line is longer than",
                "columns.csv": "4,097 columns", "dup.csv": "the column AU12_r appears 2 times"}
    for name, data in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(CurveImportError) as ei:
            import_openface(p)
        assert str(p) in str(ei.value) and expected[name] in str(ei.value), name
    big = tmp_path / "big.csv"
    with big.open("wb") as f:  # sparse: no disk is used
        f.truncate(MAX_CSV_BYTES + 1)
    with pytest.raises(CurveImportError, match="a CSV of curves is at most 2 GiB"):
        import_openface(big)
    with pytest.raises(CurveImportError, match="is not a file"):
        import_openface(tmp_path)
    with pytest.raises(CurveImportError, match="cannot be read"):
        import_openface(tmp_path / "missing.csv")


def test_a_byte_order_mark_and_crlf_lines_are_fine(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbf" + small_csv(GOOD, GOOD2).replace("\n", "\r\n").encode())
    s = read_openface_csv(p)
    assert s.present == ("AU04", "AU12") and list(s.au[:, AU_NAMES.index("AU12")]) == [1.2, 1.3]
    assert list(s.lines) == [2, 3]


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("   \n", "empty"),
    ("frame, timestamp, success, pose_Rx\n1, 0.0, 1, 0.1\n", "no AU intensity columns"),
    ("frame, success, AU12_r\n1, 1, 0.5\n", "no timestamp column"),
    ("frame, timestamp, success, AU12_r\n1, 0.0, 1, 0.5\n2, 0.033, 1\n", "line 3"),
    ("frame, timestamp, success, AU12_r\n1, 0.0, 1, high\n", "line 2"),
    ("frame, timestamp, success, AU12_r\n1, 0.0, 1, nan\n", "NaN"),
    ("frame, timestamp, success, AU12_r\n1, -1.0, 1, 0.5\n", ">= 0"),
    ("frame, timestamp, success, AU12_r\n1, 0.0, 0, 0\n2, 0.033, 0, 0\n", "no rows with a tracked face"),
])
def test_malformed_csvs(tmp_path, text, words):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(CurveImportError) as ei:
        import_openface(p)
    assert isinstance(ei.value, ValueError)
    assert str(p) in str(ei.value) and words in str(ei.value)
