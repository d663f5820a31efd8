"""Measure lip sync against espeak-ng's exact phoneme timing (docs/AUDIO.md, "Lip sync").

Per clip, for any speech controls [T, 4] at a frame rate:
- open/closed F1 (core.audio.speech_eval: open during vowels, closed in pauses and /p b m/);
- bilabial closure recall: the share of /p b m/ with a closed mouth within +-50 ms of the phone (lips
  pressed, lip_close >= 0.5, or at rest, jaw_open < 0.1);
- closure precision: the share of closures during speech (runs of closed frames that touch no pause)
  that lie within +-50 ms of a /p b m/: stops such as /t d k g/ that close the lips count against it;
- phoneme boundary error (with a transcript): espeak-ng's phonemes and the aligned phones are matched
  in order (dynamic programming over their ARPAbet classes), and the start times of matched pairs
  compared (mean and median absolute difference, and the mean signed one).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.audio.speech_eval import BILABIALS, _f1, is_pause, truth_labels
from core.aus import SPEECH_INDEX

CLOSE_WINDOW_S = 0.05

#: espeak-ng phoneme mnemonics (English voices) to ARPAbet, stress and length marks stripped.
_ESPEAK_ARPA = {
    "a": "AE", "a#": "AE", "A": "AA", "A:": "AA", "A@": "AA", "aI": "AY", "aI@": "AY", "aU": "AW", "e": "EH",
    "E": "EH", "eI": "EY", "e@": "EH", "i": "IY", "i:": "IY", "i@": "IY", "I": "IH", "I2": "IH", "I#": "IH",
    "@": "AH", "@2": "AH", "@5": "AH", "@L": "AH", "3": "ER", "3:": "ER", "0": "AA", "O": "AO", "O:": "AO",
    "O@": "AO", "o@": "AO", "oU": "OW", "OI": "OY", "u": "UW", "u:": "UW", "U": "UH", "U@": "UH", "V": "AH",
    "T": "TH", "D": "DH", "S": "SH", "Z": "ZH", "h": "HH", "tS": "CH", "dZ": "JH", "N": "NG", "j": "Y",
    "r": "R", "r-": "R", "l": "L", "w": "W", "t#": "T", "n-": "N", "m-": "M", "l-": "L",
}


def espeak_to_arpabet(ph: str) -> str:
    """ARPAbet for an espeak-ng mnemonic ("SIL" for pauses)."""
    if is_pause(ph):
        return "SIL"
    p = ph.strip("'\",%=")
    if p in _ESPEAK_ARPA:
        return _ESPEAK_ARPA[p]
    q = p.rstrip(":")
    if q in _ESPEAK_ARPA:
        return _ESPEAK_ARPA[q]
    return q.upper()


def closed_mask(controls: np.ndarray) -> np.ndarray:
    """bool [T]: the lips together (pressed, or at rest)."""
    return (controls[:, SPEECH_INDEX["lip_close"]] >= 0.5) | (controls[:, SPEECH_INDEX["jaw_open"]] < 0.1)


def closure_scores(controls_100: np.ndarray, phonemes) -> tuple[int, int, int, int]:
    """(bilabials with a closure, bilabials, closures near a bilabial, closures during speech) at 100 Hz."""
    closed = closed_mask(controls_100)
    n = closed.shape[0]
    bil = [(a, b) for p, a, b in phonemes if p in BILABIALS]
    pauses = [(a, b) for p, a, b in phonemes if is_pause(p)]
    first = min((a for p, a, b in phonemes if not is_pause(p)), default=0.0)
    last = max((b for p, a, b in phonemes if not is_pause(p)), default=0.0)
    found = 0
    for a, b in bil:
        i0, i1 = max(int(np.floor((a - CLOSE_WINDOW_S) * 100)), 0), min(int(np.ceil((b + CLOSE_WINDOW_S) * 100)) + 1, n)
        found += bool(closed[i0:i1].any())
    # Closed runs during speech.
    runs = []
    k = 0
    while k < n:
        if closed[k]:
            j = k
            while j < n and closed[j]:
                j += 1
            runs.append((k / 100.0, j / 100.0))
            k = j
        else:
            k += 1
    speech_runs = near = 0
    for a, b in runs:
        if b <= first or a >= last or any(a < pb + 0.02 and b > pa - 0.02 for pa, pb in pauses):
            continue
        speech_runs += 1
        near += any(a < bb + CLOSE_WINDOW_S and b > ba - CLOSE_WINDOW_S for ba, bb in bil)
    return found, len(bil), near, speech_runs


def _classes(p: str) -> str:
    if p == "SIL":
        return "s"
    return "v" if p in ("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split()) else "c"


def boundary_errors(truth, phones) -> np.ndarray:
    """Signed start-time differences (predicted - truth, s) of matched phones (see the module's notes)."""
    t = [(espeak_to_arpabet(p), a) for p, a, b in truth if not is_pause(p) and b > a]
    q = [(p.name, p.start) for p in phones if p.name != "SIL"]
    n, m = len(t), len(q)
    if n == 0 or m == 0:
        return np.zeros(0)
    cost = np.full((n + 1, m + 1), np.inf)
    cost[0, :] = np.arange(m + 1)
    cost[:, 0] = np.arange(n + 1)
    back = np.zeros((n + 1, m + 1), np.int8)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = 0.0 if t[i - 1][0] == q[j - 1][0] else (0.6 if _classes(t[i - 1][0]) == _classes(q[j - 1][0]) else 1.5)
            sub += min(abs(t[i - 1][1] - q[j - 1][1]), 0.5)  # prefer the match nearer in time
            choices = (cost[i - 1, j - 1] + sub, cost[i - 1, j] + 1.0, cost[i, j - 1] + 1.0)
            k = int(np.argmin(choices))
            cost[i, j], back[i, j] = choices[k], k
    out = []
    i, j = n, m
    while i > 0 and j > 0:
        k = back[i, j]
        if k == 0:
            if t[i - 1][0] == q[j - 1][0]:
                out.append(q[j - 1][1] - t[i - 1][1])
            i, j = i - 1, j - 1
        elif k == 1:
            i -= 1
        else:
            j -= 1
    return np.array(out[::-1])


@dataclass
class LipSyncScore:
    f1_macro: float
    closures_found: int
    bilabials: int
    closures_near: int
    closures_in_speech: int
    scored_frames: int

    @property
    def recall(self) -> float:
        return self.closures_found / self.bilabials if self.bilabials else float("nan")

    @property
    def precision(self) -> float:
        return self.closures_near / self.closures_in_speech if self.closures_in_speech else float("nan")


def score_controls(controls_at, phonemes, duration_s: float, fps: float = 25.0) -> LipSyncScore:
    """Score a driver given as controls_at(fps, num_frames) -> [T, 4]."""
    from core.audio.speech_driver import mouth_open

    n = int(np.ceil(duration_s * fps))
    pred = mouth_open(controls_at(fps, n))
    truth = truth_labels(phonemes, fps, n)
    m = truth >= 0
    p, t = pred[m], truth[m] == 1
    f1 = (_f1(p, t) + _f1(~p, ~t)) / 2
    n100 = int(np.ceil(duration_s * 100))
    found, total, near, runs = closure_scores(controls_at(100.0, n100), phonemes)
    return LipSyncScore(f1, found, total, near, runs, int(m.sum()))
