"""Curve exports: the AU and speech values the rig receives, sampled at the exported frames.

openface  OpenFace 2.x FeatureExtraction style CSV (frame, face_id, timestamp, confidence,
          success, AUxx_r, AUxx_c), readable by core.document.openface.read_openface_csv.
arkit     Live Link Face style CSV through core.document.arkit (ARKit-52 weights).
json      the take's project JSON (core.document.project) plus the sampled values.

Every format streams: the values are evaluated and written ``chunk`` frames at a time (default
``CHUNK`` = 4096) into a temp file beside the target that replaces it when complete (atomic: a
reader or a crash sees the old file or the new one), so memory does not grow with the take. At
most one chunk's values (4096 x 21 floats, 0.7 MB) and its text (about 2.5 MB for OpenFace rows)
are held at a time, plus the ``frames`` array the caller passes (8 bytes a frame); a
1,000,000-frame take exports in a few MB more than a 100-frame one.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from core.aus import AU_MAX, AU_MIN, AU_NAMES, NUM_AUS, NUM_SPEECH, SPEECH_NAMES
from core.fileio import atomic_open
from core.limits import MAX_FPS, MIN_FPS

#: OpenFace writes AUxx_c (presence) for these; AU28 has no intensity channel in OpenFace 2.x.
_PRESENCE_AUS = ("AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14",
                 "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU28", "AU45")
#: OpenFace marks an AU present from intensity 1 upward (its classifiers and regressors agree there).
_PRESENT_AT = 1.0
#: Frames evaluated and written at a time.
CHUNK = 4096

#: controls(frames [n]) -> (au [n, 17], speech [n, 4]): evaluates the values of some frames
#: (core.drive drivers' ``controls``).
Controls = Callable[[np.ndarray], "tuple[np.ndarray, np.ndarray]"]

_AU_INDEX = {a: i for i, a in enumerate(AU_NAMES)}
_PRESENCE_INDEX = np.array([_AU_INDEX.get(a, -1) for a in _PRESENCE_AUS])


# ------------------------------------------------------------------------------ atomic stream


@contextlib.contextmanager
def atomic_text_stream(path: str | os.PathLike) -> Iterator[io.TextIOBase]:
    """``with atomic_text_stream(path) as f: f.write(text)``: UTF-8 text with '\\n' line ends that
    replaces ``path`` atomically when the block ends without an exception (core.fileio.atomic_open:
    temp file beside it, fsynced, renamed); on an exception the old file stays and no temp file is
    left."""
    with atomic_open(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n", write_through=False)
        try:
            yield text
            text.flush()
        finally:
            text.detach()  # the binary file is closed (and renamed) by atomic_open


# ------------------------------------------------------------------------------ values by chunk


class _Watch:
    """What write_curves reports to and checks between chunks: progress(done, total) after a
    chunk is written, cancel.cancelled before one is evaluated."""

    def __init__(self, path: Path, progress=None, cancel=None) -> None:
        self.path, self.progress, self.cancel = path, progress, cancel

    def before(self) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            from core.export.options import ExportCancelled

            raise ExportCancelled(str(self.path))

    def after(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)


def _chunks(frames: np.ndarray, au, speech, chunk: int,
            watch: _Watch | None = None) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """(offset, frames, au, speech) per chunk of at most ``chunk`` frames. ``au`` is an array
    [F, 17] (then ``speech`` an array [F, 4] or None) or a Controls callable (then ``speech`` is
    ignored). ``watch`` is told when the consumer has written a chunk (it asks for the next)."""
    n = len(frames)
    for a in range(0, n, chunk):
        if watch is not None:
            watch.before()
        f = frames[a:a + chunk]
        if callable(au):
            au_c, sp_c = au(f)
        else:
            au_c = au[a:a + chunk]
            sp_c = speech[a:a + chunk] if speech is not None else np.zeros((len(f), NUM_SPEECH))
        au_c = np.asarray(au_c, dtype=np.float64)
        sp_c = np.asarray(sp_c, dtype=np.float64)
        if au_c.shape != (len(f), NUM_AUS) or sp_c.shape != (len(f), NUM_SPEECH):
            raise ValueError(f"curve export: values for {len(f)} frames must be [{len(f)}, {NUM_AUS}] and "
                             f"[{len(f)}, {NUM_SPEECH}], got {au_c.shape} and {sp_c.shape}")
        yield a, f, au_c, sp_c
        if watch is not None:
            watch.after(min(a + chunk, n), n)


# ------------------------------------------------------------------------------ OpenFace CSV


def openface_header() -> str:
    cols = ["frame", "face_id", "timestamp", "confidence", "success"]
    cols += [f"{a}_r" for a in AU_NAMES] + [f"{a}_c" for a in _PRESENCE_AUS]
    return ", ".join(cols) + "\n"


def openface_rows(au: np.ndarray, fps: float, start: int = 0) -> str:
    """OpenFace rows for au [n, 17] that are output frames start .. start + n - 1 (written as
    1-based ``frame`` numbers, ``timestamp`` = frame / fps). AUs are clamped to OpenFace's 0..5."""
    au = np.clip(np.nan_to_num(np.asarray(au, dtype=np.float64), nan=0.0), AU_MIN, AU_MAX)
    n = len(au)
    if n == 0:
        return ""
    k = np.arange(start, start + n)
    present = np.where(_PRESENCE_INDEX >= 0, au[:, np.maximum(_PRESENCE_INDEX, 0)], 0.0) >= _PRESENT_AT
    fmt = "%d, 0, %.3f, 0.98, 1, " + ", ".join(["%.2f"] * NUM_AUS) + ", " + ", ".join(["%.1f"] * len(_PRESENCE_AUS))
    ts = k / float(fps)
    rows = np.concatenate([(k + 1)[:, None], ts[:, None], au, present.astype(np.float64)], axis=1)
    return "\n".join(fmt % tuple(r) for r in rows.tolist()) + "\n"


def openface_text(au: np.ndarray, fps: float) -> str:
    """OpenFace-style CSV text for au [F, 17] at ``fps``; rows are output frames 1..F."""
    return openface_header() + openface_rows(au, fps)


def arkit_text(au: np.ndarray, speech: np.ndarray, fps: float) -> str:
    from core.document.arkit import arkit_csv_text

    return arkit_csv_text(au, speech, fps)


# ------------------------------------------------------------------------------ JSON


def _dump(value, depth: int) -> str:
    """json.dumps(value, indent=1) as it appears ``depth`` levels deep in an indent=1 document."""
    return json.dumps(value, indent=1, allow_nan=False).replace("\n", "\n" + " " * depth)


def _json_head(fps: float) -> dict:
    return {"schema": "CurveExport.1", "fps": fps}


def json_text(take, path: Path, frames: np.ndarray, au: np.ndarray, speech: np.ndarray, fps: float) -> str:
    from core.document.project import take_to_json

    data = {
        **_json_head(fps),
        "timeline_frames": [float(f) for f in frames],
        "au_names": list(AU_NAMES),
        "au": np.round(au, 6).tolist(),
        "speech_names": list(SPEECH_NAMES),
        "speech": np.round(speech, 6).tolist(),
        "take": take_to_json(take, Path(path).parent.resolve()),
    }
    return json.dumps(data, indent=1, allow_nan=False) + "\n"


def _rows_json(rows: np.ndarray, first: bool) -> str:
    """Rows [n, k] as items of a list two levels deep in an indent=1 JSON document (the text
    json.dumps writes; floats in repr, as json does)."""
    vals = np.round(rows, 6)
    if not np.all(np.isfinite(vals)):
        raise ValueError("curve export: values must be finite")
    items = ["[\n   " + ",\n   ".join(map(repr, r)) + "\n  ]" for r in vals.tolist()]
    return ("" if first else ",") + "\n  " + ",\n  ".join(items) if items else ""


def _write_json(out, take, path: Path, frames: np.ndarray, au, speech, fps: float, chunk: int,
                watch: _Watch | None = None) -> None:
    """The document json_text writes, streamed: frames, then AU rows as they are evaluated while
    the speech rows go to a spill file beside the target (so each chunk is evaluated once), then
    the spill copied in. Same bytes as json_text."""
    from core.document.project import take_to_json

    def close_list(empty: bool) -> None:
        out.write("]" if empty else "\n ]")

    head = _json_head(fps)
    out.write("{\n" + ",\n".join(f" {json.dumps(k)}: {_dump(v, 1)}" for k, v in head.items()))
    out.write(',\n "timeline_frames": [')
    for a in range(0, len(frames), chunk):
        out.write(("" if a == 0 else ",") + "\n  " + ",\n  ".join(map(repr, frames[a:a + chunk].tolist())))
    close_list(len(frames) == 0)
    out.write(f',\n "au_names": {_dump(list(AU_NAMES), 1)},\n "au": [')
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n", dir=path.parent,
                                prefix=f".{path.name}.speech.") as spill:
        for a, _f, au_c, sp_c in _chunks(frames, au, speech, chunk, watch):
            out.write(_rows_json(au_c, a == 0))
            spill.write(_rows_json(sp_c, a == 0))
        close_list(len(frames) == 0)
        out.write(f',\n "speech_names": {_dump(list(SPEECH_NAMES), 1)},\n "speech": [')
        spill.seek(0)
        shutil.copyfileobj(spill, out, 2**20)
        close_list(len(frames) == 0)
    out.write(f',\n "take": {_dump(take_to_json(take, path.parent.resolve()), 1)}\n}}\n')


# ------------------------------------------------------------------------------ entry point


def write_curves(fmt: str, take, path: str | os.PathLike, frames: np.ndarray, au=None, speech=None,
                 fps: float | None = None, *, controls: Controls | None = None, chunk: int = CHUNK,
                 progress: Callable[[int, int], None] | None = None, cancel=None) -> None:
    """Atomically write the curves at ``frames`` (timeline frames [F]) in ``fmt``, streaming.

    The values are either the arrays ``au`` [F, 17] and ``speech`` [F, 4] (the old call
    ``write_curves(fmt, take, path, frames, au, speech, fps)``), or ``controls`` (also accepted in
    place of ``au``): a callable that evaluates a chunk of frames, ``controls(frames[a:b]) ->
    (au [b-a, 17], speech [b-a, 4])`` such as a core.drive driver's ``controls``; then no array
    of the whole take is ever made. Memory: one chunk (``chunk`` frames, default 4096) of values
    and text at a time, whatever F is. fps (the output rate) must be within core.limits' 1..1000
    (so timestamps stay finite); a ValueError naming the file says otherwise.

    progress(done, total) is called after each chunk is written; cancel (a
    core.export.CancelToken, or anything with ``cancelled``) is checked before each chunk and
    raises core.export.ExportCancelled, leaving the old file and no temp file."""
    path = Path(path)
    if controls is None and callable(au):
        controls = au
    if fps is None or isinstance(fps, bool) or not isinstance(fps, (int, float, np.floating, np.integer)) \
            or not MIN_FPS <= float(fps) <= MAX_FPS:
        raise ValueError(f"{path}: cannot write curves at {fps!r} fps; the rate must be within "
                         f"{MIN_FPS:g}..{MAX_FPS:g}")
    fps = float(fps)
    if chunk < 1:
        raise ValueError(f"{path}: chunk must be at least 1, got {chunk}")
    frames = np.asarray(frames, dtype=np.float64).reshape(-1)
    if controls is not None:
        values, spare = controls, None
    else:
        if au is None:
            raise ValueError(f"{path}: write_curves needs the au (and speech) arrays or a controls callable")
        values = np.asarray(au, dtype=np.float64)
        spare = None if speech is None else np.asarray(speech, dtype=np.float64)
        if len(values) != len(frames) or (spare is not None and len(spare) != len(frames)):
            raise ValueError(f"{path}: {len(frames)} frames but {len(values)} AU rows"
                             + ("" if spare is None else f" and {len(spare)} speech rows"))
    if fmt not in ("openface", "arkit", "json"):  # pragma: no cover - guarded by detect_format
        raise ValueError(fmt)
    watch = _Watch(path, progress, cancel) if progress is not None or cancel is not None else None
    with atomic_text_stream(path) as out:
        if fmt == "openface":
            out.write(openface_header())
            for a, _f, au_c, _sp in _chunks(frames, values, spare, chunk, watch):
                out.write(openface_rows(au_c, fps, a))
        elif fmt == "arkit":
            from core.document.arkit import arkit_header, arkit_rows

            out.write(arkit_header())
            for a, _f, au_c, sp_c in _chunks(frames, values, spare, chunk, watch):
                out.write(arkit_rows(au_c, sp_c, fps, a))
        else:
            _write_json(out, take, path, frames, values, spare, fps, chunk, watch)
