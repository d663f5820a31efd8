"""`main.py new AUDIO -o TAKE.emz` then `main.py export TAKE.emz -o out.mp4`, through the real parser."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import soundfile as sf

import main


def _voice(path, seconds: float, rate: int = 22050) -> None:
    t = np.arange(int(round(rate * seconds))) / rate
    x = (0.5 * (1 + np.sin(2 * np.pi * 4 * t))) ** 2 * 0.5 * np.sin(2 * np.pi * 180 * t)
    sf.write(path, x.astype(np.float32), rate)


def test_new_take_from_a_recording_then_export_it_as_mp4(tmp_path, capsys):
    av = pytest.importorskip("av")
    wav = tmp_path / "line.wav"
    seconds = 0.52
    _voice(wav, seconds)
    emz = tmp_path / "takes" / "line"  # no suffix: .emz is added
    emz.parent.mkdir()
    assert main.main(["new", str(wav), "-o", str(emz), "--fps", "24"]) == 0
    emz = emz.with_suffix(".emz")
    assert "13 frames at 24 fps" in capsys.readouterr().out
    raw = json.loads(emz.read_text())
    assert raw["duration"] == math.ceil(seconds * 24) == 13 and raw["fps"] == 24 and raw["name"] == "line"
    assert raw["audio"]["path"] == "../line.wav" and raw["audio"]["absolute"] == wav.as_posix()
    assert raw["tracks"]["jaw_open"]["driven_by_audio"] and not raw["tracks"]["jaw_open"]["override"]

    mp4 = tmp_path / "out.mp4"
    assert main.main(["export", str(emz), "-o", str(mp4), "--size", "48x48", "--backend", "gl", "--quiet"]) == 0
    with av.open(str(mp4)) as c:
        assert c.streams.video[0].frames == 13
        a = c.streams.audio[0]
        samples = sum(f.samples for f in c.decode(a))
        rate = a.codec_context.sample_rate
    # The audio is the recording's length (AAC pads to whole 1024-sample packets, a few ms).
    assert abs(samples / rate - seconds) < 0.05


def test_blinks_are_on_for_a_take_long_enough_to_blink(tmp_path):
    wav = tmp_path / "long.wav"
    _voice(wav, 8.0, rate=8000)
    out = tmp_path / "long.emz"
    assert main.main(["new", str(wav), "-o", str(out)]) == 0
    keys = json.loads(out.read_text())["tracks"]["AU45"]["keys"]
    assert max(k["value"] for k in keys) == 5.0 and json.loads(out.read_text())["duration"] == 200


def test_bad_recordings_and_fps_are_named_and_write_nothing(tmp_path, capsys):
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"ID3 not really an mp3" * 10)
    assert main.main(["new", str(bad), "-o", str(tmp_path / "x.emz")]) == 2
    assert str(bad) in capsys.readouterr().err
    assert main.main(["new", str(tmp_path / "missing.wav"), "-o", str(tmp_path / "x.emz")]) == 2
    assert "missing.wav: file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main.main(["new", str(bad), "-o", str(tmp_path / "x.emz"), "--fps", "0"])
    assert "fps must be a positive number" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.mp3"]


def test_relink_keeps_the_audio_entrys_offset_and_unknown_fields(tmp_path):
    from core.anim.take import AudioRef, Take
    from core.document.new_take import relink_audio_command

    take = Take(audio=AudioRef(str(tmp_path / "gone.wav"), 0.25, extra={"x_gain_db": -3}))
    after = relink_audio_command(take, tmp_path / "found.wav").after
    assert after.audio.path == str(tmp_path / "found.wav")
    assert after.audio.offset == 0.25
    assert after.audio.extra == take.audio.extra and dict(after.audio.extra)
