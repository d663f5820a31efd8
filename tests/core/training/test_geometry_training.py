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


def _toy_trainer(tmp_path, **cfg):
    from core.head import default_head
    from core.training.dataset import load_dataset, make_sources
    from core.training.train import TrainConfig, Trainer

    head = default_head()
    root = make_sources(tmp_path / "ds", head, num_train=2, num_val=1, sentences_per_sequence=1, seed=3,
                        max_seconds=1.0, pauses="long")
    config = TrainConfig(w_image=0.0, w_position=1.0, window=3, **cfg)
    return Trainer(load_dataset(root, require_frames=False), head, "full", config, "cpu",
                   model_overrides={"neutral_anchor": True, "cit_identity": "film", "out_init_std": 1e-2})


def test_a_batch_of_windows_is_the_mean_of_its_windows_and_the_shape_term_is_the_rigs(tmp_path):
    import torch

    tr = _toy_trainer(tmp_path, w_shape=1.0, w_temporal=0.5, position_norm="all")
    a, b = (tr.data[0], 2, 0), (tr.data[1], 5, 0)
    with torch.no_grad():
        _, both = tr.loss_on_windows([a, b])
        _, one = tr.loss_on_windows([a])
        _, two = tr.loss_on_windows([b])
    for term in ("position", "shape", "temporal"):
        assert both[term] == pytest.approx((one[term] + two[term]) / 2, rel=1e-4), term
    # The truth turns and grows Gaussians (the jaw): a model that moves nothing pays for it.
    with torch.no_grad():
        for p in tr.model.dec_out.parameters():
            p.zero_()
        _, still = tr.loss_on_windows([a, b])
    assert still["shape"] > 0 and still["position"] > 0
    # Only the Gaussians that can move are decoded.
    assert 0 < len(tr.active) < len(tr.cloud)


def test_training_rejects_windows_longer_than_a_sequence(tmp_path):
    from core.head import default_head
    from core.training.dataset import load_dataset, make_sources
    from core.training.train import TrainConfig, Trainer, TrainingError

    head = default_head()
    root = make_sources(tmp_path / "ds", head, num_train=1, num_val=0, sentences_per_sequence=1, max_seconds=0.5)
    ds = load_dataset(root, require_frames=False)
    with pytest.raises(TrainingError, match="fewer than the window"):
        Trainer(ds, head, "full", TrainConfig(w_image=0.0, window=100), "cpu")
    with pytest.raises(TrainingError, match="batch"):
        Trainer(ds, head, "full", TrainConfig(w_image=0.0, batch=0), "cpu")


def test_long_pauses_put_silence_around_and_between_the_sentences(tmp_path):
    from core.head import default_head
    from core.training.dataset import DatasetError, load_dataset, make_sources

    head = default_head()
    root = make_sources(tmp_path / "ds", head, num_train=3, num_val=0, sentences_per_sequence=2, seed=5,
                        pauses="long")
    assert json.loads((root / "dataset.json").read_text())["pauses"] == "long"
    for seq in load_dataset(root, require_frames=False).split("train"):
        phonemes = (seq.path / "phonemes.csv").read_text().splitlines()[1:]
        first = float(phonemes[0].split(",")[1])
        last = float(phonemes[-1].split(",")[2])
        assert first >= 0.3 - 1e-3  # the lead silence
        assert seq.num_frames / 25.0 - last >= 0.25  # the tail silence
        # The mouth rests in the lead (up to the 105 ms reach of the coarticulation smoothing).
        assert np.abs(seq.speech[: int((first - 0.11) * 25)]).max() < 1e-6
    with pytest.raises(DatasetError, match="pauses"):
        make_sources(tmp_path / "bad", head, num_train=1, num_val=0, pauses="forever")


def test_raar_pushes_attention_mass_to_each_regions_modality(tmp_path):
    """RAAR's hinges: in the upper face Z_E the AU tokens should outweigh the audio token, in the
    mouth Z_A the other way round. Minimising it alone moves the masses that way; a model without the
    zone bias (plain attention) or without AU tokens has no RAAR term."""
    import torch

    tr = _toy_trainer(tmp_path, w_raar=1.0, raar_margin=0.5)
    d = tr.data[0]
    frames = torch.arange(0, 3)

    def raar():
        ctx = tr.model.gaussian_context(tr.cloud.means[tr.active], tr.memberships[tr.active])
        return tr.raar_loss(ctx, tr.model.encode_audio(d["mel"])[frames], tr.model.encode_au(d["au"], frames))

    _, terms = tr.loss_on_windows([(d, 0, 0)])
    assert "raar" in terms and terms["raar"] > 0
    before = float(raar().detach())
    opt = torch.optim.Adam(tr.model.parameters(), lr=0.05)
    for _ in range(15):
        opt.zero_grad()
        raar().backward()
        opt.step()
    assert float(raar()) < 0.7 * before
    assert tr.model.attention.residual.grad is not None  # the paper's bias table is learned

    from core.head import default_head
    from core.training.dataset import load_dataset
    from core.training.train import TrainConfig, Trainer

    ds = load_dataset(tmp_path / "ds", require_frames=False)
    for variant in ("no_pab", "audio_only"):
        plain = Trainer(ds, default_head(), variant, TrainConfig(w_image=0.0, w_position=1.0, window=3), "cpu")
        assert plain._raar is None
