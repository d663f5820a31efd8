"""Synthetic heads for the model tests: random points with soft zone memberships."""
from __future__ import annotations

import torch

from core.aus import NUM_ZONES, ZONE_INDEX
from core.gaussians import GaussianCloud
from core.model.deform import ModelConfig


def synthetic_cloud(n: int = 200, seed: int = 0, pure: dict[str, int] | None = None) -> GaussianCloud:
    """n random Gaussians in a 0.2-unit box with random soft memberships; ``pure`` maps a zone name to
    a count of extra Gaussians that belong wholly to that zone (appended after the random ones)."""
    g = torch.Generator().manual_seed(seed)
    means = torch.rand(n, 3, generator=g) * 0.2 - 0.1
    logits = torch.randn(n, NUM_ZONES, generator=g) * 2
    zones = torch.softmax(logits, dim=1)
    # Some rows with exact zeros, as a real head has (log 0 = -inf inside the bias).
    zones[: n // 4, ZONE_INDEX["brow"]] = 0.0
    zones = zones / zones.sum(1, keepdim=True)
    for name, count in (pure or {}).items():
        extra = torch.zeros(count, NUM_ZONES)
        extra[:, ZONE_INDEX[name]] = 1.0
        zones = torch.cat([zones, extra])
        means = torch.cat([means, torch.rand(count, 3, generator=g) * 0.2 - 0.1])
    total = means.shape[0]
    return GaussianCloud.from_rgb(means, torch.rand(total, 3, generator=g), torch.full((total, 3), 0.005),
                                  attributes={"zones": zones})


def small_config(**kw) -> ModelConfig:
    base = dict(d=32, heads=2, triplane_resolutions=(8, 16), triplane_channels=4, audio_hidden=32,
                cit_hidden=16, mlp_hidden=64, out_init_std=1e-2)
    base.update(kw)
    return ModelConfig(**base)


def random_inputs(t: int, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    audio = torch.randn(t, 32, 80, generator=g)
    au = torch.rand(t, 17, generator=g) * 5
    return audio, au
