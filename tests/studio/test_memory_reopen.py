"""Memory of reopened takes: after the window opens take B over take A, nothing keeps A's decoded
recording alive (the speech cache, the engine, the workers, the playback, the waveform, the history).

No memory numbers here (they are in docs/BENCHMARKS.md, "Memory at scale"): the test asserts that a
weak reference to A's AudioClip is dead once the garbage collector has run."""
import gc
import weakref

import numpy as np
import pytest
import soundfile as sf

from core.anim import Take
from core.aus import SPEECH_NAMES
from core.document.new_take import new_take_from_audio
from core.document.project import save_take

from .windows import wait_current


def _take_file(folder, name, seconds, freq):
    rate = 16000
    t = np.arange(int(seconds * rate)) / rate
    wav = folder / f"{name}.wav"
    sf.write(wav, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)
    take = new_take_from_audio(wav, fps=25.0, name=name)
    path = folder / f"{name}.emz"
    save_take(take, path)
    return path


def _open(qtbot, w, path):
    assert w.files.open_path(path, offer_recovery=False)
    wait_current(qtbot, w)


@pytest.mark.parametrize("play", [False, True])
def test_opening_another_take_lets_the_old_recording_go(qtbot, open_window, tmp_path, play):
    a = _take_file(tmp_path, "long", 6.0, 200.0)
    b = _take_file(tmp_path, "short", 1.0, 300.0)
    w = open_window(Take(name="Blank", duration=40))

    _open(qtbot, w, a)
    clip_a = w.clip
    assert clip_a is not None and clip_a.duration == pytest.approx(6.0, abs=0.01)
    # Use the clip the way a user does: the waveform, the speech analysis, a step and a frame.
    assert w.engine.audio_speech(w.document.take, SPEECH_NAMES[0]) is not None
    if play:
        w.set_playing(True)
        qtbot.wait(300)
        w.set_playing(False)
    w.request_frame(10)
    wait_current(qtbot, w)
    ref = weakref.ref(clip_a)
    del clip_a

    _open(qtbot, w, b)
    assert w.clip is not None and w.clip.duration == pytest.approx(1.0, abs=0.01)
    qtbot.wait(50)
    gc.collect()
    assert ref() is None, _referrers(ref())

    # And back: A decoded again is a new clip; B's goes in its turn.
    ref_b = weakref.ref(w.clip)
    _open(qtbot, w, a)
    gc.collect()
    assert ref_b() is None, _referrers(ref_b())


def _referrers(obj):
    if obj is None:
        return ""
    lines = []
    for r in gc.get_referrers(obj):
        if isinstance(r, list) and r and r[0] is obj and len(r) > 50:
            continue
        lines.append(f"{type(r).__name__}: {repr(r)[:200]}")
    return "still alive, held by:\n" + "\n".join(lines[:20])
