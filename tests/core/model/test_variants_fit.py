"""The model options docs/RESULTS.md's diagnosis introduced: a per-AU token scale in CIT-AE
("film"), sigmoid attention weights, zone memberships and a learned per-Gaussian code in f."""
import pytest
import torch

from core.model.checkpoint import load_checkpoint, save_checkpoint
from core.model.cit_ae import CITAE
from core.model.deform import EmoZoneModel, ModelConfigError, ModelInputError
from core.model.sz_pab import SZPABAttention

from .synth import random_inputs, small_config


def _intensity_direction(enc, c):
    """How the token of AU c moves between intensity 0 and 5 (the same window everywhere)."""
    zero = torch.zeros(3, 17)
    five = zero.clone()
    five[:, c] = 5.0
    return (enc(five) - enc(zero))[1, c]


def test_added_identity_moves_every_au_token_the_same_way_and_film_does_not():
    torch.manual_seed(0)
    add, film = CITAE(d=16, window=1, hidden=8), CITAE(d=16, window=1, hidden=8, identity="film")
    film.load_state_dict({**add.state_dict(), "scale": film.scale.detach()})
    # k_c = h_c + e_c: h is shared by the channels, so intensity moves every AU token identically.
    torch.testing.assert_close(_intensity_direction(add, 0), _intensity_direction(add, 2))
    d0, d2 = _intensity_direction(film, 0), _intensity_direction(film, 2)
    cos = torch.nn.functional.cosine_similarity(d0, d2, dim=0)
    assert cos < 0.95  # each AU has its own direction
    torch.testing.assert_close(d0, _intensity_direction(add, 0) * film.scale[0])


def test_film_keeps_the_channels_independent():
    enc = CITAE(d=16, window=2, hidden=8, identity="film")
    au = torch.rand(20, 17) * 5
    v = au.clone()
    v[:, 4] = torch.rand(20) * 5
    others = [i for i in range(17) if i != 4]
    assert torch.equal(enc(v)[:, others], enc(au)[:, others])


def test_sigmoid_weights_add_up_and_masked_tokens_stay_exactly_zero():
    att = SZPABAttention(8, d=16, heads=2, norm="sigmoid")
    zones = torch.zeros(5, 6)
    zones[:, 0] = 1.0  # wholly brow: audio is -inf there
    q = att.queries(torch.randn(5, 8))
    tokens = torch.randn(2, 18, 16)
    _, w = att.attend(q, tokens, att.gaussian_bias(zones), return_weights=True)
    assert torch.all(w[..., 0] == 0)  # the audio token in the brow
    assert not torch.allclose(w.sum(-1), torch.ones_like(w.sum(-1)))  # not a convex mix
    with pytest.raises(ValueError, match="softmax"):
        SZPABAttention(8, d=16, heads=2, norm="relu")


def test_gaussian_code_and_zone_features_round_trip_and_name_a_wrong_cloud(tmp_path, cloud):
    cfg = small_config(gaussian_latent=4, zone_features=True, cit_identity="film", attention_norm="sigmoid")
    with pytest.raises(ModelConfigError, match="num_gaussians"):
        EmoZoneModel(cfg)
    model = EmoZoneModel.for_cloud(cloud, cfg).eval()
    assert model.config.num_gaussians == len(cloud)
    counts = model.parameter_counts()
    assert counts["gaussian_latent"] == 4 * len(cloud)
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, model, model.config, "h", {})
    loaded, cfg2, _ = load_checkpoint(path, "h")
    assert cfg2 == model.config
    audio, au = random_inputs(3)
    with torch.no_grad():
        assert torch.equal(model(cloud, audio, au).d_mu, loaded(cloud, audio, au).d_mu)
        with pytest.raises(ModelInputError, match=f"each of {len(cloud)} Gaussians"):
            model.gaussian_context(cloud.means[:10], torch.full((10, 6), 1 / 6))


def test_modality_weights_keep_audio_and_aus_apart_and_masks_exact():
    att = SZPABAttention(8, d=16, heads=2, norm="modality")
    zones = torch.zeros(4, 6)
    zones[:2, 3] = 1.0  # mouth: audio and the mouth AUs allowed
    zones[2:, 0] = 1.0  # brow: audio masked
    q = att.queries(torch.randn(4, 8))
    tokens = torch.randn(3, 18, 16)
    bias = att.gaussian_bias(zones)
    _, w = att.attend(q, tokens, bias, return_weights=True)
    # Two softmaxes, each with the null token: the weights sum to 2, the AUs' to at most 1.
    torch.testing.assert_close(w.sum(-1), torch.full_like(w.sum(-1), 2.0))
    assert torch.all(w[..., 2:, 0] == 0)  # audio stays out of the brow exactly
    # A stronger AU logit takes weight from the other AUs and the null token, never from the audio.
    louder = tokens.clone()
    louder[:, 9] *= 10.0  # AU12's token
    _, w2 = att.attend(q, louder, bias, return_weights=True)
    torch.testing.assert_close(w2[..., :2, 0], w[..., :2, 0])
