"""Lip sync: phones to the rig's speech controls and to Rhubarb Lip Sync's mouth shapes.

Speech controls (jaw_open, lip_round, lip_close, lip_stretch; core.aus.SPEECH_NAMES) from a phone
track with coarticulation, after Cohen and Massaro's dominance model and JALI's separation of jaw and
lips:
- every phone has a target per control and a dominance (how strongly it holds that control); a control
  at time t is the dominance-weighted mean of the phones' targets, each phone's dominance flat over the
  phone and decaying exponentially outside it (per control: the jaw moves slower than the lips). A
  vowel dominates the jaw, so the jaw stays open through the consonants between two vowels; a
  consonant that does not involve the lips leaves them to its neighbours (rounding spreads from
  oo/ow/w over the consonants around them).
- bilabials (p b m) reach lip_close fully: the closure starts ``CLOSE_LEAD_S`` before the phone (lips
  close before the release is heard) and holds at least ``MIN_CLOSE_S``; every closure shows on at
  least one frame, whatever the frame rate (the frame nearest to a closure between two frames closes).
- f/v put the lower lip to the upper teeth: lips half closed, jaw barely open.
Frames are sampled at their time.

Mouth shapes (Rhubarb's A-H and X): A closed (M B P), B slightly open with clenched teeth (most
consonants, EE), C open (EH, AE), D wide open (AA), E slightly rounded (AO, ER), F puckered (UW, OW, W),
G upper teeth on the lower lip (F, V), H tongue up (long L), X rest. Cues are at least
``MIN_CUE_S`` long (a shorter one is merged into its longer neighbour) so no shape flickers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.audio.phonemes import SILENCE, VOWELS, Phone, PhonemeTrack
from core.aus import NUM_SPEECH, SPEECH_INDEX

JAW, ROUND, CLOSE, STRETCH = (SPEECH_INDEX[k] for k in ("jaw_open", "lip_round", "lip_close", "lip_stretch"))

#: Jaw opening of each vowel (0..1), by height: open vowels open the jaw most.
VOWEL_JAW = {"AA": 0.80, "AE": 0.70, "AH": 0.55, "AO": 0.70, "AW": 0.70, "AY": 0.70, "EH": 0.55,
             "ER": 0.40, "EY": 0.50, "IH": 0.40, "IY": 0.32, "OW": 0.55, "OY": 0.60, "UH": 0.40, "UW": 0.32}
#: Lip rounding of rounded phones.
ROUNDING = {"UW": 0.9, "UH": 0.6, "OW": 0.85, "OY": 0.6, "AO": 0.6, "AW": 0.4, "W": 0.9, "ER": 0.4, "R": 0.35,
            "SH": 0.45, "ZH": 0.45, "CH": 0.45, "JH": 0.45}
#: Lip spreading of spread vowels.
SPREADING = {"IY": 0.65, "IH": 0.4, "EY": 0.5, "EH": 0.35, "AE": 0.3, "Y": 0.4, "S": 0.2, "Z": 0.2}
BILABIALS = frozenset({"P", "B", "M"})
LABIODENTALS = frozenset({"F", "V"})

#: Time constants (s) of the dominance decay outside a phone, per control.
TAU = {JAW: 0.05, ROUND: 0.06, CLOSE: 0.012, STRETCH: 0.05}
CLOSE_LEAD_S = 0.0
MIN_CLOSE_S = 0.04
#: A phone's dominance drops to this share at its edges (it holds its own span firmly).
EDGE = 0.3
#: Standard deviation (s) of the Gaussian that smooths the result.
SMOOTH_S = 0.012
MIN_CUE_S = 0.06
#: Internal evaluation rate (Hz).
RATE = 200.0


def phone_targets(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(targets [4], dominance [4]) of one phone."""
    t = np.zeros(NUM_SPEECH)
    d = np.full(NUM_SPEECH, 0.2)
    if name == SILENCE:
        d[:] = 0.6  # rest: the mouth relaxes closed
        return t, d
    if name in VOWELS:
        t[JAW] = VOWEL_JAW.get(name, 0.5)
        d[JAW] = 1.0
    elif name in BILABIALS:
        t[JAW] = 0.08
        t[CLOSE] = 1.0
        d[CLOSE] = 3.0
        d[JAW] = 0.6
    elif name in LABIODENTALS:
        t[JAW] = 0.1
        t[CLOSE] = 0.5
        d[CLOSE] = 2.0
        d[JAW] = 0.6
    else:
        t[JAW] = 0.15
        d[JAW] = 0.15  # the jaw follows the neighbouring vowels
    if name in ROUNDING:
        t[ROUND] = ROUNDING[name]
        d[ROUND] = 2.0
    if name in SPREADING:
        t[STRETCH] = SPREADING[name]
        d[STRETCH] = 1.0 if name in VOWELS else 0.4
    if name not in BILABIALS and name not in LABIODENTALS:
        d[CLOSE] = 1.0  # open the lips again after a closure
    return t, d


def _smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    if sigma <= 0.5:
        return x
    k = np.arange(-int(3 * sigma), int(3 * sigma) + 1)
    kernel = np.exp(-0.5 * (k / sigma) ** 2)
    kernel /= kernel.sum()
    return np.stack([np.convolve(np.pad(x[:, c], len(k) // 2, mode="edge"), kernel, mode="valid")
                     for c in range(x.shape[1])], 1)


def closures(phones: list[Phone]) -> list[tuple[float, float]]:
    """The lip closures of the bilabials: [(start, end)] in seconds (see the module's notes)."""
    out = []
    for p in phones:
        if p.name in BILABIALS:
            a = p.start - CLOSE_LEAD_S
            out.append((a, max(p.end, a + MIN_CLOSE_S)))
    return out


def dense_controls(phones: list[Phone], duration: float, rate: float = RATE) -> np.ndarray:
    """Speech controls [M, 4] at ``rate`` Hz over ``duration`` seconds (time outside every phone is rest)."""
    m = max(int(np.ceil(duration * rate)) + 1, 1)
    t = np.arange(m) / rate
    num = np.zeros((m, NUM_SPEECH))
    den = np.full((m, NUM_SPEECH), 1e-3)  # rest where no phone reaches
    tau = np.array([TAU[c] for c in range(NUM_SPEECH)])
    for p in phones:
        target, dom = phone_targets(p.name)
        a, b = p.start, p.end
        reach = 6.0 * tau.max()
        i0, i1 = max(int((a - reach) * rate), 0), min(int(np.ceil((b + reach) * rate)) + 1, m)
        if i1 <= i0:
            continue
        tt = t[i0:i1, None]
        outside = np.maximum(np.maximum(a - tt, tt - b), 0.0)
        w = dom[None, :] * np.exp(-outside / tau[None, :]) * np.where(outside > 0, EDGE, 1.0)
        num[i0:i1] += w * target[None, :]
        den[i0:i1] += w
    out = _smooth(num / den, SMOOTH_S * rate)  # the weights step at phone edges (EDGE): no pops
    # Bilabials close fully and on time: from CLOSE_LEAD_S before the phone, for at least MIN_CLOSE_S.
    for a, b in closures(phones):
        i0, i1 = max(int(np.ceil(a * rate)), 0), min(int(np.floor(b * rate)) + 1, m)
        out[i0:i1, CLOSE] = 1.0
        out[i0:i1, JAW] = np.minimum(out[i0:i1, JAW], 0.12)
    return np.clip(out, 0.0, 1.0)


def sample_frames(dense: np.ndarray, fps: float, num_frames: int, rate: float = RATE, first: int = 0,
                  closed: list[tuple[float, float]] = ()) -> np.ndarray:
    """Frames first..first+num_frames-1 at ``fps`` from dense controls, each at its time; a closure in
    ``closed`` that falls between two frames closes the nearer one."""
    m = dense.shape[0]
    times = (first + np.arange(num_frames)) / float(fps)
    idx = np.clip(np.round(times * rate).astype(np.int64), 0, m - 1)
    out = dense[idx].copy()
    for a, b in closed:
        k0, k1 = int(np.ceil(a * fps)), int(np.floor(b * fps))
        if k1 >= k0:
            continue  # a frame falls inside: it is closed already
        k = int(round(0.5 * (a + b) * fps)) - first
        if 0 <= k < num_frames:
            out[k, CLOSE] = 1.0
            out[k, JAW] = min(out[k, JAW], 0.12)
    return out


def blend_fallback(dense: np.ndarray, energy_dense: np.ndarray | None, stretches, rate: float = RATE,
                   fade_s: float = 0.05) -> np.ndarray:
    """``dense`` with the energy driver's controls inside ``stretches`` (cross-faded over ``fade_s``)."""
    if energy_dense is None or not stretches:
        return dense
    m = dense.shape[0]
    w = np.zeros(m)
    t = np.arange(m) / rate
    for s, e in stretches:
        w = np.maximum(w, np.clip(np.minimum(t - (s - fade_s), (e + fade_s) - t) / fade_s, 0.0, 1.0))
    e = energy_dense[:m]
    if e.shape[0] < m:
        e = np.concatenate([e, np.zeros((m - e.shape[0], NUM_SPEECH))])
    return dense * (1 - w[:, None]) + e * w[:, None]


@dataclass
class LipSync:
    """A clip's phones and everything made from them."""

    track: PhonemeTrack
    energy_dense: np.ndarray | None = None  # the energy driver at RATE, for unreadable stretches

    def dense(self) -> np.ndarray:
        d = dense_controls(self.track.phones, self.track.duration)
        return blend_fallback(d, self.energy_dense, self.track.unreadable)

    def cues(self) -> list[tuple[float, float, str]]:
        """Rhubarb's mouth cues of the clip (``mouth_cues``, the energy driver in unreadable stretches)."""
        return mouth_cues(self.track, energy_dense=self.energy_dense)

    def controls(self, fps: float, num_frames: int, first: int = 0) -> np.ndarray:
        return sample_frames(self.dense(), fps, num_frames, first=first, closed=closures(self.track.phones))


def lipsync(audio_16k: np.ndarray, transcript: str | None = None, progress=None, energy: bool = True) -> LipSync:
    """Phones of the audio (core.audio.phonemes) and, where the recogniser could not read it, the
    energy driver's controls."""
    from core.audio.phonemes import phonemes

    track = phonemes(audio_16k, transcript, progress)
    energy_dense = None
    if energy and track.unreadable:
        from core.audio.speech_driver import speech_controls

        n = int(np.ceil(track.duration * RATE)) + 1
        energy_dense = np.asarray(speech_controls(np.asarray(audio_16k, np.float32), RATE, n))
    return LipSync(track, energy_dense)


def speech_controls_from_audio(audio_16k: np.ndarray, fps: float, num_frames: int | None = None,
                               transcript: str | None = None) -> np.ndarray:
    """Speech controls [T, 4] of a clip at ``fps`` by lip sync (phones; energy where unreadable)."""
    from core.audio.decode import ANALYSIS_RATE

    if num_frames is None:
        num_frames = int(np.ceil(len(audio_16k) / ANALYSIS_RATE * fps))
    return lipsync(audio_16k, transcript).controls(fps, num_frames)


# ---------------------------------------------------------------- mouth shapes (Rhubarb's)
SHAPES = "ABCDEFGHX"
SHAPE_MEANINGS = {
    "A": "closed mouth (M, B, P)",
    "B": "slightly open, clenched teeth (most consonants; EE)",
    "C": "open mouth (EH, AE)",
    "D": "wide open mouth (AA)",
    "E": "slightly rounded (AO, ER)",
    "F": "puckered lips (UW, OW, W)",
    "G": "upper teeth on the lower lip (F, V)",
    "H": "tongue raised behind the upper teeth (long L)",
    "X": "rest (pauses)",
}
_SHAPE_OF = {
    **{p: "A" for p in BILABIALS}, **{p: "G" for p in LABIODENTALS},
    "AA": "D", "AE": "C", "AH": "C", "AW": "D", "AY": "D", "EH": "C", "EY": "C",
    "IH": "B", "IY": "B", "ER": "E", "AO": "E", "OY": "E", "OW": "F", "UW": "F", "UH": "F", "W": "F",
    "L": "H", SILENCE: "X",
}
#: The speech controls each shape stands for (reading Rhubarb / Papagayo files into a take).
SHAPE_CONTROLS = {
    "A": (0.05, 0.0, 1.0, 0.0), "B": (0.15, 0.0, 0.0, 0.2), "C": (0.55, 0.0, 0.0, 0.2),
    "D": (0.85, 0.0, 0.0, 0.0), "E": (0.45, 0.5, 0.0, 0.0), "F": (0.3, 0.9, 0.0, 0.0),
    "G": (0.1, 0.0, 0.5, 0.0), "H": (0.35, 0.0, 0.0, 0.1), "X": (0.0, 0.0, 0.0, 0.0),
}


def shape_of(phone: str, duration: float = 0.0) -> str:
    """Rhubarb's mouth shape for one phone (L is H only when long, else B)."""
    if phone == "L":
        return "H" if duration >= 0.08 else "B"
    return _SHAPE_OF.get(phone, "B")


def _energy_shapes(stretches, energy_dense: np.ndarray | None, rate: float = RATE, step: float = 0.04):
    """Cues for unreadable stretches from the energy driver's jaw: X (closed), B or C, per 40 ms."""
    out = []
    for s, e in stretches:
        t = s
        while t < e - 1e-9:
            u = min(t + step, e)
            if energy_dense is None:
                shape = "B"
            else:
                seg = energy_dense[int(t * rate): max(int(u * rate), int(t * rate) + 1), JAW]
                jaw = float(seg.mean()) if seg.size else 0.0
                shape = "X" if jaw < 0.15 else ("B" if jaw < 0.45 else "C")
            out.append((t, u, shape))
            t = u
    return out


def mouth_cues(track: PhonemeTrack, min_cue_s: float = MIN_CUE_S,
               energy_dense: np.ndarray | None = None) -> list[tuple[float, float, str]]:
    """[(start, end, shape)] covering 0..duration: a shape per phone, neighbours of one shape joined,
    cues shorter than ``min_cue_s`` merged into their longer neighbour (a closure A is never dropped:
    it takes the time from its neighbours instead). Unreadable stretches follow the energy driver's
    jaw (``energy_dense``, at RATE; LipSync.cues passes it): X, B or C."""
    cues: list[list] = []

    def add(a: float, b: float, s: str) -> None:
        if b <= a:
            return
        if cues and cues[-1][2] == s and abs(cues[-1][1] - a) < 1e-6:
            cues[-1][1] = b
        elif cues and a > cues[-1][1] + 1e-6:
            add_gap(cues[-1][1], a)
            cues.append([a, b, s])
        else:
            cues.append([max(a, cues[-1][1]) if cues else a, b, s])

    def add_gap(a: float, b: float) -> None:
        if cues and cues[-1][2] == "X":
            cues[-1][1] = b
        else:
            cues.append([a, b, "X"])

    phones = sorted(track.phones, key=lambda p: p.start)
    items = [(p.start, p.end, shape_of(p.name, p.duration)) for p in phones]
    items += _energy_shapes(track.unreadable, energy_dense)
    items.sort()
    if not items or items[0][0] > 0:
        cues.append([0.0, items[0][0] if items else track.duration, "X"])
    for a, b, s in items:
        add(a, b, s)
    if cues and cues[-1][1] < track.duration:
        add_gap(cues[-1][1], track.duration)
    # Merge short cues into the longer neighbour; a short A steals from its neighbours instead.
    changed = True
    while changed and len(cues) > 1:
        changed = False
        for i, (a, b, s) in enumerate(cues):
            if b - a >= min_cue_s - 1e-9:
                continue
            if s == "A":
                need = min_cue_s - (b - a)
                if i > 0:
                    take = min(need / 2 if i + 1 < len(cues) else need, cues[i - 1][1] - cues[i - 1][0] - 1e-3)
                    if take > 0:
                        cues[i - 1][1] -= take
                        cues[i][0] -= take
                if i + 1 < len(cues):
                    take = min(min_cue_s - (cues[i][1] - cues[i][0]), cues[i + 1][1] - cues[i + 1][0] - 1e-3)
                    if take > 0:
                        cues[i + 1][0] += take
                        cues[i][1] += take
                continue
            left = cues[i - 1] if i > 0 else None
            right = cues[i + 1] if i + 1 < len(cues) else None
            into = left if right is None or (left is not None and (left[1] - left[0]) >= (right[1] - right[0])
                                             and left[2] != "A") or (right is not None and right[2] == "A" and left) \
                else right
            if into is None:
                continue
            if into is left:
                left[1] = b
            else:
                right[0] = a
            del cues[i]
            changed = True
            break
    # Join equal neighbours made by the merging.
    out: list[tuple[float, float, str]] = []
    for a, b, s in cues:
        if out and out[-1][2] == s:
            out[-1] = (out[-1][0], b, s)
        else:
            out.append((a, b, s))
    return out


def cues_to_dense(cues, duration: float, rate: float = RATE, smooth_s: float = 0.03) -> np.ndarray:
    """Speech controls [M, 4] at ``rate`` from mouth cues (shape targets, lightly smoothed)."""
    m = max(int(np.ceil(duration * rate)) + 1, 1)
    dense = np.zeros((m, NUM_SPEECH))
    for a, b, s in cues:
        dense[max(int(round(a * rate)), 0): max(int(round(b * rate)), 0)] = SHAPE_CONTROLS.get(s, SHAPE_CONTROLS["X"])
    sm = _smooth(dense, smooth_s * rate)
    # Closures stay full.
    closed = dense[:, CLOSE] >= 1.0
    sm[closed, CLOSE] = 1.0
    return np.clip(sm, 0.0, 1.0)
