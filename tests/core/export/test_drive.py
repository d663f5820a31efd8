"""The rig frame driver: audio speech, per-channel overrides, caching, chunking, fractional frames."""
from __future__ import annotations

import numpy as np
import pytest

from core.anim.curve import Curve, Keyframe
from core.anim.take import SpeechDrive
from core.audio.decode import load_audio
from core.audio.speech_driver import speech_controls
from core.aus import SPEECH_INDEX
from core.drive import Driver, DriveError, RigDriver, SpeechTrack, make_driver

from .conftest import make_take


def test_speech_comes_from_audio_and_is_cached(rig, wav):
    head, deform = rig
    take = make_take(wav, duration=25)
    calls = []
    clip = load_audio(wav)

    def source(fps, n):
        calls.append((fps, n))
        return speech_controls(clip.analysis(), fps, n)

    driver = RigDriver(head, take, speech_source=source, deform=deform)
    assert isinstance(driver, Driver)
    au, speech = driver.controls(np.arange(25.0))
    driver.controls(np.arange(5.0))
    assert len(calls) == 1  # analysed once
    expected = speech_controls(clip.analysis(), 25.0, 26)[:25]
    np.testing.assert_allclose(speech, expected, atol=1e-6)
    assert speech[:, SPEECH_INDEX["jaw_open"]].max() > 0.3  # the test voice opens the mouth

    # The default source (load the take's audio, run the speech driver) agrees.
    _, speech_default = RigDriver(head, take, deform=deform).controls(np.arange(25.0))
    np.testing.assert_allclose(speech_default, speech, atol=1e-6)


def test_override_hands_a_channel_to_its_curve(rig, wav):
    head, deform = rig
    take = make_take(wav, duration=25)
    take = take.with_curve("jaw_open", Curve((Keyframe(0.0, 0.2),)))
    take = take.with_speech("jaw_open", SpeechDrive(driven_by_audio=True, override=True))
    _, speech = RigDriver(head, take, deform=deform).controls(np.arange(25.0))
    np.testing.assert_allclose(speech[:, SPEECH_INDEX["jaw_open"]], 0.2)
    assert speech[:, SPEECH_INDEX["lip_close"]].max() > 0  # the other channels still follow the audio


def test_no_audio_is_silence(rig):
    head, deform = rig
    _, speech = RigDriver(head, make_take(None, duration=5), deform=deform).controls(np.arange(5.0))
    assert np.all(speech == 0)


def test_chunked_frames_equal_single_frames(rig, wav):
    head, deform = rig
    take = make_take(wav, duration=12)
    driver = RigDriver(head, take, deform=deform, chunk=4)
    batch = driver.frames(np.arange(10.0))
    assert batch.means.shape == (10, len(head.cloud), 3)
    for k in (0, 5, 9):
        np.testing.assert_allclose(batch.cloud(k).means.numpy(), driver.cloud(float(k)).means.numpy(), atol=1e-6)
    assert not np.allclose(batch.means[0].numpy(), batch.means[6].numpy())


def test_speech_track_offset_and_interpolation():
    controls = np.array([[0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0]], dtype=np.float64)
    track = SpeechTrack(controls, fps=10.0, offset_s=0.1)  # audio starts one frame late
    out = track.sample(np.array([0.0, 1.0, 1.5, 2.0, 3.0, 4.0]))
    np.testing.assert_allclose(out[:, 0], [0, 0, 0.5, 1, 0, 0])
    np.testing.assert_allclose(out[:, 1], [0, 0, 0, 0, 1, 0])


def test_bad_inputs(rig):
    head, _ = rig
    with pytest.raises(DriveError, match="unknown driver"):
        make_driver("neural", head, make_take(None, duration=3))
    with pytest.raises(DriveError, match="finite"):
        RigDriver(head, make_take(None, duration=3)).frames(np.array([np.nan]))
