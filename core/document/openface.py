"""Import OpenFace 2.x FeatureExtraction CSVs as AU curves.

OpenFace 2.x writes some 700 columns (frame, face_id, timestamp, confidence, success, gaze,
eye landmarks, pose, 2-D and 3-D landmarks, shape parameters, then ``AUxx_r`` intensities and
``AUxx_c`` presence) with ", " separators, so names arrive with a leading space. Rows whose
``success`` is 0 are gaps: they are skipped, never read as zeros. Samples are resampled by
timestamp to the take's fps and optionally thinned into keys within a tolerance.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
from pathlib import Path

import numpy as np

from core.anim.curve import Curve, Interpolation
from core.anim.edit import bake
from core.anim.take import Take
from core.aus import AU_NAMES

_AU_R = re.compile(r"^AU(\d+)_r$")
# OpenFace 3.0 numbers its 8 AU outputs consecutively (AU01_r .. AU08_r), so AU03 and AU08,
# which 2.x never writes, give it away; its emotion columns are the other tell.
_OPENFACE3_ONLY = {"AU03_r", "AU08_r"}


class CurveImportError(ValueError):
    """A CSV that cannot be imported; names the file and, where known, the line and column."""

    def __init__(self, path: str | os.PathLike, problem: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        where = f" line {line}" if line is not None else ""
        super().__init__(f"{self.path}{where}: {problem}")


def openface_2x_columns() -> list[str]:
    """The FeatureExtraction header of OpenFace 2.2 (714 names, in its order)."""
    cols = ["frame", "face_id", "timestamp", "confidence", "success"]
    cols += [f"gaze_{e}_{a}" for e in (0, 1) for a in "xyz"] + ["gaze_angle_x", "gaze_angle_y"]
    cols += [f"eye_lmk_{a}_{i}" for a in ("x", "y", "X", "Y", "Z") for i in range(56)]
    cols += [f"pose_{a}" for a in ("Tx", "Ty", "Tz", "Rx", "Ry", "Rz")]
    cols += [f"{a}_{i}" for a in ("x", "y", "X", "Y", "Z") for i in range(68)]
    cols += ["p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"] + [f"p_{i}" for i in range(34)]
    cols += [f"{a}_r" for a in AU_NAMES]
    cols += [f"{a}_c" for a in ("AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14",
                                "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU28", "AU45")]
    return cols


@dataclasses.dataclass(frozen=True)
class OpenFaceSamples:
    """Successful rows only: timestamps [N] seconds (increasing), au [N, 17] (NaN where the
    file has no column for that AU), plus how many rows were skipped as failed."""

    timestamps: np.ndarray
    au: np.ndarray
    skipped: int
    present: tuple[str, ...]


def read_openface_csv(path: str | os.PathLike) -> OpenFaceSamples:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CurveImportError(path, f"cannot be read: {exc}") from None
    if not text.strip():
        raise CurveImportError(path, "the file is empty")
    rows = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = [h.strip() for h in next(rows)]
    col = {h: i for i, h in enumerate(header)}
    au_cols = [h for h in header if _AU_R.match(h)]
    lowered = [h.lower() for h in header]
    if _OPENFACE3_ONLY & set(au_cols) or (not au_cols and any(
            h.startswith(("au_", "emotion", "au0", "au1")) for h in lowered)):
        raise CurveImportError(
            path, "this is an OpenFace 3.0 file: its AU columns are numbered 1..8 and do not match FACS "
            "numbers; the importer reads OpenFace 2.x FeatureExtraction output (AU01_r .. AU45_r)", line=1)
    present = tuple(a for a in AU_NAMES if f"{a}_r" in col)
    if not present:
        raise CurveImportError(
            path, f"no AU intensity columns (expected OpenFace 2.x names such as AU12_r); header starts "
            f"{', '.join(header[:5])}", line=1)
    if "timestamp" not in col:
        raise CurveImportError(path, "no timestamp column", line=1)
    ts_i = col["timestamp"]
    ok_i = col.get("success")
    face_i = col.get("face_id")
    ts, aus, faces, skipped = [], [], [], 0
    for n, row in enumerate(rows, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise CurveImportError(path, f"{len(row)} values for {len(header)} columns (truncated row?)", line=n)
        try:
            if ok_i is not None and float(row[ok_i]) == 0:
                skipped += 1
                continue
            t = float(row[ts_i])
            vals = [float(row[col[f"{a}_r"]]) if f"{a}_r" in col else np.nan for a in AU_NAMES]
            face = int(float(row[face_i])) if face_i is not None else 0
        except ValueError as exc:
            raise CurveImportError(path, f"not a number ({exc})", line=n) from None
        if not np.isfinite(t) or t < 0:
            raise CurveImportError(path, f"timestamp must be finite and >= 0, got {t}", line=n)
        if not all(np.isfinite(v) for a, v in zip(AU_NAMES, vals) if a in present):
            raise CurveImportError(path, "AU intensity is NaN or infinite", line=n)
        ts.append(t)
        aus.append(vals)
        faces.append(face)
    if not ts:
        raise CurveImportError(path, "no rows with a tracked face (every row has success 0, or no data rows)")
    ts_a = np.asarray(ts)
    au_a = np.asarray(aus, dtype=np.float64).reshape(-1, len(AU_NAMES))
    faces_a = np.asarray(faces)
    # Several faces (FaceLandmarkVidMulti): the take animates one head, the lowest face id.
    keep = faces_a == faces_a.min()
    ts_a, au_a = ts_a[keep], au_a[keep]
    order = np.argsort(ts_a, kind="stable")
    ts_a, au_a = ts_a[order], au_a[order]
    uniq = np.concatenate([[True], np.diff(ts_a) > 0])
    return OpenFaceSamples(ts_a[uniq], au_a[uniq], skipped, present)


@dataclasses.dataclass(frozen=True)
class OpenFaceImport:
    curves: dict[str, Curve]
    duration: int  # frames at the take's fps
    skipped: int  # rows with success 0


def import_openface(
    path: str | os.PathLike, fps: float = 25.0, tolerance: float | None = 0.05, gaps: str = "interpolate",
) -> OpenFaceImport:
    """AU curves from an OpenFace 2.x CSV, resampled to ``fps``.

    tolerance: thin the per-frame samples into linear keys staying within it (None: a key
    per frame). gaps: "interpolate" bridges failed rows with the samples around them; "omit"
    puts no keys on frames more than 1.5 source frame intervals from any tracked row."""
    if gaps not in ("interpolate", "omit"):
        raise ValueError(f"import_openface: gaps must be 'interpolate' or 'omit', got {gaps!r}")
    s = read_openface_csv(path)
    n_frames = int(np.floor(s.timestamps[-1] * fps + 1e-6)) + 1
    frames = np.arange(n_frames, dtype=np.float64)
    t = frames / fps
    mask = np.ones(n_frames, dtype=bool)
    if gaps == "omit" and len(s.timestamps) > 1:
        step = float(np.median(np.diff(s.timestamps)))
        pos = np.clip(np.searchsorted(s.timestamps, t), 1, len(s.timestamps) - 1)
        near = np.minimum(np.abs(t - s.timestamps[pos - 1]), np.abs(s.timestamps[pos] - t))
        mask = near <= 1.5 * step
    curves = {}
    for j, name in enumerate(AU_NAMES):
        if name not in s.present:
            continue
        v = np.interp(t, s.timestamps, s.au[:, j])
        curves[name] = bake(frames[mask], v[mask], tolerance, Interpolation.LINEAR)
    return OpenFaceImport(curves, n_frames, s.skipped)


def take_from_openface(path: str | os.PathLike, fps: float = 25.0, tolerance: float | None = 0.05,
                       name: str | None = None, gaps: str = "interpolate") -> Take:
    imp = import_openface(path, fps, tolerance, gaps)
    return Take(name=name or Path(path).stem, fps=fps, duration=imp.duration, curves=imp.curves)
