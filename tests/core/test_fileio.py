import os
import stat

import pytest

from core.fileio import atomic_write_bytes, atomic_write_text


def test_writes_with_umask_permissions_not_mkstemps(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "hello\n")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").read_text() == "hello\n"
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "b.bin"
    atomic_write_bytes(target, b"old")


    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # f.write fails inside the temp file
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["b.bin"]


# ------------------------------------------------------------------ temp files of interrupted saves

import random  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from core.fileio import atomic_open, clean_stale_temps, is_stale_temp, temp_writer_pid  # noqa: E402


def _temps(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_temp_file_carries_the_writers_pid(tmp_path):
    with atomic_open(tmp_path / "take.emz") as f:
        f.write(b"x")
        (tmp_name,) = _temps(tmp_path)
    assert tmp_name.startswith(".take.emz.") and temp_writer_pid(tmp_name) == os.getpid()
    assert _temps(tmp_path) == [] and (tmp_path / "take.emz").read_bytes() == b"x"


def test_the_next_write_removes_only_temp_files_of_dead_writers(tmp_path):
    dead = _dead_pid()
    old = time.time() - 3600 * 2
    files = {
        f".take.emz.{dead}.ab12_xyz.tmp": None,          # a save killed mid-write: removed
        f".take.emz.{os.getpid()}.cd34_xyz.tmp": None,   # a save still running here: kept
        f".take.emz.{os.getppid()}.ef56_xyz.tmp": None,  # another live writer: kept
        ".take.emz.gh78_xyz.tmp": old,                   # an old save without a pid: removed
        ".other.emz.ij90_xyz.tmp": None,                 # without a pid, but recent: kept
        ".notes.tmp": old,                               # not ours: kept
        "take.emz.tmp": old,                             # not ours (not hidden): kept
    }
    for name, mtime in files.items():
        (tmp_path / name).write_bytes(b"half a take")
        if mtime is not None:
            os.utime(tmp_path / name, (mtime, mtime))
    assert is_stale_temp(tmp_path / f".take.emz.{dead}.ab12_xyz.tmp")
    assert not is_stale_temp(tmp_path / f".take.emz.{os.getppid()}.ef56_xyz.tmp")
    atomic_write_text(tmp_path / "unrelated.emz", "{}\n")  # any write to the folder cleans it
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([f".take.emz.{os.getpid()}.cd34_xyz.tmp", f".take.emz.{os.getppid()}.ef56_xyz.tmp",
                           ".other.emz.ij90_xyz.tmp", ".notes.tmp", "take.emz.tmp", "unrelated.emz"])
    assert clean_stale_temps(tmp_path) == []  # nothing more to remove
    assert clean_stale_temps(tmp_path / "missing") == []  # a folder that is not there is no error


_WRITER = r"""
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from core.fileio import atomic_write_bytes
target, a, b = Path(sys.argv[2]), Path(sys.argv[3]).read_bytes(), Path(sys.argv[4]).read_bytes()
print("ready", flush=True)
i = 0
while True:
    atomic_write_bytes(target, b if i % 2 == 0 else a)
    i += 1
"""

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def _big_take_files(folder):
    """Two versions of a big take file (about 6 MB each), as the studio saves them."""
    from core.anim import Curve, Keyframe, Take
    from core.aus import AU_NAMES
    from core.document.project import take_to_json

    import json

    take = Take(name="big", duration=2000)
    for k, au in enumerate(AU_NAMES):
        take = take.with_curve(au, Curve(tuple(Keyframe(i, ((i * 7 + k) % 50) / 10.0) for i in range(0, 2000, 2))))
    text = json.dumps(take_to_json(take), indent=1) + "\n"
    a, b = folder / "a.emz", folder / "b.emz"
    a.write_text(text)
    b.write_text(text.replace('"name": "big"', '"name": "BIG"'))
    return a, b


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def test_kill_9_during_saves_leaves_the_old_or_the_new_file_and_no_orphan(tmp_path):
    """20 saves killed at random moments: the take is always one complete version; the temp file
    a killed save leaves goes with the next write to the folder."""
    src = tmp_path / "src"
    src.mkdir()
    a, b = _big_take_files(src)
    versions = {a.read_bytes(), b.read_bytes()}
    folder = tmp_path / "takes"
    folder.mkdir()
    target = folder / "take.emz"
    rng = random.Random(12)
    orphans = 0
    for trial in range(20):
        atomic_write_bytes(target, a.read_bytes()) if trial == 0 else None
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(ROOT), str(target), str(a), str(b)],
                                stdout=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"ready"
        if trial % 2:
            time.sleep(rng.uniform(0.0, 0.4))
        else:  # the moment a write is under way (its temp file is there)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any(n.endswith(".tmp") for n in os.listdir(folder)):
                pass
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        assert target.read_bytes() in versions, f"trial {trial}: a half-written take"
        orphans += bool(_temps(folder))
    # The kills did land in the middle of writes (writing is all the writer does).
    assert orphans >= 5
    atomic_write_bytes(folder / "notes.txt", b"the next save to the folder")
    assert _temps(folder) == []
    assert target.read_bytes() in versions
    print(f"kill -9 during saves: {orphans} of 20 kills left a temp file, all cleaned")
