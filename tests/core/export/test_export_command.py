"""`main.py export` on the bundled sample take, through the real command line parser."""
from __future__ import annotations

import os

import pytest

import main


def test_cli_curves_and_video_from_the_sample_take(tmp_path, capsys):
    av = pytest.importorskip("av")
    csv = tmp_path / "aus.csv"
    assert main.main(["export", "-o", str(csv), "--format", "openface", "--range", "0:10", "--quiet"]) == 0
    assert len(csv.read_text().splitlines()) == 11

    mp4 = tmp_path / "clip.mp4"
    rc = main.main(["export", "-o", str(mp4), "--size", "64x48", "--range", "20:26", "--backend", "gl",
                    "--background", "0.1,0.1,0.1"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "6/6 frames" in err  # the progress bar reached the end
    with av.open(str(mp4)) as c:
        assert c.streams.video[0].frames == 6 and c.streams.audio


def test_cli_bad_arguments_leave_nothing(tmp_path, capsys):
    assert main.main(["export", "-o", str(tmp_path / "x.csv")]) == 2
    assert "--format openface or --format arkit" in capsys.readouterr().err
    assert main.main(["export", "-o", str(tmp_path / "x.mp4"), "--range", "0:100000", "--quiet"]) == 2
    assert "not within the take" in capsys.readouterr().err
    assert main.main(["export", str(tmp_path / "missing.emz"), "-o", str(tmp_path / "x.json")]) == 2
    assert "missing.emz" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []
