"""Mouth-cue files: Rhubarb Lip Sync's TSV, JSON and Moho .dat, Papagayo's .dat, and our phonemes JSON.

Writing (``write_cues``):
- TSV: one line per cue, ``<start seconds>\\t<shape>``, the last line the end with X (Rhubarb's).
- JSON: ``{"metadata": {"soundFile", "duration"}, "mouthCues": [{"start", "end", "value"}]}``.
- Moho .dat: ``MohoSwitch1`` then ``<frame> <shape>`` lines, frames counted from 1 at ``dat_fps``
  (24 by default, as Rhubarb); ``preston_blair=True`` names the shapes as Papagayo does
  (A=MBP, B=etc, C=E, D=AI, E=O, F=U, G=FV, H=L, X=rest).
- phonemes (our own JSON): the phones, their times and words, and how they were found.

Reading (``read_cues``) takes any of the first three and Papagayo/Moho .dat files with Preston Blair
names; a shape it does not know, a time that goes backwards, a malformed line: a CueFileError naming
the file and the line.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

from core.audio.lipsync import SHAPES

FORMATS = ("tsv", "json", "dat", "phonemes")
#: Papagayo / Preston Blair mouth names for Rhubarb's shapes, and back (several names per shape).
PRESTON_BLAIR = {"A": "MBP", "B": "etc", "C": "E", "D": "AI", "E": "O", "F": "U", "G": "FV", "H": "L", "X": "rest"}
_FROM_PRESTON_BLAIR = {v.lower(): k for k, v in PRESTON_BLAIR.items()}
_FROM_PRESTON_BLAIR.update({"wq": "F", "mbp": "A", "rest": "X", "etc": "B", "e": "C", "ai": "D", "o": "E", "u": "F",
                            "fv": "G", "l": "H"})


class CueFileError(ValueError):
    """A mouth-cue file that cannot be read; the message names the file and the problem."""


def format_for(path: str | os.PathLike, fmt: str | None = None) -> str:
    """The format of an output path: ``fmt`` if given, else from the extension (.tsv .txt .json .dat)."""
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return fmt
    ext = Path(path).suffix.lower()
    by_ext = {".tsv": "tsv", ".txt": "tsv", ".json": "json", ".dat": "dat"}
    if ext not in by_ext:
        raise ValueError(f"{path}: cannot tell the format from the extension {ext or '(none)'}; "
                         f"use .tsv, .json or .dat, or --format")
    return by_ext[ext]


def cues_tsv(cues) -> str:
    lines = [f"{a:.2f}\t{s}" for a, _b, s in cues]
    if cues:
        lines.append(f"{cues[-1][1]:.2f}\tX")
    return "\n".join(lines) + "\n"


def cues_json(cues, sound_file: str = "", duration: float | None = None) -> str:
    duration = cues[-1][1] if duration is None and cues else (duration or 0.0)
    data = {"metadata": {"soundFile": sound_file, "duration": round(float(duration), 2)},
            "mouthCues": [{"start": round(a, 2), "end": round(b, 2), "value": s} for a, b, s in cues]}
    return json.dumps(data, indent=2) + "\n"


def cues_dat(cues, dat_fps: float = 24.0, preston_blair: bool = False) -> str:
    lines = ["MohoSwitch1"]
    last_frame = 0
    for a, _b, s in cues:
        frame = int(round(a * dat_fps)) + 1
        if frame <= last_frame:  # two cues in one frame: the later one wins that frame's next
            frame = last_frame + 1
        name = PRESTON_BLAIR[s] if preston_blair else s
        lines.append(f"{frame} {name}")
        last_frame = frame
    return "\n".join(lines) + "\n"


def phonemes_json(track, sound_file: str = "") -> str:
    data = {"metadata": {"soundFile": sound_file, "duration": round(track.duration, 3), "source": track.source,
                         "notes": list(track.notes),
                         "unreadable": [[round(a, 3), round(b, 3)] for a, b in track.unreadable]},
            "words": [{"word": w, "start": round(a, 3), "end": round(b, 3)} for w, a, b in track.words],
            "phonemes": [{"phone": p.name, "start": round(p.start, 3), "end": round(p.end, 3),
                          **({"word": p.word} if p.word else {})} for p in track.phones]}
    return json.dumps(data, indent=2) + "\n"


def write_cues(path: str | os.PathLike, track, cues, fmt: str | None = None, sound_file: str = "",
               dat_fps: float = 24.0, preston_blair: bool = False) -> Path:
    path = Path(path)
    fmt = format_for(path, fmt)
    if fmt == "tsv":
        text = cues_tsv(cues)
    elif fmt == "json":
        text = cues_json(cues, sound_file, track.duration)
    elif fmt == "dat":
        text = cues_dat(cues, dat_fps, preston_blair)
    else:
        text = phonemes_json(track, sound_file)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _shape(name: str, where: str) -> str:
    n = name.strip()
    if n.upper() in SHAPES and len(n) == 1:
        return n.upper()
    got = _FROM_PRESTON_BLAIR.get(n.lower())
    if got is None:
        raise CueFileError(f"{where}: unknown mouth shape {n[:40]!r} (Rhubarb A-H, X or Papagayo's "
                           f"{', '.join(PRESTON_BLAIR.values())}, WQ)")
    return got


def _time(text: str, where: str) -> float:
    try:
        t = float(text)
    except ValueError:
        raise CueFileError(f"{where}: {text[:40]!r} is not a time in seconds") from None
    if not math.isfinite(t) or t < 0 or t > 4 * 3600:
        raise CueFileError(f"{where}: time {text[:40]} is out of range (0 to 4 h)")
    return t


def read_cues(path: str | os.PathLike, dat_fps: float = 24.0) -> list[tuple[float, float, str]]:
    """[(start, end, shape)] from a Rhubarb TSV/JSON or a Moho/Papagayo .dat file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CueFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > 50_000_000:
        raise CueFileError(f"{path}: {len(raw):,} bytes is too large for a mouth-cue file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CueFileError(f"{path}: not a text file (not UTF-8)") from None
    stripped = text.lstrip()
    if stripped.startswith("{"):
        cues = _read_json(path, text)
    elif stripped.startswith("MohoSwitch1"):
        cues = _read_dat(path, text, dat_fps)
    else:
        cues = _read_tsv(path, text)
    if not cues:
        raise CueFileError(f"{path}: no mouth cues in it")
    return cues


def _read_json(path: Path, text: str):
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise CueFileError(f"{path}: not valid JSON ({exc!s:.120})") from None
    items = data.get("mouthCues") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise CueFileError(f"{path}: no \"mouthCues\" list (Rhubarb's JSON format)")
    cues = []
    for i, c in enumerate(items):
        where = f"{path}: mouthCues[{i}]"
        if not isinstance(c, dict) or not {"start", "end", "value"} <= set(c):
            raise CueFileError(f"{where}: needs start, end and value")
        a, b = _time(str(c["start"]), where), _time(str(c["end"]), where)
        if b < a or (cues and a < cues[-1][0]):
            raise CueFileError(f"{where}: times go backwards ({a:g} to {b:g})")
        cues.append((a, b, _shape(str(c["value"]), where)))
    return cues


def _read_tsv(path: Path, text: str):
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        where = f"{path}: line {n}"
        if len(parts) != 2:
            raise CueFileError(f"{where}: expected '<seconds><TAB><shape>', got {line[:60]!r}")
        t = _time(parts[0], where)
        if rows and t < rows[-1][0]:
            raise CueFileError(f"{where}: time {t:g} comes before the line above ({rows[-1][0]:g})")
        rows.append((t, _shape(parts[1], where)))
    return [(a, b, s) for (a, s), (b, _) in zip(rows, rows[1:] + [(rows[-1][0], "X")]) if b > a] if rows else []


def _read_dat(path: Path, text: str, fps: float):
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if n == 1 or not line.strip():
            continue
        parts = line.split()
        where = f"{path}: line {n}"
        if len(parts) != 2:
            raise CueFileError(f"{where}: expected '<frame> <shape>', got {line[:60]!r}")
        try:
            frame = int(parts[0])
        except ValueError:
            raise CueFileError(f"{where}: {parts[0][:20]!r} is not a frame number") from None
        if frame < 1 or frame > 4 * 3600 * fps:
            raise CueFileError(f"{where}: frame {frame} is out of range")
        if rows and frame < rows[-1][0]:
            raise CueFileError(f"{where}: frame {frame} comes before the line above")
        rows.append((frame, _shape(parts[1], where)))
    cues = []
    for k, (f, s) in enumerate(rows):
        a = (f - 1) / fps
        b = (rows[k + 1][0] - 1) / fps if k + 1 < len(rows) else a + 1.0 / fps
        if b > a:
            cues.append((a, b, s))
    return cues
