"""Geometry-only training (no image term) and the varied data sets of docs/RESULTS.md's diagnosis."""
import json

import numpy as np
import pytest

from core.aus import AU_NAMES
from core.training.sequences import random_au_sequence


def test_varied_sequences_take_every_au_alone_to_its_full_range():
    rng = np.random.default_rng(0)
    seen = dict.fromkeys(AU_NAMES, 0.0)
    attacks = []
    for _ in range(40):
        au = random_au_sequence(250, 25.0, rng, style="varied")
        assert au.min() >= 0 and au.max() <= 5
        blink = AU_NAMES.index("AU45")
        for c, name in enumerate(AU_NAMES):
            # Frames where this AU acts without another expression AU (blinks aside: they come every
            # few seconds whatever else the face does).
            others = np.delete(au, [c, blink] if c != blink else [c], axis=1).max(axis=1)
            alone = au[:, c][others < 0.05]
            seen[name] = max(seen[name], float(alone.max(initial=0.0)))
        rises = np.diff(au, axis=0).max(axis=0)
        attacks.append(rises.max())
    # Every AU, blink included, near its top with no other expression (seeded: deterministic).
    assert min(seen.values()) > 4.0 and sum(v > 4.99 for v in seen.values()) >= 14, seen
    assert max(attacks) > 1.5  # fast events (more than 1.5 intensity in one frame) occur
    with pytest.raises(ValueError, match="AU style"):
        random_au_sequence(10, 25.0, rng, style="wild")


def test_geometry_only_training_needs_no_renderer_and_stops_on_its_time_budget(tmp_path):
    from core.head import default_head
    from core.model.checkpoint import load_checkpoint
    from core.training.dataset import load_dataset, make_sources
    from core.training.train import TrainConfig, train

    head = default_head()
    root = make_sources(tmp_path / "ds", head, num_train=1, num_val=1, sentences_per_sequence=1, seed=2,
                        max_seconds=1.0)
    meta = json.loads((root / "dataset.json").read_text())
    assert meta["au_style"] == "varied" and all(s["voice"] for s in meta["sequences"])
    assert load_dataset(root, require_frames=False).split("train")
    cfg = TrainConfig(steps=10**6, w_image=0.0, w_position=1.0, max_seconds=2.0, window=3)
    # "gsplat" cannot render on this CPU: a geometry-only run must not even ask for it.
    summary = train(root, tmp_path / "m.safetensors", config=cfg, device="cpu", backend="gsplat",
                    progress=False, head=head, model_overrides={"cit_identity": "film"})
    assert 1 <= summary["steps"] < 10**6
    _, config, meta = load_checkpoint(tmp_path / "m.safetensors", head.fingerprint())
    assert config.cit_identity == "film" and meta["extra"]["step"] == summary["steps"]
