"""Does audio alone open and close the lips on time? The model against the rig, on held-out speech.

Speech that no data set was made from (``SENTENCES`` here share no sentence with
core.training.dataset's) in several espeak-ng voices, with 0.4 s of silence before and after, every
AU at 0. Each frame is labelled from espeak-ng's exact phoneme timing as core.audio.speech_eval does
(open: a vowel; closed: silence or /p b m/; other phonemes not scored). The prediction is geometric,
the same for every source: the lips are open when the gap between the inner upper and lower lip at
the middle of the mouth (|x| < 12 mm) is at least the gap of the rig's boundary pose (speech
``jaw_open`` at ``JAW_OPEN`` alone). Three sources:

* ``rig, phoneme truth``: the rig driven by the exact speech controls (core.training.sequences), the
  best the measure allows;
* ``rig, speech driver``: the rig driven by the project's audio speech driver (what the studio does
  with the rig);
* ``model``: the EmoZone model's offsets from the audio alone.

Open/closed F1 is the mean of the F1 of "open" and of "closed" (core.audio.speech_eval's macro F1).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from core.aus import NUM_AUS

#: Held out: none of these is in core.training.dataset.SENTENCES.
SENTENCES = (
    "Bring me the blue map from the top shelf.",
    "We ate apples and pears by the old mill.",
    "Please pass the bread and the butter, Bob.",
    "Mary was happy when the puppy came home.",
    "The bus stops by the park every morning.",
    "Maybe we should wait for them outside.",
    "Put the cup back on the table, please.",
    "My brother bought a bike in March.",
    "Open the window, the room is warm.",
    "I am moving to a small town by the sea.",
    "Every evening we walk along the beach.",
    "Paul made plum jam for the whole family.",
)
VOICES = ("en-us", "en+f2", "en-gb-scotland", "en-us+m3", "en-us+f3", "en-029")
SILENCE_S = 0.4
MIDDLE_M = 0.012  # inner-lip points within this of the midline measure the gap
#: The boundary pose's jaw opening: halfway between the closed targets (silence, /p b m/: 0) and the
#: least open vowel (/i u/: 0.25; core.training.sequences.phoneme_targets). At 0.25 itself (the speech
#: driver's own threshold) the close vowels sit on the boundary and even the rig driven by the
#: phoneme truth scores only 0.88; docs/RESULTS.md gives the scores at 0.1-0.4.
JAW_OPEN = 0.125


@dataclasses.dataclass(frozen=True)
class LipSyncScore:
    source: str
    f1_open: float
    f1_closed: float
    f1_macro: float
    frames: int  # scored frames

    def line(self) -> str:
        return (f"{self.source:<20} open/closed F1 {self.f1_macro:.3f} (open {self.f1_open:.3f}, "
                f"closed {self.f1_closed:.3f}, {self.frames} frames)")


def lip_rows(head) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (into the cloud) of the inner upper and lower lip points near the midline."""
    from core.zones import MOUTH_Y

    idx = head.landmarks["lip_inner"]
    p = head.cloud.means[idx].cpu()
    near = p[:, 0].abs() < MIDDLE_M
    # Closed, both rows lie on the contact line: the first half of lip_inner is the upper lip.
    half = len(idx) // 2
    upper = torch.zeros(len(idx), dtype=torch.bool)
    upper[:half] = True
    if not bool(((p[:, 1] - MOUTH_Y).abs() < 0.01).all()):
        raise ValueError("lip_inner landmarks are not on the mouth line; this measure needs the default head")
    return idx[upper & near], idx[~upper & near]


def lip_gap_mm(means: torch.Tensor, upper: torch.Tensor, lower: torch.Tensor) -> np.ndarray:
    """Gap between the inner lips [T] (mm) from Gaussian centres [T, N, 3]."""
    return ((means[:, upper, 1].mean(dim=1) - means[:, lower, 1].mean(dim=1)) * 1000.0).cpu().numpy()


def open_threshold_mm(head, jaw_open: float = JAW_OPEN) -> float:
    """The lip gap of the rig's boundary pose (speech ``jaw_open`` alone)."""
    from core import rig

    upper, lower = lip_rows(head)
    pose = rig.pose(head, speech={"jaw_open": jaw_open})
    return float(lip_gap_mm(pose.means[None], upper, lower)[0])


def utterances(sentences=SENTENCES, voices=VOICES, words_per_minute: int = 165):
    """(audio 16 kHz float32, phonemes) per sentence, voices taken in turn, padded with silence."""
    from core.audio.speech_eval import espeak_16k

    out = []
    pad = np.zeros(int(SILENCE_S * 16000), np.float32)
    for k, text in enumerate(sentences):
        audio, phonemes = espeak_16k(text, voice=voices[k % len(voices)], words_per_minute=words_per_minute)
        out.append((np.concatenate([pad, audio, pad]),
                    [(p, a + SILENCE_S, b + SILENCE_S) for p, a, b in phonemes]))
    return out


def open_closed_score(pred_open: np.ndarray, labels: np.ndarray, source: str) -> LipSyncScore:
    """Open/closed F1 of predictions [T] bool against labels [T] (1 open, 0 closed, -1 not scored)."""
    from core.audio.speech_eval import _f1

    m = labels >= 0
    p, t = pred_open[m], labels[m] == 1
    f_open, f_closed = _f1(p, t), _f1(~p, ~t)
    return LipSyncScore(source, f_open, f_closed, (f_open + f_closed) / 2, int(m.sum()))


@torch.no_grad()
def model_means(model, head, audio_16k: np.ndarray, fps: float, rows: torch.Tensor) -> torch.Tensor:
    """Centres [T, len(rows), 3] of the Gaussians ``rows`` as the model moves them from the audio
    alone (every AU at 0)."""
    from core.audio.features import log_mel, mel_windows
    from core.model.deform import cloud_memberships

    device = model.dec_out.weight.device
    n = int(np.ceil(len(audio_16k) / 16000 * fps))
    if model.config.audio_mode != "mel":
        raise ValueError("the lip-sync measure needs a model that reads log-mel audio")
    mel = mel_windows(log_mel(audio_16k), fps, n, model.config.audio_window)
    rows = rows.to(device)
    ctx = model.gaussian_context(head.cloud.means[rows], cloud_memberships(head.cloud)[rows])
    out = model.decode(ctx, model.encode_audio(torch.as_tensor(mel).to(device)),
                       model.encode_au(torch.zeros(n, NUM_AUS, device=device)))
    return head.cloud.means[rows][None] + out.d_mu


def lip_sync_scores(model, head, fps: float = 25.0, utts=None, jaw_open: float = JAW_OPEN) -> list[LipSyncScore]:
    """The three sources' scores over ``utts`` (default: :func:`utterances`; ``model`` None: the
    rig's two only). espeak-ng's output differs by a few samples from one call to the next, so
    sources are compared on the same utterances."""
    from core import rig
    from core.audio.speech_driver import speech_controls
    from core.audio.speech_eval import truth_labels
    from core.training.sequences import speech_truth

    if model is not None:
        head = head.to(model.dec_out.weight.device)
    upper, lower = lip_rows(head)
    rows = torch.cat([upper, lower]).to(head.cloud.means.device)
    up, lo = torch.arange(len(upper)), torch.arange(len(upper), len(rows))
    threshold = open_threshold_mm(head, jaw_open)
    preds: dict[str, list[np.ndarray]] = {"rig, phoneme truth": [], "rig, speech driver": [], "model": []}
    labels = []
    for audio, phonemes in utts if utts is not None else utterances():
        n = int(np.ceil(len(audio) / 16000 * fps))
        labels.append(truth_labels(phonemes, fps, n))
        zero = torch.zeros(n, NUM_AUS, device=head.cloud.means.device)
        for source, controls in (("rig, phoneme truth", speech_truth(phonemes, fps, n)),
                                 ("rig, speech driver", speech_controls(audio, fps, n))):
            means = rig.deform(head, zero, torch.as_tensor(np.asarray(controls), dtype=torch.float32,
                                                            device=zero.device)).means[:, rows]
            preds[source].append(lip_gap_mm(means, up, lo) >= threshold)
        if model is not None:
            preds["model"].append(lip_gap_mm(model_means(model, head, audio, fps, rows), up, lo) >= threshold)
    lab = np.concatenate(labels)
    return [open_closed_score(np.concatenate(p), lab, s) for s, p in preds.items() if p]


def lip_sync_table(scores: list[LipSyncScore]) -> str:
    lines = [s.line() for s in scores]
    by = {s.source: s for s in scores}
    if "model" in by:
        diff = by["model"].f1_macro - by["rig, speech driver"].f1_macro
        lines.append(f"model - rig with the speech driver: {diff:+.3f}")
    return "\n".join(lines)
