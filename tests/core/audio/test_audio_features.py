"""Log-mel features, frame-aligned windows, external features and the waveform pyramid."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.audio.features import (
    N_MELS, FeatureError, load_external_features, log_mel, mel_filterbank, mel_windows,
    resample_features,
)
from core.audio.waveform import WaveformSummary


def test_filterbank_shape_and_coverage():
    fb = mel_filterbank()
    assert fb.shape == (N_MELS, 257)
    assert (fb >= 0).all()
    # Every filter has some weight, and the centres rise monotonically.
    assert (fb.sum(axis=1) > 0).all()
    assert (np.diff(fb.argmax(axis=1)) >= 0).all()


def test_log_mel_shape_and_tone_location():
    sr = 16000
    t = np.arange(sr) / sr
    low = log_mel(0.5 * np.sin(2 * np.pi * 300 * t))
    high = log_mel(0.5 * np.sin(2 * np.pi * 4000 * t))
    assert low.shape == (sr // 160 + 1, N_MELS) and low.dtype == torch.float32
    assert int(low[50].argmax()) < int(high[50].argmax())
    silence = log_mel(np.zeros(1600, np.float32))
    assert torch.allclose(silence, torch.full_like(silence, float(np.log(1e-5))))


def test_log_mel_rejects_bad_input():
    with pytest.raises(FeatureError):
        log_mel(np.zeros((10, 2), np.float32))
    with pytest.raises(FeatureError):
        log_mel(np.zeros(0, np.float32))


def test_mel_windows_centred_and_edge_padded():
    m = 300
    mel = torch.arange(m, dtype=torch.float32)[:, None].repeat(1, N_MELS)  # value = frame index
    w = mel_windows(mel, fps=25, num_frames=75, window=32)
    assert w.shape == (75, 32, N_MELS)
    # Frame 10 at 0.4 s -> mel frame 40 sits at offset window // 2.
    assert float(w[10, 16, 0]) == 40.0
    assert float(w[10, 0, 0]) == 24.0
    # Frame 0 is edge-padded with mel frame 0.
    assert (w[0, :16, 0] == 0).all()
    # The last frames run off the end and repeat the last mel frame.
    w2 = mel_windows(mel.numpy(), fps=25, num_frames=120, window=32)
    assert isinstance(w2, np.ndarray) and (w2[-1, -5:, 0] == m - 1).all()


def test_resample_features_linear():
    feats = np.stack([np.arange(100, dtype=np.float32), np.ones(100, np.float32)], axis=1)  # 50 Hz, 2 s
    out = resample_features(feats, 50, fps=25, num_frames=50)
    assert out.shape == (50, 2)
    np.testing.assert_allclose(out[:, 0], np.arange(50) * 2.0)
    out30 = resample_features(feats, 50, fps=30, num_frames=70)
    np.testing.assert_allclose(out30[1, 0], 50 / 30, rtol=1e-5)
    assert out30[-1, 0] == 99.0  # past the end: the edge value


def test_external_features_from_npy_and_errors(tmp_path):
    good = tmp_path / "hubert.npy"
    np.save(good, np.random.default_rng(0).normal(size=(100, 768)).astype(np.float32))
    out = load_external_features(good, 50, 25, 40, expected_dim=768)
    assert out.shape == (40, 768)
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((10, 4, 2)))
    with pytest.raises(FeatureError, match="bad.npy.*2-D"):
        load_external_features(bad, 50, 25, 40)
    with pytest.raises(FeatureError, match="hubert.npy.*1024"):
        load_external_features(good, 50, 25, 40, expected_dim=1024)
    nan = tmp_path / "nan.npy"
    np.save(nan, np.full((10, 3), np.nan))
    with pytest.raises(FeatureError, match="NaN"):
        load_external_features(nan, 50, 25, 4)
    junk = tmp_path / "junk.npy"
    junk.write_bytes(b"not numpy")
    with pytest.raises(FeatureError, match="junk.npy"):
        load_external_features(junk, 50, 25, 4)
    with pytest.raises(FeatureError, match="not found"):
        load_external_features(tmp_path / "none.npy", 50, 25, 4)


def _brute(x, start, end, columns):
    edges = np.linspace(start, end, columns + 1).astype(int)
    return (np.array([x[a:b].min() for a, b in zip(edges[:-1], edges[1:])]),
            np.array([x[a:b].max() for a, b in zip(edges[:-1], edges[1:])]))


def test_waveform_summary_matches_brute_force_on_aligned_spans():
    rng = np.random.default_rng(1)
    x = rng.normal(size=100_000).astype(np.float32)
    ws = WaveformSummary(x)
    assert ws.blocks[:4] == [1, 16, 64, 256]
    for start, end, cols in [(0, 64_000, 1000), (1024, 1024 + 256 * 300, 300), (0, 800, 800), (4096, 4096 + 16 * 50, 50)]:
        mins, maxs = ws.summary(start, end, cols)
        bmin, bmax = _brute(x, start, end, cols)
        np.testing.assert_array_equal(mins, bmin)
        np.testing.assert_array_equal(maxs, bmax)


def test_waveform_summary_any_zoom_and_outside():
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, size=(50_000, 2)).astype(np.float32)
    x[12_345, 1] = 5.0  # a single spike must show at every zoom
    ws = WaveformSummary(x)
    for cols in (7, 100, 999, 3000):
        mins, maxs = ws.summary(0, 50_000, cols)
        assert mins.shape == (cols,) and maxs.shape == (cols,)
        assert maxs.max() == 5.0
        assert (mins <= maxs).all()
    mins, maxs = ws.summary(-1000, 1000, 20)
    assert (maxs[:10] == 0).all() and (maxs[10:] > 0).all()
    mins, maxs = ws.summary(60_000, 70_000, 10)
    assert (mins == 0).all() and (maxs == 0).all()
    # Zoomed in past one sample per column still works.
    mins, maxs = ws.summary(100, 110, 40)
    assert maxs.shape == (40,) and np.isin(maxs, x[100:110].max(axis=1)).all()


def test_core_audio_imports_no_qt():
    import subprocess
    import sys

    code = ("import sys, core.audio, core.audio.decode, core.audio.features, core.audio.waveform, "
            "core.audio.speech_driver, core.audio.speech_eval, core.audio.espeak, core.audio.playback; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stdout + r.stderr


_WAVE = np.random.default_rng(3).normal(size=20_000).astype(np.float32)
_WAVE_SUMMARY = WaveformSummary(_WAVE)


@settings(max_examples=60, deadline=None)
@given(start=st.integers(-500, 19_000), length=st.integers(1, 25_000), columns=st.integers(1, 2500))
def test_waveform_summary_bounds_any_range(start, length, columns):
    end = start + length
    mins, maxs = _WAVE_SUMMARY.summary(start, end, columns)
    assert mins.shape == (columns,) and (mins <= maxs).all()
    a, b = max(start, 0), min(end, _WAVE.shape[0])
    if a >= b:
        assert (maxs == 0).all() and (mins == 0).all()
        return
    per_col = length / columns
    block = max(bl for bl in _WAVE_SUMMARY.blocks if bl <= max(per_col, 1))
    # Everything in the range is shown, and nothing from outside its enclosing blocks.
    lo, hi = (a // block) * block, min(-(-b // block) * block, _WAVE.shape[0])
    edges = start + per_col * np.arange(columns + 1)
    inside = (edges[1:] > 0) & (edges[:-1] < _WAVE.shape[0])
    assert (maxs[~inside] == 0).all() and (mins[~inside] == 0).all()
    vmin, vmax = mins[inside], maxs[inside]
    assert vmax.max() >= _WAVE[a:b].max() and vmin.min() <= _WAVE[a:b].min()
    assert vmax.max() <= _WAVE[lo:hi].max() and vmin.min() >= _WAVE[lo:hi].min()
