"""How faithfully a deformation model reproduces each AU of the head's rig, alone.

For each of the 17 AUs: the AU alone at ``intensity`` (default 5) on every frame of a short clip,
silent audio, no speech. The rig's offsets (core.rig.deform minus the canonical centres) are the
truth; the model's are its d_mu on the clip's centre frame (so CIT-AE sees the AU on both sides).
Over the Gaussians the rig moves by more than ``moving_mm`` for that AU:

    model_mm  = mean |d_mu_model|                    (the size of the model's motion)
    rig_mm    = mean |d_mu_rig|
    fidelity  = 1 - mean |d_mu_model - d_mu_rig| / rig_mm

Fidelity counts direction and penalises overshoot: 100% is the rig exactly, 0% is no better than
not moving at all (or moving the right amount in a random direction), negative is worse than still.
The model's offsets are its own, as an animator sees them: a model that moves the face with every AU
at 0 (the mouth in silence, say) pays for it in every AU of that region. ``fidelity_from_neutral``
measures from the model's neutral output instead (what docs/RESULTS.md's first table and the issue
that asked for this measure reported), and ``neutral_mm`` is that neutral output's size.
The measure is exact: the rig is the geometry the synthetic data were made from, so no estimator
stands between the model and the truth.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from core.aus import AU_MAX, AU_NAMES, NUM_AUS

MM = 1000.0


@dataclasses.dataclass(frozen=True)
class AUResponse:
    au: str
    model_mm: float
    rig_mm: float
    fidelity: float
    moving: int  # Gaussians the rig moves for this AU
    neutral_mm: float = float("nan")  # the model's mean offset there with every AU at 0 (silence)
    fidelity_from_neutral: float = float("nan")

    def line(self) -> str:
        return (f"{self.au} model {self.model_mm:.2f} mm rig {self.rig_mm:.2f} mm "
                f"fidelity {self.fidelity * 100:.0f}%")


def silent_audio(model, num_frames: int, fps: float = 25.0) -> torch.Tensor:
    """The model's audio input for silence over ``num_frames`` (log-mel windows, or zero features)."""
    from core.audio.decode import ANALYSIS_RATE
    from core.audio.features import log_mel, mel_windows

    cfg = model.config
    if cfg.audio_mode == "features":
        return torch.zeros(num_frames, cfg.audio_feature_dim)
    mono = np.zeros(int(np.ceil(num_frames / fps * ANALYSIS_RATE)) + 1, np.float32)
    return torch.as_tensor(mel_windows(log_mel(mono), fps, num_frames, cfg.audio_window))


@torch.no_grad()
def au_response(model, head, intensity: float = AU_MAX, moving_mm: float = 0.1,
                fps: float = 25.0, aus=AU_NAMES) -> list[AUResponse]:
    """Per-AU response of ``model`` (an EmoZoneModel for ``head``) against the head's rig, for the
    AUs named in ``aus`` (all 17 by default)."""
    from core import rig

    if not (0.0 < float(intensity) <= AU_MAX):
        raise ValueError(f"intensity must be within (0, {AU_MAX:g}], got {intensity}")
    device = model.dec_out.weight.device
    head = head.to(device) if head.cloud.device != device else head
    cloud = head.cloud
    w = max(model.au_radius, 1)
    num_frames = 2 * w + 1
    centre = w
    ctx = model.context_for(cloud)
    audio_tokens = model.encode_audio(silent_audio(model, num_frames, fps).to(device))
    base = cloud.means
    zero = torch.zeros(num_frames, NUM_AUS, device=device)
    neutral = model.decode(ctx, audio_tokens[centre:centre + 1],
                           model.encode_au(zero, torch.tensor([centre], device=device))).d_mu[0]
    out = []
    unknown = sorted(set(aus) - set(AU_NAMES))
    if unknown:
        raise ValueError(f"unknown AUs {unknown}")
    for name in aus:
        k = AU_NAMES.index(name)
        au = torch.zeros(num_frames, NUM_AUS, device=device)
        au[:, k] = float(intensity)
        truth = rig.deform(head, au[centre:centre + 1]).means[0] - base  # [N, 3]
        cond = model.encode_au(au, torch.tensor([centre], device=device))
        pred = model.decode(ctx, audio_tokens[centre:centre + 1], cond).d_mu[0]  # [N, 3]
        moving = truth.norm(dim=-1) * MM > moving_mm
        n = int(moving.sum())
        if n == 0:
            out.append(AUResponse(name, float("nan"), 0.0, float("nan"), 0))
            continue
        t, p, z = truth[moving] * MM, pred[moving] * MM, neutral[moving] * MM
        rig_mm = float(t.norm(dim=-1).mean())
        out.append(AUResponse(name, float(p.norm(dim=-1).mean()), rig_mm,
                              1.0 - float((p - t).norm(dim=-1).mean()) / rig_mm, n,
                              float(z.norm(dim=-1).mean()), 1.0 - float((p - z - t).norm(dim=-1).mean()) / rig_mm))
    return out


def response_table(rows: list[AUResponse]) -> str:
    """The lines ``main.py evaluate --au-response`` prints, then the least and the mean fidelity."""
    lines = [r.line() for r in rows]
    fid = [r.fidelity for r in rows if np.isfinite(r.fidelity)]
    if fid:
        worst = min(rows, key=lambda r: r.fidelity if np.isfinite(r.fidelity) else np.inf)
        lines.append(f"lowest {worst.au} {worst.fidelity * 100:.0f}%, mean {np.mean(fid) * 100:.0f}% "
                     f"over {len(fid)} AUs")
        moved = max(rows, key=lambda r: r.neutral_mm if np.isfinite(r.neutral_mm) else -1.0)
        rel = [r.fidelity_from_neutral for r in rows if np.isfinite(r.fidelity_from_neutral)]
        lines.append(f"neutral (every AU 0, silence) moves {moved.au}'s Gaussians {moved.neutral_mm:.2f} mm; "
                     f"measured from the neutral instead: mean {np.mean(rel) * 100:.0f}%, "
                     + " ".join(f"{r.au} {r.fidelity_from_neutral * 100:.0f}%" for r in rows))
    return "\n".join(lines)
