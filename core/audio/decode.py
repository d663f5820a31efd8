"""Audio file decoding into an :class:`AudioClip`.

WAV, FLAC, OGG and MP3 go through libsndfile (``soundfile``); M4A/AAC/MP4 go through FFmpeg
(``av``, imported lazily). Any sample rate and channel count is accepted; the clip keeps the
original samples for playback and derives a 16 kHz mono copy for analysis on demand.

``open_audio(path)`` opens a file for reading parts of it (``AudioSource.read``): libsndfile
seeks in WAV/FLAC/OGG/MP3, FFmpeg in MP4/M4A, so a few seconds of an hour cost a few seconds.
Every failure, whatever the bytes, is an AudioLoadError naming the file.
"""
from __future__ import annotations

import contextlib
import math
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.limits import MAX_AUDIO_SECONDS

#: Rate of every analysis signal (features, speech driver).
ANALYSIS_RATE = 16_000
#: Longest accepted clip (core.limits.MAX_AUDIO_SECONDS); a take is minutes long.
MAX_DURATION_S = MAX_AUDIO_SECONDS
#: Clips longer than this are resampled for analysis in blocks (same result up to float
#: rounding; shorter ones in one piece, as always).
_RESAMPLE_BLOCK_S = 60.0
_RESAMPLE_MARGIN_S = 1.0

_PYAV_SUFFIXES = {".m4a", ".aac", ".mp4", ".m4b", ".mov"}


class AudioLoadError(ValueError):
    """An audio file could not be used; the message names the file and the problem."""


class _Unrecognised(AudioLoadError):
    """libsndfile could not open the file (another decoder may)."""


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
        """Mono float32 [N] at ``ANALYSIS_RATE`` (channel mean, soxr-resampled), computed once.

        Up to 10 minutes the clip is resampled in one piece; longer ones in 60 s blocks (with 1 s
        of overlap dropped on each side), so the extra memory is the result plus one block."""
        if self._analysis is None:
            n = self.num_samples
            if self.sample_rate == ANALYSIS_RATE or n <= 10 * _RESAMPLE_BLOCK_S * self.sample_rate:
                mono = self.samples.mean(axis=1, dtype=np.float32)
                if self.sample_rate != ANALYSIS_RATE:
                    import soxr

                    mono = soxr.resample(mono, self.sample_rate, ANALYSIS_RATE, quality="HQ")
            else:
                mono = resample_for_analysis(lambda a, b: self.samples[a:b].mean(axis=1, dtype=np.float32),
                                             n, self.sample_rate, 0, analysis_length(n, self.sample_rate))
            self._analysis = np.ascontiguousarray(mono, dtype=np.float32)
        return self._analysis


def analysis_length(num_samples: int, rate: int) -> int:
    """Samples at ANALYSIS_RATE of ``num_samples`` at ``rate`` (as soxr's one-shot resampler gives them)."""
    if rate == ANALYSIS_RATE:
        return int(num_samples)
    return (2 * int(num_samples) * ANALYSIS_RATE + rate) // (2 * rate)


def resample_for_analysis(read_mono, num_samples: int, rate: int, a: int, b: int) -> np.ndarray:
    """Samples a..b-1 of a clip's 16 kHz analysis signal, float32 [b - a], reading only the audio
    around them: ``read_mono(s0, s1)`` gives the clip's mono samples s0..s1-1 at ``rate``.

    Blocks of 60 s are resampled one-shot with 1 s of context on each side (dropped), starting on
    instants where both rates have a whole sample, so a block's samples sit where the whole
    clip's would; they differ from a one-shot resampling of the whole clip by float rounding."""
    out = np.zeros(max(b - a, 0), np.float32)
    if b <= a:
        return out
    if rate == ANALYSIS_RATE:
        lo, hi = max(a, 0), min(b, num_samples)
        if hi > lo:
            out[lo - a:hi - a] = read_mono(lo, hi)
        return out
    import soxr

    g = math.gcd(int(rate), ANALYSIS_RATE)
    p_src, p_dst = rate // g, ANALYSIS_RATE // g        # one instant every p_src / p_dst samples
    total = analysis_length(num_samples, rate)
    block = max(int(_RESAMPLE_BLOCK_S * ANALYSIS_RATE) // p_dst, 1) * p_dst
    margin = -(-int(_RESAMPLE_MARGIN_S * ANALYSIS_RATE) // p_dst) * p_dst
    lo, hi = max(a, 0), min(b, total)
    for c0 in range((lo // p_dst) * p_dst, hi, block):
        c1 = min(c0 + block, total)
        r0 = max(c0 - margin, 0)                           # a multiple of p_dst
        r1 = min(c1 + margin, total)
        s0 = r0 // p_dst * p_src
        s1 = min(-(-r1 // p_dst) * p_src, num_samples)
        y = soxr.resample(np.asarray(read_mono(s0, s1), np.float32), rate, ANALYSIS_RATE, quality="HQ")
        u0, u1 = max(c0, lo), min(c1, hi)
        got = y[u0 - r0:u1 - r0]
        out[u0 - a:u0 - a + got.shape[0]] = got
    return out


def load_audio(path: str | os.PathLike) -> AudioClip:
    """Decode ``path`` into an :class:`AudioClip` (samples float32 [S, C] at the file's rate).

    Raises AudioLoadError, naming the file, for anything that is not a usable recording: missing,
    not audio, unreadable or corrupt, empty, over-long (> core.limits.MAX_AUDIO_SECONDS), with
    non-finite samples. No other exception escapes, whatever the bytes."""
    name = str(path)
    try:
        return _load_audio(Path(path), name)
    except AudioLoadError:
        raise
    except MemoryError:
        raise AudioLoadError(f"{name}: too large to decode in the memory available") from None
    except Exception as e:  # a decoder library failing in a way it does not document
        raise AudioLoadError(f"{name}: unreadable or corrupt audio ({type(e).__name__}: {e})") from None


def _check_file(p: Path, name: str) -> None:
    if not p.exists():
        raise AudioLoadError(f"{name}: file not found")
    if not p.is_file():
        raise AudioLoadError(f"{name}: not a regular file")
    if p.stat().st_size == 0:
        raise AudioLoadError(f"{name}: file is empty (0 bytes)")


def _load_audio(p: Path, name: str) -> AudioClip:
    _check_file(p, name)
    if p.suffix.lower() in _PYAV_SUFFIXES:
        samples, rate = _decode_pyav(p)
    else:
        try:
            samples, rate = _decode_soundfile(p)
        except _Unrecognised as sf_err:
            # libsndfile does not know every container; FFmpeg gets a second chance.
            try:
                samples, rate = _decode_pyav(p)
            except AudioLoadError:
                raise _not_audio(p, name, sf_err) from None
            if samples.shape[0] == 0:
                raise _not_audio(p, name, sf_err) from None

    if samples.shape[0] == 0:
        raise AudioLoadError(f"{name}: contains no audio samples")
    _check_duration(name, samples.shape[0], rate)
    if not np.isfinite(samples).all():
        bad = int((~np.isfinite(samples)).sum())
        raise AudioLoadError(f"{name}: {bad} non-finite (NaN/Inf) samples")
    return AudioClip(samples=samples, sample_rate=rate, path=name)


def _sniff(p: Path) -> bytes:
    try:
        with open(p, "rb") as f:
            return f.read(4096)
    except OSError:
        return b""


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # not just a character cut at the end of the sniffed block
            return False
        text = head[:e.start].decode("utf-8")
    return sum(c.isprintable() or c in "\r\n\t" for c in text) >= 0.95 * max(len(text), 1)


def _looks_like_mpeg(head: bytes) -> bool:
    return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def _not_audio(p: Path, name: str, cause: AudioLoadError) -> AudioLoadError:
    """The error for a file neither libsndfile nor FFmpeg could read as audio."""
    head = _sniff(p)
    if _looks_like_text(head):
        return AudioLoadError(f"{name}: is text, not audio")
    if p.suffix.lower() == ".mp3" or _looks_like_mpeg(head):
        return AudioLoadError(f"{name}: holds no MPEG audio frames (not an MP3 recording, or damaged)")
    detail = str(cause)
    if detail.startswith(f"{name}: "):
        detail = detail[len(name) + 2:]
    return AudioLoadError(f"{name}: {detail.replace(f'Error opening {name!r}: ', '')}")


def format_duration(seconds: float, limit: float | None = None) -> str:
    """'60 min 0.4 s' / '12.5 s', precise enough to differ from ``limit`` when it does."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes = int(seconds // 60)
    for digits in (1, 3, 6):
        rest = seconds - 60 * minutes
        text = f"{minutes} min {rest:.{digits}f} s"
        if limit is None or round(60 * minutes + round(rest, digits), digits) != limit:
            return text
    return text


def _check_duration(name: str, frames: int, rate: int) -> None:
    if rate <= 0:
        raise AudioLoadError(f"{name}: invalid sample rate {rate}")
    dur = frames / rate
    if dur > MAX_DURATION_S:
        raise AudioLoadError(f"{name}: audio is {format_duration(dur, MAX_DURATION_S)} long; at most "
                             f"{MAX_DURATION_S / 60:g} min is supported")


_STDERR_LOCK = threading.Lock()


@contextlib.contextmanager
def _quiet_stderr(enabled: bool):
    """Send the process's stderr (file descriptor 2) to /dev/null while libmpg123, which prints
    its resync notes there, probes or decodes an MPEG file; others are read as they are."""
    if not enabled:
        yield
        return
    with _STDERR_LOCK:
        try:
            saved = os.dup(2)
        except OSError:
            yield
            return
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 2)
            finally:
                os.close(devnull)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _mpeg_like(p: Path) -> bool:
    return p.suffix.lower() in (".mp3", ".mp2", ".mpga") or _looks_like_mpeg(_sniff(p)[:4])


def _decode_soundfile(p: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    name = str(p)
    quiet = _mpeg_like(p)
    try:
        with _quiet_stderr(quiet):
            info = sf.info(name)
    except Exception as e:  # libsndfile raises its own error types for every bad input
        raise _Unrecognised(f"{name}: unreadable or corrupt audio ({e})") from None
    # Check the header's length before reading, so a huge file is refused without decoding it.
    if info.channels <= 0 or info.channels > 256:
        raise AudioLoadError(f"{name}: {info.channels} channels is not a recording")
    if info.frames > 0:
        _check_duration(name, info.frames, info.samplerate)
    try:
        with _quiet_stderr(quiet):
            data, rate = sf.read(name, dtype="float32", always_2d=True)
    except MemoryError:
        raise AudioLoadError(f"{name}: too large to decode in the memory available") from None
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


#: Priming an AAC encoder adds when the file does not say (no edit list, no iTunSMPB): FFmpeg's
#: native encoder (files it writes carry an "encoder: Lavf..." tag) primes 1024 samples; Apple
#: documents 2112 as the implicit encoder delay of AAC for everything else.
FFMPEG_AAC_PRIMING = 1024
IMPLICIT_AAC_PRIMING = 2112


@dataclass
class _PyavLayout:
    """Where a FFmpeg-decoded stream's real samples are: clip sample k is the decoded sample at
    stream position k + shift (positions from the frames' pts); ``length``: the clip's samples
    (None: not declared, decode to the end)."""

    rate: int
    channels: int
    shift: int
    length: int | None


def _open_pyav(name: str):
    import av

    try:
        container = av.open(name)
    except Exception as e:
        raise AudioLoadError(f"{name}: unreadable or corrupt audio ({e})") from None
    if not container.streams.audio:
        container.close()
        raise AudioLoadError(f"{name}: no audio stream")
    return container, container.streams.audio[0]


def _frame_pos(frame, start, tb, rate: int) -> int | None:
    if frame.pts is None or tb is None or rate <= 0:
        return None
    return int(round(float((frame.pts - start) * tb) * rate))


def _pyav_layout(container, stream, name: str, first_packet_pos: int | None, first_frame_pos: int | None,
                 decoded: int | None) -> _PyavLayout:
    """The stream's layout from its header and its first packet and frame (see _decode_pyav).
    ``decoded``: how many samples the whole stream decodes to, when known."""
    rate = int(stream.codec_context.sample_rate or stream.rate or 0)
    channels = int(stream.codec_context.channels or 0)
    if rate <= 0:
        raise AudioLoadError(f"{name}: no sample rate in the audio stream")
    tb = stream.time_base
    declared = None
    fmt_names = set((container.format.name or "").split(","))
    if stream.duration is not None and stream.duration > 0 and tb is not None \
            and fmt_names & set(_DECLARED_DURATION_FORMATS):
        declared = int(round(float(stream.duration * tb) * rate))
    if declared is not None and declared > MAX_DURATION_S * rate + rate:
        _check_duration(name, declared, rate)
    lead = max(0, -(first_frame_pos or 0))           # priming the decoder handed out (pts < start)
    base = (first_frame_pos or 0) + lead             # stream position of the first kept sample
    extra = 0
    end = None if declared is None else max(declared, 0)   # in positions past base
    gapless = _itunes_gapless(container.metadata, stream.metadata)
    if gapless is not None:
        priming, _padding, length = gapless
        # An edit list already dropped the priming when the declared duration is the original
        # length; otherwise the priming is still there (the declared duration counts it).
        kept = (decoded - lead if decoded is not None else None) if declared is None else declared
        if kept is None or kept >= priming + length:
            extra = priming
        end = extra + length
    elif (declared is not None and stream.codec_context.name == "aac"
          and first_packet_pos is not None and first_packet_pos >= 0 and lead == 0):
        # Nothing marks the priming (an edit list puts the first packet before the start): the
        # encoder's standard delay is assumed, FFmpeg's when FFmpeg wrote the file.
        tag = " ".join(str(v) for k, v in dict(container.metadata or {}).items() if k.lower() == "encoder")
        extra = FFMPEG_AAC_PRIMING if tag.startswith(("Lavf", "Lavc")) else IMPLICIT_AAC_PRIMING
        extra = min(extra, declared)
    length = None if end is None else max(end - extra, 0)
    return _PyavLayout(rate, channels, base + extra, length)


def _decode_pyav(p: Path) -> tuple[np.ndarray, int]:
    """Decode with FFmpeg, keeping only the stream's real samples: an AAC encoder puts priming
    samples before the signal (1024 for FFmpeg's, 2112 for Apple's) and pads the last frame, and
    the decoder hands all of them out unless told otherwise. The frames' pts place the samples on
    the stream's timeline: what comes before its start (pts < start time; an MP4 edit list marks
    the priming so) is dropped; an MP4 track's declared duration cuts the tail padding; an iTunSMPB
    tag (priming, padding, original length) is honoured where no edit list already did so; where
    neither says anything, the encoder's standard delay is dropped (see FFMPEG_AAC_PRIMING)."""
    import av

    name = str(p)
    container, stream = _open_pyav(name)
    try:
        rate = int(stream.codec_context.sample_rate or stream.rate or 0)
        if container.duration is not None and rate > 0:
            _check_duration(name, int(container.duration / av.time_base * rate), rate)
        channels = stream.codec_context.channels
        tb = stream.time_base
        start = stream.start_time if stream.start_time is not None else 0
        resampler = av.AudioResampler(format="fltp", layout=stream.codec_context.layout, rate=rate)
        chunks: list[np.ndarray] = []
        total = 0
        first_pos = first_packet = None
        max_frames = int(MAX_DURATION_S * rate) if rate > 0 else None
        for packet in container.demux(stream):
            if first_packet is None and packet.pts is not None and tb is not None and rate > 0:
                first_packet = int(round(float((packet.pts - start) * tb) * rate))
            for frame in packet.decode():
                if first_pos is None:
                    # Where the first decoded sample sits on the stream's timeline (negative:
                    # priming the decoder did not skip itself).
                    first_pos = _frame_pos(frame, start, tb, rate)
                for out in resampler.resample(frame):
                    arr = out.to_ndarray()  # planar float: [C, n]
                    chunks.append(arr)
                    total += arr.shape[1]
                if max_frames is not None and total > max_frames + rate:
                    _check_duration(name, total, rate)
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray())
        layout = _pyav_layout(container, stream, name, first_packet, first_pos, sum(c.shape[1] for c in chunks))
    except AudioLoadError:
        raise
    except MemoryError:
        raise AudioLoadError(f"{name}: too large to decode in the memory available") from None
    except Exception as e:
        raise AudioLoadError(f"{name}: unreadable or corrupt audio ({e})") from None
    finally:
        container.close()
    if not chunks:
        return np.zeros((0, max(channels, 1)), np.float32), rate
    data = np.concatenate(chunks, axis=1).T
    lead = layout.shift - (first_pos or 0)   # samples before the first kept one
    end = None if layout.length is None else lead + layout.length
    data = data[max(lead, 0):end]
    return np.ascontiguousarray(data, dtype=np.float32), rate


# ---------------------------------------------------------------------------------- parts of a file
class AudioSource:
    """An audio file opened for reading parts of it (``open_audio``). ``num_samples`` and the
    samples ``read`` returns are those ``load_audio`` would give."""

    path: str
    sample_rate: int
    channels: int
    num_samples: int

    @property
    def duration(self) -> float:
        return self.num_samples / self.sample_rate

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples start..stop-1 (clipped to the clip), float32 [n, C]; AudioLoadError on damage."""
        start, stop = max(int(start), 0), min(int(stop), self.num_samples)
        if stop <= start:
            return np.zeros((0, self.channels), np.float32)
        try:
            data = self._read(start, stop)
        except AudioLoadError:
            raise
        except Exception as e:
            raise AudioLoadError(f"{self.path}: unreadable or corrupt audio ({type(e).__name__}: {e})") from None
        if data.shape[0] != stop - start:  # a file shorter than its header says: pad with silence
            fixed = np.zeros((stop - start, self.channels), np.float32)
            fixed[:min(data.shape[0], stop - start)] = data[:stop - start]
            data = fixed
        if not np.isfinite(data).all():
            raise AudioLoadError(f"{self.path}: non-finite (NaN/Inf) samples near "
                                 f"{start / self.sample_rate:.2f} s")
        return data

    def _read(self, start: int, stop: int) -> np.ndarray:
        raise NotImplementedError

    @property
    def analysis_samples(self) -> int:
        """Length of the clip's 16 kHz analysis signal (``AudioClip.analysis``)."""
        return analysis_length(self.num_samples, self.sample_rate)

    def read_analysis(self, a: int, b: int) -> np.ndarray:
        """Samples a..b-1 of the clip's 16 kHz mono analysis signal, float32 [b - a], read from
        the file around them (see ``resample_for_analysis``)."""
        return resample_for_analysis(lambda s0, s1: self.read(s0, s1).mean(axis=1, dtype=np.float32),
                                     self.num_samples, self.sample_rate, a, b)


class _ClipSource(AudioSource):
    def __init__(self, clip: AudioClip):
        self.clip, self.path = clip, clip.path or "<in-memory audio>"
        self.sample_rate, self.channels, self.num_samples = clip.sample_rate, clip.channels, clip.num_samples

    def _read(self, start: int, stop: int) -> np.ndarray:
        return self.clip.samples[start:stop]

    def read_analysis(self, a: int, b: int) -> np.ndarray:
        full = self.clip.analysis()
        out = np.zeros(max(b - a, 0), np.float32)
        lo, hi = max(a, 0), min(b, full.shape[0])
        if hi > lo:
            out[lo - a:hi - a] = full[lo:hi]
        return out


class _SoundfileSource(AudioSource):
    #: libsndfile's seeking lands on the sample in PCM containers (WAV, FLAC, AIFF ...) but not
    #: always in Ogg (11 of 32 seeks in a 6 s file off by tens of samples): Ogg is decoded from its
    #: start, a block at a time. (MP3 is not read in parts at all: see open_audio.)
    INEXACT_SEEK = ("OGG",)
    BLOCK = 1 << 16

    def __init__(self, p: Path, info):
        self.path, self._quiet = str(p), _mpeg_like(p)
        self.sample_rate, self.channels, self.num_samples = int(info.samplerate), int(info.channels), int(info.frames)
        self.seeks = str(info.format).upper() not in self.INEXACT_SEEK

    def _read(self, start: int, stop: int) -> np.ndarray:
        import soundfile as sf

        with _quiet_stderr(self._quiet), sf.SoundFile(self.path) as f:
            if self.seeks:
                f.seek(start)
            else:
                at = 0
                while at < start:
                    got = f.read(min(self.BLOCK, start - at), dtype="float32", always_2d=True).shape[0]
                    if got == 0:
                        break
                    at += got
            return f.read(stop - start, dtype="float32", always_2d=True)


class _PyavSource(AudioSource):
    #: Decoded before a seek target and dropped: AAC needs the previous frame to decode one.
    PREROLL = 4096

    def __init__(self, p: Path, layout: _PyavLayout, start, tb):
        self.path, self._layout, self._start, self._tb = str(p), layout, start, tb
        self.sample_rate, self.channels, self.num_samples = layout.rate, max(layout.channels, 1), int(layout.length)

    def _read(self, start: int, stop: int) -> np.ndarray:
        import av

        lay = self._layout
        out = np.zeros((stop - start, self.channels), np.float32)
        container, stream = _open_pyav(self.path)
        try:
            target = start + lay.shift - self.PREROLL  # stream position to seek before
            if target > 0:
                container.seek(int(self._start + target / lay.rate / self._tb), stream=stream, backward=True)
            resampler = av.AudioResampler(format="fltp", layout=stream.codec_context.layout, rate=lay.rate)
            for frame in container.decode(stream):
                pos = _frame_pos(frame, self._start, self._tb, lay.rate)
                if pos is None:
                    raise AudioLoadError(f"{self.path}: audio frames without timestamps cannot be sought")
                k = pos - lay.shift
                if k >= stop:
                    break
                arrs = [o.to_ndarray() for o in resampler.resample(frame)]
                if not arrs:
                    continue
                arr = np.concatenate(arrs, axis=1).T
                lo, hi = max(k, start), min(k + arr.shape[0], stop)
                if hi > lo:
                    out[lo - start:hi - start] = arr[lo - k:hi - k, :self.channels]
        finally:
            container.close()
        return out


def open_audio(path: str | os.PathLike) -> AudioSource:
    """``path`` opened for reading parts (``AudioSource.read``), its length from the header:
    WAV/FLAC/OGG/MP3 through libsndfile, MP4/M4A through FFmpeg (both seek). Other files (raw AAC,
    anything FFmpeg reads but cannot say the length of) are decoded whole. Raises AudioLoadError
    naming the file, as ``load_audio`` does."""
    name = str(path)
    p = Path(path)
    try:
        _check_file(p, name)
        if p.suffix.lower() not in _PYAV_SUFFIXES:
            import soundfile as sf

            try:
                with _quiet_stderr(_mpeg_like(p)):
                    info = sf.info(name)
            except Exception:
                info = None
            # libsndfile decodes an MP3 read in parts to other samples than read whole (measured:
            # up to 0.6 apart), so MP3 parts come from a whole decode.
            if info is not None and info.frames > 0 and 0 < info.channels <= 256 and info.samplerate > 0 \
                    and str(info.format).upper() not in ("MP3", "MPEG"):
                _check_duration(name, info.frames, info.samplerate)
                return _SoundfileSource(p, info)
        else:
            src = _open_pyav_source(p, name)
            if src is not None:
                return src
    except AudioLoadError:
        raise
    except Exception as e:
        raise AudioLoadError(f"{name}: unreadable or corrupt audio ({type(e).__name__}: {e})") from None
    return _ClipSource(load_audio(p))


def _open_pyav_source(p: Path, name: str) -> "_PyavSource | None":
    container, stream = _open_pyav(name)
    try:
        rate = int(stream.codec_context.sample_rate or stream.rate or 0)
        tb = stream.time_base
        start = stream.start_time if stream.start_time is not None else 0
        first_packet = first_frame = None
        for packet in container.demux(stream):
            if first_packet is None and packet.pts is not None and tb is not None and rate > 0:
                first_packet = int(round(float((packet.pts - start) * tb) * rate))
            for frame in packet.decode():
                first_frame = _frame_pos(frame, start, tb, rate)
                break
            if first_frame is not None or packet.pts is None:
                break
        if first_frame is None:
            return None
        layout = _pyav_layout(container, stream, name, first_packet, first_frame, None)
        if layout.length is None or layout.length <= 0 or _itunes_gapless(container.metadata, stream.metadata):
            return None  # the length needs a whole decode
        _check_duration(name, layout.length, layout.rate)
        return _PyavSource(p, layout, start, tb)
    except AudioLoadError:
        raise
    except Exception:
        return None
    finally:
        container.close()
