import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.anim import AudioRef, CameraState, Curve, Keyframe, SpeechDrive, Take, auto_blink, evaluate
from core.anim.take import CHANNEL_NAMES
from core.document import (
    CURRENT_VERSION, Autosaver, Document, TakeEdit, TakeFileError, autosave_path, find_recovery, load_take, save_take,
)
from core.anim import edit

DATA = Path(__file__).resolve().parents[2] / "data" / "takes"


def _take(audio_dir: Path) -> Take:
    return Take(
        name="t", fps=30, duration=90, audio=AudioRef(str(audio_dir / "sub" / "line.wav"), -0.25),
        curves={"AU12": Curve((Keyframe(0, 0), Keyframe(12, 4.5, "linear"), Keyframe(30, 1, "constant"))),
                "AU45": auto_blink(90, 30, seed=1),
                "lip_close": Curve((Keyframe(3, 0.5, handle_type="free", handle_left=(1, 0), handle_right=(6, 1)),),
                                   extrapolation="linear", solo=True, lock=True)},
        speech={"lip_close": SpeechDrive(False, False)},
        camera=CameraState((0.0, 0.1, -0.2), 15.0, -3.0, 1.7, 25.0),
        zone_settings={"overlay": True, "opacity": 0.5},
    )


def test_save_load_round_trip_and_relative_audio(tmp_path):
    take = _take(tmp_path)
    p = tmp_path / "a.emz"
    save_take(take, p)
    raw = json.loads(p.read_text())
    assert raw["schema"] == f"Take.{CURRENT_VERSION}" == "Take.3"
    assert raw["audio"]["path"] == "sub/line.wav"  # relative to the project file
    assert raw["audio"]["absolute"] == (tmp_path / "sub" / "line.wav").as_posix()  # and absolute
    back = load_take(p)
    assert back == take
    assert back is not take
    assert [f.name for f in tmp_path.iterdir()] == ["a.emz"]  # no temp files left behind


def test_old_version_fixture_upgrades_on_load():
    take = load_take(DATA / "take_v1.emz")
    assert take.name == "hello_v1" and take.duration == 100 and take.fps == 25
    assert take.audio.path == str(DATA / "hello.wav") and take.audio.offset == 0
    assert [(k.frame, k.value) for k in take.curves["AU12"].keys] == [(0, 0), (20, 3.5), (40, 0.5)]
    assert take.curves["AU45"].keys[1].value == 5
    # v1 keys were bezier auto-clamped: a smoothstep from 0 to 3.5 over 20 frames, 1.75 midway.
    assert evaluate(take.curves["AU12"], [10])[0] == pytest.approx(1.75)
    assert take.speech["jaw_open"] == SpeechDrive()


def test_current_version_fixture_keeps_loading():
    take = load_take(DATA / "take_v2.emz")
    assert take.name == "hello_v2" and take.duration == 120
    assert take.curves["AU04"].keys[0].handle_left == (2, 0.5)
    assert take.speech["jaw_open"].override and take.curves["jaw_open"].mute
    assert take.zone_settings["hidden"] == ["static"]
    assert take.camera.distance == 2.5


def _write(tmp_path, obj_or_text) -> Path:
    p = tmp_path / "bad.emz"
    p.write_text(obj_or_text if isinstance(obj_or_text, str) else json.dumps(obj_or_text))
    return p


def _good():
    return json.loads((DATA / "take_v2.emz").read_text())


def _with(path, value):
    d = _good()
    cur = d
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return d


@pytest.mark.parametrize("content, field, words", [
    ('{"schema": "Take.2", "name": "x", "fps": 25, "dura', None, "line 1"),
    ("", None, "empty"),
    ([1, 2], "(top level)", "object"),
    (_with(["tracks", "AU12", "keys", 1, "value"], "high"), "tracks.AU12.keys[1].value", "number"),
    (_with(["tracks", "AU12", "keys", 1, "value"], float("nan")), "tracks.AU12.keys[1].value", "finite"),
    (_with(["tracks", "AU12", "keys", 2, "frame"], float("inf")), "tracks.AU12.keys[2].frame", "finite"),
    (_with(["tracks", "AU12", "keys", 0, "frame"], -3), "tracks.AU12.keys[0].frame", ">= 0"),
    (_with(["tracks", "AU12", "keys", 0, "interpolation"], "cubic"), "tracks.AU12.keys[0].interpolation", "unknown"),
    (_with(["tracks", "AU12", "mute"], "no"), "tracks.AU12.mute", "true or false"),
    (_with(["tracks", "AU99"], {"keys": []}), "tracks.AU99", "unknown channel"),
    (_with(["schema"], "Take.9"), "schema", "unknown schema version 9"),
    (_with(["schema"], "Scene.2"), "schema", "not a take file"),
    (_with(["fps"], 0), "fps", "positive"),
    (_with(["duration"], 12.5), "duration", "whole"),
    (_with(["camera", "target"], [0, 1]), "camera.target", "[x, y, z]"),
    (_with(["camera", "fov_y"], 200), "camera", "fov_y"),
    (_with(["camera", "yaw"], None), "camera.yaw", "number"),
    (_with(["zone_settings", "opacity"], float("inf")), "zone_settings.opacity", "finite"),
    ({"schema": "Take.1", "fps": 25, "frames": 10, "tracks": {"AU12": [[0, 1, 2]]}}, "tracks.AU12[0]", "[frame, value]"),
])
def test_malformed_files_get_specific_errors(tmp_path, content, field, words):
    p = _write(tmp_path, content)
    with pytest.raises(TakeFileError) as ei:
        load_take(p)
    err = ei.value
    assert isinstance(err, ValueError)
    assert str(p) in str(err) and words in str(err)
    assert err.field == field


def test_missing_file_and_failed_load_leave_the_open_document_alone(tmp_path):
    doc = Document(_take(tmp_path))
    before = doc.take
    with pytest.raises(TakeFileError):
        Document.open(tmp_path / "nope.emz")
    with pytest.raises(TakeFileError):
        Document.open(_write(tmp_path, '{"schema": "Take.2"'))
    assert doc.take is before


def test_save_failure_keeps_the_previous_file(tmp_path):
    p = tmp_path / "a.emz"
    save_take(_take(tmp_path), p)
    old = p.read_text()
    bad = Take(zone_settings={"x": float("nan")})
    with pytest.raises(TakeFileError):
        save_take(bad, p)
    assert p.read_text() == old
    assert sorted(f.name for f in tmp_path.iterdir()) == ["a.emz"]


def test_autosave_ticks_and_recovery(tmp_path):
    p = tmp_path / "a.emz"
    doc = Document(_take(tmp_path))
    doc.save(p)
    saver = Autosaver(doc, interval_s=30)
    assert saver.tick(100.0) is None  # starts the clock
    assert saver.tick(200.0) is None  # nothing to save: the document is clean
    doc.push(TakeEdit("k", doc.take, edit.move_selection(doc.take, {"AU12": [1]}, 0, 0.5)))
    assert saver.tick(210.0) is None  # not due yet
    side = saver.tick(231.0)
    assert side == autosave_path(p) and side.exists()
    assert saver.tick(400.0) is None  # no change since the last autosave
    # Make the side file clearly newer than the project (file systems with coarse mtimes).
    os.utime(p, ns=(side.stat().st_mtime_ns - 10**9,) * 2)
    assert find_recovery(p) == side
    assert load_take(side) == doc.take and load_take(p) != doc.take
    doc.save()
    assert not side.exists() and find_recovery(p) is None


def test_untitled_documents_autosave_beside_a_given_path(tmp_path):
    doc = Document(Take())
    saver = Autosaver(doc, interval_s=1, untitled_path=tmp_path / "untitled.emz")
    saver.tick(0)
    doc.push(TakeEdit("k", doc.take, doc.take.with_curve("AU01", Curve((Keyframe(0, 1),)))))
    assert saver.tick(5) == tmp_path / "untitled.emz.autosave"
    assert find_recovery(tmp_path / "untitled.emz") == tmp_path / "untitled.emz.autosave"


keys_strategy = st.lists(
    st.tuples(st.integers(0, 500), st.floats(-5, 10, allow_nan=False), st.sampled_from(["constant", "linear", "bezier"]),
              st.sampled_from(["auto_clamped", "auto", "vector", "free"]),
              st.tuples(st.floats(-5, 0), st.floats(-3, 3)), st.tuples(st.floats(0, 5), st.floats(-3, 3))),
    max_size=6, unique_by=lambda t: t[0])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(CHANNEL_NAMES), keys_strategy, max_size=5),
       st.sampled_from(["constant", "linear"]), st.floats(1, 120), st.integers(1, 10_000),
       st.text(max_size=12), st.booleans())
def test_round_trip_property(tracks, extrap, fps, duration, name, flag):
    curves = {
        ch: Curve(tuple(Keyframe(f, v, i, h, (f + hl[0], v + hl[1]), (f + hr[0], v + hr[1]))
                        for f, v, i, h, hl, hr in ks), extrapolation=extrap, mute=flag, solo=not flag)
        for ch, ks in tracks.items()
    }
    take = Take(name=name, fps=fps, duration=duration, curves=curves, zone_settings={"a": [1, 2.5]})
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "p.emz"
        save_take(take, p)
        back = load_take(p)
    assert back == take
    f = np.linspace(-5, 505, 97)
    np.testing.assert_array_equal(back.evaluate_au(f), take.evaluate_au(f))


# ------------------------------------------------------------------ the audio path, moved around


def _project_with_audio(folder: Path) -> tuple[Path, Path]:
    """folder/takes/t.emz whose audio is folder/audio/line.wav (a real, tiny file)."""
    import soundfile as sf

    (folder / "audio").mkdir(parents=True)
    (folder / "takes").mkdir()
    wav = folder / "audio" / "line.wav"
    sf.write(wav, np.zeros(800, np.float32), 8000)
    take = Take(name="t", duration=10, audio=AudioRef(str(wav), 0.5))
    save_take(take, folder / "takes" / "t.emz")
    return folder / "takes" / "t.emz", wav


def test_project_folder_moved_with_its_audio_finds_it_by_the_relative_path(tmp_path):
    emz, _ = _project_with_audio(tmp_path / "old")
    (tmp_path / "old").rename(tmp_path / "new")  # the whole project moved: the absolute path is gone
    take = load_take(tmp_path / "new" / "takes" / "t.emz")
    assert take.audio.path == str(tmp_path / "new" / "audio" / "line.wav")
    assert take.audio.offset == 0.5


def test_relative_path_wins_when_both_exist(tmp_path):
    import shutil

    _project_with_audio(tmp_path / "old")
    shutil.copytree(tmp_path / "old", tmp_path / "copy")  # a copy of the project; the original stays
    take = load_take(tmp_path / "copy" / "takes" / "t.emz")
    assert take.audio.path == str(tmp_path / "copy" / "audio" / "line.wav")


def test_take_file_moved_alone_finds_the_audio_by_the_absolute_path(tmp_path):
    emz, wav = _project_with_audio(tmp_path / "proj")
    (tmp_path / "elsewhere" / "deeper").mkdir(parents=True)
    moved = emz.rename(tmp_path / "elsewhere" / "deeper" / "t.emz")  # ../audio/line.wav now names nothing
    take = load_take(moved)
    assert take.audio.path == str(wav)
    # Saved again from its new place, the relative path is rewritten for it.
    save_take(take, moved)
    assert json.loads(moved.read_text())["audio"]["path"] == "../../proj/audio/line.wav"


def test_missing_audio_keeps_the_absolute_path_to_name_and_relink(tmp_path):
    from core.document.new_take import missing_audio, relink_audio_command

    emz, wav = _project_with_audio(tmp_path / "proj")
    wav.rename(tmp_path / "gone.wav")
    take = load_take(emz)
    assert take.audio.path == str(wav) and missing_audio(take) == str(wav)
    doc = Document(take, emz)
    doc.push(relink_audio_command(doc.take, tmp_path / "gone.wav"))
    assert doc.take.audio == AudioRef(str(tmp_path / "gone.wav"), 0.5) and missing_audio(doc.take) is None
    assert doc.take.curves == take.curves and doc.take.duration == take.duration
    doc.history.undo()
    assert doc.take.audio.path == str(wav)


@pytest.mark.parametrize("stored", ["relative", "absolute"])
def test_version_2_files_with_one_audio_path_still_load(tmp_path, stored):
    import soundfile as sf

    wav = tmp_path / "a" / "v.wav"
    wav.parent.mkdir()
    sf.write(wav, np.zeros(80, np.float32), 8000)
    d = _good()
    d["audio"] = {"path": "a/v.wav" if stored == "relative" else str(wav), "offset": 0.0}
    take = load_take(_write(tmp_path, d))
    assert take.audio.path == str(wav) and take.name == "hello_v2"


def test_version_3_fixture_loads():
    take = load_take(DATA / "take_v3.emz")
    assert take.name == "hello_v3" and take.audio.offset == 0.12
    # Neither path names a file here: the absolute one is kept.
    assert take.audio.path == os.path.normpath("/nonexistent/emozone/takes/audio/hello.wav")
    assert take.curves == load_take(DATA / "take_v2.emz").curves


def test_files_for_a_repository_can_leave_the_absolute_path_out(tmp_path):
    p = tmp_path / "t.emz"
    save_take(Take(audio=AudioRef(str(tmp_path / "v.wav"))), p, absolute_audio=False)
    raw = json.loads(p.read_text())
    assert raw["audio"] == {"path": "v.wav", "offset": 0.0}
    assert load_take(p).audio.path == str(tmp_path / "v.wav")


def test_bad_absolute_audio_path_is_named(tmp_path):
    d = _good()
    d["schema"] = "Take.3"
    d["audio"]["absolute"] = "relative/x.wav"
    p = _write(tmp_path, d)
    with pytest.raises(TakeFileError) as ei:
        load_take(p)
    assert ei.value.field == "audio.absolute" and str(p) in str(ei.value)


def test_discarding_removes_the_autosave_so_nothing_is_offered_next_time(tmp_path):
    p = tmp_path / "a.emz"
    doc = Document(_take(tmp_path))
    doc.save(p)
    saver = Autosaver(doc, interval_s=1)
    saver.tick(0)
    doc.push(TakeEdit("k", doc.take, doc.take.with_curve("AU01", Curve((Keyframe(0, 1),)))))
    side = saver.tick(5)
    os.utime(p, ns=(side.stat().st_mtime_ns - 10**9,) * 2)
    assert find_recovery(p) == side
    assert saver.discard() == side
    assert not side.exists() and find_recovery(p) is None
    assert saver.discard() is None  # nothing left to remove
    # The edits still in the window are autosaved again on the next due tick.
    assert saver.tick(10) == side


@pytest.mark.parametrize("channel", ["jaw_open", "lip_round", "lip_close", "lip_stretch"])
def test_speech_source_flags_survive_save_and_load(tmp_path, channel):
    """The override flag (the animator's lip-sync fix) and driven_by_audio are written and read
    back for every speech control."""
    take = Take(duration=20).with_speech(channel, SpeechDrive(driven_by_audio=True, override=True))
    take = take.with_speech("lip_round" if channel != "lip_round" else "jaw_open", SpeechDrive(False, False))
    p = tmp_path / "s.emz"
    save_take(take, p)
    raw = json.loads(p.read_text())
    assert raw["tracks"][channel]["override"] is True and raw["tracks"][channel]["driven_by_audio"] is True
    back = load_take(p)
    assert back.speech == take.speech
    assert back.speech[channel].override and back.speech[channel].uses_curve


# ------------------------------------------------- hostile files (issue 12): limits, one error type

FUZZ = Path(__file__).resolve().parents[2] / "data" / "fuzz" / "take"


@pytest.mark.parametrize("name, field, words", [
    ("issue-duration-1e9.emz", "duration", "1e+09 frames is more than the 1,000,000 a take may hold"),
    ("issue-fps-1e-320.emz", "fps", "fps must be within 1..1000"),
    ("issue-deep-nesting.emz", None, "nested deeper than 64 levels"),
    ("issue-int-beyond-float.emz", "fps", "401-digit number"),
    ("issue-int-5000-digits.emz", None, "more digits than Python reads"),
    ("issue-schema-superscript.emz", "schema", "not a take file"),
    ("issue-extreme-neighbour-values.emz", "tracks.AU12.keys[0].value", "must be within -1e+06..1e+06"),
])
def test_the_hostile_files_of_issue_12_get_one_line_take_file_errors(name, field, words):
    path = FUZZ / name
    with pytest.raises(TakeFileError) as ei:
        load_take(path)
    msg = str(ei.value)
    assert ei.value.field == field and words in msg
    assert msg.startswith(str(path)) and "\n" not in msg


def _minimal(**fields) -> dict:
    d = {"schema": "Take.3", "fps": 25, "duration": 100, "tracks": {}}
    d.update(fields)
    return d


@pytest.mark.parametrize("fields, field, words", [
    ({"fps": 0.5}, "fps", "1..1000"),
    ({"fps": 1001}, "fps", "1..1000"),
    ({"fps": 25, "duration": 1_000_001}, "duration", "more than the 1,000,000"),
    ({"fps": 25, "duration": 400_000}, "duration", "4.44 h; a take is at most 4 h"),
    ({"duration": 10**400}, "duration", "401-digit number"),
    ({"schema": "Take." + "9" * 5000}, "schema", "not a take file"),
    ({"schema": "Take.\u0663"}, "schema", "not a take file"),  # an Arabic-Indic 3: isdigit, not ASCII
    ({"audio": {"path": "a.wav", "offset": 1e9}}, "audio.offset", "within -14400..14400"),
    ({"audio": {"path": "a\u0000.wav"}}, "audio.path", "NUL"),
    ({"audio": {"path": "\ud800x.wav"}}, "audio.path", "cannot name a file"),  # a save failed on it
    ({"tracks": {"AU12": {"keys": [{"frame": 1e8, "value": 1}]}}}, "tracks.AU12.keys[0].frame", "within"),
    ({"camera": {"distance": 5e-324}}, "camera.distance", "at least 0.001"),  # eye and target would meet
    ({"camera": {"distance": 1e308}}, "camera.distance", "within"),
    ({"camera": {"pitch": 90}}, "camera.pitch", "within -89..89"),
    ({"camera": {"target": [0, 1e300, 0]}}, "camera.target[1]", "within"),
    ({"tracks": {"AU12": {"keys": [{"frame": 0, "value": 1, "handle_type": "free",
                                     "handle_left": [-1, -1e300], "handle_right": [1, 1]}]}}},
     "tracks.AU12.keys[0].handle_left[1]", "within"),
    ({"tracks": {"AU12": {"keys": [], "x": float("nan")}}}, "tracks.AU12.x", "finite"),
    ({"x_top": [1, {"y": float("inf")}]}, "x_top[1].y", "finite"),
])
def test_limits_from_core_limits_are_refused_with_the_field(tmp_path, fields, field, words):
    p = _write(tmp_path, json.dumps(_minimal(**fields)))
    with pytest.raises(TakeFileError) as ei:
        load_take(p)
    assert ei.value.field == field and words in str(ei.value) and str(p) in str(ei.value)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    from core.limits import MAX_TAKE_FILE_BYTES

    p = tmp_path / "huge.emz"
    with open(p, "wb") as f:  # sparse: no disk is spent, but the size is what the loader sees
        f.truncate(MAX_TAKE_FILE_BYTES + 1)
    with pytest.raises(TakeFileError) as ei:
        load_take(p)
    assert "bytes is more than the 268,435,456 a take file may have" in str(ei.value) and str(p) in str(ei.value)
    with pytest.raises(TakeFileError, match="not a regular file"):
        load_take(tmp_path)


def test_nesting_depth_is_measured_outside_strings():
    from core.document.project import json_depth_exceeds

    assert not json_depth_exceeds('{"a": "' + "[" * 500 + '"}')
    assert not json_depth_exceeds("[" * 64 + "]" * 64)
    assert json_depth_exceeds("[" * 65 + "]" * 65)
    assert json_depth_exceeds('{"a": "\\"", "b": ' + "[" * 65 + "]" * 65 + "}")  # an escaped quote
    assert not json_depth_exceeds('[{"k": [1, 2]}]' * 10_000)  # many shallow brackets


def test_take_itself_keeps_fps_and_length_within_the_limits():
    """OpenFace imports, New From Audio and edits build Takes too: the limits hold there."""
    Take(fps=1.0, duration=14_400)  # 4 h at 1 fps: the longest take at the lowest rate
    Take(fps=1000.0, duration=1_000_000)
    for fps, duration, words in [(1e-320, 10, "fps must be within"), (0.5, 10, "fps must be within"),
                                 (1500, 10, "fps must be within"), (25, 10**9, "more than the 1,000,000"),
                                 (1.0, 14_401, "a take is at most 4 h"), (25, float("inf"), "whole number"),
                                 (float("nan"), 10, "positive number"), (10**400, 10, "fps must be within")]:
        with pytest.raises(ValueError, match=words):
            Take(fps=fps, duration=duration)


def test_unknown_fields_survive_load_edit_and_save(tmp_path):
    """Issue 12, item 7: the top level, audio, camera, each track and each key keep the fields
    this version does not know; a moved key keeps its own; a re-save writes them all back."""
    from core.anim.curve import Extra
    from core.camera import OrbitCamera

    p = tmp_path / "later.emz"
    p.write_bytes((FUZZ / "issue-unknown-fields.emz").read_bytes())
    take = load_take(p)
    assert take.extra == {"x_app": {"version": [4, 1]}}
    assert take.audio.extra == {"gain_db": -3} and take.camera.extra == {"lens_shift": [0.1, 0]}
    au12 = take.curves["AU12"]
    assert au12.extra == {"color": "#ffaa00"} and take.curves["jaw_open"].extra == {"model": "v2"}
    assert au12.keys[0].extra == {"note": "smile starts"} and au12.keys[1].extra == Extra.EMPTY
    # Immutable and hashable where a take's parts were: keys, curves, extras.
    assert hash(au12) == hash(load_take(p).curves["AU12"]) and hash(au12.keys[0])
    got = take.extra["x_app"]
    got["version"].append(5)  # a copy: the take is unchanged
    assert take.extra["x_app"] == {"version": [4, 1]}
    with pytest.raises((AttributeError, TypeError)):
        take.extra["x_app"] = 1
    # A key moved (and retyped) keeps its own fields; the camera moved keeps the camera's.
    moved = edit.move_selection(take, {"AU12": [0]}, 3, 0.5)
    moved = moved.with_curve("AU12", edit.set_interpolation(moved.curves["AU12"], [0], "linear"))
    assert moved.curves["AU12"].keys[0].frame == 3 and moved.curves["AU12"].keys[0].extra == {"note": "smile starts"}
    orbit = OrbitCamera(target=np.zeros(3), yaw=40.0, pitch=5.0, distance=3.0, fov_y=30.0)
    import dataclasses

    moved = dataclasses.replace(moved, camera=moved.camera.with_orbit(orbit))
    assert moved.camera.yaw == 40 and moved.camera.extra == take.camera.extra
    out = tmp_path / "resaved.emz"
    save_take(moved, out)
    raw = json.loads(out.read_text())
    assert raw["x_app"] == {"version": [4, 1]} and raw["audio"]["gain_db"] == -3
    assert raw["camera"]["lens_shift"] == [0.1, 0] and raw["tracks"]["AU12"]["color"] == "#ffaa00"
    assert raw["tracks"]["AU12"]["keys"][0] == {
        "frame": 3.0, "value": 1.5, "interpolation": "linear", "handle_type": "auto_clamped",
        "handle_left": raw["tracks"]["AU12"]["keys"][0]["handle_left"],
        "handle_right": raw["tracks"]["AU12"]["keys"][0]["handle_right"], "note": "smile starts"}
    assert raw["tracks"]["jaw_open"]["model"] == "v2"
    assert load_take(out) == moved
    # Known fields win over an extra of the same name made in memory; NaN cannot be an extra.
    assert json.loads(json.dumps(take_to_json_for(Take(extra={"fps": 1, "y": 2}))))["fps"] == 25.0
    with pytest.raises(ValueError):
        Take(extra={"x": float("nan")})


def take_to_json_for(take):
    from core.document.project import take_to_json

    return take_to_json(take)


def test_cli_export_of_a_hostile_take_prints_one_line_naming_the_file(tmp_path):
    """`main.py export BAD.emz --format openface` (issue 12, item 1: it grew to 23.6 GB) stops at
    the load with one line naming the file and the field; no traceback."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    bad = tmp_path / "bad.emz"
    bad.write_bytes((FUZZ / "issue-duration-1e9.emz").read_bytes())
    for args in (["export", str(bad), "-o", str(tmp_path / "out.csv"), "--format", "openface"],
                 ["export", str(tmp_path / "missing.emz"), "-o", str(tmp_path / "out.csv"), "--format", "openface"]):
        r = subprocess.run([sys.executable, str(root / "main.py"), *args], capture_output=True, text=True,
                           timeout=300, cwd=tmp_path)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
        assert Path(args[1]).name in lines[0]
    assert "at duration: 1e+09 frames" in subprocess.run(
        [sys.executable, str(root / "main.py"), "export", str(bad), "-o", str(tmp_path / "o.csv"), "--format",
         "openface"], capture_output=True, text=True, timeout=300, cwd=tmp_path).stderr
    assert not (tmp_path / "out.csv").exists()


def test_the_lip_sync_settings_round_trip_and_bad_ones_are_named(tmp_path):
    import dataclasses
    import json

    from core.anim import LipSyncSettings
    from core.document.commands import set_lipsync_command
    from core.document.project import TakeFileError, load_take, save_take

    take = Take(name="line", duration=50)
    assert take.lipsync == LipSyncSettings("phonemes", "")
    edit = set_lipsync_command(take, transcript="  Maybe Bob bought a lamp.  ")
    assert edit.text == "Set transcript" and edit.after.lipsync.transcript == "Maybe Bob bought a lamp."
    energy = set_lipsync_command(edit.after, driver="energy")
    assert energy.text == "Lip sync: energy" and energy.after.lipsync.transcript == "Maybe Bob bought a lamp."
    path = tmp_path / "line.emz"
    save_take(energy.after, path)
    assert load_take(path).lipsync == LipSyncSettings("energy", "Maybe Bob bought a lamp.")
    data = json.loads(path.read_text())
    del data["lipsync"]  # a file of an earlier version
    path.write_text(json.dumps(data))
    assert load_take(path).lipsync == LipSyncSettings()
    for bad, where in (({"driver": "magic"}, "at lipsync: lip sync driver must be one of phonemes, energy"),
                       ({"transcript": 42}, "at lipsync.transcript: expected a string"),
                       ([1, 2], "at lipsync: expected an object")):
        data["lipsync"] = bad
        path.write_text(json.dumps(data))
        with pytest.raises(TakeFileError, match=where):
            load_take(path)
    with pytest.raises(ValueError, match="lip sync driver"):
        dataclasses.replace(take, lipsync=LipSyncSettings("magic"))
