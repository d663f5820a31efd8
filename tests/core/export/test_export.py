"""Exports written for real and read back: MP4 (PyAV), PNG sequences, PLY sequences, curve CSV/JSON."""
from __future__ import annotations

import json
import os
import threading

import numpy as np
import pytest

from core.drive import RigDriver
from core.export import CancelToken, ExportCancelled, ExportError, ExportOptions, export_take, output_frames
from core.export.pipeline import default_camera
from core.image import read_png
from core.render import get_renderer

from .conftest import make_take

SIZE = (96, 80)


def driver_for(rig, take):
    head, deform = rig
    return head, RigDriver(head, take, deform=deform)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def test_mp4_frames_audio_and_pixels(tmp_path, rig, wav):
    av = pytest.importorskip("av")
    take = make_take(wav, duration=24)
    head, driver = driver_for(rig, take)
    out = tmp_path / "take.mp4"
    opts = ExportOptions(out, size=(95, 80), backend="gl", background=(0.2, 0.2, 0.25))
    seen = []
    result = export_take(take, head, opts, driver=driver, progress=lambda d, t: seen.append((d, t)))
    assert result.frames == 24 and seen[-1] == (24, 24) and len(seen) == 24
    assert sorted(os.listdir(tmp_path)) == ["take.mp4", "voice.wav"]  # no staging file left

    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert c.streams.audio, "the take's audio was not muxed"
        a = c.streams.audio[0]
        assert (v.width, v.height) == (96, 80)  # 95 rounded up to even
        assert v.codec_context.name == "h264" and a.codec_context.name == "aac"
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        v_dur = float(v.duration * v.time_base)
        a_dur = float(a.duration * a.time_base)
    assert len(frames) == 24
    assert v_dur == pytest.approx(24 / 25, abs=1e-6)
    assert abs(a_dur - v_dur) <= 1 / 25

    # Frame k of the file against a direct render of the driver's frame k.
    camera = default_camera(head.cloud, opts, 96, 80)
    with get_renderer("gl") as r:
        for k in (0, 12, 23):
            direct = r.render(driver.cloud(float(k)), camera, background=opts.background).to_numpy_rgb8()
            assert psnr(frames[k], direct) >= 35.0, f"frame {k}"
    # The frames differ over time (the smile and brows move), so the comparison is meaningful.
    assert psnr(frames[0], frames[12]) < psnr(frames[12], frames[12])


def test_mp4_range_and_retime(tmp_path, rig, wav):
    av = pytest.importorskip("av")
    take = make_take(wav, duration=30)
    head, driver = driver_for(rig, take)
    out = tmp_path / "part.mp4"
    export_take(take, head, ExportOptions(out, size=(64, 64), backend="gl", fps=50, frame_range=(10, 20)),
                driver=driver)
    with av.open(str(out)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        n = sum(1 for _ in c.decode(video=0))
        assert n == 20  # 10 frames at 25 fps = 0.4 s = 20 frames at 50 fps
        assert float(v.duration * v.time_base) == pytest.approx(0.4, abs=1e-6)
        assert abs(float(a.duration * a.time_base) - 0.4) <= 1 / 50
    frames, fps = output_frames(25.0, 30, 50, (10, 20))
    assert fps == 50 and frames[1] == 10.5 and frames[-1] == 19.5


def test_png_sequence_with_alpha(tmp_path, rig):
    take = make_take(None, duration=6)
    head, driver = driver_for(rig, take)
    export_take(take, head, ExportOptions(tmp_path / "shot.png", size=SIZE, backend="gl"), driver=driver)
    names = sorted(os.listdir(tmp_path))
    assert names == [f"shot_{k:05d}.png" for k in range(6)]
    img = read_png(tmp_path / "shot_00003.png")
    assert img.shape == (SIZE[1], SIZE[0], 4)
    alpha = img[..., 3]
    assert alpha[0, 0] == 0 and alpha.max() == 255  # transparent corners, an opaque head
    camera = default_camera(head.cloud, ExportOptions("x.png"), *SIZE)
    with get_renderer("gl") as r:
        direct = r.render(driver.cloud(3.0), camera).to_numpy_rgba8()
    np.testing.assert_array_equal(img, direct)

    export_take(take, head, ExportOptions(tmp_path / "seq", format="png", size=SIZE, backend="gl"), driver=driver)
    assert sorted(os.listdir(tmp_path / "seq")) == [f"frame_{k:05d}.png" for k in range(6)]


def test_ply_sequence_positions(tmp_path, rig):
    from core.ply import read_ply

    take = make_take(None, duration=5)
    head, driver = driver_for(rig, take)
    export_take(take, head, ExportOptions(tmp_path / "g", format="ply", chunk=2), driver=driver)
    names = sorted(os.listdir(tmp_path / "g"))
    assert names == [f"frame_{k:05d}.ply" for k in range(5)]
    expected = driver.frames(np.arange(5.0))
    for k in (0, 4):
        cloud = read_ply(tmp_path / "g" / names[k])
        np.testing.assert_allclose(cloud.means.numpy(), expected.means[k].numpy(), rtol=0, atol=1e-6)
    assert not np.allclose(expected.means[0].numpy(), expected.means[2].numpy())


def test_curve_exports_readable(tmp_path, rig):
    from core.document.openface import read_openface_csv

    take = make_take(None, duration=20)
    head, driver = driver_for(rig, take)
    of = tmp_path / "aus.csv"
    export_take(take, head, ExportOptions(of, format="openface"), driver=driver)
    samples = read_openface_csv(of)
    assert samples.au.shape == (20, 17)
    np.testing.assert_allclose(samples.au, take.evaluate_au(np.arange(20.0)), atol=0.006)
    np.testing.assert_allclose(samples.timestamps, np.arange(20) / 25, atol=1e-3)

    ak = tmp_path / "arkit.csv"
    export_take(take, head, ExportOptions(ak, format="arkit", frame_range=(5, 15)), driver=driver)
    lines = ak.read_text().splitlines()
    header = lines[0].split(",")
    assert header[:2] == ["Timecode", "BlendShapeCount"] and len(lines) == 11
    assert all(len(line.split(",")) == len(header) for line in lines[1:])

    js = tmp_path / "curves.json"
    export_take(take, head, ExportOptions(js, fps=50), driver=driver)
    data = json.loads(js.read_text())
    assert data["fps"] == 50 and len(data["au"]) == 40 and data["take"]["schema"].startswith("Take.")


def test_cancel_leaves_nothing(tmp_path, rig, wav):
    take = make_take(wav, duration=40)
    head, driver = driver_for(rig, take)
    token = CancelToken()

    def progress(done, total):
        if done == 5:
            token.cancel()

    for target in (tmp_path / "c.mp4", tmp_path / "c.png"):
        with pytest.raises(ExportCancelled):
            export_take(take, head, ExportOptions(target, size=(64, 64), backend="gl", chunk=4), driver=driver,
                        progress=progress, cancel=token)
        token = CancelToken()
    assert sorted(os.listdir(tmp_path)) == ["voice.wav"]
    assert not [t for t in threading.enumerate() if t.name.startswith("export-")]


def test_unwritable_target_raises_and_leaves_nothing(tmp_path, rig):
    take = make_take(None, duration=4)
    head, driver = driver_for(rig, take)
    not_a_dir = tmp_path / "plain_file"
    not_a_dir.write_text("x")
    for target in (not_a_dir / "x.mp4", not_a_dir / "x.png", tmp_path / "missing" / "x.mp4",
                   tmp_path / "missing" / "seq"):
        fmt = "ply" if target.name == "seq" else None
        with pytest.raises(ExportError, match="cannot write here") as info:
            export_take(take, head, ExportOptions(target, format=fmt, size=(64, 64), backend="gl"), driver=driver)
        assert str(target) in str(info.value)
    assert sorted(os.listdir(tmp_path)) == ["plain_file"]
    assert not_a_dir.read_text() == "x"


def test_failing_stage_raises_clear_error_and_cleans_up(tmp_path, rig):
    take = make_take(None, duration=10)
    head, deform = rig
    calls = []

    def deform_that_fails(h, au, speech):
        calls.append(len(au))
        if len(calls) == 2:
            raise RuntimeError("rig blew up")
        return deform(h, au, speech)

    driver = RigDriver(head, take, deform=deform_that_fails, chunk=4)
    with pytest.raises(ExportError, match="deform failed: RuntimeError: rig blew up"):
        export_take(take, head, ExportOptions(tmp_path / "f.mp4", size=(64, 64), backend="gl", chunk=4),
                    driver=driver)
    assert os.listdir(tmp_path) == []


def test_format_rules():
    from core.export import detect_format

    assert detect_format("a.mp4") == "mp4" and detect_format("a.csv", "arkit") == "arkit"
    with pytest.raises(ExportError, match="--format openface or --format arkit"):
        detect_format("a.csv")
    with pytest.raises(ExportError, match="does not fit"):
        detect_format("a.mp4", "png")
    with pytest.raises(ExportError, match="frame range"):
        output_frames(25, 10, None, (5, 20))


def test_a_range_export_carries_the_audio_from_the_range_start(tmp_path, rig):
    """The MP4 of frames 15..24 must sound like the source from 0.6 s, not from 0: the decoded AAC
    is matched against every position of the source and the best match must be the range start."""
    av = pytest.importorskip("av")
    import soundfile

    rate = 22050
    rng = np.random.default_rng(7)
    spectrum = np.fft.rfft(rng.standard_normal(int(1.6 * rate)))
    spectrum[np.fft.rfftfreq(int(1.6 * rate), 1 / rate) > 4000] = 0  # band-limited: AAC keeps it well
    source = np.fft.irfft(spectrum, int(1.6 * rate)).astype(np.float32)
    source *= 0.3 / np.abs(source).max()
    wav = tmp_path / "noise.wav"
    soundfile.write(str(wav), source, rate, subtype="FLOAT")

    take = make_take(wav, duration=40)
    head, driver = driver_for(rig, take)
    out = tmp_path / "range.mp4"
    export_take(take, head, ExportOptions(out, size=(32, 32), backend="gl", frame_range=(15, 25)), driver=driver)
    with av.open(str(out)) as c:
        assert c.streams.audio[0].rate == rate
        decoded = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
    assert abs(len(decoded) - int(0.4 * rate)) <= 1024  # the range's 0.4 s (AAC pads to whole frames)

    probe = decoded[1024:int(0.3 * rate)].astype(np.float64)  # inside the clip, clear of codec edges
    probe -= probe.mean()
    # Normalised correlation of the probe with the source at every lag.
    windows = np.lib.stride_tricks.sliding_window_view(source.astype(np.float64), len(probe))
    corr = windows @ probe / (np.linalg.norm(windows, axis=1) * np.linalg.norm(probe) + 1e-12)
    best = int(np.argmax(corr)) - 1024
    start = 15 / 25 * rate
    assert corr.max() > 0.8, f"the exported audio does not match the source anywhere ({corr.max():.2f})"
    assert abs(best - start) <= 0.005 * rate, f"audio starts at {best / rate:.3f} s of the source, not 0.600 s"


def test_the_format_table_drives_detection():
    from core.export import EXPORT_FORMATS, FORMATS, detect_format, export_format

    assert FORMATS == tuple(f.name for f in EXPORT_FORMATS)
    for row in EXPORT_FORMATS:
        for ext in row.extensions:
            assert detect_format(f"out{ext}", row.name) == row.name
    assert detect_format("shots/take.png") == "png" and detect_format("a.ply") == "ply"
    with pytest.raises(ExportError, match="a directory target needs --format png or --format ply"):
        detect_format("shots")
    with pytest.raises(ExportError, match=r"cannot tell the format from \.gif; use \.mp4, \.png, \.ply, \.csv or \.json"):
        detect_format("a.gif")
    assert export_format("MP4").rendered and not export_format("ply").rendered and export_format("ply").sequence
    assert "background" in export_format("mp4").options and "size" not in export_format("json").options
    with pytest.raises(ExportError, match="unknown format 'gif'"):
        export_format("gif")
