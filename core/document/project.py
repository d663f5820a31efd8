"""Project files: a take as JSON ("schema": "Take.<version>"), atomic saves, autosave, recovery.

The audio path is stored relative to the take file and absolute; loading tries the relative
one first, then the absolute one (``resolve_audio_path``).
Loading always builds a new Take (an open take is never touched) and validates every field;
problems raise TakeFileError naming the file and the field, e.g. ``tracks.AU12.keys[3].value``,
and nothing else, whatever the file holds: its size, nesting, numbers, frame rate, length and key
counts are checked against core.limits before anything is built for them.
Fields this version does not know (at the top level, in ``audio``, ``camera``, each track and
each key) are kept in the objects' ``extra`` and written back on save.
Older versions are upgraded on load by a chain of upgraders (see docs/TAKE_FORMAT.md).
"""
from __future__ import annotations

from core.fileio import atomic_write_text  # noqa: F401 (re-exported for callers)

import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any, Callable

import numpy as np

from core.anim.curve import Curve, Extra, Extrapolation, HandleType, Interpolation, Keyframe
from core.anim.take import CHANNEL_NAMES, AudioRef, CameraState, LipSyncSettings, SpeechDrive, Take
from core.aus import SPEECH_NAMES
from core.camera import OrbitCamera
from core.limits import (
    MAX_JSON_DEPTH, MAX_KEY_FRAME, MAX_KEY_VALUE, MAX_KEYS_PER_CHANNEL, MAX_KEYS_PER_TAKE, MAX_SCENE_UNITS,
    MAX_NAME_CHARS, MAX_TAKE_FILE_BYTES, MAX_TAKE_SECONDS, take_frames_problem,
)

SCHEMA_NAME = "Take"
CURRENT_VERSION = 3
PROJECT_SUFFIX = ".emz"
AUTOSAVE_SUFFIX = ".autosave"

#: The fields this version reads, per object; any other field is kept in the object's ``extra``.
TOP_FIELDS = ("schema", "name", "fps", "duration", "audio", "camera", "zone_settings", "lipsync", "tracks")
AUDIO_FIELDS = ("path", "absolute", "offset")
CAMERA_FIELDS = ("target", "yaw", "pitch", "distance", "fov_y")
TRACK_FIELDS = ("extrapolation", "mute", "solo", "lock", "keys")
SPEECH_TRACK_FIELDS = TRACK_FIELDS + ("driven_by_audio", "override")
KEY_FIELDS = ("frame", "value", "interpolation", "handle_type", "handle_left", "handle_right")
#: A handle may reach this far in time (a key's auto handle reaches a third past its neighbour).
MAX_HANDLE_FRAME = 2 * MAX_KEY_FRAME


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


def _with_extra(out: dict, extra: Extra) -> dict:
    """``out`` with the unknown fields of ``extra`` added after the known ones (a known field
    of the same name wins)."""
    for k in extra:
        if k not in out:
            out[k] = extra[k]
    return out


def _key_to_json(k: Keyframe) -> dict:
    out = {
        "frame": k.frame, "value": k.value, "interpolation": k.interpolation.value,
        "handle_type": k.handle_type.value, "handle_left": list(k.handle_left), "handle_right": list(k.handle_right),
    }
    return _with_extra(out, k.extra) if k.extra else out


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
    return _with_extra(out, audio.extra)


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
        tracks[name] = _with_extra(t, c.extra)
    cam = take.camera
    return _with_extra({
        "schema": f"{SCHEMA_NAME}.{CURRENT_VERSION}",
        "name": take.name, "fps": take.fps, "duration": take.duration, "audio": audio,
        "camera": _with_extra({"target": list(cam.target), "yaw": cam.yaw, "pitch": cam.pitch,
                               "distance": cam.distance, "fov_y": cam.fov_y}, cam.extra),
        "zone_settings": dict(take.zone_settings),
        "lipsync": {"driver": take.lipsync.driver, "transcript": take.lipsync.transcript},
        "tracks": tracks,
    }, take.extra)


def save_take(take: Take, path: str | os.PathLike, absolute_audio: bool = True) -> None:
    """Atomically write ``take`` to ``path`` (JSON, current version). ``absolute_audio=False``
    leaves the absolute audio path out (files shipped in a repository carry no machine's path)."""
    path = Path(path)
    atomic_write_text(path, take_to_text(take, path, absolute_audio))


def take_to_text(take: Take, path: str | os.PathLike, absolute_audio: bool = True) -> str:
    """The text ``save_take`` writes to ``path`` (the audio path is made relative to its folder)."""
    path = Path(path)
    try:
        return json.dumps(take_to_json(take, path.parent.resolve(), absolute_audio), indent=1, allow_nan=False) + "\n"
    except ValueError as exc:  # a NaN in zone settings, say
        raise TakeFileError(path, f"cannot be saved: {exc}") from None


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

    def num(self, v: Any, field: str, minimum: float | None = None, positive: bool = False,
            bound: float | None = None) -> float:
        """A finite number (an int beyond float range is refused, not an OverflowError);
        ``bound``: its magnitude may not exceed it."""
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(field, f"expected a number, got {type(v).__name__}")
        if isinstance(v, int):
            try:
                v = float(v)
            except OverflowError:
                raise self.fail(field, f"a {len(str(abs(v)))}-digit number is beyond any value a take holds") from None
        if not math.isfinite(v):
            raise self.fail(field, f"must be finite, got {v}")
        if positive and v <= 0:
            raise self.fail(field, f"must be positive, got {v}")
        if minimum is not None and v < minimum:
            raise self.fail(field, f"must be >= {minimum}, got {v}")
        if bound is not None and abs(v) > bound:
            raise self.fail(field, f"must be within -{bound:g}..{bound:g}, got {v:g}")
        return v

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

    def point(self, v: Any, field: str, bounded: bool = False) -> tuple[float, float]:
        if not isinstance(v, list) or len(v) != 2:
            raise self.fail(field, "expected [frame, value]")
        return (self.num(v[0], f"{field}[0]", bound=MAX_HANDLE_FRAME if bounded else None),
                self.num(v[1], f"{field}[1]", bound=MAX_KEY_VALUE if bounded else None))

    def extra(self, d: dict, known: tuple[str, ...], field: str) -> Extra:
        """The fields of ``d`` this version does not know, checked to be writable JSON."""
        unknown = {k: v for k, v in d.items() if k not in known}
        if not unknown:
            return Extra.EMPTY
        for k, v in unknown.items():
            _check_finite_tree(self, v, f"{field}.{k}" if field else k)
        try:
            return Extra(unknown)
        except ValueError as exc:
            raise self.fail(field or "(top level)", str(exc)) from None


def _check_finite_tree(r: _Reader, v: Any, field: str, depth: int = 0) -> None:
    """Every number in ``v`` is finite (NaN and infinities cannot be saved) and it nests no
    deeper than MAX_JSON_DEPTH."""
    if depth > MAX_JSON_DEPTH:
        raise r.fail(field, f"nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(v, float) and not math.isfinite(v):
        raise r.fail(field, f"must be finite, got {v}")
    if isinstance(v, dict):
        for k, x in v.items():
            _check_finite_tree(r, x, f"{field}.{k}", depth + 1)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            _check_finite_tree(r, x, f"{field}[{i}]", depth + 1)


def _read_curve(r: _Reader, d: Any, field: str, known: tuple[str, ...], budget: list[int]) -> Curve:
    """One track; ``budget`` holds the keys the take may still hold (MAX_KEYS_PER_TAKE)."""
    d = r.obj(d, field)
    keys_raw = r.get(d, "keys", field)
    if not isinstance(keys_raw, list):
        raise r.fail(f"{field}.keys", "expected a list")
    if len(keys_raw) > MAX_KEYS_PER_CHANNEL:
        raise r.fail(f"{field}.keys", f"{len(keys_raw):,} keys is more than the {MAX_KEYS_PER_CHANNEL:,} "
                                      "a channel may hold")
    budget[0] -= len(keys_raw)
    if budget[0] < 0:
        raise r.fail(f"{field}.keys", f"the take holds more than the {MAX_KEYS_PER_TAKE:,} keys a take may hold")
    keys = []
    seen: dict[float, int] = {}
    for i, kd in enumerate(keys_raw):
        kf = f"{field}.keys[{i}]"
        kd = r.obj(kd, kf)
        frame = r.num(r.get(kd, "frame", kf), f"{kf}.frame", minimum=0.0, bound=MAX_KEY_FRAME)
        if frame in seen:
            raise r.fail(f"{kf}.frame", f"frame {frame} already has a key (keys[{seen[frame]}])")
        seen[frame] = i
        value = r.num(r.get(kd, "value", kf), f"{kf}.value", bound=MAX_KEY_VALUE)
        interp = r.enum(r.get(kd, "interpolation", kf, "bezier"), Interpolation, f"{kf}.interpolation")
        htype = r.enum(r.get(kd, "handle_type", kf, "auto_clamped"), HandleType, f"{kf}.handle_type")
        free = htype == HandleType.FREE  # other keys' handles are recomputed: only a free one is used
        hl = kd.get("handle_left")
        hr = kd.get("handle_right")
        hl = None if hl is None else r.point(hl, f"{kf}.handle_left", bounded=free)
        hr = None if hr is None else r.point(hr, f"{kf}.handle_right", bounded=free)
        keys.append(Keyframe(frame, value, interp, htype, hl, hr, r.extra(kd, KEY_FIELDS, kf)))
    extrapolation = r.enum(r.get(d, "extrapolation", field, "constant"), Extrapolation, f"{field}.extrapolation")
    flags = {f: r.boolean(r.get(d, f, field, False), f"{field}.{f}") for f in ("mute", "solo", "lock")}
    extra = r.extra(d, known, field)
    try:
        return Curve(tuple(keys), extrapolation=extrapolation, extra=extra, **flags)
    except ValueError as exc:
        raise r.fail(field, str(exc)) from None


def take_from_json(data: Any, path: str | os.PathLike = "<memory>") -> Take:
    """A new Take from a parsed project object of any known version. Raises only TakeFileError."""
    try:
        return _take_from_json(data, path)
    except TakeFileError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError) as exc:
        # A check this reader lacks: still the loader's error, naming the file (the fuzz suite
        # fails on this wording, so each such case gets its own check and message).
        raise TakeFileError(path, f"unexpected problem in the take ({type(exc).__name__}: {exc})") from None


def _take_from_json(data: Any, path: str | os.PathLike) -> Take:
    r = _Reader(path)
    data = r.obj(data, "(top level)")
    version = schema_version(data, path)
    data = r.obj(upgrade(data, version, path), "(top level)")
    name = r.string(r.get(data, "name", "", "Untitled"), "name")
    if len(name) > MAX_NAME_CHARS:
        raise r.fail("name", f"{len(name):,} characters long; a take name is at most {MAX_NAME_CHARS}")
    fps = r.num(r.get(data, "fps", ""), "fps", positive=True)
    duration = r.num(r.get(data, "duration", ""), "duration", positive=True)
    if duration != int(duration):
        raise r.fail("duration", f"must be a whole number of frames, got {duration}")
    problem = take_frames_problem(fps, duration)
    if problem is not None:
        raise r.fail("fps" if problem.startswith("fps") else "duration", problem)
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
        for f, p in (("audio.path", ap), ("audio.absolute", absolute)):
            if p is None:
                continue
            if "\0" in p:
                raise r.fail(f, "holds a NUL character")
            try:
                os.fsencode(p)  # a lone surrogate no file name can hold ("\udc80".."\udcff" can: raw bytes)
            except UnicodeEncodeError as exc:
                raise r.fail(f, f"cannot name a file (character {p[exc.start]!r} at {exc.start})") from None
        offset = r.num(r.get(a, "offset", "audio", 0.0), "audio.offset", bound=MAX_TAKE_SECONDS)
        extra = r.extra(a, AUDIO_FIELDS, "audio")
        ap = resolve_audio_path(ap, absolute, None if path == "<memory>" else path)
        audio = AudioRef(ap, offset, extra)
    cam = r.obj(r.get(data, "camera", "", {}), "camera")
    target = r.get(cam, "target", "camera", [0.0, 0.0, 0.0])
    if not isinstance(target, list) or len(target) != 3:
        raise r.fail("camera.target", "expected [x, y, z]")
    pitch = r.num(r.get(cam, "pitch", "camera", 0.0), "camera.pitch", bound=OrbitCamera.PITCH_LIMIT)
    distance = r.num(r.get(cam, "distance", "camera", 1.0), "camera.distance", positive=True, bound=MAX_SCENE_UNITS)
    if distance < OrbitCamera.MIN_DISTANCE:  # the orbit camera comes no closer: eye and target would meet
        raise r.fail("camera.distance", f"must be at least {OrbitCamera.MIN_DISTANCE:g}, got {distance:g}")
    try:
        camera = CameraState(
            tuple(r.num(v, f"camera.target[{i}]", bound=MAX_SCENE_UNITS) for i, v in enumerate(target)),
            r.num(r.get(cam, "yaw", "camera", 0.0), "camera.yaw"),
            pitch, distance,
            r.num(r.get(cam, "fov_y", "camera", 30.0), "camera.fov_y", positive=True),
            r.extra(cam, CAMERA_FIELDS, "camera"),
        )
    except TakeFileError:
        raise
    except ValueError as exc:
        raise r.fail("camera", str(exc)) from None
    zones = r.obj(r.get(data, "zone_settings", "", {}), "zone_settings")
    _check_finite_tree(r, zones, "zone_settings")
    ls = r.obj(r.get(data, "lipsync", "", {}), "lipsync")
    try:
        lipsync = LipSyncSettings(r.string(r.get(ls, "driver", "lipsync", "phonemes"), "lipsync.driver"),
                                  r.string(r.get(ls, "transcript", "lipsync", ""), "lipsync.transcript"))
    except ValueError as exc:
        if isinstance(exc, TakeFileError):
            raise
        raise r.fail("lipsync", str(exc)) from None
    tracks = r.obj(r.get(data, "tracks", ""), "tracks")
    curves, speech = {}, {}
    budget = [MAX_KEYS_PER_TAKE]
    for ch, td in tracks.items():
        if ch not in CHANNEL_NAMES:
            raise r.fail(f"tracks.{ch}", f"unknown channel; known: {', '.join(CHANNEL_NAMES)}")
        is_speech = ch in SPEECH_NAMES
        curves[ch] = _read_curve(r, td, f"tracks.{ch}", SPEECH_TRACK_FIELDS if is_speech else TRACK_FIELDS, budget)
        if is_speech:
            speech[ch] = SpeechDrive(
                r.boolean(r.get(td, "driven_by_audio", f"tracks.{ch}", True), f"tracks.{ch}.driven_by_audio"),
                r.boolean(r.get(td, "override", f"tracks.{ch}", False), f"tracks.{ch}.override"),
            )
    extra = r.extra(data, TOP_FIELDS, "")
    try:
        return Take(name=name, fps=fps, duration=int(duration), audio=audio, curves=curves, speech=speech,
                    camera=camera, zone_settings=zones, lipsync=lipsync, extra=extra)
    except ValueError as exc:
        raise TakeFileError(path, str(exc)) from None


_JSON_ESCAPE = re.compile(r"\\.", re.S)
#: Every byte but the quote and the brackets, for bytes.translate to drop.
_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'"[]{}')))


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON ``text`` nests arrays and objects deeper than ``limit`` (brackets inside
    strings do not count). Checked before parsing: Python's parser recurses once per level, so
    a file of a million '[' would exhaust the stack of the thread reading it. Linear time, in
    chunks of bounded memory: escapes are dropped, then all but quotes and brackets, and a
    bracket counts where an even number of quotes precede it."""
    if text.count("[") + text.count("{") <= limit:
        return False
    if "\\" in text:
        text = _JSON_ESCAPE.sub("", text)
    raw = text.encode("utf-8", "surrogatepass").translate(None, _NOT_STRUCTURE)
    depth, quotes, chunk = 0, 0, 1 << 22
    for start in range(0, len(raw), chunk):
        c = np.frombuffer(raw, dtype=np.uint8, count=min(chunk, len(raw) - start), offset=start)
        is_quote = c == 34
        outside = ((np.cumsum(is_quote) + quotes) & 1) == 0
        d = ((c == 91) | (c == 123)).astype(np.int32) - ((c == 93) | (c == 125))  # [ {  minus  ] }
        run = np.cumsum(np.where(outside & ~is_quote, d, 0)) + depth
        if run.max(initial=depth) > limit:
            return True
        depth, quotes = int(run[-1]), quotes + int(is_quote.sum())
    return False


def read_take_text(path: str | os.PathLike) -> str:
    """The text of a take file, checked to be a regular file of at most MAX_TAKE_FILE_BYTES
    (before anything is read) and UTF-8 (a byte-order mark is allowed)."""
    path = Path(path)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise TakeFileError(path, "not a regular file")
        if st.st_size > MAX_TAKE_FILE_BYTES:
            raise TakeFileError(path, f"{st.st_size:,} bytes is more than the {MAX_TAKE_FILE_BYTES:,} a take file may have")
        with open(path, "rb") as f:
            raw = f.read(MAX_TAKE_FILE_BYTES + 1)
    except OSError as exc:
        raise TakeFileError(path, f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_TAKE_FILE_BYTES:  # it grew while being read
        raise TakeFileError(path, f"more than the {MAX_TAKE_FILE_BYTES:,} bytes a take file may have")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TakeFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def parse_take_text(text: str, path: str | os.PathLike = "<memory>") -> Any:
    """The JSON object of a take file's text; TakeFileError for anything that is not JSON a take
    may be (nesting deeper than MAX_JSON_DEPTH, numbers of more digits than Python reads)."""
    if not text.strip():
        raise TakeFileError(path, "the file is empty")
    if json_depth_exceeds(text):
        raise TakeFileError(path, f"JSON nested deeper than {MAX_JSON_DEPTH} levels (a take nests 5)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos <= len(text) - len(text.lstrip()):  # not even the first character is JSON
            start = " ".join(text.lstrip()[:24].split())
            raise TakeFileError(path, f"not a take file: a take is a JSON object starting with '{{', this "
                                      f"file starts with {start!r}") from None
        raise TakeFileError(path, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:  # an integer of more than 4300 digits (Python's int_max_str_digits)
        why = "a number of more digits than Python reads" if "digits" in str(exc) else " ".join(str(exc).split())
        raise TakeFileError(path, f"invalid JSON: {why}") from None
    except RecursionError:  # cannot happen after the depth check; kept as the loader's own error
        raise TakeFileError(path, "JSON nested too deeply") from None


def load_take(path: str | os.PathLike) -> Take:
    """Read a project file of any known version into a new Take. Raises only TakeFileError
    (naming the file, and the field where there is one), whatever the file holds."""
    path = Path(path)
    return take_from_json(parse_take_text(read_take_text(path), path), path)


# ---------------------------------------------------------------------------------- versions


def schema_version(data: dict, path: str | os.PathLike = "<memory>") -> int:
    schema = data.get("schema")
    if not isinstance(schema, str):
        raise TakeFileError(path, f"missing or non-string schema; expected \"{SCHEMA_NAME}.<version>\"", "schema")
    name, _, ver = schema.partition(".")
    # Only ASCII digits, and few: str.isdigit takes "²", int() then refuses it; 5000 digits
    # pass neither int() nor any version this build could read.
    if name != SCHEMA_NAME or not re.fullmatch(r"[0-9]{1,9}", ver):
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
