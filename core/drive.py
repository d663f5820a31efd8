"""Frame drivers: turn a take into deformed Gaussians, frame by frame or in batches.

The studio's viewport, the exporter (``main.py export`` and File > Export) and the benchmarks all
get their driver from :func:`make_driver`, so the analytic rig (``RigDriver``) and the neural EmoZone
model (``ModelDriver``) are swapped by name without touching their callers. ``DRIVERS`` is the one
table of driver names and labels that the CLI and the studio read.

Every driver returns the same batch type, core.gaussians.GaussianFrames (means [T, N, 3], quats
[T, N, 4], log_scales [T, N, 3], ``cloud(t)``), and reads the take's audio-driven speech controls
through one cache (``SPEECH_CACHE``, keyed by the audio clip, the frame rate and the frame count),
so the viewport and an export of the same take analyse the audio once. An export of a frame range
builds its driver with ``speech_span=(lo, hi)`` instead: the speech of those frames is analysed
from the audio around them, read from the file in part (``speech_track_of_span``), so a few
frames of an hour-long take cost a few frames plus 37 s of audio each side, not the hour.

Speech controls come from lip sync (``SPEECH_DRIVERS``): the recording's phonemes
(core.audio.lipsync) for recordings up to ``LIPSYNC_MAX_S``, the energy driver for longer ones and
where the recogniser cannot read the speech.

Frames are *timeline* frames of the take (``take.fps``) and may be fractional: an export at another
frame rate samples the take's curves between its keys, and the audio-driven speech controls are
linearly interpolated between the take's frames. The model decodes whole take frames and takes the
nearest one.

Only numpy is imported at module level (``main.py --help`` stays light); torch comes with the first
deformation.
"""
from __future__ import annotations

import collections
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol, runtime_checkable

import numpy as np

from core.aus import NUM_AUS, NUM_SPEECH

if TYPE_CHECKING:
    from core.anim.take import Take
    from core.audio.decode import AudioClip
    from core.gaussians import GaussianCloud, GaussianFrames

#: Frames deformed together by default: bounds memory at chunk * N * 10 floats per batch.
DEFAULT_CHUNK = 16

#: Every driver: name -> label. The CLI's ``--driver`` choices and the studio's driver menu read it.
DRIVERS: dict[str, str] = {
    "rig": "Analytic rig",
    "model": "Neural EmoZone model",
}


class DriveError(ValueError):
    """A take cannot be driven (bad frames, unreadable audio, unknown driver)."""


def __getattr__(name: str):
    # FrameBatch is the one batch type; importing it needs torch, so it is resolved on first use.
    if name == "FrameBatch":
        from core.gaussians import GaussianFrames

        return GaussianFrames
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@runtime_checkable
class Driver(Protocol):
    """What every frame driver offers.

    fps: the take's frame rate; frames passed in are timeline frames of the take (float allowed).
    """

    fps: float

    def frames(self, frame_indices: np.ndarray) -> "GaussianFrames":
        """Deformed Gaussians for frames [T] -> a batch of T frames."""
        ...

    def cloud(self, frame: float) -> "GaussianCloud":
        """Deformed Gaussians of one frame."""
        ...

    def controls(self, frame_indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Timeline frames [T] -> (AU intensities [T, 17], speech controls [T, 4]) of the take."""
        ...


# ---------------------------------------------------------------------------------- speech
#: How a take's recording becomes speech controls: "phonemes" (core.audio.lipsync: PocketSphinx's
#: phones with coarticulation; the energy driver where it cannot read the speech) or "energy"
#: (core.audio.speech_driver, signal analysis alone).
SPEECH_DRIVERS = ("phonemes", "energy")
#: Recordings longer than this (s) are driven by the energy driver (phoneme recognition takes about
#: 4 s per minute of audio on a 2-core CPU; docs/AUDIO.md).
LIPSYNC_MAX_S = 300.0


class SpeechCache:
    """Speech controls of audio clips, computed once per (clip, fps, frame count).

    The one place the audio speech driver's output is kept: every driver of every take on the same
    clip (the viewport's, made anew for each edit, and an export's) reads it from here. Entries hold
    only a weak reference to their clip, never the clip: a take's decoded recording (and its 16 kHz
    analysis copy) goes as soon as nothing else uses it, e.g. when the studio opens another take,
    and its entries go with it (a dead clip's keys are queued by the weakref callback and purged
    on the next call: the callback may run inside a garbage collection while the lock is held, so
    it takes no lock). The least recently used entry goes when more than ``max_entries`` are kept.
    Thread-safe: a clip is analysed once even when the viewport's worker and an export ask at the
    same time.
    """

    def __init__(self, max_entries: int = 8, driver: str = "phonemes"):
        self.max_entries = int(max_entries)
        if driver not in SPEECH_DRIVERS:
            raise ValueError(f"speech driver must be one of {', '.join(SPEECH_DRIVERS)}, got {driver!r}")
        self.driver = driver
        self._phones: dict[tuple, tuple[weakref.ref, object]] = {}  # (id(clip), transcript) -> (ref, LipSync)
        # key -> (weakref to the clip, controls); key = (id(clip), fps, num_frames)
        self._entries: collections.OrderedDict[tuple, tuple[weakref.ref, np.ndarray]] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._dead: collections.deque[int] = collections.deque()  # ids of clips that died; appended lock-free
        self.computed = 0  # analyses run so far (a miss)

    def _on_clip_dead(self, ref: weakref.ref, clip_id: int) -> None:
        # May run during GC anywhere, even inside ``with self._lock``: no lock here, only an append.
        self._dead.append((clip_id, ref))

    def _purge(self) -> None:
        """Drop the entries of clips that died (under the lock)."""
        while self._dead:
            clip_id, ref = self._dead.popleft()
            for key in [k for k, (r, _) in self._entries.items() if k[0] == clip_id and r is ref]:
                del self._entries[key]
        for key in [k for k, (r, _) in self._entries.items() if r() is None]:
            del self._entries[key]

    def controls(self, clip: "AudioClip", fps: float, num_frames: int, lipsync=None) -> np.ndarray:
        """Speech controls of ``clip`` at ``fps``: float [num_frames, 4], frame m at audio time m / fps.
        lipsync: the take's core.anim.take.LipSyncSettings (default: phonemes, no transcript)."""
        driver, transcript = (lipsync.driver, lipsync.transcript) if lipsync is not None else (self.driver, "")
        key = (id(clip), float(fps), int(num_frames), driver, transcript)
        with self._lock:
            self._purge()
            hit = self._entries.get(key)
            if hit is not None and hit[0]() is clip:
                self._entries.move_to_end(key)
                return hit[1]
            controls = np.asarray(self._analyse(clip, float(fps), int(num_frames), driver, transcript))
            controls.setflags(write=False)  # shared by every driver: nobody may edit it
            clip_id = id(clip)
            ref = weakref.ref(clip, lambda r, clip_id=clip_id, cache=weakref.ref(self):
                              cache() is not None and cache()._on_clip_dead(r, clip_id))
            self._entries[key] = (ref, controls)
            self.computed += 1
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return controls

    def _analyse(self, clip: "AudioClip", fps: float, num_frames: int, driver: str, transcript: str) -> np.ndarray:
        """Lip sync (phonemes; the transcript aligned when there is one) for a clip up to
        LIPSYNC_MAX_S, the energy driver beyond or when ``driver`` is "energy"; a clip's phones are
        kept (by its weak reference) for other frame rates."""
        audio = clip.analysis()
        if driver == "energy" or len(audio) > LIPSYNC_MAX_S * 16000:
            from core.audio.speech_driver import speech_controls

            return speech_controls(audio, fps, num_frames)
        got = self._phones.get((id(clip), transcript))
        if got is None or got[0]() is not clip:
            from core.audio.lipsync import lipsync

            got = (weakref.ref(clip), lipsync(audio, transcript or None))
            self._phones[(id(clip), transcript)] = got
            for k in [k for k, (r, _) in self._phones.items() if r() is None]:
                del self._phones[k]
        return got[1].controls(fps, num_frames)

    def lipsync_of(self, clip: "AudioClip", lipsync=None):
        """The clip's core.audio.lipsync.LipSync (phones, notes) under the take's settings, if the
        phonemes were analysed already; else None."""
        transcript = lipsync.transcript if lipsync is not None else ""
        with self._lock:
            got = self._phones.get((id(clip), transcript))
        return got[1] if got is not None and got[0]() is clip else None

    def __len__(self) -> int:
        """Entries kept now (the dead clips' dropped first)."""
        with self._lock:
            self._purge()
            return len(self._entries)

    def source(self, clip: "AudioClip", lipsync=None) -> Callable[[float, int], np.ndarray]:
        """This cache over one clip as a driver's speech source: (fps, num_frames) -> [num_frames, 4]."""
        return lambda fps, num_frames: self.controls(clip, fps, num_frames, lipsync)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._dead.clear()
            self._phones.clear()


#: The process-wide speech cache every driver uses unless given another.
SPEECH_CACHE = SpeechCache()


def speech_source_from_audio(clip: "AudioClip") -> Callable[[float, int], np.ndarray]:
    """The audio speech driver over ``clip`` as a speech source (through ``SPEECH_CACHE``)."""
    return SPEECH_CACHE.source(clip)


class SpeechTrack:
    """The take's audio-driven speech controls, computed once per (audio, fps) and sampled at any
    timeline frame. ``controls`` [M, 4] holds audio frame ``first + m`` at audio time
    (first + m) / fps; the take's audio offset shifts it on the timeline, and outside the audio
    (``total`` audio frames; default: first + M) the controls are 0 (silence). A track of a span
    (``first`` > 0 or ``total`` beyond its rows) answers only for the frames it ``covers``."""

    def __init__(self, controls: np.ndarray, fps: float, offset_s: float = 0.0, first: int = 0,
                 total: int | None = None):
        c = np.asarray(controls, dtype=np.float64)
        if c.ndim != 2 or c.shape[1] != NUM_SPEECH:
            raise DriveError(f"speech controls must be [M, {NUM_SPEECH}], got shape {c.shape}")
        self.controls = c
        self.fps = float(fps)
        self.offset_frames = float(offset_s) * self.fps
        self.first = int(first)
        self.total = self.first + c.shape[0] if total is None else int(total)

    def _positions(self, frames: np.ndarray) -> np.ndarray:
        return np.asarray(frames, dtype=np.float64) - self.offset_frames

    def covers(self, frames: np.ndarray) -> bool:
        """Whether every one of the timeline ``frames`` can be sampled from this track."""
        pos = self._positions(frames)
        inside = (pos >= 0) & (pos <= self.total - 1)
        last = self.first + self.controls.shape[0] - 1
        return bool(np.all(~inside | ((pos >= self.first) & (np.ceil(pos) <= last))))

    def sample(self, frames: np.ndarray) -> np.ndarray:
        """Timeline frames [F] -> speech controls [F, 4] (linear between audio frames)."""
        pos = self._positions(frames)
        m = self.total
        out = np.zeros(pos.shape + (NUM_SPEECH,))
        if m == 0 or self.controls.shape[0] == 0:
            return out
        if not self.covers(frames):
            raise DriveError(f"speech track of audio frames {self.first}..{self.first + self.controls.shape[0] - 1} "
                             f"cannot give timeline frames {float(np.min(frames)):g}..{float(np.max(frames)):g}")
        inside = (pos >= 0) & (pos <= m - 1)
        p = np.clip(pos, self.first, self.first + self.controls.shape[0] - 1)
        lo = np.floor(p).astype(np.int64)
        hi = np.minimum(lo + 1, self.first + self.controls.shape[0] - 1)
        w = (p - lo)[..., None]
        out[inside] = (self.controls[lo - self.first] * (1 - w) + self.controls[hi - self.first] * w)[inside]
        return out


def speech_track_of_span(path, fps: float, offset_s: float, num_frames: int, lo: float, hi: float,
                         lipsync=None) -> SpeechTrack:
    """The speech track of the recording at ``path`` for timeline frames lo..hi only: the file is
    opened (core.audio.decode.open_audio) and only the audio under those frames plus the
    analysis context (core.audio.speech_driver.SPAN_CONTEXT, 37 s each side) is decoded and
    analysed. ``num_frames``: audio frames of the whole track (as ``speech_track`` counts them).
    Raises AudioLoadError naming the file."""
    from core.audio.decode import open_audio
    from core.audio.speech_driver import speech_controls_span

    src = open_audio(path)
    off = float(offset_s) * float(fps)
    a0 = min(max(int(np.floor(lo - off)), 0), max(num_frames - 1, 0))
    a1 = min(max(int(np.ceil(hi - off)) + 2, a0 + 1), num_frames)
    driver, transcript = (lipsync.driver, lipsync.transcript) if lipsync is not None else ("phonemes", "")
    if driver == "phonemes" and src.analysis_samples <= LIPSYNC_MAX_S * 16000:
        # Phonemes need the words around a frame: a recording this short is analysed whole, as the
        # viewport analyses it, so an export of a range moves the mouth exactly as the viewport did.
        from core.audio.lipsync import lipsync as lipsync_of_audio

        controls = lipsync_of_audio(src.read_analysis(0, src.analysis_samples), transcript or None).controls(
            float(fps), a1 - a0, first=a0)
    else:
        controls = speech_controls_span(src.read_analysis, src.analysis_samples, float(fps), a0, a1 - a0)
    return SpeechTrack(controls, fps, offset_s, first=a0, total=num_frames)


def _recording_problem(path, exc: Exception) -> str:
    """One line: the take's recording cannot be read, naming the file and the problem (no class name)."""
    text = " ".join(str(exc).split())
    if str(path) not in text and Path(str(path)).name not in text:
        text = f"{path}: {text}"
    return f"cannot read the take's recording: {text}"


class _TakeAudio:
    """Marker default for a driver's ``audio``: load the take's own audio file on first use."""

    def __repr__(self) -> str:
        return "TAKE_AUDIO"


#: ``audio=TAKE_AUDIO`` (the default): the driver loads the take's audio file when it needs it.
TAKE_AUDIO = _TakeAudio()


class _TakeDriver:
    """What both drivers share: the take, its audio and its controls.

    audio: TAKE_AUDIO (load ``take.audio`` on first use), an AudioClip already decoded (the studio's),
    or None (silence). speech_source: a callable (fps, num_frames) -> controls [num_frames, 4] that
    replaces the audio speech driver (tests; a silent take). speech_cache: where speech controls are
    kept (default: the process-wide SPEECH_CACHE). speech_span: (lo, hi), the timeline frames the
    caller will ask for (an export of a range): the take's audio file is then read and analysed
    only around them (``speech_track_of_span``), not decoded whole; a frame outside falls back to
    the whole track.
    """

    def __init__(self, head, take: "Take", audio=TAKE_AUDIO,
                 speech_source: Callable[[float, int], np.ndarray] | None = None,
                 speech_cache: SpeechCache | None = None, speech_span: tuple[float, float] | None = None):
        self.head = head
        self.take = take
        self.fps = float(take.fps)
        self._audio = audio
        self._speech_source = speech_source
        self._speech_cache = speech_cache if speech_cache is not None else SPEECH_CACHE
        self._speech: SpeechTrack | None = None
        self._speech_span = None if speech_span is None else (float(speech_span[0]), float(speech_span[1]))
        self._lock = threading.Lock()

    # -- audio
    def audio_clip(self) -> "AudioClip | None":
        """The take's decoded audio (None: no audio, the take plays silent)."""
        if self._audio is TAKE_AUDIO:
            with self._lock:
                if self._audio is TAKE_AUDIO:
                    if self.take.audio is None:
                        self._audio = None
                    else:
                        from core.audio.decode import AudioLoadError, load_audio

                        try:
                            self._audio = load_audio(self.take.audio.path)
                        except (AudioLoadError, OSError) as exc:
                            raise DriveError(_recording_problem(self.take.audio.path, exc)) from exc
        return self._audio

    def _needs_audio(self) -> bool:
        return any(not d.uses_curve for d in self.take.speech.values())

    def speech_track(self) -> SpeechTrack | None:
        """The audio speech track (None when no channel uses audio or there is no audio)."""
        if not self._needs_audio():
            return None
        if self._speech is not None:
            return self._speech
        offset = self.take.audio.offset if self.take.audio is not None else 0.0
        # Audio frames that can land on the timeline; before and after, the track is silent.
        num = max(int(np.ceil(self.take.duration - offset * self.fps)) + 1, 1)
        source = self._speech_source
        if source is None and self._speech_span is not None and self._audio is TAKE_AUDIO \
                and self.take.audio is not None:
            from core.audio.decode import AudioLoadError

            lo, hi = self._speech_span
            try:
                self._speech = speech_track_of_span(self.take.audio.path, self.fps, offset, num, lo, hi,
                                                    self.take.lipsync)
            except (AudioLoadError, OSError) as exc:
                raise DriveError(_recording_problem(self.take.audio.path, exc)) from exc
            return self._speech
        if source is None:
            clip = self.audio_clip()
            if clip is None:
                return None
            source = self._speech_cache.source(clip, self.take.lipsync)
        self._speech = SpeechTrack(source(self.fps, num), self.fps, offset)
        return self._speech

    def controls(self, frame_indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Timeline frames [T] -> (au [T, 17], speech [T, 4]) as the rig receives them."""
        f = np.asarray(frame_indices, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(f)):
            raise DriveError("frame indices must be finite")
        track = self.speech_track()
        if track is not None and not track.covers(f):  # a span's track asked outside its span
            self._speech_span, self._speech = None, None
            track = self.speech_track()
        audio = track.sample(f) if track is not None else None
        au = self.take.evaluate_au(f)
        speech = self.take.evaluate_speech(f, audio)
        assert au.shape == (len(f), NUM_AUS)
        return au, speech

    def cloud(self, frame: float) -> "GaussianCloud":
        return self.frames(np.array([frame], dtype=np.float64)).cloud(0)


# ---------------------------------------------------------------------------------- the rig
class RigDriver(_TakeDriver):
    """The analytic rig (core.rig.deform) driven by a take.

    head: a core.head.Head; take: the Take; audio / speech_source / speech_cache: see _TakeDriver.
    Channels whose take flags hand them to their curve (``SpeechDrive.uses_curve``) ignore the audio.
    device: where the rig runs (default: the head's device; move the head to CUDA for a GPU rig).
    """

    name = "rig"

    def __init__(self, head, take: "Take", speech_source: Callable[[float, int], np.ndarray] | None = None,
                 chunk: int = DEFAULT_CHUNK, deform: Callable | None = None, device=None, audio=TAKE_AUDIO,
                 speech_cache: SpeechCache | None = None, speech_span: tuple[float, float] | None = None):
        if chunk < 1:
            raise DriveError(f"chunk must be at least 1 frame, got {chunk}")
        super().__init__(head, take, audio=audio, speech_source=speech_source, speech_cache=speech_cache,
                         speech_span=speech_span)
        self.chunk = int(chunk)
        if deform is None:
            from core.rig import deform as rig_deform

            deform = rig_deform
        self._deform = deform
        cloud = getattr(head, "cloud", None)
        self.device = device if device is not None else (cloud.device if cloud is not None else "cpu")

    def frames(self, frame_indices: np.ndarray) -> "GaussianFrames":
        """Deformed Gaussians for frames [T] -> GaussianFrames (means [T, N, 3], quats [T, N, 4],
        log_scales [T, N, 3]); the rig runs on at most ``chunk`` frames at a time."""
        import torch

        from core.gaussians import GaussianFrames

        f = np.asarray(frame_indices, dtype=np.float64).reshape(-1)
        au, speech = self.controls(f)
        # The rig runs on the device of its inputs.
        au = torch.as_tensor(au, dtype=torch.float32, device=self.device)
        speech = torch.as_tensor(speech, dtype=torch.float32, device=self.device)
        if len(f) <= self.chunk:
            return self._deform(self.head, au, speech)
        return GaussianFrames.concat(self._deform(self.head, au[i:i + self.chunk], speech[i:i + self.chunk])
                                     for i in range(0, len(f), self.chunk))


# ---------------------------------------------------------------------------------- the model
class _ModelState:
    """A DeformationCache and the lock that serialises its use (shared by ``retake`` copies)."""

    def __init__(self, key: tuple):
        self.key = key
        self.cache = None
        self.lock = threading.Lock()


class ModelDriver(_TakeDriver):
    """The neural EmoZone model (core.model) driven by a take.

    head: a core.head.Head; take: the Take. Give ``model`` (an EmoZoneModel already loaded for this
    head) or ``checkpoint`` (a path; default: the shipped core.model.checkpoint.DEFAULT_CHECKPOINT),
    which is loaded now: a bad file raises CheckpointError naming it. audio: see _TakeDriver (the
    model hears the take's audio as log-mel windows, moved by the take's audio offset as the rig's
    speech is; None: silence).

    Deformed frames are kept in a core.model.inference.DeformationCache built on first use, so a
    frame is decoded once; ``retake(edited_take)`` gives a driver for an edit of the same take that
    keeps the cache and recomputes only the frames the edit can change. The model decodes whole
    take frames: a fractional frame (an export at another rate) takes the nearest one, and frames
    outside the take take its first or last.
    """

    name = "model"

    def __init__(self, head, take: "Take", checkpoint: str | Path | None = None, model=None,
                 audio=TAKE_AUDIO, speech_source: Callable[[float, int], np.ndarray] | None = None,
                 speech_cache: SpeechCache | None = None, chunk: int = DEFAULT_CHUNK, _state=None,
                 speech_span: tuple[float, float] | None = None):
        super().__init__(head, take, audio=audio, speech_source=speech_source, speech_cache=speech_cache,
                         speech_span=speech_span)
        if chunk < 1:
            raise DriveError(f"chunk must be at least 1 frame, got {chunk}")
        if model is None:
            from core.model.checkpoint import DEFAULT_CHECKPOINT, load_for_head

            self.checkpoint = Path(checkpoint) if checkpoint is not None else DEFAULT_CHECKPOINT
            model = load_for_head(self.checkpoint, head)
        else:
            if checkpoint is not None:
                raise DriveError("give the model driver a checkpoint or a model, not both")
            self.checkpoint = None
        self.model = model.eval()
        self.chunk = int(chunk)
        self._au_all = None  # AU curves of every take frame [duration, 17], sampled on first use
        key = self._key(take, audio)
        self._state = _state if _state is not None and _state.key == key else _ModelState(key)

    def _key(self, take: "Take", audio) -> tuple:
        """What the cache depends on besides the AU curves: the model, the audio (by file: the
        take's, or the clip's), the frame rate and the length."""
        if audio is TAKE_AUDIO:
            sound = take.audio.path if take.audio is not None else None
        elif audio is None:
            sound = None
        else:
            sound = getattr(audio, "path", None) or id(audio)
        offset = float(take.audio.offset) if take.audio is not None and sound is not None else 0.0
        return (id(self.model), sound, offset, float(take.fps), int(take.duration))

    def _offset(self) -> float:
        return float(self.take.audio.offset) if self.take.audio is not None and self.audio_clip() is not None else 0.0

    def retake(self, take: "Take", audio=None, keep_audio: bool = True) -> "ModelDriver":
        """A driver for ``take`` (an edit of this one) that shares this driver's deformation cache
        when the audio, frame rate and length are unchanged (else it starts a new one). The audio
        stays this driver's unless ``keep_audio`` is False (then ``audio`` as in the constructor)."""
        return ModelDriver(self.head, take, model=self.model, audio=self._audio if keep_audio else audio,
                           speech_source=self._speech_source, speech_cache=self._speech_cache, chunk=self.chunk,
                           _state=self._state)

    def _features(self):
        """The take's audio as the model hears it: log-mel windows [duration, W, 80]."""
        import torch

        from core.audio.features import log_mel, mel_windows

        from core.audio.decode import ANALYSIS_RATE

        clip = self.audio_clip()
        mono = clip.analysis() if clip is not None else np.zeros(0, np.float32)
        # The take's audio offset moves the sound on the timeline (as it does the rig's speech):
        # silence before a late start, the clip's head cut off for an early one.
        shift = int(round(self._offset() * ANALYSIS_RATE))
        mono = np.concatenate([np.zeros(shift, np.float32), mono]) if shift >= 0 else mono[-shift:]
        if len(mono) == 0:
            mono = np.zeros(int(np.ceil(self.take.duration / self.fps * ANALYSIS_RATE)) + 1, np.float32)
        window = self.model.config.audio_window
        return torch.as_tensor(mel_windows(log_mel(mono), self.fps, self.take.duration, window))

    def deformation_cache(self):
        """The core.model.inference.DeformationCache of this take (built on first use; call under
        the state's lock)."""
        if self._state.cache is None:
            from core.model.inference import DeformationCache

            self._state.cache = DeformationCache(self.model, self.head.cloud, self._features(),
                                                 chunk_frames=self.chunk)
        return self._state.cache

    def frames(self, frame_indices: np.ndarray) -> "GaussianFrames":
        """Deformed Gaussians for frames [T] -> GaussianFrames (means [T, N, 3], quats [T, N, 4],
        log_scales [T, N, 3])."""
        import torch

        f = np.asarray(frame_indices, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(f)):
            raise DriveError("frame indices must be finite")
        last = self.take.duration - 1
        idx = [int(i) for i in np.clip(np.rint(f), 0, last)]
        if self._au_all is None:  # the take never changes under a driver: its curves are sampled once
            self._au_all = torch.as_tensor(self.take.evaluate_au(np.arange(self.take.duration, dtype=np.float64)),
                                           dtype=torch.float32)
        with self._state.lock, torch.no_grad():
            return self.deformation_cache().frames(idx, self._au_all)

    def attention_bias(self) -> tuple[np.ndarray | None, tuple[str, ...]]:
        """The model's per-Gaussian attention bias [N, J] and its J tokens' names (None, () without)."""
        from core.model.inference import attention_bias

        return attention_bias(self.model, self.head.cloud)


# ---------------------------------------------------------------------------------- by name
def make_driver(kind: str, head, take: "Take", **kwargs) -> Driver:
    """A driver by name (a key of ``DRIVERS``): 'rig' (RigDriver) or 'model' (ModelDriver, with
    ``checkpoint=PATH`` or ``model=...``; default: the shipped checkpoint). Keyword arguments go
    to the driver's constructor."""
    if kind == "rig":
        if kwargs.get("checkpoint") is not None or kwargs.get("model") is not None:
            raise DriveError("a checkpoint or model is for the 'model' driver, not the rig")
        kwargs.pop("checkpoint", None)
        kwargs.pop("model", None)
        return RigDriver(head, take, **kwargs)
    if kind == "model":
        return ModelDriver(head, take, **kwargs)
    raise DriveError(f"unknown driver {kind!r}; available: {', '.join(DRIVERS)}")
