"""Playback on a real, paced output (JACK dummy backend) and the wall-clock fallback."""
from __future__ import annotations

import logging
import time

import numpy as np
import pytest

from core.audio.decode import AudioClip
from core.audio.playback import Player

FRAME_S = 1 / 25  # one video frame at 25 fps


def _clip(seconds: float = 8.0, rate: int = 22050, channels: int = 1) -> AudioClip:
    t = np.arange(int(seconds * rate)) / rate
    x = 0.2 * np.sin(2 * np.pi * 330 * t)
    return AudioClip(np.repeat(x[:, None], channels, axis=1).astype(np.float32), rate)


def _wait_until_moving(player: Player, timeout: float = 2.0) -> None:
    p0 = player.position_seconds()
    deadline = time.monotonic() + timeout
    while player.position_seconds() == p0 and time.monotonic() < deadline:
        time.sleep(0.005)


@pytest.fixture
def player(jack_device):
    p = Player(_clip(), device=jack_device)
    yield p
    p.close()


@pytest.mark.audio
def test_opens_the_jack_device_and_resamples(player):
    assert player.backend == "portaudio", player.status_message
    assert player._rate == 48000  # the clip's 22.05 kHz was resampled to the device rate
    assert abs(player.duration - 8.0) < 1e-3


@pytest.mark.audio
def test_clock_runs_at_real_time_rate(player):
    player.play()
    _wait_until_moving(player)
    t0, p0 = time.monotonic(), player.position_seconds()
    positions = []
    while time.monotonic() - t0 < 2.0:
        time.sleep(0.01)
        positions.append(player.position_seconds())
    t1, p1 = time.monotonic(), player.position_seconds()
    rate = (p1 - p0) / (t1 - t0)
    assert abs(rate - 1.0) < 0.05, f"clock ran at {rate:.3f}x real time"
    assert all(b >= a for a, b in zip(positions, positions[1:])), "clock went backwards"
    assert player.is_playing


@pytest.mark.audio
def test_seek_lands_within_one_frame(player):
    player.play()
    _wait_until_moving(player)
    for target in (5.0, 1.234, 3.0):
        t0 = player._stream.time
        player.seek(target)
        assert abs(player.position_seconds() - target) < FRAME_S
        time.sleep(0.4)
        pos = player.position_seconds()
        # Elapsed time on the device's own clock, so a late period of the (non-realtime) JACK
        # server under CPU load is not mistaken for a seek error; the rate test covers pacing.
        elapsed = player._stream.time - t0
        # The seek takes effect at the next block (up to one 1024-frame period) and is heard after
        # the output latency (PortAudio may count one period less than JACK adds): past that
        # delay the clock must read target + elapsed within one video frame.
        delay = player._stream.latency + 2 * 1024 / 48000
        assert target + elapsed - delay - FRAME_S <= pos <= target + elapsed + FRAME_S, (target, elapsed, pos)


@pytest.mark.audio
def test_pause_stops_the_clock_and_play_resumes(player):
    player.play()
    _wait_until_moving(player)
    time.sleep(0.3)
    player.pause()
    held = player.position_seconds()
    assert not player.is_playing
    time.sleep(0.3)
    assert player.position_seconds() == held
    player.play()
    assert abs(player.position_seconds() - held) < FRAME_S
    time.sleep(0.3)
    assert player.position_seconds() > held + 0.15


@pytest.mark.audio
def test_loop_wraps(player):
    player.set_loop(1.0, 1.5)
    player.seek(1.0)
    player.play()
    _wait_until_moving(player)
    seen = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < 1.6:
        seen.append(player.position_seconds())
        time.sleep(0.01)
    seen = np.array(seen)
    assert (seen >= 1.0 - 1e-6).all() and (seen < 1.5).all()
    wraps = int((np.diff(seen) < -0.3).sum())
    assert wraps >= 2, f"expected the 0.5 s loop to wrap at least twice in 1.6 s, saw {wraps}"
    player.set_loop(None)
    time.sleep(0.8)
    assert player.position_seconds() > 1.5  # no longer held inside the loop


@pytest.mark.audio
def test_plays_to_the_end_and_stops(jack_device):
    with Player(_clip(seconds=0.5), device=jack_device) as p:
        p.play()
        time.sleep(1.0)
        assert not p.is_playing
        assert abs(p.position_seconds() - 0.5) < 1e-3
        p.play()  # at the end, play restarts from the beginning
        assert p.position_seconds() < FRAME_S


@pytest.mark.audio
def test_scrub_moves_the_playhead_and_fills_a_grain(player):
    player.scrub(2.0)
    assert player.position_seconds() == pytest.approx(2.0)
    idx = player._grain_cmd[1]
    grain = player._grains[idx]
    assert grain.shape[0] == int(round(0.06 * 48000))
    assert np.abs(grain).max() > 0.1  # the tone, windowed
    assert grain[0].max() == 0.0  # the Hann window starts at zero: no click
    time.sleep(0.2)  # the callback plays it once, then silence
    assert not player.is_playing and player.position_seconds() == pytest.approx(2.0)
    player.scrub(4.0)
    assert player._grain_cmd[1] != idx


def test_wallclock_fallback_with_no_device(caplog):
    clip = _clip(seconds=3.0)
    name = "no such output device 7f3a"
    with caplog.at_level(logging.WARNING, logger="core.audio.playback"):
        p = Player(clip, device=name)
        p2 = Player(clip, device=name)
    warnings = [r for r in caplog.records if "wall clock" in r.getMessage()]
    assert len(warnings) == 1
    assert p.backend == "wallclock" and p2.backend == "wallclock"
    assert "no audio output" in p.status_message and "wall clock" in p.status_message
    assert p.position_seconds() == 0.0 and not p.is_playing
    p.play()
    time.sleep(0.3)
    pos = p.position_seconds()
    assert 0.25 < pos < 0.6 and p.is_playing
    p.pause()
    held = p.position_seconds()
    time.sleep(0.1)
    assert p.position_seconds() == held
    p.seek(2.0)
    assert p.position_seconds() == 2.0
    p.set_loop(0.5, 0.7)  # position past the loop: it restarts at the loop start
    p.play()
    time.sleep(0.5)
    assert 0.5 <= p.position_seconds() < 0.7
    p.scrub(1.0)  # silent, but the playhead follows
    p.set_loop(None)
    p.pause()
    p.scrub(1.0)
    assert p.position_seconds() == 1.0
    p.close()
    p2.close()


def _play_until_stopped(p: Player, limit: float = 3.0) -> list[float]:
    seen = []
    t0 = time.monotonic()
    while p.is_playing and time.monotonic() - t0 < limit:
        seen.append(p.position_seconds())
        time.sleep(0.01)
    return seen


@pytest.mark.audio
def test_a_take_longer_than_its_audio_plays_on_silently_to_the_take_end(jack_device):
    # The bundled sample's case: the take runs past its audio. The clock must keep going past the
    # clip's end at the device's pace and stop at the take's end, not park at the clip's end.
    with Player(_clip(seconds=0.5), device=jack_device, length=1.0) as p:
        assert p.duration == pytest.approx(1.0) and p.clip_duration == pytest.approx(0.5)
        p.play()
        _wait_until_moving(p)
        seen = _play_until_stopped(p)
        assert not p.is_playing
        assert p.position_seconds() == pytest.approx(1.0, abs=1e-3)
        past = [s for s in seen if 0.55 < s < 0.95]
        assert len(past) >= 10, f"the clock did not run on past the clip's end: {seen[-5:]}"
        assert all(b >= a for a, b in zip(seen, seen[1:])), "clock went backwards"
        p.play()  # at the end, play restarts from the beginning
        assert p.position_seconds() < FRAME_S


@pytest.mark.audio
def test_a_take_shorter_than_its_audio_stops_at_the_take_end(jack_device):
    with Player(_clip(seconds=2.0), device=jack_device) as p:
        p.set_length(0.4)
        assert p.duration == pytest.approx(0.4)
        p.play()
        _wait_until_moving(p)
        _play_until_stopped(p)
        assert not p.is_playing
        assert p.position_seconds() == pytest.approx(0.4, abs=1e-3)


@pytest.mark.audio
def test_a_loop_reaching_past_the_audio_wraps_through_silence(jack_device):
    with Player(_clip(seconds=0.5), device=jack_device, length=1.2) as p:
        p.set_loop(0.3, 0.9)
        p.seek(0.3)
        p.play()
        _wait_until_moving(p)
        seen = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < 1.5:
            seen.append(p.position_seconds())
            time.sleep(0.01)
        seen = np.array(seen)
        assert (seen >= 0.3 - 1e-6).all() and (seen < 0.9).all()
        assert (seen > 0.6).any(), "the clock never went past the clip's end inside the loop"
        assert int((np.diff(seen) < -0.3).sum()) >= 1
        assert p.is_playing


def test_wallclock_runs_to_the_set_length():
    p = Player(_clip(seconds=0.2), device="no such output device 7f3a")
    p.set_length(0.5)
    p.play()
    time.sleep(0.35)
    assert p.is_playing and 0.25 < p.position_seconds() < 0.5
    time.sleep(0.4)
    assert not p.is_playing and p.position_seconds() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="positive"):
        p.set_length(0.0)
    p.set_length(None)
    assert p.duration == pytest.approx(0.2) and p.position_seconds() == pytest.approx(0.2)
    p.close()
