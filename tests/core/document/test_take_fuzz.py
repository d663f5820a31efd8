"""Fuzzing the take loader (issue 12): whatever a file holds, ``load_take`` raises only
TakeFileError naming the file, or returns a take that saves and reloads equal, unknown fields
included.

Inputs are real takes (tests/data/takes/*.emz and a take with every feature: keys of every
interpolation and handle type, audio, camera, zone settings, speech overrides, unknown fields at
every level) damaged by tests/fuzz/mutate.py, seeded by hypothesis. A failing input is kept in
tests/data/fuzz/take/ and replayed by ``test_corpus_replays`` for ever after, next to hand-made
files for each failure issue 12 lists. The suite is bounded to about 20 s on a 2-core machine.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.anim import AudioRef, CameraState, Curve, Keyframe, SpeechDrive, Take, auto_blink
from core.document import TakeFileError, load_take, save_take
from core.document.project import take_to_json, take_to_text
from tests.fuzz.mutate import check, corpus_files, dump_json, mutate_json, mutate_text_json, record

LOADER = "take"
TAKES = Path(__file__).resolve().parents[2] / "data" / "takes"


def full_take() -> Take:
    """A take using every feature of the format, unknown fields included."""
    keys = []
    frame = 0
    for interp in ("constant", "linear", "bezier"):
        for htype in ("auto_clamped", "auto", "vector", "free"):
            free = htype == "free"
            keys.append(Keyframe(frame, (frame % 7) * 0.6, interp, htype,
                                 (frame - 2.5, 1.0) if free else None, (frame + 3.0, 2.0) if free else None,
                                 {"x_note": f"key {frame}"} if frame % 8 == 0 else {}))
            frame += 5
    return Take(
        name="every feature", fps=30.0, duration=300,
        audio=AudioRef("/nonexistent/emozone/fuzz/line.wav", 0.25, {"x_gain_db": -3.5}),
        curves={
            "AU12": Curve(tuple(keys), extrapolation="linear", extra={"x_color": [1, 0.5, 0]}),
            "AU01": Curve(tuple(keys[:5]), mute=True),
            "AU45": auto_blink(300, 30, seed=3),
            "jaw_open": Curve((Keyframe(0, 0.2), Keyframe(40, 0.9, "linear")), solo=True, lock=True),
            "lip_close": Curve((Keyframe(10, 0.5, handle_type="free", handle_left=(8, 0.4), handle_right=(12, 0.7)),)),
        },
        speech={"jaw_open": SpeechDrive(True, True), "lip_close": SpeechDrive(False, False)},
        camera=CameraState((0.0, 0.1, -0.2), 15.0, -3.0, 1.7, 25.0, {"x_lens": {"shift": [0.1, 0.0]}}),
        zone_settings={"overlay": True, "opacity": 0.5, "hidden": ["static"]},
        extra={"x_app": {"name": "a later studio", "version": [4, 1]}, "notes": "keep me"},
    )


# ------------------------------------------- every hostile value in every kind of field, exhaustively

def _compact_full() -> dict:
    """The full take's JSON with only its keyed tracks, three keys each: every kind of field once
    or twice (the random mutators pick one of 250-500 places of a full take, so a field like
    audio.path is rarely hit)."""
    d = take_to_json(full_take(), None)
    d["tracks"] = {k: v for k, v in d["tracks"].items() if v["keys"]}
    for v in d["tracks"].values():
        v["keys"] = v["keys"][:3]
    return d


def _roles(obj) -> list[tuple]:
    """One place per kind of field: list indices and channel names are merged, so keys[0].value
    and keys[2].value (or AU12 and AU45) count once."""
    from tests.fuzz.mutate import _paths

    seen, out = set(), []
    for path in _paths(obj):
        role = tuple("#" if isinstance(p, int) else ("<ch>" if i == 1 and path[0] == "tracks" else p)
                     for i, p in enumerate(path))
        if path and role not in seen:
            seen.add(role)
            out.append(path)
    return out


def _seeds() -> list[tuple[str, object]]:
    seeds = [(p.name, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(TAKES.glob("*.emz"))]
    seeds.append(("full.emz", take_to_json(full_take(), None)))
    seeds.append(("compact.emz", _compact_full()))
    return seeds


SEEDS = _seeds()
COMPACT = SEEDS[-1][1]
ROLES = _roles(COMPACT)


def _load(path: Path) -> Take:
    """load_take, failing on the loader's catch-all wording too: that marks an input the loader
    has no specific check for (it still raises TakeFileError, but with no useful reason)."""
    try:
        return load_take(path)
    except TakeFileError as exc:
        if "unexpected problem" in str(exc):
            raise AssertionError(f"no specific check: {exc}") from exc
        raise


def _saves_and_reloads_equal(path: Path):
    """check()'s ``then``: the loaded take saves, and reloads equal (twice, the second save
    writing the same text). The text is save_take's own (take_to_text); it is written without
    the atomic write's fsyncs, which cost 50 ms a save here and are tested with kill -9 elsewhere.
    A failure keeps the input in the corpus like a load failure does."""
    def then(take: Take) -> None:
        again = path.with_name("again.emz")
        try:
            text = take_to_text(take, again)
            again.write_text(text, encoding="utf-8")
            back = load_take(again)
            assert back == take, "saved and reloaded differently"
            assert take_to_text(back, again) == text, "saved twice differently"
        except (AssertionError, Exception) as exc:  # noqa: BLE001 - any failure is the finding
            kept = record(LOADER, path.read_bytes(), path.suffix)
            raise AssertionError(f"{path.name}: {type(exc).__name__}: {exc!s:.300} (kept as {kept.name})") from exc
    return then


def _check_text(tmp_path: Path, text: str, name: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    check(LOADER, _load, path, TakeFileError, then=_saves_and_reloads_equal(path))


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(0, len(SEEDS) - 1), st.integers(1, 4))
def test_structurally_mutated_takes(tmp_path, seed, which, rounds):
    name, obj = SEEDS[which]
    rng = random.Random(seed)
    for _ in range(rounds):
        try:
            obj = mutate_json(obj, rng)
        except (RecursionError, OverflowError):  # mutate.py trips on its own deep or huge values
            break
    text = dump_json(obj)
    _check_text(tmp_path, text, "m_" + name)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(0, len(SEEDS) - 1))
def test_textually_damaged_takes(tmp_path, seed, which):
    name, obj = SEEDS[which]
    text = mutate_text_json(json.dumps(obj, indent=1), random.Random(seed))
    _check_text(tmp_path, text, "t_" + name)


@pytest.mark.parametrize("path", corpus_files(LOADER), ids=lambda p: p.name)
def test_corpus_replays(tmp_path, path):
    """Every input that once broke the loader, and the hand-made files of issue 12."""
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    check(LOADER, _load, copy, TakeFileError, then=_saves_and_reloads_equal(copy))


def test_the_full_take_uses_every_feature_and_round_trips(tmp_path):
    take = full_take()
    arrays = take.curves["AU12"].arrays
    assert set(arrays.interp.tolist()) == {0, 1, 2} and set(arrays.handle.tolist()) == {0, 1, 2, 3}
    p = tmp_path / "full.emz"
    save_take(take, p)
    raw = json.loads(p.read_text())
    assert raw["x_app"]["version"] == [4, 1] and raw["camera"]["x_lens"] == {"shift": [0.1, 0.0]}
    assert raw["audio"]["x_gain_db"] == -3.5 and raw["tracks"]["AU12"]["x_color"] == [1, 0.5, 0]
    assert raw["tracks"]["AU12"]["keys"][0]["x_note"] == "key 0"
    assert load_take(p) == take


#: One of each kind of tests.fuzz.mutate.HOSTILE_VALUES (the suite's time goes to kinds of field).
KINDS_OF_VALUE = (None, True, 0, -1, 10**400, 1e308, -1e308, 1e-320, 1e18, "", "Take.\u00b2", "\ud800x",
                  [], {}, [[[]]])


@pytest.mark.parametrize("part", range(2))
def test_every_hostile_value_in_every_kind_of_field(tmp_path, part):
    """Each kind of field (about 50) replaced by each kind of hostile value, and deleted: only
    TakeFileError naming the file, or a take that saves and reloads equal."""
    import copy

    from tests.fuzz.mutate import _get

    for path in ROLES[part::2]:
        for value in KINDS_OF_VALUE + (...,):
            obj = copy.deepcopy(COMPACT)
            parent = _get(obj, path[:-1])
            if value is ...:
                del parent[path[-1]]
            else:
                parent[path[-1]] = copy.deepcopy(value)
            _check_text(tmp_path, dump_json(obj), "f.emz")
