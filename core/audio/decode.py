"""Audio file decoding into an :class:`AudioClip`.

WAV, FLAC, OGG and MP3 go through libsndfile (``soundfile``); M4A/AAC/MP4 go through FFmpeg
(``av``, imported lazily). Any sample rate and channel count is accepted; the clip keeps the
original samples for playback and derives a 16 kHz mono copy for analysis on demand.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Rate of every analysis signal (features, speech driver).
ANALYSIS_RATE = 16_000
#: Longest accepted clip; a take is minutes long, an hour means a wrong file.
MAX_DURATION_S = 3600.0

_PYAV_SUFFIXES = {".m4a", ".aac", ".mp4", ".m4b", ".mov"}


class AudioLoadError(ValueError):
    """An audio file could not be used; the message names the file and the problem."""


@dataclass(eq=False)
class AudioClip:
    """Decoded audio.

    samples: float32 [S, C] in -1..1 at ``sample_rate`` (the original rate, for playback).
    """

    samples: np.ndarray
    sample_rate: int
    path: str | None = None
    _analysis: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        a = np.asarray(self.samples, dtype=np.float32)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise AudioLoadError(f"{self._name()}: samples must be [S, C], got shape {a.shape}")
        self.samples = np.ascontiguousarray(a)
        self.sample_rate = int(self.sample_rate)
        if self.sample_rate <= 0:
            raise AudioLoadError(f"{self._name()}: sample rate must be positive, got {self.sample_rate}")

    def _name(self) -> str:
        return self.path or "<in-memory audio>"

    @property
    def num_samples(self) -> int:
        return int(self.samples.shape[0])

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.num_samples / self.sample_rate

    def analysis(self) -> np.ndarray:
        """Mono float32 [N] at ``ANALYSIS_RATE`` (channel mean, soxr-resampled), computed once."""
        if self._analysis is None:
            mono = self.samples.mean(axis=1, dtype=np.float32)
            if self.sample_rate != ANALYSIS_RATE:
                import soxr

                mono = soxr.resample(mono, self.sample_rate, ANALYSIS_RATE, quality="HQ")
            self._analysis = np.ascontiguousarray(mono, dtype=np.float32)
        return self._analysis


def load_audio(path: str | os.PathLike) -> AudioClip:
    """Decode ``path`` into an :class:`AudioClip` (samples float32 [S, C] at the file's rate).

    Raises AudioLoadError for a missing, unreadable/corrupt, empty, over-long (> 1 h) file or
    one with non-finite samples.
    """
    p = Path(path)
    name = str(p)
    if not p.exists():
        raise AudioLoadError(f"{name}: file not found")
    if not p.is_file():
        raise AudioLoadError(f"{name}: not a regular file")
    if p.stat().st_size == 0:
        raise AudioLoadError(f"{name}: file is empty (0 bytes)")

    if p.suffix.lower() in _PYAV_SUFFIXES:
        samples, rate = _decode_pyav(p)
    else:
        try:
            samples, rate = _decode_soundfile(p)
        except AudioLoadError as sf_err:
            # libsndfile does not know every container; FFmpeg gets a second chance.
            try:
                samples, rate = _decode_pyav(p)
            except AudioLoadError:
                raise sf_err from None

    if samples.shape[0] == 0:
        raise AudioLoadError(f"{name}: contains no audio samples")
    _check_duration(name, samples.shape[0], rate)
    if not np.isfinite(samples).all():
        bad = int((~np.isfinite(samples)).sum())
        raise AudioLoadError(f"{name}: {bad} non-finite (NaN/Inf) samples")
    return AudioClip(samples=samples, sample_rate=rate, path=name)


def _check_duration(name: str, frames: int, rate: int) -> None:
    if rate <= 0:
        raise AudioLoadError(f"{name}: invalid sample rate {rate}")
    dur = frames / rate
    if dur > MAX_DURATION_S:
        raise AudioLoadError(
            f"{name}: audio is {dur / 60:.1f} min long; at most {MAX_DURATION_S / 60:.0f} min is supported")


def _decode_soundfile(p: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    name = str(p)
    try:
        info = sf.info(name)
    except Exception as e:  # libsndfile raises its own error types for every bad input
        raise AudioLoadError(f"{name}: unreadable or corrupt audio ({e})") from None
    # Check the header's length before reading, so a huge file is refused without decoding it.
    if info.frames > 0:
        _check_duration(name, info.frames, info.samplerate)
    try:
        data, rate = sf.read(name, dtype="float32", always_2d=True)
    except Exception as e:
        raise AudioLoadError(f"{name}: unreadable or corrupt audio ({e})") from None
    return np.ascontiguousarray(data, dtype=np.float32), int(rate)


#: Containers whose declared stream duration is read from the header (an MP4/QuickTime edit list or
#: track duration), not estimated from the bit rate: only these have their tail padding trimmed.
_DECLARED_DURATION_FORMATS = ("mov", "mp4", "m4a", "3gp", "3g2", "mj2")


def _itunes_gapless(*metadatas) -> tuple[int, int, int] | None:
    """(priming, padding, original length) in samples from an iTunSMPB tag (Apple's gapless
    info: " 00000000 PPPPPPPP AAAAAAAA LLLLLLLLLLLLLLLL ..." in hex), or None."""
    for md in metadatas:
        for key, value in dict(md or {}).items():
            if key.lower() != "itunsmpb":
                continue
            fields = str(value).split()
            try:
                priming, padding, length = int(fields[1], 16), int(fields[2], 16), int(fields[3], 16)
            except (IndexError, ValueError):
                return None
            if length > 0 and priming >= 0 and padding >= 0:
                return priming, padding, length
    return None


def _decode_pyav(p: Path) -> tuple[np.ndarray, int]:
    """Decode with FFmpeg, keeping only the stream's real samples: an AAC encoder puts priming
    samples before the signal (1024 for FFmpeg's, 2112 for Apple's) and pads the last frame, and
    the decoder hands all of them out unless told otherwise. The frames' pts place the samples on
    the stream's timeline: what comes before its start (pts < start time; an MP4 edit list marks
    the priming so) is dropped; an MP4 track's declared duration cuts the tail padding; an iTunSMPB
    tag (priming, padding, original length) is honoured where no edit list already did so."""
    import av

    name = str(p)
    try:
        container = av.open(name)
    except Exception as e:
        raise AudioLoadError(f"{name}: unreadable or corrupt audio ({e})") from None
    try:
        if not container.streams.audio:
            raise AudioLoadError(f"{name}: no audio stream")
        stream = container.streams.audio[0]
        rate = int(stream.codec_context.sample_rate or stream.rate or 0)
        if container.duration is not None and rate > 0:
            _check_duration(name, int(container.duration / av.time_base * rate), rate)
        channels = stream.codec_context.channels
        tb = stream.time_base
        start = stream.start_time if stream.start_time is not None else 0
        declared = None
        fmt_names = set((container.format.name or "").split(","))
        if stream.duration is not None and stream.duration > 0 and tb is not None and rate > 0 \
                and fmt_names & set(_DECLARED_DURATION_FORMATS):
            declared = int(round(float(stream.duration * tb) * rate))
        gapless = _itunes_gapless(container.metadata, stream.metadata)
        resampler = av.AudioResampler(format="fltp", layout=stream.codec_context.layout, rate=rate)
        chunks: list[np.ndarray] = []
        total = 0
        first_pos = None
        max_frames = int(MAX_DURATION_S * rate) if rate > 0 else None
        for frame in container.decode(stream):
            if first_pos is None and frame.pts is not None and tb is not None and rate > 0:
                # Where the first decoded sample sits on the stream's timeline (negative: priming
                # the decoder did not skip itself).
                first_pos = int(round(float((frame.pts - start) * tb) * rate))
            for out in resampler.resample(frame):
                arr = out.to_ndarray()  # planar float: [C, n]
                chunks.append(arr)
                total += arr.shape[1]
            if max_frames is not None and total > max_frames:
                _check_duration(name, total, rate)
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray())
    except AudioLoadError:
        raise
    except Exception as e:
        raise AudioLoadError(f"{name}: unreadable or corrupt audio ({e})") from None
    finally:
        container.close()
    if not chunks:
        return np.zeros((0, max(channels, 1)), np.float32), rate
    data = np.concatenate(chunks, axis=1).T
    lead = max(0, -(first_pos or 0))
    end = None if declared is None else max(declared, 0) + lead
    if gapless is not None:
        priming, _padding, length = gapless
        # An edit list already dropped the priming when the declared duration is the original
        # length; otherwise the priming is still there (the declared duration counts it).
        kept = data.shape[0] - lead if declared is None else declared
        if kept >= priming + length:
            lead += priming
        end = lead + length
    data = data[lead:end]
    return np.ascontiguousarray(data, dtype=np.float32), rate
