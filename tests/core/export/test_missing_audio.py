"""A take whose recording is missing exports as the studio plays it: without sound, with one warning
line naming the file; a recording that is there but damaged stops the export with one clear line (no
Python class name). Pipeline and `main.py export` (the real parser)."""
from __future__ import annotations

import dataclasses
import os
import re

import pytest

import main
from core.anim.take import SpeechDrive
from core.document.project import save_take
from core.export import ExportError, ExportOptions, export_take
from core.export.pipeline import missing_recording_warning

from .conftest import make_take, write_tone_wav


def _take_on(tmp_path, name="gone.wav", duration=12):
    wav = tmp_path / name
    write_tone_wav(wav, 1.0)
    take = make_take(wav, duration=duration)
    take = take.with_speech("jaw_open", SpeechDrive(driven_by_audio=True, override=False))
    return take, wav


def _mp4_streams(path):
    av = pytest.importorskip("av")
    with av.open(str(path)) as c:
        frames = sum(1 for _ in c.decode(video=0))
        return frames, len(c.streams.audio)


def test_pipeline_exports_a_take_with_a_missing_recording_without_sound(tmp_path, rig):
    head, _ = rig
    take, wav = _take_on(tmp_path)
    heard = export_take(take, head, ExportOptions(tmp_path / "with.mp4", size=(48, 48), backend="gl"))
    assert _mp4_streams(heard.path) == (12, 1)
    wav.unlink()
    said = []
    out = tmp_path / "without.mp4"
    result = export_take(take, head, ExportOptions(out, size=(48, 48), backend="gl"), warn=said.append)
    assert result.frames == 12
    assert _mp4_streams(out) == (12, 0)  # every frame, no audio track
    assert said == [missing_recording_warning(wav)]
    assert str(wav) in said[0] and "without sound" in said[0] and "relink" in said[0]


def test_pipeline_curves_of_a_missing_recording_have_silent_speech(tmp_path, rig):
    head, _ = rig
    take, wav = _take_on(tmp_path)
    csv = tmp_path / "with.csv"
    export_take(take, head, ExportOptions(csv, format="openface"))
    wav.unlink()
    said = []
    silent = tmp_path / "without.csv"
    export_take(take, head, ExportOptions(silent, format="openface"), warn=said.append)
    assert len(said) == 1 and str(wav) in said[0]
    rows = silent.read_text().splitlines()
    assert len(rows) == 13
    # Exactly what a take without a recording exports: the AU curves are the take's, the speech the
    # audio drives is silent (as the studio plays it).
    mute = tmp_path / "mute.csv"
    export_take(dataclasses.replace(take, audio=None), head, ExportOptions(mute, format="openface"))
    assert silent.read_text() == mute.read_text()


def test_pipeline_a_damaged_recording_is_one_clear_error(tmp_path, rig):
    head, _ = rig
    take, wav = _take_on(tmp_path, "broken.wav")
    wav.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage that is no audio at all")
    for name, fmt in (("x.mp4", None), ("x.csv", "openface")):
        out = tmp_path / name
        with pytest.raises(ExportError) as err:
            export_take(take, head, ExportOptions(out, format=fmt, size=(48, 48), backend="gl"))
        text = str(err.value)
        assert "broken.wav" in text and "recording" in text
        assert not re.search(r"[A-Za-z]+Error\b", text) and "\n" not in text  # no Python class name, one line
        assert not out.exists()


def _save(take, tmp_path, name):
    path = tmp_path / name
    save_take(take, path)
    return path


def test_cli_exports_audio_missing_emz_with_one_warning_line(tmp_path, capsys):
    take, wav = _take_on(tmp_path)
    emz = _save(take, tmp_path, "audio_missing.emz")
    wav.unlink()
    csv = tmp_path / "y.csv"
    assert main.main(["export", str(emz), "-o", str(csv), "--format", "openface", "--quiet"]) == 0
    out = capsys.readouterr()
    warnings = [line for line in out.err.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {missing_recording_warning(wav)}"]
    assert len(csv.read_text().splitlines()) == 13

    mp4 = tmp_path / "y.mp4"
    assert main.main(["export", str(emz), "-o", str(mp4), "--size", "48x48", "--backend", "gl", "--quiet"]) == 0
    assert "gone.wav is missing" in capsys.readouterr().err
    assert _mp4_streams(mp4) == (12, 0)


def test_cli_a_damaged_recording_fails_in_one_line_naming_it(tmp_path, capsys):
    take, wav = _take_on(tmp_path, "broken.wav")
    emz = _save(take, tmp_path, "broken.emz")
    wav.write_bytes(b"not a wave file at all, only text")
    before = sorted(os.listdir(tmp_path))
    for name, fmt in (("y.csv", ["--format", "openface"]), ("y.mp4", ["--size", "48x48", "--backend", "gl"])):
        assert main.main(["export", str(emz), "-o", str(tmp_path / name), *fmt, "--quiet"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("error: ")
        assert "broken.wav" in err and not re.search(r"[A-Za-z]+Error\b", err)
    assert sorted(os.listdir(tmp_path)) == before


def test_a_json_curve_export_of_a_missing_recording_keeps_the_takes_audio_path(tmp_path, rig):
    import json

    head, _ = rig
    take, wav = _take_on(tmp_path)
    wav.unlink()
    said = []
    out = tmp_path / "curves.json"
    export_take(take, head, ExportOptions(out, format="json"), warn=said.append)
    assert len(said) == 1
    assert "gone.wav" in json.dumps(json.loads(out.read_text()))  # the take as it is, to relink later
