import json
import os

import pytest
import torch

from core.model.checkpoint import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from core.model.deform import EmoZoneModel

from .synth import random_inputs, small_config


@pytest.mark.parametrize("ablation", [{}, {"baseline": "channel_gate"}, {"au_encoder": "mlp", "pab": False}])
def test_round_trip_gives_identical_outputs(tmp_path, cloud, ablation):
    cfg = small_config(**ablation)
    model = EmoZoneModel.for_cloud(cloud, cfg)
    if model.attention is not None:
        with torch.no_grad():
            model.attention.residual.add_(0.1)  # a trained-looking, non-default bias residual
    path = tmp_path / "sub" / "head.safetensors"
    save_checkpoint(path, model, cfg, "head-abc", {"step": 7, "loss": 0.5})
    assert sorted(os.listdir(path.parent)) == ["head.safetensors"]  # no temp file left behind
    loaded, cfg2, meta = load_checkpoint(path, "head-abc")
    assert cfg2 == cfg
    assert meta["extra"] == {"step": 7, "loss": 0.5} and meta["head_fingerprint"] == "head-abc"
    audio, au = random_inputs(3)
    model.eval()
    with torch.no_grad():
        a, b = model(cloud, audio, au), loaded(cloud, audio, au)
    assert torch.equal(a.d_mu, b.d_mu) and torch.equal(a.d_rot, b.d_rot)
    assert torch.equal(loaded.triplane.bbox_min, model.triplane.bbox_min)


def test_checkpoint_for_another_head_is_refused(tmp_path, cloud):
    cfg = small_config()
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, EmoZoneModel.for_cloud(cloud, cfg), cfg, "fp-trained")
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, "fp-current")
    assert "fp-trained" in str(err.value) and "fp-current" in str(err.value) and "m.safetensors" in str(err.value)


def test_overwrite_is_atomic_and_bad_files_are_named(tmp_path, cloud):
    cfg = small_config()
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, EmoZoneModel.for_cloud(cloud, cfg), cfg, "fp")
    save_checkpoint(path, EmoZoneModel.for_cloud(cloud, cfg), cfg, "fp2")
    assert read_metadata(path)["head_fingerprint"] == "fp2"
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="junk.safetensors"):
        load_checkpoint(junk, None)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.safetensors", None)
    with pytest.raises(CheckpointError, match="JSON"):
        save_checkpoint(path, EmoZoneModel(cfg), cfg, "fp", {"bad": object()})


def test_weights_that_do_not_match_the_config_are_refused(tmp_path, cloud):
    from safetensors.torch import save_file

    cfg = small_config()
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, EmoZoneModel.for_cloud(cloud, cfg), cfg, "fp")
    meta = dict(read_metadata(path))
    raw = {"schema": meta["schema"], "config": json.dumps(small_config(d=64).to_dict()),
           "head_fingerprint": "fp", "extra": "{}"}
    from safetensors.torch import load_file
    save_file(load_file(str(path)), str(path), metadata=raw)
    with pytest.raises(CheckpointError, match="do not match"):
        load_checkpoint(path, "fp")
