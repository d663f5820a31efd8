"""Project files: a take as JSON ("schema": "Take.<version>"), atomic saves, autosave, recovery.

The audio path is stored relative to the take file and absolute; loading tries the relative
one first, then the absolute one (``resolve_audio_path``).
Loading always builds a new Take (an open take is never touched) and validates every field;
problems raise TakeFileError naming the file and the field, e.g. ``tracks.AU12.keys[3].value``.
Older versions are upgraded on load by a chain of upgraders (see docs/TAKE_FORMAT.md).
"""
from __future__ import annotations

from core.fileio import atomic_write_text  # noqa: F401 (re-exported for callers)

import json
import math
import os
from pathlib import Path
from typing import Any, Callable

from core.anim.curve import Curve, Extrapolation, HandleType, Interpolation, Keyframe
from core.anim.take import CHANNEL_NAMES, AudioRef, CameraState, SpeechDrive, Take
from core.aus import SPEECH_NAMES

SCHEMA_NAME = "Take"
CURRENT_VERSION = 3
PROJECT_SUFFIX = ".emz"
AUTOSAVE_SUFFIX = ".autosave"


class TakeFileError(ValueError):
    """A project file that cannot be read; ``path`` and ``field`` say where."""

    def __init__(self, path: str | os.PathLike, problem: str, field: str | None = None) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = f" at {field}" if field else ""
        super().__init__(f"{self.path}{where}: {problem}")


# ------------------------------------------------------------------------------------ atomic


# ------------------------------------------------------------------------------------- write


def _key_to_json(k: Keyframe) -> dict:
    return {
        "frame": k.frame, "value": k.value, "interpolation": k.interpolation.value,
        "handle_type": k.handle_type.value, "handle_left": list(k.handle_left), "handle_right": list(k.handle_right),
    }


def audio_to_json(audio: AudioRef, project_dir: str | os.PathLike | None = None,
                  absolute: bool = True) -> dict:
    """The ``audio`` object of a take file: ``path`` relative to ``project_dir`` when it can be
    (another drive on Windows cannot), ``absolute`` the absolute path (left out with
    ``absolute=False``, for files shipped in a repository), and ``offset``."""
    p = audio.path
    abs_p = os.path.abspath(p) if project_dir is None or os.path.isabs(p) else os.path.join(project_dir, p)
    rel = p
    if project_dir is not None:
        # The folder's real path, as project_dir is real too; the file itself may be a link.
        real = os.path.join(os.path.realpath(os.path.dirname(abs_p)), os.path.basename(abs_p))
        try:
            rel = os.path.relpath(real, project_dir)
        except ValueError:  # another drive on Windows: only the absolute path works
            rel = abs_p
    out = {"path": Path(rel).as_posix()}
    if absolute:
        out["absolute"] = Path(os.path.normpath(abs_p)).as_posix()
    out["offset"] = audio.offset
    return out


def resolve_audio_path(path: str, absolute: str | None, take_file: str | os.PathLike | None) -> str:
    """The audio file a take refers to. The path relative to the take file is tried first (a
    project folder moved with its audio keeps working), then the absolute one (a take file moved
    on its own). When neither exists the absolute path is kept (else the relative one resolved
    against the take file), so a missing recording is named and can be relinked; nothing is lost."""
    candidates = []
    if os.path.isabs(path):
        candidates.append(os.path.normpath(path))
    elif take_file is not None:
        candidates.append(os.path.normpath(os.path.join(Path(take_file).resolve().parent, path)))
    if absolute is not None:
        candidates.append(os.path.normpath(absolute))
    for c in candidates:
        if os.path.isfile(c):
            return c
    if absolute is not None:
        return os.path.normpath(absolute)
    return candidates[0] if candidates else path


def take_to_json(take: Take, project_dir: str | os.PathLike | None = None, absolute_audio: bool = True) -> dict:
    """The current-version JSON object for ``take``; the audio path is stored relative to
    ``project_dir`` (when it can be) and absolute (unless ``absolute_audio`` is False)."""
    audio = None if take.audio is None else audio_to_json(take.audio, project_dir, absolute_audio)
    tracks = {}
    for name in CHANNEL_NAMES:
        c = take.curves[name]
        t = {"extrapolation": c.extrapolation.value, "mute": c.mute, "solo": c.solo, "lock": c.lock,
             "keys": [_key_to_json(k) for k in c.keys]}
        if name in SPEECH_NAMES:
            d = take.speech[name]
            t["driven_by_audio"] = d.driven_by_audio
            t["override"] = d.override
        tracks[name] = t
    cam = take.camera
    return {
        "schema": f"{SCHEMA_NAME}.{CURRENT_VERSION}",
        "name": take.name, "fps": take.fps, "duration": take.duration, "audio": audio,
        "camera": {"target": list(cam.target), "yaw": cam.yaw, "pitch": cam.pitch,
                   "distance": cam.distance, "fov_y": cam.fov_y},
        "zone_settings": dict(take.zone_settings),
        "tracks": tracks,
    }


def save_take(take: Take, path: str | os.PathLike, absolute_audio: bool = True) -> None:
    """Atomically write ``take`` to ``path`` (JSON, current version). ``absolute_audio=False``
    leaves the absolute audio path out (files shipped in a repository carry no machine's path)."""
    path = Path(path)
    try:
        text = json.dumps(take_to_json(take, path.parent.resolve(), absolute_audio), indent=1, allow_nan=False)
    except ValueError as exc:  # a NaN in zone settings, say
        raise TakeFileError(path, f"cannot be saved: {exc}") from None
    atomic_write_text(path, text + "\n")


# -------------------------------------------------------------------------------------- read


class _Reader:
    """Typed field access that names the offending field in every error."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = path

    def fail(self, field: str, problem: str) -> TakeFileError:
        return TakeFileError(self.path, problem, field)

    def obj(self, v: Any, field: str) -> dict:
        if not isinstance(v, dict):
            raise self.fail(field, f"expected an object, got {type(v).__name__}")
        return v

    def get(self, d: dict, key: str, field: str, default: Any = ...) -> Any:
        if key not in d:
            if default is ...:
                raise self.fail(f"{field}.{key}" if field else key, "missing")
            return default
        return d[key]

    def num(self, v: Any, field: str, minimum: float | None = None, positive: bool = False) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(field, f"expected a number, got {type(v).__name__}")
        if not math.isfinite(v):
            raise self.fail(field, f"must be finite, got {v}")
        if positive and v <= 0:
            raise self.fail(field, f"must be positive, got {v}")
        if minimum is not None and v < minimum:
            raise self.fail(field, f"must be >= {minimum}, got {v}")
        return float(v)

    def boolean(self, v: Any, field: str) -> bool:
        if not isinstance(v, bool):
            raise self.fail(field, f"expected true or false, got {type(v).__name__}")
        return v

    def string(self, v: Any, field: str) -> str:
        if not isinstance(v, str):
            raise self.fail(field, f"expected a string, got {type(v).__name__}")
        return v

    def enum(self, v: Any, cls, field: str):
        s = self.string(v, field)
        try:
            return cls(s)
        except ValueError:
            raise self.fail(field, f"unknown value {s!r}; expected one of {', '.join(e.value for e in cls)}") from None

    def point(self, v: Any, field: str) -> tuple[float, float]:
        if not isinstance(v, list) or len(v) != 2:
            raise self.fail(field, "expected [frame, value]")
        return self.num(v[0], f"{field}[0]"), self.num(v[1], f"{field}[1]")


def _check_finite_tree(r: _Reader, v: Any, field: str) -> None:
    if isinstance(v, float) and not math.isfinite(v):
        raise r.fail(field, f"must be finite, got {v}")
    if isinstance(v, dict):
        for k, x in v.items():
            _check_finite_tree(r, x, f"{field}.{k}")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            _check_finite_tree(r, x, f"{field}[{i}]")


def _read_curve(r: _Reader, d: Any, field: str) -> Curve:
    d = r.obj(d, field)
    keys_raw = r.get(d, "keys", field)
    if not isinstance(keys_raw, list):
        raise r.fail(f"{field}.keys", "expected a list")
    keys = []
    seen: dict[float, int] = {}
    for i, kd in enumerate(keys_raw):
        kf = f"{field}.keys[{i}]"
        kd = r.obj(kd, kf)
        frame = r.num(r.get(kd, "frame", kf), f"{kf}.frame", minimum=0.0)
        if frame in seen:
            raise r.fail(f"{kf}.frame", f"frame {frame} already has a key (keys[{seen[frame]}])")
        seen[frame] = i
        value = r.num(r.get(kd, "value", kf), f"{kf}.value")
        interp = r.enum(r.get(kd, "interpolation", kf, "bezier"), Interpolation, f"{kf}.interpolation")
        htype = r.enum(r.get(kd, "handle_type", kf, "auto_clamped"), HandleType, f"{kf}.handle_type")
        hl = kd.get("handle_left")
        hr = kd.get("handle_right")
        hl = None if hl is None else r.point(hl, f"{kf}.handle_left")
        hr = None if hr is None else r.point(hr, f"{kf}.handle_right")
        keys.append(Keyframe(frame, value, interp, htype, hl, hr))
    return Curve(
        tuple(keys),
        extrapolation=r.enum(r.get(d, "extrapolation", field, "constant"), Extrapolation, f"{field}.extrapolation"),
        mute=r.boolean(r.get(d, "mute", field, False), f"{field}.mute"),
        solo=r.boolean(r.get(d, "solo", field, False), f"{field}.solo"),
        lock=r.boolean(r.get(d, "lock", field, False), f"{field}.lock"),
    )


def take_from_json(data: Any, path: str | os.PathLike = "<memory>") -> Take:
    """A new Take from a parsed project object of any known version."""
    r = _Reader(path)
    data = r.obj(data, "(top level)")
    version = schema_version(data, path)
    data = upgrade(data, version, path)
    name = r.string(r.get(data, "name", "", "Untitled"), "name")
    fps = r.num(r.get(data, "fps", ""), "fps", positive=True)
    duration = r.num(r.get(data, "duration", ""), "duration", positive=True)
    if duration != int(duration):
        raise r.fail("duration", f"must be a whole number of frames, got {duration}")
    audio = None
    a = r.get(data, "audio", "", None)
    if a is not None:
        a = r.obj(a, "audio")
        ap = r.string(r.get(a, "path", "audio"), "audio.path")
        absolute = a.get("absolute")
        if absolute is not None:
            absolute = r.string(absolute, "audio.absolute")
            if not os.path.isabs(absolute):
                raise r.fail("audio.absolute", f"expected an absolute path, got {absolute!r}")
        if ap == "":
            raise r.fail("audio.path", "is empty")
        ap = resolve_audio_path(ap, absolute, None if path == "<memory>" else path)
        audio = AudioRef(ap, r.num(r.get(a, "offset", "audio", 0.0), "audio.offset"))
    cam = r.obj(r.get(data, "camera", "", {}), "camera")
    target = r.get(cam, "target", "camera", [0.0, 0.0, 0.0])
    if not isinstance(target, list) or len(target) != 3:
        raise r.fail("camera.target", "expected [x, y, z]")
    try:
        camera = CameraState(
            tuple(r.num(v, f"camera.target[{i}]") for i, v in enumerate(target)),
            r.num(r.get(cam, "yaw", "camera", 0.0), "camera.yaw"),
            r.num(r.get(cam, "pitch", "camera", 0.0), "camera.pitch"),
            r.num(r.get(cam, "distance", "camera", 1.0), "camera.distance", positive=True),
            r.num(r.get(cam, "fov_y", "camera", 30.0), "camera.fov_y", positive=True),
        )
    except TakeFileError:
        raise
    except ValueError as exc:
        raise r.fail("camera", str(exc)) from None
    zones = r.obj(r.get(data, "zone_settings", "", {}), "zone_settings")
    _check_finite_tree(r, zones, "zone_settings")
    tracks = r.obj(r.get(data, "tracks", ""), "tracks")
    curves, speech = {}, {}
    for ch, td in tracks.items():
        if ch not in CHANNEL_NAMES:
            raise r.fail(f"tracks.{ch}", f"unknown channel; known: {', '.join(CHANNEL_NAMES)}")
        curves[ch] = _read_curve(r, td, f"tracks.{ch}")
        if ch in SPEECH_NAMES:
            speech[ch] = SpeechDrive(
                r.boolean(r.get(td, "driven_by_audio", f"tracks.{ch}", True), f"tracks.{ch}.driven_by_audio"),
                r.boolean(r.get(td, "override", f"tracks.{ch}", False), f"tracks.{ch}.override"),
            )
    try:
        return Take(name=name, fps=fps, duration=int(duration), audio=audio, curves=curves, speech=speech,
                    camera=camera, zone_settings=zones)
    except ValueError as exc:
        raise TakeFileError(path, str(exc)) from None


def load_take(path: str | os.PathLike) -> Take:
    """Read a project file of any known version into a new Take."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TakeFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise TakeFileError(path, f"cannot be read: {exc.strerror}") from None
    if not text.strip():
        raise TakeFileError(path, "the file is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TakeFileError(path, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    return take_from_json(data, path)


# ---------------------------------------------------------------------------------- versions


def schema_version(data: dict, path: str | os.PathLike = "<memory>") -> int:
    schema = data.get("schema")
    if not isinstance(schema, str):
        raise TakeFileError(path, f"missing or non-string schema; expected \"{SCHEMA_NAME}.<version>\"", "schema")
    name, _, ver = schema.partition(".")
    if name != SCHEMA_NAME or not ver.isdigit():
        raise TakeFileError(path, f"not a take file (schema {schema!r}, expected \"{SCHEMA_NAME}.<version>\")", "schema")
    v = int(ver)
    if v < 1 or v > CURRENT_VERSION:
        raise TakeFileError(
            path, f"unknown schema version {v}: this build reads versions 1 to {CURRENT_VERSION}"
            + (" (the file was written by a newer version)" if v > CURRENT_VERSION else ""), "schema")
    return v


def _upgrade_1_to_2(d: dict, path: str | os.PathLike) -> dict:
    """Version 1 (first release): ``frames`` instead of ``duration``, ``audio`` a bare path
    string, tracks as lists of [frame, value] pairs (all bezier auto-clamped), no camera."""
    r = _Reader(path)
    out = {k: v for k, v in d.items() if k not in ("frames", "audio", "tracks")}
    out["duration"] = r.get(d, "frames", "")
    audio = d.get("audio")
    if audio is not None:
        out["audio"] = {"path": r.string(audio, "audio"), "offset": 0.0}
    tracks = r.obj(r.get(d, "tracks", ""), "tracks")
    new_tracks = {}
    for ch, pairs in tracks.items():
        if not isinstance(pairs, list):
            raise r.fail(f"tracks.{ch}", "expected a list of [frame, value] pairs")
        keys = []
        for i, p in enumerate(pairs):
            if not isinstance(p, list) or len(p) != 2:
                raise r.fail(f"tracks.{ch}[{i}]", "expected [frame, value]")
            keys.append({"frame": p[0], "value": p[1]})
        new_tracks[ch] = {"keys": keys}
    out["tracks"] = new_tracks
    out["schema"] = f"{SCHEMA_NAME}.2"
    return out


def _upgrade_2_to_3(d: dict, path: str | os.PathLike) -> dict:
    """Version 2 stored the audio path once (relative to the take file when it could be);
    version 3 adds ``audio.absolute``. A version-2 file simply has no absolute path."""
    out = dict(d)
    out["schema"] = f"{SCHEMA_NAME}.3"
    return out


#: UPGRADERS[v] turns a version-v object into a version v+1 object.
UPGRADERS: dict[int, Callable[[dict, str | os.PathLike], dict]] = {1: _upgrade_1_to_2, 2: _upgrade_2_to_3}


def upgrade(data: dict, version: int, path: str | os.PathLike = "<memory>") -> dict:
    while version < CURRENT_VERSION:
        data = UPGRADERS[version](data, path)
        version += 1
    return data


# ---------------------------------------------------------------------------- autosave


def autosave_path(path: str | os.PathLike) -> Path:
    """The side file of a project: ``name.emz`` -> ``name.emz.autosave``."""
    return Path(str(path) + AUTOSAVE_SUFFIX)


def find_recovery(path: str | os.PathLike) -> Path | None:
    """The autosave to offer at open: one that exists and is newer than the project file
    (or whose project file was never written)."""
    side = autosave_path(path)
    if not side.exists():
        return None
    p = Path(path)
    if not p.exists() or side.stat().st_mtime_ns > p.stat().st_mtime_ns:
        return side
    return None


def discard_recovery(path: str | os.PathLike) -> None:
    try:
        autosave_path(path).unlink()
    except FileNotFoundError:
        pass
