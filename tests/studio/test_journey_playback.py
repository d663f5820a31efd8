"""The animator plays a take in the real window, on a real paced audio device (a JACK dummy
server): Space plays, playback stops at the end of the take whatever the length of its audio and
the button shows Play again, a loop wraps (also through the silence past the audio's end), and the
frame keys work from the transport. While playing the viewport shows the level of detail deformed
ahead of the clock; once stopped the frame is drawn again at full quality."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.anim import AudioRef, Take
from studio.engine import Engine
from tests.core.audio.conftest import jack_device  # noqa: F401  (the session's JACK dummy server)

from .windows import open_windows, wait_current

pytestmark = pytest.mark.audio

RATE = 48000


@pytest.fixture(scope="module")
def engine():
    return Engine()


@pytest.fixture
def paced_output(jack_device):  # noqa: F811
    """Make the JACK dummy server PortAudio's default output, so the studio's player uses it."""
    import sounddevice as sd

    before = tuple(sd.default.device)
    sd.default.device = (before[0], jack_device)
    yield jack_device
    sd.default.device = before


@pytest.fixture
def make_window(qtbot, tmp_path, engine, paced_output):
    yield from open_windows(qtbot, tmp_path, engine)


def recording(tmp_path, seconds: float, name: str = "voice.wav") -> str:
    """A WAV file of a tone, ``seconds`` long."""
    import soundfile

    t = np.arange(int(seconds * RATE)) / RATE
    path = tmp_path / name
    soundfile.write(str(path), (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), RATE)
    return str(path)


def follow(w):
    """Record the frames the window shows and whether each was a level-of-detail frame."""
    shown = []
    w.frame_shown.connect(lambda f: shown.append((f, w.viewport.is_lod() or w.shown.splats.source_index is not None)))
    return shown


def press(qtbot, widget, key, modifier=Qt.NoModifier):
    qtbot.keyClick(widget, key, modifier)


def wait_stopped_at_full_quality(qtbot, w, frame, timeout=30000):
    qtbot.waitUntil(lambda: not w.is_playing(), timeout=timeout)
    wait_current(qtbot, w)
    qtbot.waitUntil(lambda: w.shown.frame == frame and w.shown.splats.source_index is None, timeout=timeout)
    w.viewport.grab_rgb()  # a paint of what is on screen now
    assert not w.viewport.is_lod() and not w.viewport.last_paint_lod


def test_space_plays_a_take_longer_than_its_audio_to_the_take_end_and_shows_play(make_window, qtbot, tmp_path):
    # The bundled sample's defect: the take (60 frames, 2.4 s) runs past its audio (1.0 s); playback
    # used to park on the last frame still showing Pause. It must run on, silently, to the take's end.
    take = Take(name="Longer", fps=25.0, duration=60, audio=AudioRef(recording(tmp_path, 1.0)))
    w = make_window(take)
    assert w.player.backend == "portaudio", w.player.status_message
    assert w.player.clip_duration == pytest.approx(1.0, abs=1e-3)
    shown = follow(w)
    assert not w.transport.shows_pause()
    press(qtbot, w.viewport, Qt.Key_Space)
    assert w.is_playing() and w.transport.shows_pause() and w.transport.play_button.text() == "Pause"
    wait_stopped_at_full_quality(qtbot, w, 59)
    assert w.current_frame == 59 and w.transport.frame_box.value() == 59
    assert w.timeline.current_frame() == 59
    assert not w.transport.shows_pause() and w.transport.play_button.text() == "Play"
    assert not w.transport.play_button.isChecked()
    assert w.player.position_seconds() == pytest.approx(2.4, abs=1e-3)  # the take's end, not the audio's
    played = [f for f, _ in shown]
    assert any(f > 26 for f in played[:-1]), f"no frame past the audio's end was shown while playing: {played}"
    assert all(b >= a for a, b in zip(played, played[1:])), "the picture went back in time"
    assert any(lod for _, lod in shown), "playback never showed the level of detail"
    assert w.viewport.lod_paints > 0
    # Space again at the end plays from the start.
    press(qtbot, w.viewport, Qt.Key_Space)
    assert w.is_playing()
    qtbot.waitUntil(lambda: w.current_frame < 20 and w.shown is not None, timeout=10000)
    press(qtbot, w.viewport, Qt.Key_Space)
    assert not w.is_playing() and not w.transport.shows_pause()
    wait_stopped_at_full_quality(qtbot, w, w.current_frame)


def test_a_take_shorter_than_its_audio_stops_at_its_own_end(make_window, qtbot, tmp_path):
    take = Take(name="Shorter", fps=25.0, duration=15, audio=AudioRef(recording(tmp_path, 3.0)))
    w = make_window(take)
    assert w.player.backend == "portaudio"
    press(qtbot, w.viewport, Qt.Key_Space)
    assert w.is_playing()
    wait_stopped_at_full_quality(qtbot, w, 14)
    assert w.current_frame == 14 and not w.transport.shows_pause()
    assert w.player.position_seconds() == pytest.approx(0.6, abs=1e-3)  # stopped with the take
    assert not w.player.is_playing


def test_a_loop_wraps_also_through_the_silence_past_the_audio(make_window, qtbot, tmp_path):
    take = Take(name="Loop", fps=25.0, duration=50, audio=AudioRef(recording(tmp_path, 1.0)))
    w = make_window(take)
    shown = follow(w)
    press(qtbot, w.viewport, Qt.Key_L)  # Loop Range: the range boxes come alive
    for box, value in ((w.transport.loop_last, 34), (w.transport.loop_first, 20)):
        assert box.isEnabled()
        box.setFocus()
        box.lineEdit().selectAll()
        qtbot.keyClicks(box, str(value))
        press(qtbot, box, Qt.Key_Return)
    assert w.transport.loop_check.isChecked() and w.transport.loop_range() == (True, 20, 34)
    press(qtbot, w.viewport, Qt.Key_Space)
    assert w.is_playing()
    played = lambda: [f for f, _ in shown]  # noqa: E731
    # A wrap (a frame after a later one), having been past the audio's end (frame 25) first.
    qtbot.waitUntil(lambda: any(b < a for a, b in zip(played(), played()[1:])) and max(played()) > 26,
                    timeout=20000)
    press(qtbot, w.viewport, Qt.Key_Space)
    assert not w.is_playing() and not w.transport.shows_pause()
    assert all(20 <= f <= 34 for f in played()), played()
    wait_stopped_at_full_quality(qtbot, w, w.current_frame)
    assert 20 <= w.current_frame <= 34


@pytest.mark.parametrize("focus", ["play_button", "slider"])
def test_frame_keys_from_the_transport(make_window, qtbot, tmp_path, focus):
    take = Take(name="Keys", fps=25.0, duration=30, audio=AudioRef(recording(tmp_path, 1.0)))
    w = make_window(take)
    target = getattr(w.transport, focus)
    target.setFocus()
    qtbot.waitUntil(target.hasFocus)
    press(qtbot, target, Qt.Key_Right)
    assert w.current_frame == 1
    press(qtbot, target, Qt.Key_Right)
    press(qtbot, target, Qt.Key_Left)
    assert w.current_frame == 1 and w.transport.frame_box.value() == 1
    press(qtbot, target, Qt.Key_Right, Qt.ShiftModifier)
    assert w.current_frame == 29 and w.transport.frame_box.value() == 29 and w.timeline.current_frame() == 29
    wait_current(qtbot, w)
    assert w.shown.frame == 29
    press(qtbot, target, Qt.Key_Left, Qt.ShiftModifier)
    assert w.current_frame == 0 and w.transport.slider.value() == 0
    # A step while playing stops playback first (and the button shows Play).
    press(qtbot, w.viewport, Qt.Key_Space)
    assert w.is_playing()
    qtbot.waitUntil(lambda: w.current_frame >= 3, timeout=10000)
    target.setFocus()
    at = w.current_frame
    press(qtbot, target, Qt.Key_Right)
    assert not w.is_playing() and not w.transport.shows_pause()
    assert w.current_frame in (at + 1, at + 2)  # the clock may have moved on by one frame meanwhile
    wait_current(qtbot, w)


# ------------------------------------------------------------------ the stream's rules, no clock
def test_the_stream_follows_the_loop_and_deforms_every_nth_frame_when_the_gui_skips():
    from studio.workers import STREAM_AHEAD, _Stream

    take = Take(name="S", fps=25.0, duration=20)
    s = _Stream(take, 0, 17, (False, 0, 0))
    assert s.upcoming(5) == [17, 18, 19]  # the take's end: nothing after frame 19
    s = _Stream(take, 0, 8, (True, 5, 9))
    assert s.upcoming(7) == [8, 9, 5, 6, 7]
    assert s.steps_from(9, 6, 5) == 2 and s.steps_from(6, 9, 2) is None
    s = _Stream(Take(name="S", fps=25.0, duration=200), 0, 10, (False, 0, 0))
    assert s.plan() == [10, 11, 12, 13]  # a GUI keeping up: every frame, from the one heard
    assert s.plan() == [14, 15, 16, 17]
    s = _Stream(Take(name="S", fps=25.0, duration=200), 0, 10, (False, 0, 0))
    s.step, s.batch_s = 3.0, 0.1  # the GUI sees every third frame; a batch takes 2.5 frames
    frames = s.plan()
    assert frames == [13, 16, 19, 20 + 2][:len(frames)] and all(f - 10 <= STREAM_AHEAD for f in frames)


def test_a_frame_the_gui_missed_is_replaced_by_the_newest_one_behind_never_one_ahead(engine, qtbot):
    from studio.workers import DeformWorker, _Stream

    worker = DeformWorker(engine)
    try:
        take = Take(name="S", fps=25.0, duration=100)
        worker.start_stream(take, 10, 0)
        s = worker._stream
        worker._loop.set_stream(None)  # this test plays the worker's part by hand
        shown = []
        worker.frame_ready.connect(lambda r: shown.append(r.frame))
        fake = lambda f: type("R", (), {"frame": f, "revision": 0})()  # noqa: E731
        with s.lock:
            s.step = 4.0  # the GUI has been seeing every fourth frame
            s.ring.update({10: fake(10), 13: fake(13), 16: fake(16)})
        worker.request(take, 12, 0)  # 12 was never deformed: 10 stands in, not 13 (ahead of the sound)
        assert shown == [10] and 13 in s.ring
        worker.request(take, 13, 0)
        assert shown == [10, 13]
        worker.request(take, 20, 0)  # 16 is 4 frames behind, more than a stride: dropped, not shown
        assert shown == [10, 13] and not s.ring
        assert isinstance(s, _Stream)
    finally:
        worker.stop_stream()
        worker.shutdown()


def test_without_a_level_of_detail_playback_falls_back_to_full_frames(qtbot, engine, monkeypatch):
    # Fault injection: the level of detail cannot be made (as for a head it does not fit).
    # Playback still shows frames, at full quality, and no error box interrupts it.
    import studio.workers as workers
    from core.render.lod import LODError

    def no_lod(head, keep):
        raise LODError("build_lod: this head has no level of detail (test)")

    monkeypatch.setattr(workers, "_lod_for", no_lod)
    worker = workers.DeformWorker(engine)
    shown, failures = [], []
    worker.frame_ready.connect(lambda r: shown.append(r))
    worker.failed.connect(lambda f, m: failures.append(m))
    try:
        take = Take(name="S", fps=25.0, duration=50)
        worker.start_stream(take, 5, 0)
        qtbot.waitUntil(lambda: worker.stream_disabled, timeout=20000)
        qtbot.waitUntil(lambda: any(r.frame == 5 for r in shown), timeout=20000)
        assert all(r.splats.source_index is None for r in shown) and not failures
        worker.request(take, 6, 0)  # the studio's next frame: a full-quality single frame
        qtbot.waitUntil(lambda: any(r.frame == 6 for r in shown), timeout=20000)
        assert not worker.streaming and not failures
    finally:
        worker.shutdown()


def test_the_models_level_of_detail_decodes_only_the_kept_gaussians_and_matches_the_full_frame(engine):
    """Playback with the model driver: the level of detail asks the model for its ~7,000 kept
    Gaussians only (at their full-cloud positions), and gets exactly the rows of the full frame."""
    from core.anim import Curve, Keyframe
    from studio.workers import LodEvaluator

    assert engine.driver == "model"
    take = Take(name="S", fps=25.0, duration=30, curves={"AU12": Curve((Keyframe(0, 4.0),)),
                                                          "AU45": Curve((Keyframe(10, 5.0),))})
    lod = LodEvaluator(engine)
    frames = [3, 10, 17]
    got = lod.evaluate(take, frames, 0)
    assert [r.driver for r in got] == ["model"] * 3
    assert len(lod._model_driver.head.cloud) == len(lod.lod.indices) < len(engine.head.cloud) // 4
    full = engine.driver_for(take).frames(np.asarray(frames, dtype=np.float64))
    means, _quats, _logs = lod.lod.apply_frames(full.means, full.quats, full.log_scales)
    for k, r in enumerate(got):
        np.testing.assert_allclose(r.splats.means, means[k].numpy(), atol=1e-6)
        assert r.motion.max() > 1e-3  # the smile (and the blink at frame 10) moved it
