"""Speech controls (core.aus.SPEECH_NAMES) from 16 kHz audio by signal analysis; no trained model.

Cues, computed on 25 ms frames every 10 ms:
- openness: energy in the 400-3000 Hz band (where vowel formants F1/F2 sit), in dB relative to the
  loud level of the 30 s around the frame (the clip's, for a clip up to 30 s). Silence, stop closures and nasal murmurs (/m/ radiates mostly below 400 Hz)
  are all quiet there, so the mouth closes on them and opens with vowels.
- lip_close: a dip of openness below the surrounding speech (a closure between louder frames),
  which is what a bilabial stop or /m/ looks like; lips also press together in the dip.
- lip_round / lip_stretch: spectral tilts. Rounded vowels (/u o/, /w/) have low F1 and F2, so
  their energy sits below 600 Hz with little above 1.5 kHz; spread vowels (/i e/) keep a strong
  F2/F3 above 1.5 kHz.
Attack/release one-pole smoothing keeps the motion smooth but lets closures land quickly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.audio.decode import ANALYSIS_RATE
from core.aus import NUM_SPEECH, SPEECH_INDEX

FRAME_RATE = 100.0
_HOP = int(ANALYSIS_RATE / FRAME_RATE)  # 160
_WIN = 400
_NFFT = 512


@dataclass(frozen=True)
class DriverParams:
    """Tunable constants of the driver (dB are relative to the 95th-percentile band level within 30 s)."""

    floor_db: float = -32.0       # band level at which the mouth is fully closed
    open_range_db: float = 22.0   # dB above the floor for a fully open jaw
    dip_window_s: float = 0.12    # half-width of the neighbourhood a closure is measured against
    dip_db: float = 9.0           # dip depth (dB) that counts as a full lip closure
    round_low_db: float = 8.0     # (200-600 Hz) - (600-3000 Hz) level for full rounding
    round_high_db: float = 8.0    # (200-1500 Hz) - (1500-3000 Hz) level where rounding starts
    round_span_db: float = 10.0
    stretch_db: float = -10.0     # (1500-3000 Hz) - (200-1500 Hz) level where stretching starts
    attack_s: float = 0.012
    release_s: float = 0.035


#: Frames whose spectra are computed at once: 4096 windows of 400 float32 samples (6.5 MB) and
#: their 257-bin spectra (complex64, 8.4 MB); only five band levels per frame are kept.
CHUNK_FRAMES = 4096
#: The reference level of a frame is the 95th percentile of the 400-3000 Hz level over the frames
#: within +-REF_HALF of it (30 s), taken at anchors every REF_STEP frames (5 s) and linearly
#: interpolated between them. For a clip up to 30 s every window is the whole clip: the reference
#: is the clip's 95th percentile, as it always was.
REF_HALF = 3000
REF_STEP = 500
#: 100 Hz frames of context a span of frames needs on each side: the reference windows of its
#: anchors, plus 2 s during which the attack/release smoothing forgets where it started (its
#: slowest pole decays by 1e-9 in 2 s) and a resampler's edge transient is long gone.
SPAN_CONTEXT = REF_HALF + REF_STEP + 200

# Band masks over the 257 rfft bins, in the order of the columns of _levels.
_FREQS = np.fft.rfftfreq(_NFFT, 1 / ANALYSIS_RATE)
_BANDS = (
    (_FREQS >= 400) & (_FREQS <= 3000),    # openness band (vowel F1/F2)
    (_FREQS >= 200) & (_FREQS < 600),      # rounding: low
    (_FREQS >= 600) & (_FREQS < 3000),
    (_FREQS >= 1500) & (_FREQS < 3000),    # stretching: F2/F3
    (_FREQS >= 200) & (_FREQS < 1500),
)


def num_frames_for(num_samples: int) -> int:
    """100 Hz analysis frames of ``num_samples`` 16 kHz samples (centred frames: N // 160 + 1)."""
    return int(num_samples) // _HOP + 1


def _levels(audio: np.ndarray, start_sample: int, total_samples: int, m0: int, m1: int) -> np.ndarray:
    """Band levels in dB, float32 [m1 - m0, 5] (columns as ``_BANDS``) of the 100 Hz frames m0..m1-1 of a
    16 kHz clip of ``total_samples`` samples, of which ``audio`` holds those from ``start_sample``.

    Frame m is the Hann-windowed 400 samples centred on sample 160 m (zeros outside the clip).
    Spectra are computed CHUNK_FRAMES at a time, so memory is the levels plus one chunk."""
    window = np.hanning(_WIN).astype(np.float32)
    out = np.empty((max(m1 - m0, 0), len(_BANDS)), np.float32)
    pad = _WIN // 2
    for c0 in range(m0, m1, CHUNK_FRAMES):
        c1 = min(c0 + CHUNK_FRAMES, m1)
        lo = c0 * _HOP - pad                      # clip sample under the chunk's first window start
        hi = (c1 - 1) * _HOP - pad + _WIN
        seg = np.zeros(hi - lo, np.float32)
        a, b = max(lo, 0), min(hi, total_samples)
        if b > a:
            if a < start_sample or b > start_sample + audio.shape[0]:
                raise ValueError(f"frames {c0}..{c1 - 1} need samples {a}..{b} that the audio span "
                                 f"{start_sample}..{start_sample + audio.shape[0]} does not hold")
            seg[a - lo:b - lo] = audio[a - start_sample:b - start_sample]
        frames = np.lib.stride_tricks.sliding_window_view(seg, _WIN)[::_HOP]
        power = np.abs(np.fft.rfft(frames * window, n=_NFFT, axis=1)) ** 2
        for j, band in enumerate(_BANDS):
            out[c0 - m0:c1 - m0, j] = 10 * np.log10(power[:, band].sum(axis=1) + 1e-10)
    return out


def _reference(band_db: np.ndarray, first: int, total_frames: int) -> np.ndarray:
    """Reference level [F] of frames first..first+F-1 (see REF_HALF), from their band levels;
    an anchor's window is cut to the frames at hand (whole for every frame a span returns)."""
    n = band_db.shape[0]
    if n == 0:
        return np.zeros(0, band_db.dtype)
    last = first + n - 1
    anchors = np.arange(first // REF_STEP, -(-last // REF_STEP) + 1) * REF_STEP
    refs = np.empty(anchors.shape[0], band_db.dtype)
    for i, a in enumerate(anchors):
        lo = max(a - REF_HALF, 0, first)
        hi = min(a + REF_HALF + 1, total_frames, first + n)
        refs[i] = np.percentile(band_db[lo - first:hi - first], 95)
    if (refs == refs[0]).all():  # a clip up to 30 s: the clip's level, exactly as a scalar gives it
        return np.full(n, refs[0], band_db.dtype)
    return np.interp(np.arange(first, first + n), anchors, refs)


def _smooth(x: np.ndarray, attack_s: float, release_s: float, rate: float) -> np.ndarray:
    """One-pole follower with separate rise/fall time constants. x: [M] -> [M]."""
    a_up = 1.0 - np.exp(-1.0 / (attack_s * rate))
    a_dn = 1.0 - np.exp(-1.0 / (release_s * rate))
    out = np.empty_like(x)
    y = float(x[0]) if x.size else 0.0
    for i, v in enumerate(x):  # M is 100 per second of audio: a Python loop is cheap here
        y += (a_up if v > y else a_dn) * (v - y)
        out[i] = y
    return out


def _running_max(x: np.ndarray, half: int) -> np.ndarray:
    if half <= 0:
        return x.copy()
    p = np.pad(x, (half, half), mode="edge")
    win = np.lib.stride_tricks.sliding_window_view(p, 2 * half + 1)
    return win.max(axis=1)


def analyse(audio_16k: np.ndarray, params: DriverParams = DriverParams()) -> np.ndarray:
    """Speech controls at 100 Hz: float32 [M, 4] in SPEECH_NAMES order, M = N // 160 + 1, values 0..1.

    Memory: the audio, five float32 band levels per frame (20 bytes per 10 ms: 7 MB for an
    hour) and one chunk of CHUNK_FRAMES spectra (about 30 MB), whatever the clip's length."""
    audio = np.asarray(audio_16k, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"speech driver expects mono 16 kHz audio [N], got shape {audio.shape}")
    m = num_frames_for(audio.shape[0])
    if audio.size == 0:
        return np.zeros((m, NUM_SPEECH), np.float32)
    return _controls(_levels(audio, 0, audio.shape[0], 0, m), 0, m, params)


def analyse_span(read, total_samples: int, m0: int, m1: int,
                 params: DriverParams = DriverParams()) -> np.ndarray:
    """The rows m0..m1-1 of ``analyse`` of a 16 kHz clip of ``total_samples`` samples, reading only
    the audio around them: ``read(a, b)`` returns the clip's 16 kHz samples a..b-1 (float32 [b - a]).

    Reads the frames' audio plus SPAN_CONTEXT frames (37 s) on each side, so a few frames of an
    hour-long clip cost about 75 s of audio. Equal to ``analyse(whole)[m0:m1]`` up to float
    rounding (the smoothing's start is forgotten within the context)."""
    total_frames = num_frames_for(total_samples)
    m0, m1 = max(int(m0), 0), min(int(m1), total_frames)
    if m1 <= m0:
        return np.zeros((0, NUM_SPEECH), np.float32)
    l0, l1 = max(m0 - SPAN_CONTEXT, 0), min(m1 + SPAN_CONTEXT, total_frames)
    a = max(l0 * _HOP - _WIN // 2, 0)
    b = min((l1 - 1) * _HOP - _WIN // 2 + _WIN, total_samples)
    audio = np.asarray(read(a, b), dtype=np.float32).reshape(-1)
    if audio.shape[0] != b - a:
        raise ValueError(f"audio reader gave {audio.shape[0]} samples for {a}..{b}")
    levels = _levels(audio, a, total_samples, l0, l1)
    return _controls(levels, l0, total_frames, params)[m0 - l0:m1 - l0]


def _controls(levels: np.ndarray, first: int, total_frames: int, params: DriverParams) -> np.ndarray:
    """Speech controls [F, 4] from the band levels [F, 5] of frames first..first+F-1."""
    out = np.zeros((levels.shape[0], NUM_SPEECH), np.float32)
    band_db = levels[:, 0]
    ref = _reference(band_db, first, total_frames)
    silent = ref < -60  # the (near) silent stretches of the clip
    if silent.all():
        return out
    rel = band_db - ref
    openness = np.clip((rel - params.floor_db) / params.open_range_db, 0, 1)

    # Closure: how far this frame sits below the loudest speech around it.
    half = int(round(params.dip_window_s * FRAME_RATE))
    around = _running_max(rel, half)
    speech_near = np.clip((around - params.floor_db) / params.open_range_db, 0, 1)
    dip = np.clip((around - rel) / params.dip_db, 0, 1) * speech_near
    closed_silence = 1.0 - speech_near  # at rest the lips meet lightly
    lip_close = np.maximum(dip, 0.5 * closed_silence) * (1 - openness) ** 0.5

    # Rounded vowels: low F1 and low F2 put the energy below 600 Hz and little above 1.5 kHz;
    # spread vowels (/i e/) keep a strong F2/F3 above 1.5 kHz.
    low_tilt = levels[:, 1] - levels[:, 2]
    high_tilt = levels[:, 3] - levels[:, 4]
    voicing = np.clip(openness + 0.5 * speech_near * (rel > params.floor_db), 0, 1)
    rounded = (np.clip(low_tilt / params.round_low_db, 0, 1)
               * np.clip((-high_tilt - params.round_high_db) / params.round_span_db, 0, 1))
    lip_round = rounded * voicing * (1 - lip_close)
    lip_stretch = np.clip((high_tilt - params.stretch_db) / params.round_span_db, 0, 1) * (1 - rounded) * openness

    jaw = openness * (1 - lip_close)
    out[:, SPEECH_INDEX["jaw_open"]] = _smooth(jaw, params.attack_s, params.release_s, FRAME_RATE)
    out[:, SPEECH_INDEX["lip_close"]] = _smooth(lip_close, params.attack_s, params.release_s, FRAME_RATE)
    out[:, SPEECH_INDEX["lip_round"]] = _smooth(lip_round, 2 * params.attack_s, 2 * params.release_s, FRAME_RATE)
    out[:, SPEECH_INDEX["lip_stretch"]] = _smooth(lip_stretch, 2 * params.attack_s, 2 * params.release_s, FRAME_RATE)
    out = np.clip(out, 0, 1)
    out[silent] = 0
    return out


def _interpolate(ctl: np.ndarray, ctl_first: int, ctl_total: int, fps: float, first: int, count: int) -> np.ndarray:
    """Take-rate frames first..first+count-1 (frame t at t / fps) from 100 Hz controls whose rows
    are frames ctl_first.. of ``ctl_total``: linear, clamped to the clip's ends."""
    pos = np.clip(np.arange(first, first + count) / fps * FRAME_RATE, 0, ctl_total - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, ctl_total - 1)
    w = (pos - lo)[:, None].astype(np.float32)
    return (ctl[lo - ctl_first] * (1 - w) + ctl[hi - ctl_first] * w).astype(np.float32)


def speech_controls(audio_16k: np.ndarray, fps: float, num_frames: int | None = None,
                    params: DriverParams = DriverParams()) -> np.ndarray:
    """Speech controls at the take's rate: float32 [T, 4] (SPEECH_NAMES order), frame t at t / fps.

    num_frames defaults to ceil(duration * fps). Values are linearly interpolated from 100 Hz.
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    audio = np.asarray(audio_16k, dtype=np.float32)
    if num_frames is None:
        num_frames = int(np.ceil(audio.shape[0] / ANALYSIS_RATE * fps))
    ctl = analyse(audio, params)
    return _interpolate(ctl, 0, ctl.shape[0], fps, 0, int(num_frames))


def speech_controls_span(read, total_samples: int, fps: float, first: int, count: int,
                         params: DriverParams = DriverParams()) -> np.ndarray:
    """Rows first..first+count-1 of ``speech_controls`` of a clip of ``total_samples`` 16 kHz samples,
    reading only the audio around them through ``read(a, b)`` (see ``analyse_span``)."""
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    count = max(int(count), 0)
    total_frames = num_frames_for(total_samples)
    if count == 0:
        return np.zeros((0, NUM_SPEECH), np.float32)
    p0 = min(max(int(np.floor(first / fps * FRAME_RATE)), 0), total_frames - 1)
    p1 = min(max(int(np.floor((first + count - 1) / fps * FRAME_RATE)) + 2, p0 + 1), total_frames)
    if total_samples == 0:
        return np.zeros((count, NUM_SPEECH), np.float32)
    ctl = analyse_span(read, total_samples, p0, p1, params)
    return _interpolate(ctl, p0, total_frames, fps, int(first), count)


def mouth_open(controls: np.ndarray, jaw_threshold: float = 0.25) -> np.ndarray:
    """Binary open/closed per frame from controls [T, 4]: bool [T], True = open."""
    return (controls[:, SPEECH_INDEX["jaw_open"]] >= jaw_threshold) & (controls[:, SPEECH_INDEX["lip_close"]] < 0.5)
