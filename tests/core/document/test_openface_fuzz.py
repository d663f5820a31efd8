"""Fuzzing the OpenFace importer (issue 12): whatever a CSV holds, ``take_from_openface`` raises
only CurveImportError naming the file, or returns a valid take (fps and length within
core.limits, every key finite and inside 0..5) that saves and reloads equal and whose OpenFace
export reads back the same values.

Inputs are real files: an OpenFace 2.2 FeatureExtraction CSV (714 columns from
``openface_2x_columns``, two faces, failed rows), an OpenFace 3.0 ``openface detect-video`` CSV
(action_units lists, 98 landmarks, frames without a face) and a 3.0 file with its AUs in FACS
named columns, damaged by tests/fuzz/mutate.py (``mutate_csv`` on the text, ``mutate_bytes`` on
the bytes), seeded by hypothesis. A failing input is kept in tests/data/fuzz/openface/ and
replayed by ``test_corpus_replays`` for ever after, next to hand-made files for each failure
issue 12 lists. The suite is bounded to about 20 s on a 2-core machine.
"""
from __future__ import annotations

import random
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.aus import AU_MAX, AU_MIN, AU_NAMES
from core.document import load_take, save_take
from core.document.openface import OPENFACE3_AUS, CurveImportError, read_openface_csv, take_from_openface
from core.export.curves import write_curves
from core.limits import take_frames_problem
from tests.fuzz.mutate import check, corpus_files, mutate_bytes, mutate_csv, record

from test_document_openface import of3_scores, write_openface3_csv, write_openface_csv  # noqa: E402

LOADER = "openface"
FPS = 25.0
SOURCE_FPS = 30.0


def _seed_files() -> list[tuple[str, bytes]]:
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        seeds = [("of2.csv", write_openface_csv(d / "of2.csv", seconds=1.0, failed=range(10, 13), faces=(0, 1))),
                 ("of3.csv", write_openface3_csv(d / "of3.csv", seconds=1.0, gaps=range(8, 11)))]
        cols = d / "of3_columns.csv"
        lines = [",".join(["frame_idx", "timestamp", "emotion", "gaze_yaw", "gaze_pitch", *OPENFACE3_AUS])]
        lines += [",".join([str(k), "2025-06-10T12:00:00", "1", "0.1", "0.2"] + [f"{v:.3f}" for v in of3_scores(k / 30)])
                  for k in range(30)]
        cols.write_text("\n".join(lines) + "\n")
        seeds.append(("of3_columns.csv", cols))
        return [(name, p.read_bytes()) for name, p in seeds]


SEEDS = _seed_files()


def _load(path: Path):
    return take_from_openface(path, fps=FPS, tolerance=0.05, source_fps=SOURCE_FPS)


def _valid(path: Path):
    """check()'s ``then``: the imported take is valid, saves and reloads equal, and its OpenFace
    export reads back the values it holds. A failure keeps the input in the corpus."""
    def then(take) -> None:
        try:
            assert take.fps == FPS and take_frames_problem(take.fps, take.duration) is None
            for name in AU_NAMES:
                v = np.array([k.value for k in take.curves[name].keys])
                assert np.all(np.isfinite(v)) and np.all((v >= AU_MIN) & (v <= AU_MAX)), name
            again = path.with_name("again.emz")
            save_take(take, again)
            assert load_take(again) == take, "saved and reloaded differently"
            if take.duration <= 5000:
                frames = take.frame_range()
                out = path.with_name("again.csv")
                write_curves("openface", take, out, frames, take.evaluate_au(frames), take.evaluate_speech(frames), FPS)
                s = read_openface_csv(out)
                np.testing.assert_allclose(s.au, take.evaluate_au(frames), atol=0.006)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            kept = record(LOADER, path.read_bytes(), path.suffix)
            raise AssertionError(f"{path.name}: {type(exc).__name__}: {exc!s:.300} (kept as {kept.name})") from exc
    return then


def _check(tmp_path: Path, data: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    check(LOADER, _load, path, CurveImportError, then=_valid(path))


@settings(max_examples=220, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(0, len(SEEDS) - 1), st.integers(1, 4))
def test_structurally_mutated_csvs(tmp_path, seed, which, rounds):
    name, data = SEEDS[which]
    text = mutate_csv(data.decode("utf-8"), random.Random(seed), rounds=rounds)
    _check(tmp_path, text.encode("utf-8", "surrogatepass"), "m_" + name)


@settings(max_examples=140, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(0, len(SEEDS) - 1), st.integers(1, 6))
def test_byte_damaged_csvs(tmp_path, seed, which, rounds):
    name, data = SEEDS[which]
    _check(tmp_path, mutate_bytes(data, random.Random(seed), rounds=rounds, protect=64), "b_" + name)


@pytest.mark.parametrize("which", range(len(SEEDS)), ids=[n for n, _ in SEEDS])
def test_the_seed_files_import(tmp_path, which):
    """The undamaged files import (so the fuzzing starts from files the importer accepts)."""
    name, data = SEEDS[which]
    path = tmp_path / name
    path.write_bytes(data)
    take = check(LOADER, _load, path, CurveImportError, then=_valid(path))
    assert take is not None and len(take.curves["AU12"]) > 1


@pytest.mark.parametrize("path", corpus_files(LOADER), ids=lambda p: p.name)
def test_corpus_replays(tmp_path, path):
    """Every input that once broke the importer, and the hand-made files of issue 12."""
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    check(LOADER, _load, copy, CurveImportError, then=_valid(copy))


#: The hand-made files of issue 12 (tests/data/fuzz/openface/issue12-*) and what each must give
#: now: the words of its CurveImportError, or None where it imports. Before: a _csv.Error, an
#: OverflowError, a silent 2,500,001-frame take, MemoryError, values 9 and -2 accepted, and
#: OpenFace 3.0 files refused as "numbered 1..8".
HAND_MADE = {
    "issue12-stray-quote.csv": "line 3: a quoted value is not closed on its line (a stray quote?)",
    "issue12-face-id-inf.csv": "line 3, column face_id: inf is NaN or infinite",
    "issue12-timestamp-1e5.csv": "line 4, column timestamp: timestamp 1e5 is 27.8 h into the video; a take is at most 4 h",
    "issue12-timestamp-1e7.csv": "line 4, column timestamp: timestamp 1e7 is 2.78e+03 h into the video",
    "issue12-timestamp-1e18.csv": "line 4, column timestamp: timestamp 1e18 is 2.78e+14 h",
    "issue12-au-9.csv": "line 3, column AU12_r: AU value 9 is out of range (OpenFace AU intensities are 0..5)",
    "issue12-au-minus-2.csv": "line 3, column AU04_r: AU value -2 is out of range",
    "issue12-presence-half.csv": "line 3, column AU12_c: an AU presence value (AUxx_c) must be 0 or 1, got 0.5",
    "issue12-binary.csv": "is not UTF-8 text",
    "issue12-bom-crlf.csv": None,
    "issue12-openface3-au01-au26.csv": None,
    "issue12-openface3-detect-video.csv": None,
}


@pytest.mark.parametrize("name", sorted(HAND_MADE))
def test_hand_made_files_of_the_issue(tmp_path, name):
    src = Path(__file__).resolve().parents[2] / "data" / "fuzz" / LOADER / name
    path = tmp_path / name
    path.write_bytes(src.read_bytes())
    words = HAND_MADE[name]
    if words is None:
        take = _load(path)
        _valid(path)(take)
        assert len(take.curves["AU12"]) > 1 and take.duration > 1
        if "openface3" in name:  # score x 5: the 0..5 AU12 signal of the seed files (keys thinned to 0.05)
            from test_document_openface import au12

            f = np.arange(take.duration, dtype=float)
            ok = f / FPS != 2 / SOURCE_FPS  # the detect-video file has no face in video frame 2
            np.testing.assert_allclose(take.evaluate_au(f)[ok, AU_NAMES.index("AU12")], au12(f / FPS)[ok], atol=0.06)  # keys within 0.05
    else:
        with pytest.raises(CurveImportError) as ei:
            _load(path)
        assert str(path) in str(ei.value) and words in str(ei.value)
