import math

import pytest
import torch

from core.aus import AU_NAMES, NUM_ZONES, ZONE_INDEX, ZONES
from core.model.sz_pab import (AUDIO_TOKEN, NULL_TOKEN, SZPABAttention, mixture_bias, prior_bias_table,
                               token_names)

NAMES = token_names("cit")


def entry(table, zone, token):
    return float(table[ZONE_INDEX[zone], NAMES.index(token)])


def test_prior_table_rules():
    b = prior_bias_table("cit", secondary=-2.0, speech_priority=-1.0)
    assert b.shape == (NUM_ZONES, 19)
    assert all(entry(b, z, NULL_TOKEN) == 0.0 for z in ZONES)
    for zone in ("brow", "eyes", "cheek_nose"):
        assert entry(b, zone, AUDIO_TOKEN) == -math.inf
    for zone in ("mouth", "jaw_chin"):
        assert entry(b, zone, AUDIO_TOKEN) == 0.0
    assert entry(b, "brow", "AU01") == 0.0 and entry(b, "eyes", "AU45") == 0.0
    assert entry(b, "brow", "AU26") == -math.inf
    assert entry(b, "cheek_nose", "AU12") == -2.0
    assert entry(b, "mouth", "AU12") == -1.0  # speech outranks expression in the mouth
    assert entry(b, "jaw_chin", "AU26") == -1.0
    assert entry(b, "mouth", "AU01") == -math.inf
    static = b[ZONE_INDEX["static"]]
    assert static[-1] == 0.0 and bool(torch.isinf(static[:-1]).all())
    # Every AU is primary somewhere, and every non-static row allows something besides null.
    assert all(torch.isfinite(b[:, NAMES.index(a)]).any() for a in AU_NAMES)


def test_mlp_ablation_table():
    b = prior_bias_table("mlp")
    assert b.shape == (NUM_ZONES, 3)
    assert float(b[ZONE_INDEX["brow"], 1]) == 0.0 and float(b[ZONE_INDEX["brow"], 0]) == -math.inf


def test_one_zone_gaussian_gets_that_zone_row():
    table = prior_bias_table("cit")
    m = torch.eye(NUM_ZONES)
    bias = mixture_bias(m, table)
    assert torch.equal(torch.isinf(bias), torch.isinf(table))
    torch.testing.assert_close(bias[torch.isfinite(bias)], table[torch.isfinite(table)])


def test_mixture_masks_only_where_every_member_zone_masks():
    table = prior_bias_table("cit")
    m = torch.zeros(1, NUM_ZONES)
    m[0, ZONE_INDEX["brow"]] = 0.5
    m[0, ZONE_INDEX["mouth"]] = 0.5
    b = mixture_bias(m, table)[0]
    assert math.isclose(float(b[0]), math.log(0.5), rel_tol=1e-6)  # audio: allowed through the mouth
    assert math.isclose(float(b[NAMES.index("AU01")]), math.log(0.5), rel_tol=1e-6)
    assert math.isclose(float(b[NAMES.index("AU12")]), math.log(0.5 * math.exp(-1.0)), rel_tol=1e-6)
    assert float(b[NAMES.index("AU06")]) == pytest.approx(math.log(0.5 * math.exp(-2.0)))
    assert float(b[-1]) == pytest.approx(0.0, abs=1e-6)


def test_residual_starts_at_zero_and_touches_only_finite_entries():
    att = SZPABAttention(query_dim=8, d=16, heads=2)
    assert torch.equal(att.residual, torch.zeros_like(att.prior))
    assert torch.equal(att.bias_table(), att.prior)
    with torch.no_grad():
        att.residual.fill_(0.3)
    eff = att.bias_table()
    finite = torch.isfinite(att.prior)
    assert torch.equal(torch.isinf(eff), ~finite)
    torch.testing.assert_close(eff[finite], att.prior[finite] + 0.3)


def _setup(pab=True, n=64, t=3, seed=0):
    torch.manual_seed(seed)
    att = SZPABAttention(query_dim=8, d=16, heads=2, pab=pab)
    f = torch.randn(n, 8)
    m = torch.softmax(torch.randn(n, NUM_ZONES) * 3, dim=1)
    m[: n // 2, ZONE_INDEX["static"]] = 0.0  # exact zeros in the memberships
    m[:4] = 0.0
    m[:4, ZONE_INDEX["brow"]] = 1.0  # wholly brow
    m[4:8] = 0.0
    m[4:8, ZONE_INDEX["static"]] = 1.0  # wholly static: only the null token is allowed
    m = m / m.sum(1, keepdim=True)
    tokens = torch.randn(t, 18, 16)
    return att, f, m, tokens


def test_masked_tokens_get_exactly_zero_weight():
    att, f, m, tokens = _setup()
    o, w = att.attend(att.queries(f), tokens, att.gaussian_bias(m), return_weights=True)
    assert o.shape == (3, 64, 16) and w.shape == (3, 2, 64, 19)
    mask = torch.isinf(att.gaussian_bias(m))
    assert bool((w.permute(2, 3, 0, 1)[mask] == 0).all())
    assert bool((w[:, :, 4:8, -1] == 1).all())  # static Gaussians attend only to null
    torch.testing.assert_close(w.sum(-1), torch.ones(3, 2, 64))


def test_plain_attention_uses_every_token():
    att, f, m, tokens = _setup(pab=False)
    assert att.gaussian_bias(m) is None
    _, w = att.attend(att.queries(f), tokens, None, return_weights=True)
    assert bool((w > 0).all())


def test_no_nan_gradients_with_infinite_entries():
    att, f, m, tokens = _setup()
    f.requires_grad_(True)
    tokens.requires_grad_(True)
    o = att(f, m, tokens)
    assert torch.isfinite(o).all()
    o.square().sum().backward()
    for name, p in att.named_parameters():
        if p.grad is not None:
            assert torch.isfinite(p.grad).all(), name
    assert torch.isfinite(f.grad).all() and torch.isfinite(tokens.grad).all()
    assert att.residual.grad is not None and att.residual.grad.abs().sum() > 0
    # The residual of a -inf entry never receives gradient.
    assert bool((att.residual.grad[torch.isinf(att.prior)] == 0).all())


def test_chunked_attention_matches_unchunked():
    att, f, m, tokens = _setup()
    full = att(f, m, tokens)
    att.chunk_size = 10
    torch.testing.assert_close(att(f, m, tokens), full)


def test_the_papers_three_zones_suppress_by_a_finite_learnable_penalty():
    from core.model.sz_pab import paper3_bias_table, scheme_matrix, scheme_zones

    table = paper3_bias_table("cit", suppress=-2.0)
    rows = scheme_zones("paper3")
    assert rows == ("Z_A", "Z_E", "Z_S", "static")
    z_a, z_e, z_s = table[0], table[1], table[2]
    audio, null = NAMES.index(AUDIO_TOKEN), NAMES.index(NULL_TOKEN)
    assert z_a[audio] == 0 and all(z_a[NAMES.index(au)] == -2.0 for au in AU_NAMES)  # mouth: AUs suppressed
    assert z_e[audio] == -2.0 and all(z_e[NAMES.index(au)] == 0 for au in AU_NAMES)  # upper face: audio suppressed
    assert bool((z_s == 0).all())                                                    # synergy: unconstrained
    assert bool(torch.isfinite(table[:3]).all()) and table[3, null] == 0 and torch.isinf(table[3, :null]).all()
    # Six anatomical memberships sum into the paper's zones.
    m = torch.eye(NUM_ZONES) @ scheme_matrix("paper3")
    assert m[ZONE_INDEX["mouth"], 0] == 1 and m[ZONE_INDEX["jaw_chin"], 0] == 1
    assert m[ZONE_INDEX["brow"], 1] == 1 and m[ZONE_INDEX["eyes"], 1] == 1 and m[ZONE_INDEX["cheek_nose"], 2] == 1
    # The table is learned everywhere but the static row; the upper face still hears the audio a little.
    att = SZPABAttention(16, 16, 2, "cit", zone_scheme="paper3")
    onehot = torch.zeros(1, NUM_ZONES)
    onehot[0, ZONE_INDEX["brow"]] = 1.0
    bias = att.gaussian_bias(onehot)
    b_audio = float(bias[0, audio].detach())
    assert b_audio == pytest.approx(-2.0) and math.isfinite(b_audio)
    loss = att.gaussian_bias(torch.full((1, NUM_ZONES), 1.0 / NUM_ZONES))[:, :null].sum()
    loss.backward()
    assert bool((att.residual.grad[:3, :null] != 0).all()) and bool((att.residual.grad[3] == 0).all())
