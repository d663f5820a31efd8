"""`main.py new --openface CSV -o TAKE.emz [--fps N] [--audio AUDIO]` through the real parser: a take
from an OpenFace CSV (and a recording), and one line naming the file on any error, rc 2."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import main
from core.anim import evaluate
from core.aus import AU_NAMES
from core.document import load_take
from tests import openface_files


def write_openface2(path: Path, seconds: float = 2.0) -> Path:
    """Two seconds at 30 fps, row 7 failed, AU12 only."""
    return openface_files.write_openface2(path, seconds=seconds, failed=(7,), au04=None)


def voice(path: Path, seconds: float, rate: int = 8000) -> Path:
    t = np.arange(int(round(rate * seconds))) / rate
    sf.write(path, (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), rate)
    return path


def test_new_from_an_openface_csv_writes_its_curves(tmp_path, capsys):
    csv_path = write_openface2(tmp_path / "perf.csv")
    out = tmp_path / "perf"  # no suffix: .emz is added
    assert main.main(["new", "--openface", str(csv_path), "-o", str(out), "--fps", "30"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"wrote {out}.emz (60 frames at 30 fps, 2.00 s)",
                       "Imported 17 AUs, 60 frames from perf.csv (OpenFace 2.x); 1 row skipped as failed"]
    take = load_take(out.with_suffix(".emz"))
    assert take.name == "perf" and take.fps == 30 and take.duration == 60 and take.audio is None
    f = np.arange(60.0)
    assert np.max(np.abs(evaluate(take.curves["AU12"], f) - (2.5 + 2.5 * np.sin(np.pi * f / 30)))) < 0.06
    assert set(json.loads(out.with_suffix(".emz").read_text())["tracks"]) >= set(AU_NAMES)


@pytest.mark.parametrize("form", ["option", "positional"])
def test_new_from_an_openface_csv_and_a_recording(tmp_path, capsys, form):
    csv_path = write_openface2(tmp_path / "perf.csv", seconds=1.0)
    wav = voice(tmp_path / "line.wav", 2.0)
    out = tmp_path / "take.emz"
    audio = ["--audio", str(wav)] if form == "option" else [str(wav)]
    assert main.main(["new", *audio, "--openface", str(csv_path), "-o", str(out), "--name", "Shot"]) == 0
    assert "audio line.wav" in capsys.readouterr().out
    take = load_take(out)
    # As long as the longer of the two (the recording: 2 s at 25 fps), the file's AUs on it.
    assert take.duration == 50 and take.name == "Shot" and take.audio.path == str(wav)
    assert evaluate(take.curves["AU12"], [12.0])[0] == pytest.approx(2.5 + 2.5 * np.sin(np.pi * 12 / 25), abs=0.06)


def test_errors_are_one_line_naming_the_file_rc_2_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "out.emz"
    good = write_openface2(tmp_path / "perf.csv", seconds=0.5)
    lines = good.read_text().splitlines()
    lines[4] = lines[4].replace(", 0.98", ', "0.98', 1)  # a stray quote on line 5
    bad = tmp_path / "broken perf.csv"
    bad.write_text("\n".join(lines) + "\n")
    cases = [
        (["--openface", str(bad)], f"error: {bad} line 5: a quoted value is not closed on its line"),
        (["--openface", str(tmp_path / "gone.csv")], f"error: {tmp_path / 'gone.csv'}: cannot be read"),
        (["--openface", str(good), "--audio", str(tmp_path / "gone.wav")], "gone.wav"),
        ([], "error: give a recording (AUDIO or --audio AUDIO) or an OpenFace CSV"),
        ([str(tmp_path / "a.wav"), "--audio", str(tmp_path / "b.wav")], "error: two recordings given"),
        (["--audio", str(tmp_path / "a.wav"), "--source-fps", "30"], "error: --source-fps is for --openface"),
    ]
    for extra, expected in cases:
        assert main.main(["new", *extra, "-o", str(out)]) == 2, extra
        captured = capsys.readouterr()
        err = captured.err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and expected in err[0], (extra, captured.err)
        assert "Traceback" not in captured.err and not captured.out
    for fps in ("0", "1e-320", "2000", "nan"):
        with pytest.raises(SystemExit):
            main.main(["new", "--openface", str(good), "-o", str(out), "--fps", fps])
        assert "fps must be a positive number within 1..1000" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken perf.csv", "perf.csv"]
