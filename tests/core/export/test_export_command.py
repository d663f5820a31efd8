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


def test_cli_exports_with_the_model_driver_on_the_shipped_checkpoint(tmp_path, capsys):
    av = pytest.importorskip("av")
    import numpy as np

    mp4 = tmp_path / "model.mp4"
    rig_mp4 = tmp_path / "rig.mp4"
    common = ["--size", "64x64", "--range", "100:103", "--backend", "gl", "--quiet"]
    assert main.main(["export", "-o", str(mp4), "--driver", "model", *common]) == 0
    assert "model.mp4 (mp4, 3 frames" in capsys.readouterr().out
    assert main.main(["export", "-o", str(rig_mp4), *common]) == 0
    with av.open(str(mp4)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        assert c.streams.audio  # the sample take's speech
    with av.open(str(rig_mp4)) as c:
        rig_frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 3 and frames[0].shape == (64, 64, 3)
    centre, corner = frames[1][20:44, 20:44].mean(), frames[1][:4, :4].mean()
    assert centre - corner > 60, "no head in the model's frames"
    # The same head from the same camera, posed by another driver: close, but not the rig's pixels.
    diff = np.abs(frames[1].astype(int) - rig_frames[1].astype(int))
    assert 0 < diff.mean() < 20


def test_cli_rejects_an_unknown_driver_and_a_bad_checkpoint_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main.main(["export", "-o", str(tmp_path / "x.mp4"), "--driver", "neural"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'neural' (choose from 'rig', 'model')" in capsys.readouterr().err

    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")
    out = tmp_path / "x.mp4"
    assert main.main(["export", "-o", str(out), "--driver", "model", "--checkpoint", str(broken), "--range", "0:3",
                      "--size", "32x32", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and f"{broken}: not a readable" in err
    assert main.main(["export", "-o", str(out), "--driver", "model", "--checkpoint", str(tmp_path / "none.safetensors"),
                      "--quiet"]) == 2
    assert "none.safetensors: checkpoint file not found" in capsys.readouterr().err
    assert main.main(["export", "-o", str(out), "--checkpoint", str(broken), "--quiet"]) == 2
    assert "--checkpoint is for --driver model" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["broken.safetensors"]


def test_cli_format_choices_are_the_export_table(capsys):
    from core.export import EXPORT_FORMATS

    with pytest.raises(SystemExit):
        main.main(["export", "-o", "x.mp4", "--format", "gif"])
    err = capsys.readouterr().err
    assert "choose from " + ", ".join(f"'{f.name}'" for f in EXPORT_FORMATS) in err
