"""OpenFace 2.x CSV import against files written the way FeatureExtraction writes them."""
from pathlib import Path

import numpy as np
import pytest

from core.anim import evaluate
from core.aus import AU_NAMES
from core.document.openface import (
    CurveImportError, import_openface, openface_2x_columns, read_openface_csv, take_from_openface,
)

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
                vals["AU12"], vals["AU04"] = au12(t) + face, au04(t)
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
    # face 1 has AU12 one unit higher; the take follows face 0.
    assert evaluate(take.curves["AU12"], [0])[0] == pytest.approx(au12(0), abs=0.05)


def test_openface_30_files_get_their_own_error(tmp_path):
    cols = ["frame", "face_id", "timestamp", "success"] + [f"AU0{i}_r" for i in range(1, 9)] + ["emotion_neutral"]
    p = tmp_path / "of3.csv"
    p.write_text(",".join(cols) + "\n" + ",".join(["1", "0", "0.0", "1"] + ["0.1"] * 9) + "\n")
    with pytest.raises(CurveImportError, match="OpenFace 3.0") as ei:
        import_openface(p)
    assert str(p) in str(ei.value) and "2.x" in str(ei.value)


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
