"""output_frames checks the rates against core.limits (MIN_FPS..MAX_FPS) and the frames an output
asks for against a take's limits: one-line ExportErrors naming the target, never a huge allocation."""
from __future__ import annotations

import numpy as np
import pytest

from core.export import ExportError, output_frames
from core.limits import MAX_FPS, MIN_FPS


@pytest.mark.parametrize("fps", [0, -25, 1e-320, 0.5, 1000.5, 1e18, float("inf"), float("nan"), "fast", True])
def test_an_output_fps_outside_the_limits_is_an_export_error(fps):
    with pytest.raises(ExportError) as err:
        output_frames(25.0, 100, fps, path="clip.csv")
    text = str(err.value)
    assert text.startswith("clip.csv: fps must be within 1..1000, got ") and "\n" not in text


@pytest.mark.parametrize("take_fps", [0.0, 1e-320, 5000.0])
def test_a_take_fps_outside_the_limits_is_an_export_error(take_fps):
    with pytest.raises(ExportError, match=r"^out\.mp4: the take's fps must be within 1\.\.1000"):
        output_frames(take_fps, 100, None, path="out.mp4")


def test_the_limits_themselves_and_rates_between_them_export():
    frames, fps = output_frames(25.0, 50, MIN_FPS, path="a.csv")
    assert fps == 1.0 and len(frames) == 2 and np.allclose(frames, [0, 25])
    frames, fps = output_frames(25.0, 50, MAX_FPS, path="a.csv")
    assert fps == 1000.0 and len(frames) == 2000 and frames[-1] == pytest.approx(49.975)


def test_an_output_longer_than_a_take_may_be_is_refused_before_it_is_allocated():
    # 1,000,000 frames at 1 fps re-timed to 1000 fps would be 10^9 output frames (8 GB of frame times).
    with pytest.raises(ExportError, match=r"^big\.ply: frames 0:1000000 at 1000 fps: .*1,000,000 a take may hold"):
        output_frames(1.0, 1_000_000, 1000.0, path="big.ply")
    # A few frames of the same take cost a few frames.
    frames, _ = output_frames(1.0, 1_000_000, 1000.0, frame_range=(10, 12), path="big.ply")
    assert len(frames) == 2000


def test_cli_fps_and_size_arguments_name_their_ranges(capsys):
    """`main.py export --fps 1e999` and `--size 100000x100000` say what range is allowed."""
    import main as entry

    for argv, words in ((["export", "-o", "x.csv", "--fps", "1e999"], "within 1..1000"),
                        (["export", "-o", "x.csv", "--size", "100000x100000"], "within 1..8192")):
        with pytest.raises(SystemExit) as ei:
            entry.main(argv)
        assert ei.value.code == 2
        assert words in capsys.readouterr().err
