"""core.drive's one driver path: the neural model driver on the shipped checkpoint, the one batch
type, the one speech-control cache, and clear errors for a bad checkpoint or an unknown driver."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core.anim.curve import Curve, Keyframe
from core.audio.decode import load_audio
from core.aus import SPEECH_INDEX, ZONE_INDEX
from core.drive import DRIVERS, Driver, DriveError, ModelDriver, RigDriver, SpeechCache, make_driver
from core.gaussians import GaussianFrames
from core.model.checkpoint import DEFAULT_CHECKPOINT, CheckpointError

from .export.conftest import make_take, write_tone_wav


@pytest.fixture(scope="module")
def head():
    from core.head import default_head

    return default_head()


@pytest.fixture(scope="module")
def voice(tmp_path_factory):
    path = tmp_path_factory.mktemp("audio") / "voice.wav"
    write_tone_wav(path, 0.6)
    return path


@pytest.fixture(scope="module")
def model_driver(head, voice):
    """The shipped checkpoint on a 12-frame take with speech and a smile (loaded once: ~0.6 s a frame)."""
    return make_driver("model", head, make_take(voice, duration=12))


def mouth_and_jaw(head):
    z = head.cloud.attributes["zones"]
    return (z[:, ZONE_INDEX["mouth"]] + z[:, ZONE_INDEX["jaw_chin"]]) > 0.5


def test_the_driver_table_names_every_driver_make_driver_builds(head, voice):
    take = make_take(voice, duration=4)
    built = {name: make_driver(name, head, take) for name in DRIVERS}
    assert isinstance(built["rig"], RigDriver) and isinstance(built["model"], ModelDriver)
    assert all(isinstance(d, Driver) for d in built.values())
    assert built["model"].checkpoint == DEFAULT_CHECKPOINT


def test_the_shipped_model_moves_the_mouth_and_returns_the_one_batch_type(model_driver, head):
    batch = model_driver.frames(np.array([2.0, 7.0]))
    rig_batch = make_driver("rig", head, model_driver.take).frames(np.array([2.0]))
    assert type(batch) is type(rig_batch) is GaussianFrames
    assert batch.means.shape == (2, len(head.cloud), 3) and batch.quats.shape == (2, len(head.cloud), 4)
    moved = (batch.means - head.cloud.means[None]).norm(dim=-1)  # [2, N]
    mouth = mouth_and_jaw(head)
    assert float(moved[:, mouth].max()) > 1e-4, "the trained model left the mouth still"
    static = head.cloud.attributes["zones"][:, ZONE_INDEX["static"]] == 1.0
    assert float(moved[:, static].max()) == 0.0  # the hair and neck never move
    assert not torch.allclose(batch.means[0], batch.means[1])  # frames differ (speech and smile change)
    # One frame alone equals the same frame in a batch, and fractional frames take the nearest one.
    torch.testing.assert_close(model_driver.cloud(7.0).means, batch.means[1])
    torch.testing.assert_close(model_driver.cloud(6.6).means, batch.means[1])


def test_an_edit_keeps_the_cache_and_recomputes_only_what_it_changes(model_driver):
    driver = model_driver.retake(model_driver.take)
    driver.frames(np.arange(12.0))
    cache = driver.deformation_cache()
    assert cache is model_driver.deformation_cache()  # shared across retakes of the same take
    # The brow lowerer at frames 10..11 only (0 before, as the take had it).
    edited = model_driver.take.with_curve("AU04", Curve((Keyframe(0.0, 0.0), Keyframe(9.0, 0.0),
                                                         Keyframe(10.0, 4.0), Keyframe(11.0, 4.0))))
    after = driver.retake(edited)
    before_means = driver.frames(np.array([11.0])).means.clone()
    new_means = after.frames(np.array([0.0, 11.0])).means
    assert cache.last_computed == [11]  # frame 0 is outside the edit's reach: served from the cache
    assert not torch.allclose(new_means[1], before_means[0])  # the brow lowerer moved something
    # Another length needs another cache.
    longer = driver.retake(make_take(model_driver.take.audio.path, duration=13))
    assert longer.deformation_cache() is not cache


def test_rig_and_model_share_one_speech_analysis(head, voice):
    cache = SpeechCache()
    take = make_take(voice, duration=10)
    clip = load_audio(voice)
    rig = make_driver("rig", head, take, audio=clip, speech_cache=cache)
    _, speech = rig.controls(np.arange(10.0))
    assert speech[:, SPEECH_INDEX["jaw_open"]].max() > 0.3
    model = make_driver("model", head, take, audio=clip, speech_cache=cache)
    _, speech_model = model.controls(np.arange(10.0))
    make_driver("rig", head, take.with_curve("AU12", Curve((Keyframe(0.0, 2.0),))), audio=clip,
                speech_cache=cache).controls(np.arange(10.0))
    assert cache.computed == 1  # three drivers, one analysis
    np.testing.assert_array_equal(speech_model, speech)
    make_driver("rig", head, make_take(voice, duration=10, fps=30.0), audio=clip, speech_cache=cache).controls(
        np.arange(3.0))
    assert cache.computed == 2  # another frame rate is another entry


def test_a_bad_checkpoint_is_a_checkpoint_error_naming_the_file(head, tmp_path):
    take = make_take(None, duration=3)
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(CheckpointError, match="broken.safetensors"):
        make_driver("model", head, take, checkpoint=broken)
    with pytest.raises(CheckpointError, match="missing.safetensors.*not found"):
        make_driver("model", head, take, checkpoint=tmp_path / "missing.safetensors")

    from core.model.checkpoint import save_checkpoint
    from core.model.deform import EmoZoneModel

    model = EmoZoneModel.for_cloud(head.cloud)
    other = save_checkpoint(tmp_path / "other_head.safetensors", model, model.config, "another-head")
    with pytest.raises(CheckpointError, match="other_head.safetensors.*another-head"):
        make_driver("model", head, take, checkpoint=other)


def test_unknown_drivers_and_misplaced_checkpoints_are_refused(head):
    take = make_take(None, duration=3)
    with pytest.raises(DriveError, match="unknown driver 'neural'; available: rig, model"):
        make_driver("neural", head, take)
    with pytest.raises(DriveError, match="'model' driver"):
        make_driver("rig", head, take, checkpoint=DEFAULT_CHECKPOINT)


def test_the_model_hears_the_audio_where_the_take_places_it(model_driver, head, voice):
    """An audio offset of 0.2 s is the same sound as the clip with 0.2 s of silence in front of it,
    for the model as for the rig's speech (the studio used to ignore the offset for the model)."""
    import dataclasses

    from core.anim.take import AudioRef
    from core.audio.decode import AudioClip

    clip = load_audio(voice)
    late = make_take(voice, duration=12)
    late = dataclasses.replace(late, audio=AudioRef(str(voice), offset=0.2))
    padded = AudioClip(np.concatenate([np.zeros((int(0.2 * clip.sample_rate), clip.channels), np.float32),
                                       clip.samples]), clip.sample_rate)
    model = model_driver.model
    shifted = make_driver("model", head, late, model=model, audio=clip)._features()
    silence_first = make_driver("model", head, make_take(voice, duration=12), model=model, audio=padded)._features()
    unshifted = make_driver("model", head, make_take(voice, duration=12), model=model, audio=clip)._features()
    torch.testing.assert_close(shifted, silence_first, atol=0.05, rtol=0)  # resampling edges differ a little
    assert (shifted - unshifted).abs().max() > 1.0
    # The rig's speech moves the same way: nothing at frame 2 (0.08 s) with the late start.
    _, speech = make_driver("rig", head, late, audio=clip).controls(np.array([2.0]))
    assert np.all(speech == 0)


def test_the_speech_cache_does_not_keep_a_clip_alive(voice):
    import gc
    import weakref

    cache = SpeechCache()
    clip = load_audio(voice)
    first = cache.controls(clip, 25.0, 10)
    assert cache.controls(clip, 25.0, 10) is first and cache.computed == 1  # still a cache
    ref = weakref.ref(clip)
    del clip
    gc.collect()
    assert ref() is None  # the entry held only a weak reference
    assert len(cache) == 0  # and the dead clip's entry went on the next call
    other = load_audio(voice)
    cache.controls(other, 25.0, 10)
    assert cache.computed == 2 and len(cache) == 1  # a new clip (even at a reused id) is analysed anew


def test_a_clip_dying_inside_the_cache_lock_does_not_deadlock(voice):
    import gc

    cache = SpeechCache()
    clip = load_audio(voice)
    cycle = [clip]
    cycle.append(cycle)  # only the garbage collector frees it, whenever it runs
    cache.controls(clip, 25.0, 5)
    del clip, cycle
    with cache._lock:  # the callback runs here, inside the lock (as a GC during controls() would)
        gc.collect()
    assert len(cache) == 0
