"""Autosave without gaps: untitled takes get a side file of their own (one per studio instance),
the side file goes when the take is clean again or thrown away, a new instance finds only the
side files of instances that are gone, and kill -9 in the middle of an autosave never leaves a
half-written side file or an orphan temp file after the next write to the folder."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.anim import Curve, Keyframe, Take
from core.aus import AU_NAMES
from core.document import Autosaver, Document, TakeEdit, autosave_path, load_take, save_take
from core.document.document import (
    claim_untitled_path, find_untitled_recoveries, release_untitled_path, untitled_owner_alive,
)
from core.document.project import take_to_json


def _key(doc: Document, value: float = 1.0) -> None:
    doc.push(TakeEdit("k", doc.take, doc.take.with_curve("AU12", Curve((Keyframe(0, value),)))))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_an_untitled_take_is_autosaved_in_its_instances_own_side_file(tmp_path):
    one, two = claim_untitled_path(tmp_path), claim_untitled_path(tmp_path)
    try:
        assert one != two  # two windows of one process never share a side file
        assert one.name.startswith("untitled-") and one.name.endswith(f"-{os.getpid()}.emz")
        doc = Document(Take(name="Untitled", duration=20))
        saver = Autosaver(doc, interval_s=1, untitled_path=one)
        saver.tick(0)
        _key(doc)
        side = saver.tick(5)
        assert side == autosave_path(one) and load_take(side) == doc.take
        # This instance is running: its side file is not offered to another one.
        assert untitled_owner_alive(side) and find_untitled_recoveries(tmp_path) == []
    finally:
        release_untitled_path(one)
        release_untitled_path(two)
    # The window closed without saving (a crash would look the same to the next start).
    assert not untitled_owner_alive(side) and find_untitled_recoveries(tmp_path) == [side]


def test_side_files_of_other_processes_are_offered_only_when_they_are_gone(tmp_path):
    take_text = json.dumps(take_to_json(Take(duration=10)))
    dead = tmp_path / f"untitled-20260101-120000.000000-{_dead_pid()}.emz.autosave"
    live = tmp_path / f"untitled-20260101-120001.000000-{os.getppid()}.emz.autosave"
    foreign = tmp_path / "notes.emz.autosave"
    for i, p in enumerate((dead, live, foreign)):
        p.write_text(take_text)
        os.utime(p, (1000 + i, 1000 + i))
    assert find_untitled_recoveries(tmp_path) == [dead]
    assert find_untitled_recoveries(tmp_path / "none") == []


def test_undo_back_to_the_saved_state_removes_the_side_file_on_the_next_tick(tmp_path):
    p = tmp_path / "a.emz"
    doc = Document(Take(duration=20))
    doc.save(p)
    saver = Autosaver(doc, interval_s=1, untitled_path=tmp_path / "untitled.emz")
    saver.tick(0)
    _key(doc)
    side = saver.tick(5)
    assert side == autosave_path(p) and side.exists()
    doc.history.undo()
    assert not doc.is_dirty
    assert saver.tick(5.5) is None  # not due for a write, but the side file offers nothing now
    assert not side.exists()
    doc.history.redo()  # dirty again: autosaved again when due
    assert saver.tick(7) == side and side.exists()


def test_save_as_moves_the_autosave_from_the_untitled_side_file_to_the_files(tmp_path):
    doc = Document(Take(name="Untitled", duration=20))
    saver = Autosaver(doc, interval_s=1, untitled_path=tmp_path / "data" / "untitled-x-1.emz")
    saver.tick(0)
    _key(doc)
    untitled = saver.tick(5)
    assert untitled.exists()
    doc.save(tmp_path / "take.emz")
    saver.cleanup()  # the studio calls it after every save
    assert not untitled.exists()
    _key(doc, 2.0)
    assert saver.tick(10) == autosave_path(tmp_path / "take.emz")
    assert not untitled.exists()


def test_discard_removes_the_untitled_side_file(tmp_path):
    doc = Document(Take(duration=20))
    saver = Autosaver(doc, interval_s=1, untitled_path=tmp_path / "u.emz")
    saver.tick(0)
    _key(doc)
    side = saver.tick(5)
    assert saver.discard() == side and not side.exists()


def test_an_adopted_recovery_goes_when_its_edits_are_undone(tmp_path):
    p = tmp_path / "a.emz"
    save_take(Take(duration=20), p)
    side = autosave_path(p)
    doc = Document(load_take(p), p)
    _key(doc)
    save_take(doc.take, side)  # left by a crash; now recovered as one edit
    saver = Autosaver(doc, interval_s=1)
    saver.adopt(side)
    doc.history.undo()
    saver.tick(0)
    assert not side.exists()


# ------------------------------------------------------------------------------------ kill -9


def _big_take(name: str) -> Take:
    take = Take(name=name, duration=600)
    for k, au in enumerate(AU_NAMES):
        take = take.with_curve(au, Curve(tuple(Keyframe(i, ((i + k) % 40) / 8.0) for i in range(0, 600, 8))))
    return take


def _wait_for_temp(folder: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if any(name.endswith(".tmp") for name in os.listdir(folder)):
            return


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and kill -9")
def test_kill_9_during_autosave_leaves_a_complete_side_file_and_no_orphan(tmp_path):
    """A studio process killed at 20 random moments while it autosaves an untitled take in a loop
    (two versions in turn): the side file is always one complete version, the next instance
    finds it, and the next write to the folder leaves no temp file."""
    a, b = _big_take("Untitled"), _big_take("Untitled").with_curve("AU12", Curve((Keyframe(0, 4.0),)))
    expected = tmp_path / "expected"
    save_take(a, expected / "a.emz")
    save_take(b, expected / "b.emz")
    versions = {(expected / "a.emz").read_bytes(), (expected / "b.emz").read_bytes()}
    folder = tmp_path / "autosave"
    rng = random.Random(7)
    orphans = 0
    for trial in range(20):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the studio: edits and autosaves until it is killed
            try:
                os.close(r)
                doc = Document(Take(name="Untitled", duration=600))
                saver = Autosaver(doc, interval_s=1.0, untitled_path=claim_untitled_path(folder))
                saver.tick(0.0)
                now, i = 0.0, 0
                while True:
                    doc.push(TakeEdit("edit", doc.take, b if i % 2 else a))
                    now += 2.0
                    saver.tick(now)
                    if i == 0:
                        os.write(w, b"1")
                    i += 1
            finally:
                os._exit(1)
        os.close(w)
        assert os.read(r, 1) == b"1"  # the first autosave is on disk
        os.close(r)
        if trial % 2:
            time.sleep(rng.uniform(0.0, 0.15))
        else:  # the moment a side file is being written (its temp file is there)
            _wait_for_temp(folder, time.monotonic() + 10)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sides = [p for p in folder.iterdir() if p.name.endswith(f"-{pid}.emz.autosave")]
        assert len(sides) == 1, f"trial {trial}: {sorted(p.name for p in folder.iterdir())}"
        assert sides[0].read_bytes() in versions, f"trial {trial}: a half-written autosave"
        assert sides[0] in find_untitled_recoveries(folder)  # offered: its studio is gone
        orphans += any(p.name.endswith(".tmp") for p in folder.iterdir())
    assert orphans >= 3  # the kills did land inside writes
    assert len(find_untitled_recoveries(folder)) == 20
    # The next autosave into the folder cleans what the killed ones left half-written.
    mine = claim_untitled_path(folder)
    try:
        doc = Document(Take(duration=20))
        saver = Autosaver(doc, interval_s=1, untitled_path=mine)
        saver.tick(0)
        _key(doc)
        assert saver.tick(2) is not None
    finally:
        release_untitled_path(mine)
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
    print(f"kill -9 during autosave: {orphans} of 20 kills left a temp file, all cleaned")
