import pytest
import torch

from core.aus import AU_INDEX
from core.model.audio_encoder import AudioEncoder, AudioInputError
from core.model.cit_ae import AUInputError, AUMLPEncoder, CITAE, affected_frames, au_windows
from core.model.triplane import TriPlaneEncoder


# ---------------------------------------------------------------------- tri-plane
@pytest.mark.parametrize("reduce,dim", [("sum", 2 * 4), ("concat", 2 * 3 * 4)])
def test_triplane_shapes(reduce, dim):
    enc = TriPlaneEncoder((8, 16), channels=4, reduce=reduce)
    assert enc.out_dim == dim
    assert enc(torch.rand(50, 3) * 2 - 1).shape == (50, dim)


def test_triplane_samples_grid_nodes_exactly():
    enc = TriPlaneEncoder((5,), channels=2, reduce="concat")
    enc.set_bounds(torch.zeros(3), torch.full((3,), 4.0), margin=0.0)
    # align_corners=True: box corner (0,0,0) is node [0, 0] of every plane; (4, 0, 4) is
    # xy node (row y=0, col x=4), xz node (row z=4, col x=4), yz node (row z=4, col y=0).
    f = enc(torch.tensor([[0.0, 0.0, 0.0], [4.0, 0.0, 4.0]]))
    p = enc.planes[0].detach()
    torch.testing.assert_close(f[0], torch.cat([p[0, :, 0, 0], p[1, :, 0, 0], p[2, :, 0, 0]]))
    torch.testing.assert_close(f[1], torch.cat([p[0, :, 0, 4], p[1, :, 4, 4], p[2, :, 4, 0]]))


def test_triplane_is_bilinear_between_nodes_and_differentiable():
    enc = TriPlaneEncoder((3,), channels=1, reduce="concat")
    enc.set_bounds(torch.zeros(3), torch.full((3,), 2.0), margin=0.0)
    f = enc(torch.tensor([[0.5, 0.0, 0.0]]))  # halfway between x nodes 0 and 1 on xy and xz
    p = enc.planes[0].detach()
    torch.testing.assert_close(f[0, 0], 0.5 * (p[0, 0, 0, 0] + p[0, 0, 0, 1]))
    f.sum().backward()
    assert enc.planes[0].grad.abs().sum() > 0


def test_triplane_rejects_bad_input():
    with pytest.raises(ValueError, match="positions"):
        TriPlaneEncoder()(torch.zeros(4, 2))


# ---------------------------------------------------------------------- audio
def test_audio_mel_and_feature_shapes():
    assert AudioEncoder(d=24)(torch.randn(7, 32, 80)).shape == (7, 24)
    enc = AudioEncoder(d=24, mode="features", feature_dim=29)
    assert enc(torch.randn(7, 29)).shape == (7, 24)
    with pytest.raises(AudioInputError, match=r"\[T, 29\]"):
        enc(torch.randn(7, 1024))
    with pytest.raises(AudioInputError, match="log-mel"):
        AudioEncoder()(torch.randn(7, 16, 80))


def test_audio_smoothing_spans_neighbouring_frames_only():
    enc = AudioEncoder(d=16, smooth_kernel=5)
    x = torch.randn(20, 32, 80)
    base = enc(x)
    y = x.clone()
    y[10] += 1.0
    diff = (enc(y) - base).abs().sum(dim=1)
    changed = torch.nonzero(diff > 0).flatten().tolist()
    assert changed == [8, 9, 10, 11, 12]
    # The untrained kernel is a normalised low-pass: constant tokens stay constant.
    const = enc.encode_frames(x[:1]).expand(9, -1)
    r = enc.smooth_kernel // 2
    seq = torch.nn.functional.pad(const.t()[None], (r, r), mode="replicate")
    out = torch.nn.functional.conv1d(seq, enc.smooth, groups=enc.d)[0].t()
    torch.testing.assert_close(out, const)


# ---------------------------------------------------------------------- CIT-AE
def test_au_windows_scaled_and_edge_padded():
    au = torch.zeros(5, 17)
    au[:, 0] = torch.tensor([0.0, 1.0, 2.0, 3.0, 5.0])
    win = au_windows(au, 2)
    assert win.shape == (5, 17, 5)
    torch.testing.assert_close(win[0, 0], torch.tensor([0.0, 0.0, 0.0, 0.2, 0.4]))
    torch.testing.assert_close(win[4, 0], torch.tensor([0.4, 0.6, 1.0, 1.0, 1.0]))


def test_cit_shapes_and_frame_selection():
    enc = CITAE(d=16, window=4, hidden=8)
    au = torch.rand(12, 17) * 5
    k = enc(au)
    assert k.shape == (12, 17, 16)
    torch.testing.assert_close(enc(au, torch.tensor([3, 7])), k[[3, 7]])
    with pytest.raises(AUInputError, match=r"\[T, 17\]"):
        enc(torch.rand(12, 16))


def test_cit_channel_independence_is_exact():
    enc = CITAE(d=16, window=4, hidden=8)
    au = torch.rand(30, 17) * 5
    h = enc.encode_channels(au)
    for c in (0, AU_INDEX["AU12"], 16):
        v = au.clone()
        v[:, c] = torch.rand(30) * 5
        h2 = enc.encode_channels(v)
        others = [i for i in range(17) if i != c]
        assert torch.equal(h2[:, others], h[:, others])
        assert not torch.equal(h2[:, c], h[:, c])


def test_cit_change_reaches_exactly_the_affected_frames():
    w = 3
    enc = CITAE(d=16, window=w, hidden=8)
    au = torch.rand(40, 17) * 5
    k = enc(au)
    v = au.clone()
    v[10:13, 5] += 1.0
    diff = (enc(v) - k).abs().sum(dim=(1, 2))
    lo, hi = affected_frames(10, 12, w, 40)
    assert (lo, hi) == (7, 15)
    assert torch.nonzero(diff > 0).flatten().tolist() == list(range(lo, hi + 1))
    assert affected_frames(0, 1, w, 40) == (0, 4)
    assert affected_frames(38, 39, w) == (35, 42)


def test_cit_identity_embedding_distinguishes_channels():
    enc = CITAE(d=16, window=2, hidden=8)
    k = enc(torch.full((4, 17), 2.0))  # same values on every channel
    assert not torch.allclose(k[:, 0], k[:, 1])


def test_mlp_au_encoder_single_token():
    enc = AUMLPEncoder(d=16)
    assert enc(torch.rand(6, 17) * 5).shape == (6, 1, 16)
    assert enc.radius == 0
