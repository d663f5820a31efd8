"""Import OpenFace CSVs as AU curves: OpenFace 2.x FeatureExtraction output and OpenFace 3.0 output.

OpenFace 2.x writes some 700 columns (frame, face_id, timestamp, confidence, success, gaze,
eye landmarks, pose, 2-D and 3-D landmarks, shape parameters, then ``AUxx_r`` intensities 0..5 and
``AUxx_c`` presence 0/1) with ", " separators, so names arrive with a leading space. Rows whose
``success`` is 0 are gaps: they are skipped, never read as zeros.

OpenFace 3.0 (CMU-MultiComp-Lab/OpenFace-3.0, its ``openface`` package: ``openface detect-video``,
openface/demo.py ``process_video``) writes one row per video frame and face with the columns
``timestamp, video_path, frame_index, face_id, face_detection, landmarks, emotion, gaze_yaw,
gaze_pitch, action_units``: ``timestamp`` is the wall-clock time of processing (not the video's
time), ``frame_index`` counts video frames from 0, and ``action_units`` is the model's AU vector
as a Python list, ``[[a1, ..., a8]]``; rows without a face leave these cells empty. The 8 outputs
are, in order, AU1, AU2, AU4, AU6, AU9, AU12, AU25 and AU26 (the lab's demo2.py ``au_labels``),
occurrence scores 0..1 (the AU head, model/AU_model.py ``Head``, is a cosine similarity of
non-negative vectors; training binarises DISFA-style intensities at 2, train_mix_au_dev.py, and the
evaluation thresholds at 0.5), not FACS intensities. They are imported as AU = 5 x score, the
inverse of the AU / 5 convention of the ARKit export. Files whose AU columns are spread out and
named by FACS number (``AU01, AU02, AU04, AU06, AU09, AU12, AU25, AU26``, with or without
``_r``) are read the same way; columns numbered by position (``AU01 .. AU08``) are refused,
since FACS has no AU3 and AU8 is not among OpenFace 3.0's outputs. OpenFace 3.0 does not record
the video's frame rate: rows are timed ``frame_index / source_fps``.

Reading is bounded by core.limits before anything is allocated for it: the file size
(MAX_CSV_BYTES), each line (``MAX_LINE_CHARS``), each value read (MAX_CSV_FIELD), the number of
columns (``MAX_COLUMNS``) and data rows (``MAX_ROWS``), timestamps (MAX_TAKE_SECONDS) and the
frames of the take made from them (``take_frames_problem``). Every problem is a
``CurveImportError`` naming the file and, where there is one, the line and the column.
"""
from __future__ import annotations

import csv
import dataclasses
import math
import os
import re
from pathlib import Path

import numpy as np

from core.anim.curve import Curve, Interpolation
from core.anim.edit import bake
from core.anim.take import Take
from core.aus import AU_INDEX, AU_MAX, AU_MIN, AU_NAMES
from core.limits import MAX_CSV_BYTES, MAX_CSV_FIELD, MAX_FPS, MAX_TAKE_FRAMES, MAX_TAKE_SECONDS, MIN_FPS, \
    take_frames_problem

#: OpenFace 3.0's AU outputs, in the order of its ``action_units`` vector (demo2.py ``au_labels``).
OPENFACE3_AUS: tuple[str, ...] = ("AU01", "AU02", "AU04", "AU06", "AU09", "AU12", "AU25", "AU26")
#: OpenFace 3.0's AU outputs are occurrence scores 0..1; an intensity is AU_MAX x score.
OPENFACE3_SCALE = AU_MAX
#: How far past 1 an OpenFace 3.0 score may be (float32 rounding of a cosine of 1); clamped to 1.
_OPENFACE3_SLACK = 1e-5
#: Columns only OpenFace 3.0 writes (2.x has none of them).
_OPENFACE3_TELLS = frozenset({"action_units", "frame_index", "face_detection", "landmarks", "emotion",
                              "gaze_yaw", "gaze_pitch"})
#: Where an OpenFace 3.0 row's video frame is (the package writes frame_index; scripts around it frame_idx).
_FRAME_COLUMNS = ("frame_index", "frame_idx", "frame")
#: OpenFace 2.x writes these AU numbers with _r; anything else is not an intensity it writes.
_OPENFACE2_PRESENCE = ("AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14",
                       "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU28", "AU45")

#: Most columns a header may have (OpenFace 2.2 writes 714, OpenFace 3.0 10).
MAX_COLUMNS = 4096
#: Longest line, in characters (an OpenFace 2.x row is about 5,000, an OpenFace 3.0 row with its 98
#: landmarks about 5,000: 200 times that).
MAX_LINE_CHARS = 2**20
#: Most data rows (a row is one face in one video frame: 4 h of 30 fps video with two faces is
#: 864,000). The rows kept cost 20 floats each, so at most 160 MB.
MAX_ROWS = MAX_TAKE_FRAMES
#: Largest face_id (OpenFace numbers faces from 0).
MAX_FACE_ID = 2**31 - 1

_AU_COLUMN = re.compile(r"^AU_?(\d{1,2})(?:_([rc]))?$", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_BLOCK = 4096  # rows per storage block


class CurveImportError(ValueError):
    """A CSV that cannot be imported; names the file and, where known, the line and column."""

    def __init__(self, path: str | os.PathLike, problem: str, line: int | None = None,
                 column: str | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.problem = problem
        where = f" line {line}" if line is not None else ""
        if column is not None:
            where += f"{',' if line is not None else ''} column {column}"
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
    cols += [f"{a}_c" for a in _OPENFACE2_PRESENCE]
    return cols


def openface_3_columns() -> list[str]:
    """The header ``openface detect-video`` (OpenFace 3.0's package, openface/demo.py) writes."""
    return ["timestamp", "video_path", "frame_index", "face_id", "face_detection", "landmarks", "emotion",
            "gaze_yaw", "gaze_pitch", "action_units"]


@dataclasses.dataclass(frozen=True)
class OpenFaceSamples:
    """Tracked rows of the face imported: timestamps [N] seconds (increasing), au [N, 17]
    intensities 0..5 (NaN where the file has no column for that AU), how many rows were skipped
    as failed (no face), the AUs present, the file line of each sample [N] and the layout
    ("OpenFace 2.x" or "OpenFace 3.0")."""

    timestamps: np.ndarray
    au: np.ndarray
    skipped: int
    present: tuple[str, ...]
    lines: np.ndarray | None = None
    layout: str = "OpenFace 2.x"


class _Lines:
    """The file's physical lines for csv.reader, each at most MAX_LINE_CHARS long. OpenFace never
    writes a record over two lines, so a record that asks for a second line has a quote left open
    (a stray quote): it is refused at once instead of swallowing the rest of the file."""

    def __init__(self, f, path: Path) -> None:
        self.f = f
        self.path = path
        self.line = 0
        self.pending = False

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.pending:
            raise CurveImportError(self.path, "a quoted value is not closed on its line (a stray quote?)",
                                   line=self.line)
        s = self.f.readline(MAX_LINE_CHARS + 1)
        if not s:
            raise StopIteration
        self.line += 1
        if len(s) > MAX_LINE_CHARS and not s.endswith(("\n", "\r")):
            raise CurveImportError(self.path, f"the line is longer than {MAX_LINE_CHARS:,} characters", line=self.line)
        self.pending = True
        return s


def _records(path: Path):
    """(line, cells) of each record of the CSV at ``path``, header first; every failure of the
    file system, the decoder or the csv module becomes a CurveImportError."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CurveImportError(path, f"cannot be read: {exc.strerror or exc}") from None
    if not path.is_file():
        raise CurveImportError(path, "is not a file")
    if size > MAX_CSV_BYTES:
        raise CurveImportError(path, f"is {size / 2**30:.1f} GiB; a CSV of curves is at most "
                                     f"{MAX_CSV_BYTES / 2**30:g} GiB")
    try:
        f = open(path, encoding="utf-8-sig", errors="strict", newline="")
    except OSError as exc:
        raise CurveImportError(path, f"cannot be read: {exc.strerror or exc}") from None
    with f:
        lines = _Lines(f, path)
        reader = csv.reader(lines, skipinitialspace=True)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise CurveImportError(path, f"is not UTF-8 text ({exc.reason} at byte {exc.start} of the "
                                             f"chunk being read)", line=lines.line + 1) from None
            except csv.Error as exc:
                raise CurveImportError(path, f"is not a readable CSV ({exc})", line=lines.line) from None
            except OSError as exc:
                raise CurveImportError(path, f"cannot be read: {exc.strerror or exc}", line=lines.line) from None
            lines.pending = False
            yield lines.line, row


@dataclasses.dataclass
class _Plan:
    """Which cells of a row are read, and how."""

    layout: str
    time_col: int  # seconds (2.x timestamp) or a frame index (3.0), see time_scale
    time_name: str
    time_is_frame: bool
    au_cols: list[tuple[int, str, int]]  # (column, column name, AU_NAMES index)
    lo: float
    hi: float
    scale: float
    list_col: int | None = None  # OpenFace 3.0 action_units
    success_col: int | None = None
    face_col: int | None = None
    presence_cols: list[tuple[int, str]] = dataclasses.field(default_factory=list)


def _plan(path: Path, header: list[str], hline: int = 1) -> _Plan:
    if len(header) > MAX_COLUMNS:
        raise CurveImportError(path, f"{len(header):,} columns; OpenFace writes at most {MAX_COLUMNS:,}", line=hline)
    for h in header:
        if len(h) > MAX_CSV_FIELD:
            raise CurveImportError(path, f"a column name is {len(h):,} characters long (at most {MAX_CSV_FIELD:,})",
                                   line=hline)
    col: dict[str, int] = {}
    for i, h in enumerate(header):
        col.setdefault(h, i)
    au_columns = []  # (column, name, FACS number, suffix)
    for i, h in enumerate(header):
        m = _AU_COLUMN.match(h)
        if m:
            au_columns.append((i, h, int(m.group(1)), (m.group(2) or "").lower()))
    intensity = [(i, h, n) for i, h, n, s in au_columns if s != "c"]
    numbers = sorted({n for _, _, n in intensity})
    lowered = {h.lower() for h in header}
    is_3 = bool(_OPENFACE3_TELLS & lowered) or any(h.lower().startswith(("emotion", "emo_")) for h in header) \
        or any(s == "" for _, _, _, s in au_columns)

    if numbers and (0 in numbers or 3 in numbers or numbers == list(range(1, 9))):
        first, last = intensity[0][1], intensity[-1][1]
        raise CurveImportError(
            path, f"the AU columns {first} .. {last} number OpenFace 3.0's 8 outputs by position, not by FACS "
            f"number (FACS has no AU{'0' if 0 in numbers else '3'}). OpenFace 3.0's action_units are, in order, "
            f"AU1, AU2, AU4, AU6, AU9, AU12, AU25, AU26: name the columns {', '.join(OPENFACE3_AUS)}, or import "
            f"the file as OpenFace 3.0 writes it (one action_units column)", line=hline)

    def unique(name: str) -> int:
        hits = [i for i, h in enumerate(header) if h == name]
        if len(hits) > 1:
            raise CurveImportError(path, f"the column {name} appears {len(hits)} times", line=hline, column=name)
        return hits[0]

    if is_3:
        layout = "OpenFace 3.0"
        frame_name = next((c for c in _FRAME_COLUMNS if c in col), None)
        if frame_name is None:
            raise CurveImportError(
                path, "an OpenFace 3.0 file without a frame_index column: its timestamp is the wall-clock time "
                "of processing, not the video's time, so rows cannot be timed", line=hline)
        plan = _Plan(layout, unique(frame_name), frame_name, True, [], 0.0, 1.0 + _OPENFACE3_SLACK,
                     OPENFACE3_SCALE, face_col=unique("face_id") if "face_id" in col else None)
        if "action_units" in col:
            plan.list_col = unique("action_units")
        else:
            if not intensity:
                raise CurveImportError(path, "an OpenFace 3.0 file without an action_units column or AU columns",
                                       line=hline)
            for i, h, n in intensity:
                name = f"AU{n:02d}"
                if name not in OPENFACE3_AUS:
                    raise CurveImportError(
                        path, f"{h} is not one of OpenFace 3.0's 8 AUs (AU1, AU2, AU4, AU6, AU9, AU12, AU25, AU26)",
                        line=hline, column=h)
                unique(h)
                plan.au_cols.append((i, h, AU_INDEX[name]))
            if len({a for _, _, a in plan.au_cols}) != len(plan.au_cols):
                raise CurveImportError(path, "two columns name the same AU", line=hline)
        return plan

    present = [(i, h, AU_INDEX[f"AU{n:02d}"]) for i, h, n in intensity
               if h.endswith(("_r", "_R")) and f"AU{n:02d}" in AU_INDEX]
    if not present:
        raise CurveImportError(
            path, f"no AU intensity columns (expected OpenFace 2.x names such as AU12_r, or OpenFace 3.0's "
            f"action_units); header starts {', '.join(h[:40] for h in header[:5])}", line=hline)
    if "timestamp" not in col:
        raise CurveImportError(path, "no timestamp column", line=hline)
    for _, h, _ in present:
        unique(h)
    if len({a for _, _, a in present}) != len(present):
        raise CurveImportError(path, "two columns name the same AU", line=hline)
    plan = _Plan("OpenFace 2.x", unique("timestamp"), "timestamp", False, present, AU_MIN, AU_MAX, 1.0,
                 success_col=unique("success") if "success" in col else None,
                 face_col=unique("face_id") if "face_id" in col else None)
    plan.presence_cols = [(i, h) for i, h, n, s in au_columns if s == "c"]
    return plan


class _Row:
    """Parses the cells of one row, naming the line and column of whatever is wrong."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.header = header

    def text(self, row: list[str], i: int, line: int) -> str:
        s = row[i].strip()
        if len(s) > MAX_CSV_FIELD:
            raise CurveImportError(self.path, f"a value of {len(s):,} characters (at most {MAX_CSV_FIELD:,})",
                                   line=line, column=self.header[i])
        return s

    def number(self, row: list[str], i: int, line: int, s: str | None = None) -> float:
        s = self.text(row, i, line) if s is None else s
        if not _NUMBER.fullmatch(s):
            if s.lower().lstrip("+-") in ("nan", "inf", "infinity"):
                raise CurveImportError(self.path, f"{s} is NaN or infinite", line=line, column=self.header[i])
            raise CurveImportError(self.path, f"not a number: {s[:40]!r}", line=line, column=self.header[i])
        v = float(s)
        if not math.isfinite(v):
            raise CurveImportError(self.path, f"{s[:40]} is out of range (not a finite number)", line=line,
                                   column=self.header[i])
        return v

    def flag(self, row: list[str], i: int, line: int, what: str) -> float:
        v = self.number(row, i, line)
        if v not in (0.0, 1.0):
            raise CurveImportError(self.path, f"{what} must be 0 or 1, got {row[i].strip()[:40]}", line=line,
                                   column=self.header[i])
        return v

    def au(self, v: float, plan: _Plan, line: int, column: str) -> float:
        if not plan.lo <= v <= plan.hi:
            rng = "OpenFace 3.0 AU scores are 0..1" if plan.layout == "OpenFace 3.0" else \
                "OpenFace AU intensities are 0..5"
            raise CurveImportError(self.path, f"AU value {v:g} is out of range ({rng})", line=line, column=column)
        return min(v, 1.0) * plan.scale if plan.layout == "OpenFace 3.0" else v


def _parse_au_list(reader: _Row, row: list[str], i: int, line: int, plan: _Plan) -> list[float]:
    s = reader.text(row, i, line)
    inner = s.strip()
    depth = 0
    while inner.startswith("[") and inner.endswith("]") and depth < 2:
        inner = inner[1:-1].strip()
        depth += 1
    if depth == 0 or "[" in inner or "]" in inner:
        raise CurveImportError(reader.path, f"action_units must be a list of 8 numbers like [[0.1, ...]], got "
                                            f"{s[:40]!r}", line=line, column="action_units")
    parts = [p.strip() for p in inner.split(",")] if inner else []
    if len(parts) != len(OPENFACE3_AUS):
        raise CurveImportError(reader.path, f"action_units has {len(parts)} values; OpenFace 3.0 writes "
                                            f"{len(OPENFACE3_AUS)}", line=line, column="action_units")
    out = []
    for p in parts:
        if not _NUMBER.fullmatch(p) or not math.isfinite(float(p)):
            raise CurveImportError(reader.path, f"action_units holds {p[:40]!r}, not a finite number", line=line,
                                   column="action_units")
        out.append(reader.au(float(p), plan, line, "action_units"))
    return out


def read_openface_csv(path: str | os.PathLike, source_fps: float | None = None) -> OpenFaceSamples:
    """The tracked samples of an OpenFace 2.x or 3.0 CSV (see the module doc).

    source_fps: the frame rate of the video OpenFace 3.0 read (its files do not record it; rows are
    timed frame_index / source_fps); not used for OpenFace 2.x, whose rows carry timestamps.
    Raises CurveImportError, and nothing else, for any file."""
    path = Path(path)
    records = _records(path)
    try:
        return _read(path, records, source_fps)
    finally:
        records.close()  # closes the file now, also when a row was refused


def _read(path: Path, records, source_fps: float | None) -> OpenFaceSamples:
    header_row = None
    for line, row in records:
        if row and any(c.strip() for c in row):
            header_row = (line, row)
            break
    if header_row is None:
        raise CurveImportError(path, "the file is empty")
    header = [h.strip() for h in header_row[1]]
    plan = _plan(path, header, header_row[0])
    if plan.time_is_frame:
        if source_fps is None:
            raise CurveImportError(path, "an OpenFace 3.0 file records no frame rate: give the video's (source_fps)")
        if isinstance(source_fps, bool) or not isinstance(source_fps, (int, float)) or \
                not MIN_FPS <= source_fps <= MAX_FPS:
            raise CurveImportError(path, f"source_fps must be within {MIN_FPS:g}..{MAX_FPS:g}, got {source_fps!r}")
    cells = _Row(path, header)
    ncols = len(header)
    width = 3 + len(AU_NAMES)  # t, face, line, AUs
    blocks: list[np.ndarray] = []
    block = np.empty((_BLOCK, width))
    fill = 0
    rows = skipped = 0
    nan_row = np.full(len(AU_NAMES), np.nan)
    for line, row in records:
        if not row or all(not c.strip() for c in row):
            continue
        rows += 1
        if rows > MAX_ROWS:
            raise CurveImportError(path, f"more than {MAX_ROWS:,} data rows (a row is one face in one video "
                                         f"frame; that is longer than a take may be)", line=line)
        if len(row) != ncols:
            raise CurveImportError(path, f"{len(row)} values for {ncols} columns (truncated row?)", line=line)
        for i, h in plan.presence_cols:
            cells.flag(row, i, line, "an AU presence value (AUxx_c)")
        if plan.success_col is not None:
            if cells.flag(row, plan.success_col, line, "success") == 0.0:
                skipped += 1
                continue
        if plan.layout == "OpenFace 3.0":
            face_empty = plan.face_col is not None and not row[plan.face_col].strip()
            aus_empty = (not row[plan.list_col].strip()) if plan.list_col is not None else \
                all(not row[i].strip() for i, _, _ in plan.au_cols)
            if face_empty or aus_empty:  # no face in this frame: OpenFace 3.0 leaves the cells empty
                skipped += 1
                continue
        t = cells.number(row, plan.time_col, line)
        if plan.time_is_frame:
            if t < 0 or t != int(t):
                raise CurveImportError(path, f"{plan.time_name} must be a whole number >= 0, got "
                                             f"{row[plan.time_col].strip()[:40]}", line=line, column=plan.time_name)
            t = t / source_fps
        elif t < 0:
            raise CurveImportError(path, f"timestamp must be >= 0, got {t:g}", line=line, column=plan.time_name)
        if t > MAX_TAKE_SECONDS:
            raise CurveImportError(path, f"{plan.time_name} {row[plan.time_col].strip()[:40]} is {t / 3600:.3g} h "
                                         f"into the video; a take is at most {MAX_TAKE_SECONDS / 3600:g} h",
                                   line=line, column=plan.time_name)
        face = 0.0
        if plan.face_col is not None:
            face = cells.number(row, plan.face_col, line)
            if face < 0 or face != int(face) or face > MAX_FACE_ID:
                raise CurveImportError(path, f"face_id must be a whole number 0..{MAX_FACE_ID}, got "
                                             f"{row[plan.face_col].strip()[:40]}", line=line, column="face_id")
        vals = nan_row.copy()
        if plan.list_col is not None:
            for name, v in zip(OPENFACE3_AUS, _parse_au_list(cells, row, plan.list_col, line, plan)):
                vals[AU_INDEX[name]] = v
        else:
            for i, h, a in plan.au_cols:
                vals[a] = cells.au(cells.number(row, i, line), plan, line, h)
        block[fill, 0], block[fill, 1], block[fill, 2] = t, face, line
        block[fill, 3:] = vals
        fill += 1
        if fill == _BLOCK:
            blocks.append(block)
            block = np.empty((_BLOCK, width))
            fill = 0
    blocks.append(block[:fill])
    data = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    if not len(data):
        raise CurveImportError(path, "no rows with a tracked face (every row has success 0 or no face, or there "
                                     "are no data rows)")
    # Several faces (FaceLandmarkVidMulti, OpenFace 3.0): the take animates one head, the lowest face id.
    data = data[data[:, 1] == data[:, 1].min()]
    data = data[np.argsort(data[:, 0], kind="stable")]
    uniq = np.concatenate([[True], np.diff(data[:, 0]) > 0])
    data = data[uniq]
    if plan.list_col is not None:
        present = tuple(a for a in AU_NAMES if a in OPENFACE3_AUS)
    else:
        present = tuple(a for a in AU_NAMES if any(AU_INDEX[a] == j for _, _, j in plan.au_cols))
    return OpenFaceSamples(data[:, 0].copy(), data[:, 3:].copy(), skipped, present,
                           data[:, 2].astype(np.int64), plan.layout)


@dataclasses.dataclass(frozen=True)
class OpenFaceImport:
    curves: dict[str, Curve]
    duration: int  # frames at the take's fps
    skipped: int  # rows with success 0 (no face)
    layout: str = "OpenFace 2.x"


def import_openface(
    path: str | os.PathLike, fps: float = 25.0, tolerance: float | None = 0.05, gaps: str = "interpolate",
    source_fps: float | None = None,
) -> OpenFaceImport:
    """AU curves from an OpenFace 2.x or 3.0 CSV, resampled to ``fps``.

    tolerance: thin the per-frame samples into linear keys staying within it (None: a key
    per frame). gaps: "interpolate" bridges failed rows with the samples around them; "omit"
    puts no keys on frames more than 1.5 source frame intervals from any tracked row.
    source_fps: OpenFace 3.0 only, the frame rate of the video it read (default: ``fps``, one
    take frame per video frame). The take the samples span must fit core.limits (checked before
    anything is allocated for it). Raises CurveImportError for any file."""
    if gaps not in ("interpolate", "omit"):
        raise ValueError(f"import_openface: gaps must be 'interpolate' or 'omit', got {gaps!r}")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not MIN_FPS <= fps <= MAX_FPS:
        raise CurveImportError(path, f"cannot import at {fps!r} fps: fps must be within {MIN_FPS:g}..{MAX_FPS:g}")
    s = read_openface_csv(path, source_fps=fps if source_fps is None else source_fps)
    t_last = float(s.timestamps[-1])
    n_frames = int(np.floor(t_last * fps + 1e-6)) + 1
    problem = take_frames_problem(fps, n_frames)
    if problem:
        raise CurveImportError(path, f"the last tracked row is {t_last:g} s into the video: at {fps:g} fps {problem}",
                               line=int(s.lines[-1]) if s.lines is not None else None)
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
    return OpenFaceImport(curves, n_frames, s.skipped, s.layout)


def take_from_openface(path: str | os.PathLike, fps: float = 25.0, tolerance: float | None = 0.05,
                       name: str | None = None, gaps: str = "interpolate", source_fps: float | None = None) -> Take:
    imp = import_openface(path, fps, tolerance, gaps, source_fps)
    return Take(name=name or Path(path).stem, fps=fps, duration=imp.duration, curves=imp.curves)
