"""Measure the speech driver against espeak-ng's exact phoneme timing."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.audio.decode import ANALYSIS_RATE

BILABIALS = frozenset({"p", "b", "m"})
_VOWEL_START = set("aeiouAEIOUV@03")


def is_vowel(ph: str) -> bool:
    return bool(ph) and ph[0] in _VOWEL_START


def is_pause(ph: str) -> bool:
    return ph.startswith("_")


def truth_labels(phonemes, fps: float, num_frames: int) -> np.ndarray:
    """Per frame (time t / fps): 1 = open (vowel), 0 = closed (silence, /p b m/), -1 = not scored.

    phonemes: [(name, start_s, end_s)]; time outside every phoneme is silence.
    """
    labels = np.zeros(num_frames, np.int8)
    t = np.arange(num_frames) / fps
    for ph, a, b in phonemes:
        sel = (t >= a) & (t < b)
        if is_pause(ph) or ph in BILABIALS:
            labels[sel] = 0
        elif is_vowel(ph):
            labels[sel] = 1
        else:
            labels[sel] = -1
    return labels


def _f1(pred: np.ndarray, truth: np.ndarray) -> float:
    tp = float((pred & truth).sum())
    fp = float((pred & ~truth).sum())
    fn = float((~pred & truth).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp > 0 else 0.0


@dataclass
class SpeechScore:
    f1_open: float
    f1_closed: float
    f1_macro: float
    scored_frames: int
    closure_offset_ms: float       # mean (predicted onset - true onset) of bilabial closures
    closure_abs_offset_ms: float
    closures_found: int
    closures_total: int


def closure_offsets(phonemes, closed_100hz: np.ndarray, search_s: float = 0.1) -> list[float]:
    """Onset offsets (s) of predicted closures to each bilabial that follows a vowel.

    closed_100hz: bool [M] predicted closed at 100 Hz. A bilabial is matched to the nearest onset of
    a predicted closed run within ``search_s``; unmatched ones are left out.
    """
    onsets = np.flatnonzero(closed_100hz[1:] & ~closed_100hz[:-1]) + 1
    onset_t = onsets / 100.0
    out = []
    for k, (ph, a, _b) in enumerate(phonemes):
        if ph not in BILABIALS or k == 0 or not is_vowel(phonemes[k - 1][0]):
            continue
        if onset_t.size == 0:
            continue
        j = int(np.argmin(np.abs(onset_t - a)))
        if abs(onset_t[j] - a) <= search_s:
            out.append(float(onset_t[j] - a))
    return out


def score(audio_16k: np.ndarray, phonemes, fps: float = 25.0, driver_params=None) -> SpeechScore:
    """Score the driver on audio with known phonemes (times in seconds)."""
    from core.audio.speech_driver import DriverParams, mouth_open, speech_controls

    params = driver_params or DriverParams()
    n = int(np.ceil(audio_16k.shape[0] / ANALYSIS_RATE * fps))
    pred = mouth_open(speech_controls(audio_16k, fps, n, params))
    truth = truth_labels(phonemes, fps, n)
    m = truth >= 0
    p, t = pred[m], truth[m] == 1
    f_open, f_closed = _f1(p, t), _f1(~p, ~t)
    m100 = int(np.ceil(audio_16k.shape[0] / ANALYSIS_RATE * 100))
    closed100 = ~mouth_open(speech_controls(audio_16k, 100.0, m100, params))
    offs = closure_offsets(phonemes, closed100)
    total = sum(1 for k, (ph, _a, _b) in enumerate(phonemes)
                if ph in BILABIALS and k > 0 and is_vowel(phonemes[k - 1][0]))
    return SpeechScore(
        f1_open=f_open, f1_closed=f_closed, f1_macro=(f_open + f_closed) / 2, scored_frames=int(m.sum()),
        closure_offset_ms=1000 * float(np.mean(offs)) if offs else float("nan"),
        closure_abs_offset_ms=1000 * float(np.mean(np.abs(offs))) if offs else float("nan"),
        closures_found=len(offs), closures_total=total,
    )


def espeak_16k(text_or_sentences, **kw):
    """espeak-ng speech resampled to 16 kHz: (audio float32 [N], phonemes)."""
    import soxr

    from core.audio.espeak import ESPEAK_RATE, speak, speak_sentences

    if isinstance(text_or_sentences, str):
        audio, ph = speak(text_or_sentences, **kw)
    else:
        audio, ph = speak_sentences(text_or_sentences, **kw)
    return soxr.resample(audio, ESPEAK_RATE, ANALYSIS_RATE).astype(np.float32), ph
