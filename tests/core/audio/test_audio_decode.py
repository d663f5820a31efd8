"""Decoding real files of every supported format, and the errors for bad ones."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from core.audio.decode import ANALYSIS_RATE, AudioClip, AudioLoadError, load_audio


def _tone(rate: int, seconds: float, channels: int, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    cols = [0.5 * np.sin(2 * np.pi * freq * (c + 1) * t) for c in range(channels)]
    return np.stack(cols, axis=1).astype(np.float32)


@pytest.mark.parametrize(
    ("ext", "fmt", "subtype", "rate", "channels"),
    [
        (".wav", "WAV", "PCM_16", 44100, 2),
        (".wav", "WAV", "FLOAT", 16000, 1),
        (".wav", "WAV", "PCM_24", 96000, 6),
        (".flac", "FLAC", "PCM_24", 48000, 1),
        (".ogg", "OGG", "VORBIS", 22050, 2),
        (".mp3", "MP3", "MPEG_LAYER_III", 44100, 1),
    ],
)
def test_soundfile_formats_round_trip(tmp_path, ext, fmt, subtype, rate, channels):
    data = _tone(rate, 0.5, channels)
    path = tmp_path / f"clip{ext}"
    sf.write(path, data, rate, format=fmt, subtype=subtype)
    clip = load_audio(path)
    assert clip.sample_rate == rate
    assert clip.channels == channels
    assert clip.samples.dtype == np.float32
    # Lossy codecs add encoder delay/padding; the length stays close.
    assert abs(clip.duration - 0.5) < 0.1
    assert str(path) == clip.path
    if fmt in ("WAV", "FLAC"):
        np.testing.assert_allclose(clip.samples, data, atol=1e-3)
    else:
        # The tone's energy survives the lossy round trip.
        assert 0.2 < float(np.sqrt((clip.samples ** 2).mean())) < 0.5


def test_m4a_aac_via_pyav(tmp_path):
    av = pytest.importorskip("av")
    rate, channels = 44100, 2
    data = _tone(rate, 0.6, channels)
    path = tmp_path / "clip.m4a"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=rate, layout="stereo")
        frame_len = 1024
        for i in range(0, data.shape[0], frame_len):
            chunk = np.ascontiguousarray(data[i:i + frame_len].T)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = rate
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode(None):
            out.mux(pkt)
    clip = load_audio(path)
    assert clip.sample_rate == rate
    assert clip.channels == channels
    # Frames written without pts: the muxer cannot mark the encoder's 1024 priming samples, so the
    # track declares 1024 + 26,460 samples; FFmpeg's standard priming is dropped and the last
    # frame's padding past the declared length is not kept.
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        declared = int(round(float(s.duration * s.time_base) * rate))
    assert declared == 1024 + 26460
    assert clip.num_samples == 26460
    assert 0.2 < float(np.sqrt((clip.samples ** 2).mean())) < 0.5


def _glide(rate: int, seconds: float) -> np.ndarray:
    # A tone gliding from 300 Hz up by 1200 Hz a second: its correlation with a shifted copy of
    # itself has one clear peak, so a shift of the decoded signal shows (a steady tone repeats).
    t = np.arange(int(round(rate * seconds))) / rate
    return (0.5 * np.sin(2 * np.pi * (300 * t + 600 * t * t))).astype(np.float32)


def _write_aac(path, signal: np.ndarray, rate: int, fmt=None, options=None, metadata=None) -> None:
    av = pytest.importorskip("av")
    with av.open(str(path), "w", format=fmt, options=options or {}) as out:
        out.metadata.update(metadata or {})
        stream = out.add_stream("aac", rate=rate, layout="mono", bit_rate=192000)
        for i in range(0, signal.shape[0], 1024):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(signal[None, i:i + 1024]),
                                               format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = i
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode(None):
            out.mux(pkt)


def _shift(decoded: np.ndarray, source: np.ndarray, reach: int = 3000) -> tuple[int, float]:
    # The lag (samples; > 0: the decoded signal is late) that best lines decoded up with source,
    # and the normalised correlation there.
    best = (0, -np.inf)
    for lag in range(-reach, reach + 1):
        a = decoded[max(lag, 0):]
        b = source[max(-lag, 0):]
        m = min(a.shape[0], b.shape[0])
        c = float(np.dot(a[:m], b[:m]))
        if c > best[1]:
            best = (lag, c)
    return best[0], best[1] / float(np.dot(source, source))


def test_m4a_priming_and_padding_are_not_kept(tmp_path):
    # 1.00 s at 48 kHz through FFmpeg's AAC encoder: 1024 priming samples before the signal and
    # the last frame padded (49 frames of 1024 = 1.045 s coded). The MP4 edit list says where the
    # signal starts and how long it is; the clip is exactly the signal, not shifted.
    rate = 48000
    source = _glide(rate, 1.0)
    path = tmp_path / "take.m4a"
    _write_aac(path, source, rate)
    clip = load_audio(path)
    assert clip.sample_rate == rate and clip.channels == 1
    assert abs(clip.duration - 1.0) <= 0.001, clip.duration
    lag, corr = _shift(clip.samples[:, 0], source)
    assert lag == 0 and corr > 0.99, (lag, corr)


def test_m4a_with_itunes_gapless_tag_and_no_edit_list(tmp_path):
    # Apple's recorders describe the priming, padding and true length in an iTunSMPB tag; FFmpeg's
    # decoder does not apply it (here the MP4 has no edit list, so everything coded is declared:
    # 1024 priming + 48,000 + 128 padding).
    rate = 48000
    source = _glide(rate, 1.0)
    path = tmp_path / "phone.m4a"
    tag = " 00000000 00000400 00000080 000000000000BB80 00000000 00000000"  # 1024, 128, 48000
    _write_aac(path, source, rate, fmt="mp4", options={"use_editlist": "0", "movflags": "use_metadata_tags"},
               metadata={"iTunSMPB": tag})
    clip = load_audio(path)
    assert clip.num_samples == 48000
    lag, corr = _shift(clip.samples[:, 0], source)
    assert lag == 0 and corr > 0.99, (lag, corr)


def _click(rate: int, seconds: float, at_s: float) -> np.ndarray:
    x = np.zeros(int(round(rate * seconds)), np.float32)
    i = int(round(at_s * rate))
    x[i], x[i + 1] = 0.9, -0.9
    return x


def _onset(x: np.ndarray) -> int:
    return int(np.argmax(np.abs(x) > 0.25 * np.abs(x).max()))


def test_m4a_without_gapless_info_drops_the_encoders_standard_priming(tmp_path):
    # No edit list and no tag: the container declares 1024 priming + 48,000 samples and nothing
    # says where the signal starts. FFmpeg wrote it (its "encoder: Lavf" tag), so its encoder's
    # 1024 priming samples are dropped: the click lands where it was written, the clip is 1.00 s.
    av = pytest.importorskip("av")
    rate = 48000
    path = tmp_path / "plain.m4a"
    _write_aac(path, _click(rate, 1.0, 0.5), rate, fmt="mp4", options={"use_editlist": "0"})
    with av.open(str(path)) as c:
        declared = int(c.streams.audio[0].duration * c.streams.audio[0].time_base * rate)
    assert declared == 49024
    clip = load_audio(path)
    assert clip.num_samples == 48000
    assert abs(_onset(clip.samples[:, 0]) - 24000) <= 0.002 * rate  # within 2 ms
    # The same file with an edit list decodes the same.
    marked = tmp_path / "marked.m4a"
    _write_aac(marked, _click(rate, 1.0, 0.5), rate)
    assert abs(_onset(load_audio(marked).samples[:, 0]) - 24000) <= 0.002 * rate


def test_analysis_is_mono_16k_and_cached(tmp_path):
    rate = 44100
    data = _tone(rate, 1.0, 2, freq=300.0)
    path = tmp_path / "a.wav"
    sf.write(path, data, rate, subtype="FLOAT")
    clip = load_audio(path)
    a = clip.analysis()
    assert a.ndim == 1 and a.dtype == np.float32
    assert abs(a.shape[0] - ANALYSIS_RATE) <= 2
    assert clip.analysis() is a
    # The mean of the two channels' tones, resampled, has the same dominant frequencies.
    spec = np.abs(np.fft.rfft(a))
    freqs = np.fft.rfftfreq(a.shape[0], 1 / ANALYSIS_RATE)
    top = sorted(freqs[np.argsort(spec)[-2:]])
    assert abs(top[0] - 300) < 3 and abs(top[1] - 600) < 3


def test_missing_file(tmp_path):
    with pytest.raises(AudioLoadError, match="not found") as e:
        load_audio(tmp_path / "nope.wav")
    assert "nope.wav" in str(e.value)


def test_corrupt_file(tmp_path):
    path = tmp_path / "junk.wav"
    path.write_bytes(b"RIFF\x00\x00garbage that is not a wave file" * 10)
    with pytest.raises(AudioLoadError, match="junk.wav") as e:
        load_audio(path)
    assert isinstance(e.value, ValueError)


def test_corrupt_m4a(tmp_path):
    path = tmp_path / "junk.m4a"
    path.write_bytes(b"\x00\x01\x02 definitely not mp4" * 50)
    with pytest.raises(AudioLoadError, match="junk.m4a"):
        load_audio(path)


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.flac"
    path.write_bytes(b"")
    with pytest.raises(AudioLoadError, match="empty"):
        load_audio(path)


def test_zero_samples(tmp_path):
    path = tmp_path / "nosamples.wav"
    sf.write(path, np.zeros((0, 1), np.float32), 16000)
    with pytest.raises(AudioLoadError, match="no audio samples"):
        load_audio(path)


def test_over_long(tmp_path):
    # A 1 Hz file stores an hour and a bit in a few kB: the header alone must refuse it.
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros((3700, 1), np.int16), 1, subtype="PCM_16")
    with pytest.raises(AudioLoadError, match="long.wav: audio is 61 min 40.0 s long; at most 60 min is supported"):
        load_audio(path)


def test_over_long_by_a_fraction_of_a_second_says_by_how_much(tmp_path):
    # 3600.4 s: "60.0 min long; at most 60 min" contradicted itself.
    path = tmp_path / "hour.wav"
    sf.write(path, np.zeros((36004, 1), np.int16), 10, subtype="PCM_16")
    with pytest.raises(AudioLoadError, match=r"hour.wav: audio is 60 min 0.4 s long; at most 60 min"):
        load_audio(path)
    from core.audio.decode import format_duration

    assert format_duration(3600.0004, 3600.0) == "60 min 0.000400 s"


def test_non_finite(tmp_path):
    path = tmp_path / "nan.wav"
    data = np.zeros((1000, 1), np.float32)
    data[10] = np.nan
    data[20] = np.inf
    sf.write(path, data, 16000, subtype="FLOAT")
    with pytest.raises(AudioLoadError, match="2 non-finite"):
        load_audio(path)


def test_in_memory_clip_shapes():
    clip = AudioClip(np.zeros(100), 8000)
    assert clip.samples.shape == (100, 1)
    with pytest.raises(AudioLoadError):
        AudioClip(np.zeros((2, 2, 2)), 8000)


def test_text_named_flac_is_not_audio(tmp_path):
    path = tmp_path / "notes.flac"
    path.write_text("these are my notes, not a recording\n" * 20)
    with pytest.raises(AudioLoadError) as err:
        load_audio(path)
    assert str(err.value) == f"{path}: is text, not audio"


def test_mp3_without_audio_says_so_in_one_line_and_nothing_on_stderr(tmp_path, capfd):
    # libsndfile said "File does not exist or is not a regular file" after three mpg123 notes.
    rng = np.random.default_rng(3)
    for i, data in enumerate([b"ID3\x03\x00\x00\x00\x00\x00\x00", rng.bytes(3000),
                              b"ID3\x04\x00\x00\x00\x00\x01\x00" + bytes(300)]):
        path = tmp_path / f"empty{i}.mp3"
        path.write_bytes(data)
        with pytest.raises(AudioLoadError) as err:
            load_audio(path)
        msg = str(err.value)
        assert msg.startswith(f"{path}: ") and "\n" not in msg
        assert "does not exist" not in msg and ("no MPEG audio" in msg or "not audio" in msg), msg
    out, errtext = capfd.readouterr()
    assert errtext == "", errtext


@pytest.mark.parametrize(("ext", "fmt", "subtype", "rate", "channels"), [
    (".wav", "WAV", "PCM_16", 48000, 2),
    (".flac", "FLAC", "PCM_24", 44100, 1),
    (".ogg", "OGG", "VORBIS", 22050, 2),
    (".mp3", "MP3", "MPEG_LAYER_III", 44100, 1),
])
def test_open_audio_reads_parts_equal_to_the_whole(tmp_path, ext, fmt, subtype, rate, channels):
    from core.audio.decode import open_audio

    data = np.concatenate([_tone(rate, 3.0, channels, freq=330.0), _glide(rate, 3.0)[:, None].repeat(channels, 1)])
    path = tmp_path / f"clip{ext}"
    sf.write(path, data, rate, format=fmt, subtype=subtype)
    whole = load_audio(path)
    src = open_audio(path)
    assert (src.sample_rate, src.channels, src.num_samples) == (whole.sample_rate, whole.channels, whole.num_samples)
    for a, b in [(0, 1000), (rate + 17, 2 * rate), (whole.num_samples - 500, whole.num_samples + 500)]:
        part = src.read(a, b)
        np.testing.assert_allclose(part, whole.samples[a:b], atol=1e-6)


def test_open_audio_m4a_seeks_to_the_same_samples(tmp_path):
    from core.audio.decode import open_audio

    rate = 48000
    signal = np.concatenate([_glide(rate, 2.0), _click(rate, 2.0, 1.0)])
    path = tmp_path / "long.m4a"
    _write_aac(path, signal, rate)
    whole = load_audio(path)
    src = open_audio(path)
    assert type(src).__name__ == "_PyavSource"
    assert src.num_samples == whole.num_samples == signal.shape[0]
    for a, b in [(0, 3000), (rate + 100, rate + 5000), (3 * rate - 2000, 3 * rate + 2000), (4 * rate - 700, 4 * rate)]:
        np.testing.assert_allclose(src.read(a, b), whole.samples[a:b], atol=1e-4)


def test_analysis_of_a_part_matches_the_whole_clips(tmp_path):
    from core.audio.decode import open_audio

    rate = 44100
    data = _glide(rate, 4.0)[:, None]
    path = tmp_path / "g.wav"
    sf.write(path, data, rate, subtype="FLOAT")
    full = load_audio(path).analysis()
    src = open_audio(path)
    assert src.analysis_samples == full.shape[0]
    a, b = 20000, 41000
    np.testing.assert_allclose(src.read_analysis(a, b), full[a:b], atol=2e-4)


def test_analysis_of_a_clip_over_10_minutes_is_resampled_in_blocks_like_the_whole():
    import soxr

    rate = 22050
    n = int(10.2 * 60 * rate)
    x = (np.random.default_rng(4).standard_normal(n) * 0.1).astype(np.float32)
    x[::1000] = 0.9  # clicks, to see any misplaced block
    clip = AudioClip(samples=x[:, None], sample_rate=rate)
    blocked = clip.analysis()
    whole = soxr.resample(x, rate, ANALYSIS_RATE, quality="HQ")
    assert blocked.shape == whole.shape
    np.testing.assert_allclose(blocked, whole, atol=1e-5)
