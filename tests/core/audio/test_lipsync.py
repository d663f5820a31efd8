"""Lip sync from phonemes (core.audio.phonemes, core.audio.lipsync) on real espeak-ng speech read back
from files, PocketSphinx's real acoustic model, and Rhubarb's file formats; `main.py lipsync`."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

import main
from core.aus import SPEECH_INDEX

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

SENTENCES = ["Maybe Bob bought a big purple lamp.", "Please pass me the pepper and the bread."]


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    """Two sentences of espeak-ng speech written as an 8 kHz stereo WAV and read back as the studio
    reads a recording: (path, 16 kHz analysis audio, phonemes, transcript)."""
    import soxr

    from core.audio.decode import load_audio
    from core.audio.espeak import ESPEAK_RATE, speak_sentences

    audio, ph = speak_sentences(SENTENCES, voice="en-us", words_per_minute=150)
    path = tmp_path_factory.mktemp("lipsync") / "voice.wav"
    low = soxr.resample(audio, ESPEAK_RATE, 8000).astype(np.float32)
    sf.write(path, np.stack([low, 0.8 * low], 1), 8000, subtype="PCM_16")
    return path, load_audio(path).analysis(), ph, " ".join(SENTENCES)


def test_transcript_alignment_closes_the_lips_on_every_bilabial(speech):
    from core.audio.lipsync import lipsync
    from core.audio.lipsync_eval import boundary_errors, score_controls

    _path, audio, ph, text = speech
    result = lipsync(audio, text)
    assert result.track.source == "transcript" and result.track.words[0][0] == "maybe"
    s = score_controls(result.controls, ph, len(audio) / 16000)
    assert s.closures_found == s.bilabials > 10  # every /p b m/ shows a closed mouth within 50 ms
    assert s.precision >= 0.9 and s.f1_macro >= 0.85
    errors = boundary_errors(ph, result.track.phones)
    assert len(errors) > 30 and np.median(np.abs(errors)) < 0.04


def test_recognition_without_a_transcript_finds_the_speech(speech):
    from core.audio.lipsync import lipsync
    from core.audio.lipsync_eval import score_controls
    from core.audio.speech_driver import speech_controls

    _path, audio, ph, _text = speech
    result = lipsync(audio)
    assert result.track.source == "recognised" and not result.track.unreadable
    names = {p.name for p in result.track.phones}
    assert names & {"P", "B", "M"} and names & {"AA", "AE", "AH", "EY", "IY"}
    dur = len(audio) / 16000
    s = score_controls(result.controls, ph, dur)
    energy = score_controls(lambda f, n: speech_controls(audio, f, n), ph, dur)
    assert s.f1_macro > 0.75 and s.precision > energy.precision  # stops other than p b m stay open


def test_mouth_cues_cover_the_clip_without_flicker(speech):
    from core.audio.lipsync import MIN_CUE_S, SHAPES, lipsync, mouth_cues

    _path, audio, ph, text = speech
    track = lipsync(audio, text).track
    cues = mouth_cues(track)
    assert cues[0][0] == 0.0 and cues[-1][1] == pytest.approx(track.duration)
    assert all(abs(a[1] - b[0]) < 1e-9 for a, b in zip(cues, cues[1:]))  # contiguous
    assert all(b - a >= MIN_CUE_S - 1e-9 for a, b, _s in cues[:-1])
    assert all(s in SHAPES for _a, _b, s in cues) and all(x[2] != y[2] for x, y in zip(cues, cues[1:]))
    # Each bilabial has an A cue over it.
    for p in (p for p in track.phones if p.name in ("P", "B", "M")):
        assert any(s == "A" and a < p.end and b > p.start for a, b, s in cues), p
    assert {"A", "X"} <= {s for _a, _b, s in cues}


def test_a_transcript_that_does_not_match_falls_back_to_recognition(speech):
    from core.audio.phonemes import align

    _path, audio, _ph, _text = speech
    track = align(audio, "the weather in the north sea will be stormy tonight with gales of force nine later")
    assert track.source == "recognised" and any("transcript" in n for n in track.notes)
    track = align(audio, "zzxqv qqqzz")  # no dictionary word at all
    assert track.source == "recognised" and any("pronouncing dictionary" in n for n in track.notes)


def test_silence_noise_and_a_tone_give_a_result_not_a_crash():
    from core.audio.lipsync import lipsync, mouth_cues

    rng = np.random.default_rng(0)
    silent = lipsync(np.zeros(16000 * 2, np.float32))
    assert all(p.name == "SIL" for p in silent.track.phones)
    assert np.abs(silent.controls(25.0, 50)).max() < 1e-6
    assert [s for _a, _b, s in mouth_cues(silent.track)] == ["X"]
    t = np.arange(16000 * 3) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for sound in (tone, (0.3 * rng.standard_normal(16000 * 3)).astype(np.float32)):
        result = lipsync(sound)
        assert result.track.unreadable  # the energy driver takes over there, and the take says so
        assert result.track.notes and "energy" in result.track.notes[0]
        assert result.energy_dense is not None
        controls = result.controls(25.0, 75)
        assert np.isfinite(controls).all() and controls.shape == (75, 4)
    clipped = np.clip(8.0 * tone, -1, 1)
    assert np.isfinite(lipsync(clipped).controls(25.0, 75)).all()


def test_long_audio_is_decoded_in_pieces_cut_at_pauses():
    from core.audio.phonemes import MAX_PIECE_S, pieces

    rng = np.random.default_rng(1)
    audio = (0.2 * rng.standard_normal(16000 * 70)).astype(np.float32)
    audio[16000 * 18: 16000 * 18 + 1600] = 0.0  # a pause at 18 s
    cuts = pieces(audio)
    assert cuts[0] == (0, cuts[0][1]) and cuts[-1][1] == len(audio)
    assert all(b - a <= MAX_PIECE_S * 16000 for a, b in cuts)
    assert 18 * 16000 <= cuts[0][1] <= 18 * 16000 + 1600  # cut inside the pause


def test_every_closure_shows_on_a_frame_at_any_frame_rate():
    from core.audio.lipsync import LipSync
    from core.audio.phonemes import Phone, PhonemeTrack

    # A 30 ms /b/ between two vowels: at 12 fps no frame time falls inside it.
    track = PhonemeTrack([Phone("AA", 0.0, 0.43), Phone("B", 0.43, 0.46), Phone("AA", 0.46, 1.0)], 1.0, "t")
    for fps in (12.0, 24.0, 25.0, 60.0):
        c = LipSync(track).controls(fps, int(fps))
        assert c[:, SPEECH_INDEX["lip_close"]].max() == 1.0, fps
        assert c[:, SPEECH_INDEX["jaw_open"]].max() > 0.6


def test_cue_files_round_trip_in_rhubarbs_formats(tmp_path):
    from core.audio.lipsync_files import read_cues, write_cues
    from core.audio.phonemes import PhonemeTrack

    cues = [(0.0, 0.25, "X"), (0.25, 0.4, "A"), (0.4, 0.7, "D"), (0.7, 0.9, "F"), (0.9, 1.25, "G"), (1.25, 1.5, "X")]
    track = PhonemeTrack([], 1.5, "recognised")
    for name in ("c.tsv", "c.json", "c.dat"):
        write_cues(tmp_path / name, track, cues, dat_fps=100.0)
        back = read_cues(tmp_path / name, dat_fps=100.0)
        assert [s for _a, _b, s in back][:5] == [s for _a, _b, s in cues][:5], name
        assert np.allclose([a for a, _b, _s in back][:5], [a for a, _b, _s in cues][:5], atol=0.011), name
    data = json.loads((tmp_path / "c.json").read_text())
    assert data["mouthCues"][1] == {"start": 0.25, "end": 0.4, "value": "A"} and data["metadata"]["duration"] == 1.5
    assert (tmp_path / "c.tsv").read_text().splitlines()[-1] == "1.50\tX"
    write_cues(tmp_path / "p.dat", track, cues, preston_blair=True)
    text = (tmp_path / "p.dat").read_text().splitlines()
    assert text[0] == "MohoSwitch1" and text[1:4] == ["1 rest", "7 MBP", "11 AI"]
    assert [s for _a, _b, s in read_cues(tmp_path / "p.dat")][:3] == ["X", "A", "D"]


@pytest.mark.parametrize("content, problem", [
    ("0.00\tA\n0.50\tQ\n", r"line 2: unknown mouth shape 'Q'"),
    ("0.00\tA\n0.50\n", r"line 2: expected '<seconds><TAB><shape>'"),
    ("0.50\tA\n0.10\tB\n", r"line 2: time 0.1 comes before"),
    ("nan\tA\n", r"line 1: time nan is out of range"),
    ('{"mouthCues": [{"start": 0, "value": "A"}]}', r"mouthCues\[0\]: needs start, end and value"),
    ('{"mouthCues": ', r"not valid JSON"),
    ("MohoSwitch1\n1 rest\nx MBP\n", r"line 3: 'x' is not a frame number"),
    ("", r"no mouth cues"),
])
def test_a_malformed_cue_file_is_named_with_its_line(tmp_path, content, problem):
    from core.audio.lipsync_files import CueFileError, read_cues

    path = tmp_path / "bad.tsv"
    path.write_text(content)
    with pytest.raises(CueFileError, match=rf"bad.tsv: .*{problem}|bad.tsv: {problem}"):
        read_cues(path)


def test_cli_writes_every_format(speech, tmp_path, capsys):
    path, _audio, _ph, text = speech
    assert main.main(["lipsync", str(path), "--transcript", text, "-o", str(tmp_path / "out.json")]) == 0
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["metadata"]["soundFile"] == "voice.wav" and data["mouthCues"][0]["start"] == 0.0
    assert "A" in {c["value"] for c in data["mouthCues"]}
    (tmp_path / "t.txt").write_text(text)
    assert main.main(["lipsync", str(path), "--transcript", str(tmp_path / "t.txt"), "-o", str(tmp_path / "o.dat"),
                      "--preston-blair"]) == 0
    assert "MBP" in (tmp_path / "o.dat").read_text()
    assert main.main(["lipsync", str(path), "--format", "phonemes", "-o", str(tmp_path / "ph.out")]) == 0
    ph = json.loads((tmp_path / "ph.out").read_text())
    assert ph["metadata"]["source"] == "recognised" and ph["phonemes"][0].keys() >= {"phone", "start", "end"}
    capsys.readouterr()
    assert main.main(["lipsync", str(path)]) == 0  # TSV on standard output
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("0.00\t") and out[-1].endswith("\tX")


def test_cli_names_a_bad_file_and_a_bad_output(tmp_path, capsys):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio at all")
    assert main.main(["lipsync", str(bad)]) == 2
    assert "notes.wav" in capsys.readouterr().err
    good = tmp_path / "s.wav"
    sf.write(good, np.zeros(8000, np.float32), 16000)
    assert main.main(["lipsync", str(good), "-o", str(tmp_path / "cues.xyz")]) == 2
    assert "cannot tell the format" in capsys.readouterr().err


def test_a_phoneme_takes_span_export_moves_the_mouth_as_the_viewport_does(speech):
    from core.anim import AudioRef, LipSyncSettings, Take
    from core.drive import RigDriver, SpeechCache

    path, _audio, _ph, text = speech
    take = Take(name="line", fps=25.0, duration=140, audio=AudioRef(str(path), offset=0.2),
                lipsync=LipSyncSettings("phonemes", text))
    frames = np.arange(30, 60, dtype=np.float64)
    whole = RigDriver(None, take, deform=lambda *a: None, speech_cache=SpeechCache())
    span = RigDriver(None, take, deform=lambda *a: None, speech_cache=SpeechCache(), speech_span=(30, 59))
    _, sw = whole.controls(frames)
    _, ss = span.controls(frames)
    assert sw[:, SPEECH_INDEX["lip_close"]].max() == 1.0
    np.testing.assert_allclose(ss, sw, atol=1e-4)


def test_very_short_audio_gives_rest_not_a_crash(tmp_path, capsys):
    from core.audio.lipsync import lipsync

    for n in (0, 10, 100, 1000):
        result = lipsync(np.full(n, 0.1, np.float32), "hi")
        assert result.track.phones == [] and result.cues() in ([(0.0, n / 16000, "X")], [])
    path = tmp_path / "blip.wav"
    sf.write(path, np.full(10, 0.1, np.float32), 16000)
    assert main.main(["lipsync", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "0.00\tX"


def test_words_the_dictionary_lacks_and_another_language_are_aligned_not_left_at_rest(tmp_path, capsys):
    from core.audio.espeak import speak
    from core.audio.lipsync import lipsync

    for text, voice in (("Maybe Bob bought a big purple lamptastic.", "en-us"),
                        ("Mein Bruder baut ein blaues Boot am Montag.", "de")):
        audio, _ph = speak(text, voice=voice, words_per_minute=150)
        path = tmp_path / f"{voice}.wav"
        sf.write(path, audio, 22050)
        from core.audio.decode import load_audio

        track = lipsync(load_audio(path).analysis(), text).track
        assert track.source == "transcript", track.notes
        assert any("espeak-ng" in n for n in track.notes)  # lamptastic; baut, blaues
        for word, a, b in track.words:  # every word's time is spoken, not rest
            speech = sum(max(0.0, min(b, p.end) - max(a, p.start)) for p in track.phones if p.name != "SIL")
            assert speech >= 0.5 * (b - a), (word, a, b)
    assert main.main(["new", str(path), "-o", str(tmp_path / "de.emz"), "--transcript", text]) == 0
    out = capsys.readouterr().out
    assert "(the transcript aligned)" in out and "note: not in the pronouncing dictionary" in out
