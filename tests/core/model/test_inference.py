import pytest
import torch

from core.aus import AU_INDEX
from core.model.deform import EmoZoneModel
from core.model.inference import DeformationCache, InferenceInputError, deformed_arrays

from .synth import random_inputs, small_config

F_TOTAL = 40


def fresh(model, cloud, audio, au):
    with torch.no_grad():
        return deformed_arrays(cloud, model(cloud, audio, au))


@pytest.fixture
def setup(cloud):
    torch.manual_seed(0)
    model = EmoZoneModel.for_cloud(cloud, small_config(au_window=3))
    audio, au = random_inputs(F_TOTAL)
    return model, cloud, audio, au


def test_cached_frames_equal_a_full_computation(setup):
    model, cloud, audio, au = setup
    cache = DeformationCache(model, cloud, audio, chunk_frames=7)
    r = cache.frames(range(F_TOTAL), au)
    means, quats, log_scales = fresh(model, cloud, audio, au)
    torch.testing.assert_close(r.means, means, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(r.quats, quats, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(r.log_scales, log_scales, rtol=1e-5, atol=1e-6)
    assert cache.computed_frames == F_TOTAL
    static = torch.nonzero(cloud.attributes["zones"][:, -1] == 1.0).flatten()
    assert len(static) == 10 and torch.equal(r.means[:, static], cloud.means[static].expand(F_TOTAL, -1, -1))


def test_a_head_of_only_static_gaussians(cloud):
    static_only = cloud.subset(cloud.attributes["zones"][:, -1] == 1.0)
    model = EmoZoneModel.for_cloud(cloud, small_config())
    audio, au = random_inputs(6)
    r = DeformationCache(model, static_only, audio).frames(range(6), au)
    assert torch.equal(r.means, static_only.means.expand(6, -1, -1))


def test_an_edit_recomputes_only_the_affected_frames(setup):
    model, cloud, audio, au = setup
    w = model.au_radius
    assert w == 3
    cache = DeformationCache(model, cloud, audio)
    cache.frames(range(F_TOTAL), au)
    cache.frames([5, 6], au)  # nothing changed: served from the cache
    assert cache.last_computed == []
    edited = au.clone()
    edited[20:24, AU_INDEX["AU12"]] += 1.5
    r = cache.frames(range(F_TOTAL), edited)
    assert cache.last_computed == list(range(20 - w, 23 + w + 1))
    assert cache.computed_frames == F_TOTAL + 10
    torch.testing.assert_close(r.means, fresh(model, cloud, audio, edited)[0], rtol=1e-5, atol=1e-7)
    # Edits at both ends clip to the take; a second run of changes is handled separately.
    edited2 = edited.clone()
    edited2[0, 0] = 4.0
    edited2[39, 16] = 0.5
    edited2[30, 3] = 1.0
    cache.frames(range(F_TOTAL), edited2)
    assert cache.last_computed == [0, 1, 2, 3, 27, 28, 29, 30, 31, 32, 33, 36, 37, 38, 39]
    torch.testing.assert_close(cache.frames(range(F_TOTAL), edited2).means,
                               fresh(model, cloud, audio, edited2)[0], rtol=1e-5, atol=1e-7)


def test_per_frame_encoders_recompute_only_edited_frames(cloud):
    model = EmoZoneModel.for_cloud(cloud, small_config(au_encoder="mlp"))
    audio, au = random_inputs(F_TOTAL)
    cache = DeformationCache(model, cloud, audio)
    cache.frames(range(F_TOTAL), au)
    edited = au.clone()
    edited[10, 0] = 0.0
    cache.frames(range(F_TOTAL), edited)
    assert cache.last_computed == [10]


def test_requests_only_compute_what_is_asked_and_cloud_at(setup):
    model, cloud, audio, au = setup
    cache = DeformationCache(model, cloud, audio, max_cached_frames=5)
    cache.frames([3, 9], au)
    assert cache.last_computed == [3, 9]
    deformed = cache.cloud_at(9, au)
    assert cache.last_computed == []
    torch.testing.assert_close(deformed.means, fresh(model, cloud, audio, au)[0][9], rtol=1e-5, atol=1e-7)
    cache.frames(range(10, 20), au)
    assert len(cache.cached_frames) == 5


def test_bad_requests_raise(setup):
    model, cloud, audio, au = setup
    cache = DeformationCache(model, cloud, audio)
    with pytest.raises(InferenceInputError, match="outside"):
        cache.frames([F_TOTAL], au)
    with pytest.raises(InferenceInputError, match=r"\[40, 17\]"):
        cache.frames([0], au[:10])
    bad = au.clone()
    bad[2, 2] = float("nan")
    with pytest.raises(InferenceInputError, match="NaN"):
        cache.frames([0], bad)


@pytest.mark.parametrize("anchor", [False, True])
def test_an_edit_of_one_au_decodes_only_the_gaussians_its_token_reaches(cloud, anchor):
    """CIT-AE's tokens are channel-independent and the zone bias is -inf outside an AU's zones, so
    the other Gaussians of an edited frame keep their cached values, exactly as a full decode would."""
    torch.manual_seed(0)
    model = EmoZoneModel.for_cloud(cloud, small_config(au_window=3, neutral_anchor=anchor))
    audio, au = random_inputs(F_TOTAL)
    cache = DeformationCache(model, cloud, audio)
    cache.frames(range(F_TOTAL), au)
    reach = cache._reach[AU_INDEX["AU01"]]
    assert 0 < len(reach) < len(cache._moving)  # the brow token cannot reach the mouth
    edited = au.clone()
    edited[20, AU_INDEX["AU01"]] += 2.0
    r = cache.frames(range(F_TOTAL), edited)
    w = model.au_radius
    assert cache.last_computed == cache.last_partial == list(range(20 - w, 20 + w + 1))
    torch.testing.assert_close(r.means, fresh(model, cloud, audio, edited)[0], rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(r.quats, fresh(model, cloud, audio, edited)[1], rtol=1e-5, atol=1e-6)
    # Two channels at once, then a frame dropped from the cache and asked for again (a full decode).
    edited[21, AU_INDEX["AU26"]] = 3.0
    edited[22, AU_INDEX["AU45"]] = 1.0
    cache.invalidate([22])
    r = cache.frames(range(F_TOTAL), edited)
    assert 22 in cache.last_computed and 22 not in cache.last_partial
    torch.testing.assert_close(r.means, fresh(model, cloud, audio, edited)[0], rtol=1e-5, atol=1e-7)


def test_without_the_zone_bias_an_edit_decodes_whole_frames(cloud):
    model = EmoZoneModel.for_cloud(cloud, small_config(pab=False))
    audio, au = random_inputs(F_TOTAL)
    cache = DeformationCache(model, cloud, audio)
    cache.frames(range(F_TOTAL), au)
    assert cache._reach is None
    edited = au.clone()
    edited[10, 0] = 4.0
    cache.frames(range(F_TOTAL), edited)
    assert cache.last_partial == [] and 10 in cache.last_computed
