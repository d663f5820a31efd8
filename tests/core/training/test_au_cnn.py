"""The image AU estimator: renders with exact labels, a network that learns from them, its file
(round trip, a clear error naming a bad one) and the AU-consistency term's gradient. The shipped
estimator's accuracy on renders it never saw is checked too (docs/RESULTS.md quotes it)."""
import numpy as np
import pytest
import torch

from core.head import default_head
from core.render import get_renderer
from core.training.au_cnn import (DEFAULT_PATH, INPUT, AUEstimatorError, AUNet, accuracy, au_consistency_loss,
                                  load_au_net, render_poses, sample_poses, save_au_net, train_au_net)


@pytest.fixture(scope="module")
def renders():
    head = default_head()
    renderer = get_renderer("gl")
    try:
        poses = sample_poses(40, seed=5)
        return poses, render_poses(head, poses, INPUT, renderer)
    finally:
        renderer.close()


def test_renders_are_faces_and_the_network_trains_saves_and_loads(renders, tmp_path):
    poses, images = renders
    assert images.shape == (40, INPUT, INPUT, 3) and images.dtype == np.uint8
    assert 20 < images.mean() < 230 and images.std() > 20  # a face on a background, not a blank
    net = train_au_net(images[:32], poses["au"][:32], epochs=2, batch=16)
    acc = accuracy(net, images[32:], poses["au"][32:])
    assert np.isfinite(acc["mae"]) and set(acc["per_au"]) and 0.0 <= acc["within_0_5"] <= 1.0
    path = tmp_path / "est.safetensors"
    save_au_net(path, net, {"accuracy": acc})
    loaded, meta = load_au_net(path)
    assert meta["accuracy"]["mae"] == pytest.approx(acc["mae"])
    x = torch.as_tensor(images[:4]).float() / 255.0
    torch.testing.assert_close(loaded(x), net(x))
    assert not any(p.requires_grad for p in loaded.parameters())  # frozen


def test_a_bad_estimator_file_names_itself(tmp_path):
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(AUEstimatorError, match="broken.safetensors"):
        load_au_net(bad)
    with pytest.raises(AUEstimatorError, match="missing.safetensors"):
        load_au_net(tmp_path / "missing.safetensors")


def test_the_consistency_term_pulls_the_images_not_the_frozen_network():
    net = AUNet(8).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    images = torch.rand(3, 64, 64, 3, requires_grad=True)
    loss = au_consistency_loss(net, images, torch.full((3, 17), 2.0))
    loss.backward()
    assert float(loss.detach()) > 0 and images.grad is not None and float(images.grad.abs().sum()) > 0


def test_the_shipped_estimator_reads_aus_from_renders_it_never_saw(renders):
    net, meta = load_au_net(DEFAULT_PATH)
    poses, images = renders  # seed 5: the shipped one trained on seed 0 and was measured on seed 1
    acc = accuracy(net, images, poses["au"])
    mean_guess = float(np.abs(poses["au"] - poses["au"].mean(0)).mean())
    assert acc["mae"] < 0.6 * mean_guess, (acc["mae"], mean_guess)
    assert meta["accuracy"]["mae"] < 0.6 * meta["mean_predictor_mae"]
