"""Random but plausible AU sequences and exact speech-control truth from phoneme timing.

These make the synthetic training and evaluation data: the analytic rig turns (AU, speech) into
exact geometry, so every metric has a truth to compare against.
"""
from __future__ import annotations

import numpy as np

from core.aus import AU_INDEX, AU_NAMES, NUM_AUS, NUM_SPEECH, SPEECH_INDEX

# AUs that appear together in common expressions (so sequences are plausible, not uniform noise).
EXPRESSIONS: dict[str, dict[str, float]] = {
    "smile": {"AU06": 2.5, "AU12": 4.0, "AU25": 1.0},
    "surprise": {"AU01": 4.0, "AU02": 4.0, "AU05": 3.0, "AU26": 1.5},
    "frown": {"AU04": 3.5, "AU07": 2.0, "AU15": 2.5, "AU17": 2.0},
    "disgust": {"AU09": 3.5, "AU10": 3.0, "AU04": 1.5},
    "worry": {"AU01": 3.5, "AU04": 2.0, "AU20": 2.0},
    "tight": {"AU23": 3.5, "AU14": 2.5, "AU07": 1.5},
    "dimple": {"AU14": 3.5, "AU12": 1.5},
}


def _bump(t: np.ndarray, start: float, attack: float, hold: float, release: float) -> np.ndarray:
    """Smooth 0->1->0 envelope (raised cosine ramps) over frame times t."""
    rise = np.clip((t - start) / max(attack, 1e-6), 0, 1)
    fall = np.clip((t - (start + attack + hold)) / max(release, 1e-6), 0, 1)
    return 0.5 - 0.5 * np.cos(np.pi * rise) - (0.5 - 0.5 * np.cos(np.pi * fall))


#: AU sequence styles. "v1": the first data sets (isolated events mostly at 1-3.5, 0.8 events/s).
#: "varied": every AU reaches its whole range (isolated events up to 5, a third of them at 5),
#: fast (50 ms) to slow (1.2 s) attacks, more isolated events, and solo events (one AU on an
#: otherwise still face, about one per 4 s), so each AU is seen alone.
AU_STYLES = ("v1", "varied")


def random_au_sequence(
    num_frames: int, fps: float, rng: np.random.Generator, events_per_second: float | None = None,
    blink_rate_per_min: float = 17.0, isolated_prob: float | None = None, style: str = "v1",
) -> np.ndarray:
    """AU intensities [T, 17] in 0..5: overlapping smooth expression events and single-AU events,
    plus blinks (AU45) at a natural rate. Events are denser than in everyday speech on purpose: with
    ~2 events per 6 s sequence the model learned the speech motion and ignored the sparse AU motion.
    ``style``: see AU_STYLES."""
    if style not in AU_STYLES:
        raise ValueError(f"AU style must be one of {', '.join(AU_STYLES)}, got {style!r}")
    varied = style == "varied"
    if events_per_second is None:
        events_per_second = 1.2 if varied else 0.8
    if isolated_prob is None:
        isolated_prob = 0.65 if varied else 0.5
    t = np.arange(num_frames) / fps
    au = np.zeros((num_frames, NUM_AUS))
    duration = num_frames / fps
    n_events = rng.poisson(events_per_second * duration)
    expr_names = list(EXPRESSIONS)
    isolated = [a for a in AU_NAMES if a != "AU45"] if not varied else list(AU_NAMES)
    for _ in range(n_events):
        start = rng.uniform(-0.5, duration)
        if varied:
            attack, hold, release = rng.uniform(0.05, 1.2), rng.uniform(0.0, 1.5), rng.uniform(0.05, 1.2)
        else:
            attack, hold, release = rng.uniform(0.15, 0.6), rng.uniform(0.0, 1.5), rng.uniform(0.2, 0.8)
        env = _bump(t, start, attack, hold, release)
        if rng.random() < isolated_prob:
            peak = (5.0 if rng.random() < 1 / 3 else rng.uniform(0.5, 5.0)) if varied \
                else rng.uniform(0.4, 1.0) * rng.uniform(2.0, 5.0)
            au[:, AU_INDEX[isolated[rng.integers(len(isolated))]]] += env * peak
        else:
            gain = rng.uniform(0.4, 1.25) if varied else rng.uniform(0.4, 1.0)
            for name, value in EXPRESSIONS[expr_names[rng.integers(len(expr_names))]].items():
                au[:, AU_INDEX[name]] += env * gain * value
    if varied:
        # Solo events: one AU on a face that is otherwise still (other expressions fade out around
        # it), as an animator keys a single AU. Events overlap so often at this density that an AU
        # was otherwise hardly ever seen alone (AU12: never above 0.1 in 40 ten-second sequences).
        for _ in range(rng.poisson(0.25 * duration)):
            c = int(rng.integers(NUM_AUS - 1))  # not AU45: blinks come on their own anyway
            start = rng.uniform(0.0, max(duration - 1.0, 0.1))
            attack, hold, release = rng.uniform(0.05, 0.8), rng.uniform(0.2, 1.2), rng.uniform(0.05, 0.8)
            env = _bump(t, start, attack, hold, release)
            quiet = _bump(t, start - 0.3, 0.3, attack + hold + release, 0.3)  # covers the event
            au *= (1.0 - quiet)[:, None]
            au[:, c] += env * (5.0 if rng.random() < 0.5 else rng.uniform(1.0, 5.0))
    # Blinks: ~120 ms close, ~180 ms open, intervals jittered around the rate.
    blink = np.zeros(num_frames)
    s = rng.uniform(0.2, 2.0)
    while s < duration:
        blink = np.maximum(blink, _bump(t, s, rng.uniform(0.08, 0.14), 0.02, rng.uniform(0.14, 0.22)))
        s += max(0.6, rng.normal(60.0 / blink_rate_per_min, 1.2))
    k = AU_INDEX["AU45"]
    au[:, k] = np.maximum(au[:, k], 5.0 * blink) if varied else 5.0 * blink
    return np.clip(au, 0.0, 5.0)


# Mouth targets per phoneme class: (jaw_open, lip_round, lip_close, lip_stretch), all 0..1.
_OPEN_VOWELS = ("a", "A", "V", "O", "aI", "aU", "0")
_MID_VOWELS = ("e", "E", "@", "3", "oU", "eI", "OI", "o")
_CLOSE_VOWELS = ("i", "I", "u", "U")
_ROUNDED = ("u", "U", "o", "O", "oU", "OI", "w", "0")
_SPREAD = ("i", "I", "e", "E", "eI")
_BILABIAL = ("p", "b", "m")
_LABIODENTAL = ("f", "v")


def phoneme_targets(ph: str) -> np.ndarray:
    """Speech-control targets [4] for one espeak-ng phoneme mnemonic (stress marks ignored)."""
    p = ph.strip("'\",%=:")
    target = np.zeros(NUM_SPEECH)
    if not p or p.startswith("_"):
        return target  # silence: mouth closed and relaxed
    jaw, rnd, close, stretch = (SPEECH_INDEX[k] for k in ("jaw_open", "lip_round", "lip_close", "lip_stretch"))
    if p in _BILABIAL:
        target[close] = 1.0
    elif p in _LABIODENTAL:
        target[jaw] = 0.12
        target[close] = 0.5
    elif p.startswith(_OPEN_VOWELS):
        target[jaw] = 0.8
    elif p.startswith(_MID_VOWELS):
        target[jaw] = 0.5
    elif p.startswith(_CLOSE_VOWELS):
        target[jaw] = 0.25
    else:  # other consonants: a slightly open, neutral mouth
        target[jaw] = 0.18
    if p.startswith(_ROUNDED):
        target[rnd] = 0.9
        target[stretch] = 0.0
    elif p.startswith(_SPREAD):
        target[stretch] = 0.6
    return target


def speech_truth(phonemes, fps: float, num_frames: int, smoothing_s: float = 0.035) -> np.ndarray:
    """Speech controls [T, 4] from phoneme timing [(phoneme, start_s, end_s)], sampled at each frame's
    time and smoothed with a short Gaussian (coarticulation) so the rig moves continuously."""
    rate = 1000.0  # evaluate at 1 ms, then smooth and sample at the frame times
    duration = max(num_frames / fps, max((b for _, _, b in phonemes), default=0.0)) + 0.1
    m = int(np.ceil(duration * rate))
    dense = np.zeros((m, NUM_SPEECH))
    for ph, a, b in phonemes:
        i0, i1 = int(round(a * rate)), int(round(b * rate))
        dense[max(i0, 0) : max(i1, 0)] = phoneme_targets(ph)
    sigma = smoothing_s * rate
    k = np.arange(-int(3 * sigma), int(3 * sigma) + 1)
    kernel = np.exp(-0.5 * (k / sigma) ** 2)
    kernel /= kernel.sum()
    smooth = np.stack([np.convolve(np.pad(dense[:, c], len(k) // 2, mode="edge"), kernel, mode="valid") for c in range(NUM_SPEECH)], 1)
    idx = np.clip(np.round(np.arange(num_frames) / fps * rate).astype(int), 0, m - 1)
    return np.clip(smooth[idx], 0.0, 1.0)
