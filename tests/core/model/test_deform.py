import json

import pytest
import torch

from core.aus import AU_INDEX, ZONE_INDEX
from core.model.deform import EmoZoneModel, ModelConfig, ModelConfigError, ModelInputError
from core.model.losses import position_loss

from .synth import random_inputs, small_config, synthetic_cloud

ABLATIONS = {
    "full": {"zone_scheme": "paper3"},
    "six_zones": {},
    "no_pab": {"pab": False},
    "no_cit": {"au_encoder": "mlp", "zone_scheme": "paper3"},
    "au_vector": {"au_encoder": "mlp", "pab": False},
    "audio_only": {"au_encoder": "none", "pab": False},
    "channel_gate": {"baseline": "channel_gate"},
}


def zone_rows(cloud, zone):
    return torch.nonzero(cloud.attributes["zones"][:, ZONE_INDEX[zone]] == 1.0).flatten()


@pytest.mark.parametrize("name", list(ABLATIONS))
def test_output_shapes_and_static_gaussians_unmoved(cloud, name):
    model = EmoZoneModel.for_cloud(cloud, small_config(**ABLATIONS[name]))
    audio, au = random_inputs(4)
    out = model(cloud, audio, au)
    n = len(cloud)
    assert out.d_mu.shape == (4, n, 3) and out.d_rot.shape == (4, n, 4) and out.d_log_scale.shape == (4, n, 3)
    static = zone_rows(cloud, "static")
    assert len(static) == 10
    for t in (out.d_mu, out.d_rot, out.d_log_scale):
        assert bool((t[:, static] == 0).all())
    moving = torch.ones(n, dtype=torch.bool)
    moving[static] = False
    assert bool((out.d_mu[:, moving].abs().sum(-1) > 0).all())
    deformed = model.apply(cloud, out, 2)
    assert torch.equal(deformed.means[static], cloud.means[static])
    torch.testing.assert_close(deformed.quats[static], cloud.normalized_quats[static])
    torch.testing.assert_close(deformed.means, cloud.means + out.d_mu[2])


def test_last_layer_starts_near_zero(cloud):
    model = EmoZoneModel.for_cloud(cloud, ModelConfig(d=32, heads=2))
    out = model(cloud, *random_inputs(3))
    assert float(out.d_mu.detach().abs().max()) < 1e-3 * 0.2  # well under a millimetre-scale move of a 0.2 box


def _audio_change(cloud, pab):
    torch.manual_seed(0)
    model = EmoZoneModel.for_cloud(cloud, small_config(pab=pab))
    audio, au = random_inputs(5)
    with torch.no_grad():
        a = model(cloud, audio, au)
        b = model(cloud, torch.randn_like(audio), au)
    return (a.d_mu - b.d_mu).abs().amax(dim=(0, 2))  # [N]


def test_audio_never_reaches_brow_gaussians_with_pab(cloud):
    brow = zone_rows(cloud, "brow")
    mouth = zone_rows(cloud, "mouth")
    diff = _audio_change(cloud, pab=True)
    assert bool((diff[brow] == 0).all())  # exactly: the audio token has weight 0
    assert bool((diff[mouth] > 0).all())


def test_audio_leaks_into_brow_without_pab(cloud):
    diff = _audio_change(cloud, pab=False)
    assert bool((diff[zone_rows(cloud, "brow")] > 0).all())


def test_mouth_au_never_reaches_brow_gaussians_with_pab(cloud):
    torch.manual_seed(0)
    model = EmoZoneModel.for_cloud(cloud, small_config())
    audio, au = random_inputs(5)
    au2 = au.clone()
    au2[:, AU_INDEX["AU12"]] = torch.rand(5) * 5
    with torch.no_grad():
        diff = (model(cloud, audio, au).d_mu - model(cloud, audio, au2).d_mu).abs().amax(dim=(0, 2))
    assert bool((diff[zone_rows(cloud, "brow")] == 0).all())
    assert bool((diff[zone_rows(cloud, "mouth")] > 0).all())


def test_external_audio_features(cloud):
    model = EmoZoneModel.for_cloud(cloud, small_config(audio_mode="features", audio_feature_dim=29))
    out = model(cloud, torch.randn(6, 29), torch.rand(6, 17) * 5)
    assert out.d_mu.shape == (6, len(cloud), 3)


def test_config_json_round_trip_and_validation():
    cfg = small_config(pab=False, au_encoder="mlp", attention_chunk=512)
    again = ModelConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg
    with pytest.raises(ModelConfigError, match="unknown keys"):
        ModelConfig.from_dict({"d": 32, "colour": 1})
    with pytest.raises(ModelConfigError, match="au_encoder"):
        ModelConfig(au_encoder="lstm")
    with pytest.raises(ModelConfigError, match="baseline"):
        ModelConfig(baseline="nerf")


def test_bad_inputs_raise_clear_errors(cloud):
    model = EmoZoneModel.for_cloud(cloud, small_config())
    audio, au = random_inputs(4)
    with pytest.raises(ModelInputError, match="frames"):
        model(cloud, audio, au[:3])
    bare = cloud.replace(attributes={})
    with pytest.raises(ModelInputError, match="zones"):
        model(bare, audio, au)
    z = cloud.attributes["zones"].clone()
    z[3] = 0.0
    with pytest.raises(ModelInputError, match="first bad row 3"):
        model(cloud.replace(attributes={"zones": z}), audio, au)


def test_tiny_overfit_to_au_driven_deformation():
    """A few hundred Gaussians, a target motion driven by AU12 (mouth) and AU01 (brow) through
    smooth fields of position: the position loss must drop at least 10x."""
    torch.manual_seed(0)
    cloud = synthetic_cloud(300, seed=3)
    zones = cloud.attributes["zones"]
    x = cloud.means
    smile_dir = torch.stack([torch.sin(20 * x[:, 1]), torch.cos(15 * x[:, 0]), 0.5 * torch.ones_like(x[:, 0])], 1)
    brow_dir = torch.stack([0 * x[:, 0], torch.ones_like(x[:, 0]), torch.sin(10 * x[:, 2])], 1)
    t = 24
    au = torch.zeros(t, 17)
    au[:, AU_INDEX["AU12"]] = 2.5 + 2.5 * torch.sin(torch.arange(t) * 0.4)
    au[:, AU_INDEX["AU01"]] = 2.5 + 2.5 * torch.cos(torch.arange(t) * 0.27)
    w_mouth = zones[:, ZONE_INDEX["mouth"]][None, :, None]
    w_brow = zones[:, ZONE_INDEX["brow"]][None, :, None]
    target = x[None] + 0.01 * (au[:, None, AU_INDEX["AU12"], None] / 5 * smile_dir[None] * w_mouth
                               + au[:, None, AU_INDEX["AU01"], None] / 5 * brow_dir[None] * w_brow)
    audio = torch.randn(t, 32, 80)
    model = EmoZoneModel.for_cloud(cloud, small_config())
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(150):
        out = model(cloud, audio, au)
        loss = (x[None] + out.d_mu - target).pow(2).sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    print(f"overfit loss {losses[0]:.3e} -> {losses[-1]:.3e}")
    assert losses[-1] < losses[0] / 10, (losses[0], losses[-1])
    with torch.no_grad():
        final = position_loss(x[None] + model(cloud, audio, au).d_mu, target)
    assert float(final) < float(position_loss(x[None].expand_as(target), target)) / 3


@pytest.mark.parametrize("name", list(ABLATIONS))
def test_full_model_gradients_are_finite(cloud, name):
    """Zero memberships, wholly static Gaussians and -inf bias entries must not put NaN anywhere."""
    model = EmoZoneModel.for_cloud(cloud, small_config(**ABLATIONS[name]))
    audio, au = random_inputs(5)
    out = model(cloud, audio, au)
    from core.model.losses import offset_magnitude, temporal_second_difference

    (out.d_mu.sum() + temporal_second_difference(out.d_mu) + offset_magnitude(out)).backward()
    grads = {k: p.grad for k, p in model.named_parameters() if p.requires_grad}
    bad = [k for k, g in grads.items() if g is not None and not bool(torch.isfinite(g).all())]
    unused = [k for k, g in grads.items() if g is None]
    assert bad == []
    plain = ABLATIONS[name].get("pab") is False
    assert unused == (["attention.residual"] if plain else [])  # plain attention has no bias
    assert float(model.dec_out.weight.grad.abs().sum()) > 0


@pytest.mark.gpu
@pytest.mark.parametrize("options", [{}, {"cit_identity": "film", "attention_norm": "sigmoid", "zone_features": True,
                                          "gaussian_latent": 4}], ids=["default", "diagnosis_options"])
def test_cuda_matches_cpu(cloud, options):
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    torch.manual_seed(0)
    model = EmoZoneModel.for_cloud(cloud, small_config(**options))
    audio, au = random_inputs(4)
    with torch.no_grad():
        ref = model(cloud, audio, au)
        gpu = model.to("cuda")(cloud.to("cuda"), audio.cuda(), au.cuda())
    torch.testing.assert_close(gpu.d_mu.cpu(), ref.d_mu, rtol=1e-3, atol=1e-6)
    static = zone_rows(cloud, "static")
    assert bool((gpu.d_mu[:, static.cuda()] == 0).all())


@pytest.mark.parametrize("name", list(ABLATIONS))
def test_neutral_anchor_gives_the_canonical_head_at_silence_and_rest(cloud, name):
    """With neutral_anchor the neutral input (silence, every AU at 0) deforms nothing, whatever the
    weights; without it, an untrained model already moves the face there."""
    from core.training.au_response import silent_audio

    torch.manual_seed(0)
    for anchored in (True, False):
        model = EmoZoneModel.for_cloud(cloud, small_config(neutral_anchor=anchored, out_init_std=1e-2,
                                                           **ABLATIONS[name]))
        silence, rest = silent_audio(model, 6), torch.zeros(6, 17)
        with torch.no_grad():
            neutral = model(cloud, silence, rest)
            au = rest.clone()
            au[:, AU_INDEX["AU12"]] = 5.0
            smile = model(cloud, silence, au)
            speech = model(cloud, torch.randn_like(silence), rest)
        still = max(float(t.abs().max()) for t in (neutral.d_mu, neutral.d_rot, neutral.d_log_scale))
        if anchored:
            assert still < 1e-7
        else:
            assert still > 1e-5
        assert float(speech.d_mu.abs().max()) > 1e-5
        # The audio-only ablation has no AU input at all; every other variant smiles.
        assert (float((smile.d_mu - neutral.d_mu).abs().max()) > 1e-5) == (name != "audio_only")
