"""The take: one performance being animated (audio, fps, a curve per AU and speech control)."""
from __future__ import annotations

import copy
import dataclasses
import math
import numbers
import types
from typing import Any, Mapping

import numpy as np

from core.aus import AU_MAX, AU_MIN, AU_NAMES, SPEECH_NAMES
from core.camera import OrbitCamera
from core.limits import MAX_FPS, MAX_KEYS_PER_TAKE, MAX_TAKE_FRAMES, MIN_FPS, take_frames_problem

from .curve import Curve, Extra, evaluate

#: Every animated channel, AUs first (in AU_NAMES order), then the speech controls.
CHANNEL_NAMES: tuple[str, ...] = AU_NAMES + SPEECH_NAMES
SPEECH_MIN, SPEECH_MAX = 0.0, 1.0


def _short(v: Any) -> str:
    """``v`` for a message: an int of many digits is named by its length, not printed whole."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**15:
        return f"a {len(str(abs(v)))}-digit number"
    return repr(v)


@dataclasses.dataclass(frozen=True)
class AudioRef:
    """The take's sound: a path (absolute in memory; a take file stores it both relative to
    itself and absolute, and loading resolves the relative one first, see
    core.document.project.resolve_audio_path) and an offset in seconds (positive: the audio starts
    that late on the timeline). ``extra``: fields of the file's ``audio`` object this version
    does not know (kept for the next save)."""

    path: str
    offset: float = 0.0
    extra: Extra = Extra.EMPTY

    def __post_init__(self) -> None:
        if not isinstance(self.extra, Extra):
            object.__setattr__(self, "extra", Extra.of(self.extra))


@dataclasses.dataclass(frozen=True)
class CameraState:
    """OrbitCamera parameters as plain numbers (degrees, scene units). ``extra``: fields of the
    file's ``camera`` object this version does not know (kept for the next save; ``with_orbit``
    keeps them, ``from_orbit`` starts without)."""

    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    yaw: float = 0.0
    pitch: float = 0.0
    distance: float = 1.0
    fov_y: float = 30.0
    extra: Extra = Extra.EMPTY

    def __post_init__(self) -> None:
        if not isinstance(self.extra, Extra):
            object.__setattr__(self, "extra", Extra.of(self.extra))
        t = tuple(float(v) for v in self.target)
        if len(t) != 3:
            raise ValueError(f"CameraState.target: expected 3 numbers, got {self.target!r}")
        object.__setattr__(self, "target", t)
        for f in ("yaw", "pitch", "distance", "fov_y"):
            object.__setattr__(self, f, float(getattr(self, f)))
        if not all(np.isfinite(v) for v in t + (self.yaw, self.pitch, self.distance, self.fov_y)):
            raise ValueError("CameraState: values must be finite")
        if self.distance <= 0 or not 0 < self.fov_y < 180:
            raise ValueError(f"CameraState: need distance > 0 and 0 < fov_y < 180, got {self.distance}, {self.fov_y}")

    def to_orbit(self) -> OrbitCamera:
        return OrbitCamera(
            target=np.array(self.target, dtype=np.float64), yaw=self.yaw, pitch=self.pitch,
            distance=self.distance, fov_y=self.fov_y,
        )

    @classmethod
    def from_orbit(cls, cam: OrbitCamera) -> "CameraState":
        t = np.asarray(cam.target, dtype=np.float64)
        return cls((float(t[0]), float(t[1]), float(t[2])), float(cam.yaw), float(cam.pitch),
                   float(cam.distance), float(cam.fov_y))

    def with_orbit(self, cam: OrbitCamera) -> "CameraState":
        """This camera moved to ``cam``'s parameters, keeping its unknown fields (``extra``)."""
        return dataclasses.replace(CameraState.from_orbit(cam), extra=self.extra)


@dataclasses.dataclass(frozen=True)
class SpeechDrive:
    """How a speech control is fed: by the audio model, unless ``override`` hands it to its curve."""

    driven_by_audio: bool = True
    override: bool = False

    @property
    def uses_curve(self) -> bool:
        return not self.driven_by_audio or self.override


#: How a take's recording drives the speech controls (core.drive.SPEECH_DRIVERS).
LIPSYNC_DRIVERS = ("phonemes", "energy")
#: Longest transcript a take keeps (characters).
MAX_TRANSCRIPT_CHARS = 200_000


@dataclasses.dataclass(frozen=True)
class LipSyncSettings:
    """The take's lip sync: ``driver`` "phonemes" (recognised from the audio, or the ``transcript``'s
    words aligned to it) or "energy" (the signal's energy and spectrum alone)."""

    driver: str = "phonemes"
    transcript: str = ""

    def __post_init__(self) -> None:
        if self.driver not in LIPSYNC_DRIVERS:
            raise ValueError(f"lip sync driver must be one of {', '.join(LIPSYNC_DRIVERS)}, got {_short(self.driver)}")
        if not isinstance(self.transcript, str):
            raise ValueError(f"transcript must be text, got {_short(self.transcript)}")
        if len(self.transcript) > MAX_TRANSCRIPT_CHARS:
            raise ValueError(f"transcript of {len(self.transcript):,} characters is longer than the "
                             f"{MAX_TRANSCRIPT_CHARS:,} a take keeps")


@dataclasses.dataclass(frozen=True)
class Take:
    """Immutable take. ``curves`` always holds every name of CHANNEL_NAMES; ``duration`` is in
    frames (frames 0 .. duration-1 are played). Change it with ``dataclasses.replace`` or the
    ``with_*`` methods; edits never mutate a take another object holds.

    ``fps`` and ``duration`` stay within core.limits (fps 1..1000, at most 4 h and 1,000,000
    frames), whatever made the take (a file, an import, an edit). ``extra``: the take file's
    top-level fields this version does not know (kept for the next save)."""

    name: str = "Untitled"
    fps: float = 25.0
    duration: int = 250
    audio: AudioRef | None = None
    curves: Mapping[str, Curve] = dataclasses.field(default_factory=dict)
    speech: Mapping[str, SpeechDrive] = dataclasses.field(default_factory=dict)
    camera: CameraState = CameraState()
    zone_settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    lipsync: LipSyncSettings = LipSyncSettings()
    extra: Extra = Extra.EMPTY

    def __post_init__(self) -> None:
        fps, duration = self.fps, self.duration
        if isinstance(fps, bool) or not isinstance(fps, numbers.Real):
            raise ValueError(f"Take.fps: must be a positive number, got {_short(fps)}")
        try:
            fps = float(fps)
        except OverflowError:  # an int past float range
            raise ValueError(f"Take: fps must be within {MIN_FPS:g}..{MAX_FPS:g}, got {_short(self.fps)}") from None
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f"Take.fps: must be a positive number, got {_short(self.fps)}")
        if isinstance(duration, bool) or not isinstance(duration, numbers.Real):
            raise ValueError(f"Take.duration: must be a positive whole number of frames, got {_short(duration)}")
        try:
            whole = float(duration) == int(duration)
        except (OverflowError, ValueError):  # inf, nan, an int past float range
            whole = isinstance(duration, numbers.Integral)
        if not whole or duration < 1:
            raise ValueError(f"Take.duration: must be a positive whole number of frames, got {_short(duration)}")
        if duration > MAX_TAKE_FRAMES:  # before float(): an int may be past float range
            raise ValueError(f"Take: {_short(duration)} of frames is more than the {MAX_TAKE_FRAMES:,} a take may hold"
                             if isinstance(duration, int) and duration >= 10**15 else
                             f"Take: {take_frames_problem(fps, float(duration))}")
        problem = take_frames_problem(fps, float(duration))
        if problem is not None:
            raise ValueError(f"Take: {problem}")
        if not isinstance(self.extra, Extra):
            object.__setattr__(self, "extra", Extra.of(self.extra))
        unknown = set(self.curves) - set(CHANNEL_NAMES)
        if unknown:
            raise ValueError(f"Take.curves: unknown channels {sorted(unknown)}; known: {', '.join(CHANNEL_NAMES)}")
        unknown = set(self.speech) - set(SPEECH_NAMES)
        if unknown:
            raise ValueError(f"Take.speech: unknown speech controls {sorted(unknown)}")
        curves = {n: self.curves.get(n, Curve()) for n in CHANNEL_NAMES}
        speech = {n: self.speech.get(n, SpeechDrive()) for n in SPEECH_NAMES}
        n_keys = sum(len(c.keys) for c in curves.values())
        if n_keys > MAX_KEYS_PER_TAKE:
            raise ValueError(f"Take: {n_keys:,} keys is more than the {MAX_KEYS_PER_TAKE:,} a take may hold")
        object.__setattr__(self, "fps", fps)
        object.__setattr__(self, "duration", int(duration))
        object.__setattr__(self, "curves", types.MappingProxyType(curves))
        object.__setattr__(self, "speech", types.MappingProxyType(speech))
        object.__setattr__(self, "zone_settings", types.MappingProxyType(copy.deepcopy(dict(self.zone_settings))))

    # -- building new takes
    def with_curve(self, name: str, curve: Curve) -> "Take":
        return self.with_curves({name: curve})

    def with_curves(self, curves: Mapping[str, Curve]) -> "Take":
        merged = dict(self.curves)
        merged.update(curves)
        return dataclasses.replace(self, curves=merged)

    def with_speech(self, name: str, drive: SpeechDrive) -> "Take":
        merged = dict(self.speech)
        merged[name] = drive
        return dataclasses.replace(self, speech=merged)

    # -- time
    def frame_range(self) -> np.ndarray:
        """All frames of the take [duration] float64."""
        return np.arange(self.duration, dtype=np.float64)

    def seconds_to_frames(self, seconds) -> np.ndarray:
        return np.asarray(seconds, dtype=np.float64) * self.fps

    # -- evaluation
    def any_solo(self) -> bool:
        return any(c.solo for c in self.curves.values())

    def _channel_for_deformation(self, name: str, frames: np.ndarray, solo: bool) -> np.ndarray:
        c = self.curves[name]
        if solo and not c.solo:
            return np.zeros(frames.shape)
        return evaluate(c, frames)

    def evaluate_au(self, frames, for_deformation: bool = True) -> np.ndarray:
        """AU intensities at ``frames`` [F] -> [F, 17] in AU_NAMES order.

        for_deformation: mute and solo apply and values are clamped to 0..5, the range the rig
        accepts (stored curves may overshoot; they are not clamped). False: the raw curves, mute
        and solo ignored, for drawing them in the graph editor."""
        f = np.asarray(frames, dtype=np.float64)
        solo = for_deformation and self.any_solo()
        out = np.stack([self._channel_for_deformation(n, f, solo) if for_deformation
                        else evaluate(self.curves[n], f, respect_mute=False) for n in AU_NAMES], axis=-1)
        return np.clip(out, AU_MIN, AU_MAX) if for_deformation else out

    def evaluate_speech(self, frames, audio: np.ndarray | None = None, for_deformation: bool = True) -> np.ndarray:
        """Speech controls at ``frames`` [F] -> [F, 4] in SPEECH_NAMES order.

        audio: the audio model's prediction for the same frames [F, 4] (None: silence). Channels
        driven by audio take it, unless their override flag hands them to their curve."""
        f = np.asarray(frames, dtype=np.float64)
        if audio is not None:
            audio = np.asarray(audio, dtype=np.float64)
            if audio.shape != f.shape + (len(SPEECH_NAMES),):
                raise ValueError(f"Take.evaluate_speech: audio must be {f.shape + (len(SPEECH_NAMES),)}, got {audio.shape}")
        solo = for_deformation and self.any_solo()
        cols = []
        for j, n in enumerate(SPEECH_NAMES):
            if self.speech[n].uses_curve:
                if for_deformation:
                    cols.append(self._channel_for_deformation(n, f, solo))
                else:
                    cols.append(evaluate(self.curves[n], f, respect_mute=False))
            else:
                hidden = (solo and not self.curves[n].solo) or self.curves[n].mute
                if audio is None or (for_deformation and hidden):
                    cols.append(np.zeros(f.shape))
                else:
                    cols.append(audio[..., j])
        out = np.stack(cols, axis=-1)
        return np.clip(out, SPEECH_MIN, SPEECH_MAX) if for_deformation else out
