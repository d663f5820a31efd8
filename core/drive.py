"""Frame drivers: turn a take into deformed Gaussians, frame by frame or in batches.

The studio's viewport, the exporter and the benchmarks all go through a :class:`Driver`, so the
analytic rig (``RigDriver``) and a learned model can be swapped without touching their callers.

Frames are *timeline* frames of the take (``take.fps``) and may be fractional: an export at another
frame rate samples the take's curves between its keys, and the audio-driven speech controls are
linearly interpolated between the take's frames.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, Protocol, runtime_checkable

import numpy as np

from core.aus import NUM_AUS, NUM_SPEECH

if TYPE_CHECKING:
    from core.anim.take import Take
    from core.audio.decode import AudioClip
    from core.gaussians import GaussianCloud

#: Frames deformed together by default: bounds memory at chunk * N * 10 floats per batch.
DEFAULT_CHUNK = 16


class DriveError(ValueError):
    """A take cannot be driven (bad frames, unreadable audio, unknown driver)."""


@runtime_checkable
class FrameBatch(Protocol):
    """Deformed Gaussians for T frames: means [T, N, 3], quats [T, N, 4], log_scales [T, N, 3]."""

    means: "object"
    quats: "object"
    log_scales: "object"

    def cloud(self, t: int) -> "GaussianCloud":
        ...


@runtime_checkable
class Driver(Protocol):
    """What every frame driver offers (the rig now, a learned model later).

    fps: the take's frame rate; frames passed in are timeline frames of the take (float allowed).
    """

    fps: float

    def frames(self, frame_indices: np.ndarray) -> FrameBatch:
        """Deformed Gaussians for frames [T] -> a batch of T frames."""
        ...

    def cloud(self, frame: float) -> "GaussianCloud":
        """Deformed Gaussians of one frame."""
        ...


def speech_source_from_audio(clip: "AudioClip") -> Callable[[float, int], np.ndarray]:
    """The audio speech driver as a speech source: (fps, num_frames) -> controls [num_frames, 4]."""

    def source(fps: float, num_frames: int) -> np.ndarray:
        from core.audio.speech_driver import speech_controls

        return speech_controls(clip.analysis(), fps, num_frames)

    return source


class SpeechTrack:
    """The take's audio-driven speech controls, computed once per (audio, fps) and sampled at any
    timeline frame. ``controls`` [M, 4] holds audio frame m at audio time m / fps; the take's
    audio offset shifts it on the timeline, and outside the audio the controls are 0 (silence)."""

    def __init__(self, controls: np.ndarray, fps: float, offset_s: float = 0.0):
        c = np.asarray(controls, dtype=np.float64)
        if c.ndim != 2 or c.shape[1] != NUM_SPEECH:
            raise DriveError(f"speech controls must be [M, {NUM_SPEECH}], got shape {c.shape}")
        self.controls = c
        self.fps = float(fps)
        self.offset_frames = float(offset_s) * self.fps

    def sample(self, frames: np.ndarray) -> np.ndarray:
        """Timeline frames [F] -> speech controls [F, 4] (linear between audio frames)."""
        pos = np.asarray(frames, dtype=np.float64) - self.offset_frames
        m = self.controls.shape[0]
        out = np.zeros(pos.shape + (NUM_SPEECH,))
        if m == 0:
            return out
        inside = (pos >= 0) & (pos <= m - 1)
        p = np.clip(pos, 0, m - 1)
        lo = np.floor(p).astype(np.int64)
        hi = np.minimum(lo + 1, m - 1)
        w = (p - lo)[..., None]
        out[inside] = (self.controls[lo] * (1 - w) + self.controls[hi] * w)[inside]
        return out


class RigDriver:
    """The analytic rig (core.rig.deform) driven by a take.

    head: a core.head.Head; take: the Take; speech_source: a callable (fps, num_frames) ->
    controls [num_frames, 4] for the take's audio, or None to load the take's audio and run the
    audio speech driver on it (None too when the take has no audio: silence). Channels whose
    take flags hand them to their curve (``SpeechDrive.uses_curve``) ignore the audio.
    The speech controls are computed on first use and cached for the driver's lifetime.
    device: where the rig runs (default: the head's device; move the head to CUDA for a GPU rig).
    """

    def __init__(self, head, take: "Take", speech_source: Callable[[float, int], np.ndarray] | None = None,
                 chunk: int = DEFAULT_CHUNK, deform: Callable | None = None, device=None):
        if chunk < 1:
            raise DriveError(f"chunk must be at least 1 frame, got {chunk}")
        self.head = head
        self.take = take
        self.fps = float(take.fps)
        self.chunk = int(chunk)
        self._speech_source = speech_source
        self._speech: SpeechTrack | None = None
        self._lock = threading.Lock()
        if deform is None:
            from core.rig import deform as rig_deform

            deform = rig_deform
        self._deform = deform
        cloud = getattr(head, "cloud", None)
        self.device = device if device is not None else (cloud.device if cloud is not None else "cpu")

    # -- speech
    def _needs_audio(self) -> bool:
        return any(not d.uses_curve for d in self.take.speech.values())

    def speech_track(self) -> SpeechTrack | None:
        """The cached audio speech track (None when no channel uses audio or there is no audio)."""
        if not self._needs_audio():
            return None
        with self._lock:  # the viewport and an export may ask at once; analyse only once
            if self._speech is None:
                source = self._speech_source
                offset = self.take.audio.offset if self.take.audio is not None else 0.0
                if source is None:
                    if self.take.audio is None:
                        return None
                    from core.audio.decode import load_audio

                    source = speech_source_from_audio(load_audio(self.take.audio.path))
                # Audio frames that can land on the timeline; before and after, the track is silent.
                num = max(int(np.ceil(self.take.duration - offset * self.fps)) + 1, 1)
                controls = source(self.fps, num)
                self._speech = SpeechTrack(controls, self.fps, offset)
            return self._speech

    def controls(self, frame_indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Timeline frames [T] -> (au [T, 17], speech [T, 4]) as the rig receives them."""
        f = np.asarray(frame_indices, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(f)):
            raise DriveError("frame indices must be finite")
        track = self.speech_track()
        audio = track.sample(f) if track is not None else None
        au = self.take.evaluate_au(f)
        speech = self.take.evaluate_speech(f, audio)
        assert au.shape == (len(f), NUM_AUS)
        return au, speech

    # -- deformation
    def frames(self, frame_indices: np.ndarray):
        """Deformed Gaussians for frames [T] -> RigFrames (means [T, N, 3], quats [T, N, 4],
        log_scales [T, N, 3]); the rig runs on at most ``chunk`` frames at a time."""
        import torch

        f = np.asarray(frame_indices, dtype=np.float64).reshape(-1)
        au, speech = self.controls(f)
        # The rig runs on the device of its inputs.
        au = torch.as_tensor(au, dtype=torch.float32, device=self.device)
        speech = torch.as_tensor(speech, dtype=torch.float32, device=self.device)
        if len(f) <= self.chunk:
            return self._deform(self.head, au, speech)
        parts = [self._deform(self.head, au[i:i + self.chunk], speech[i:i + self.chunk])
                 for i in range(0, len(f), self.chunk)]
        return _concat_frames(parts)

    def cloud(self, frame: float) -> "GaussianCloud":
        return self.frames(np.array([frame], dtype=np.float64)).cloud(0)


def _concat_frames(parts):
    import dataclasses

    import torch

    first = parts[0]
    changes = {k: torch.cat([getattr(p, k) for p in parts]) for k in ("means", "quats", "log_scales")}
    return dataclasses.replace(first, **changes)


def make_driver(kind: str, head, take: "Take", **kwargs) -> Driver:
    """A driver by name: 'rig' (the analytic rig). A learned model registers here later."""
    if kind == "rig":
        return RigDriver(head, take, **kwargs)
    raise DriveError(f"unknown driver {kind!r}; available: rig")
