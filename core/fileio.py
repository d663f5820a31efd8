"""Atomic file writes, the one implementation every saver in the studio uses.

A reader (or a crash) sees the old content or the new, never a part: the data goes to a temp file
in the same folder, is fsynced, renamed over the target, and the folder is fsynced so the rename
itself is durable. The file gets the usual permissions (0666 less the umask), not mkstemp's 0600.

A write killed half way (kill -9, power loss) leaves its temp file behind. The temp file is named
``.<name>.<pid>.<random>.tmp`` (pid: the writer's process), so the next atomic write to the same
folder removes the temp files of writers that are no longer running (``clean_stale_temps``) and
never one that a live writer is still filling. The folder is scanned only when something other than
this process's own atomic writes changed it since the last one (its mtime), so writing a sequence
of files into one folder costs one stat per file, not a scan of a growing folder.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Iterator

#: ``.<name>.<pid>.<random>.tmp``: mkstemp's random part is 8 of [a-z0-9_].
_TEMP_RE = re.compile(r"^\..+\.(\d+)\.[a-z0-9_]{8}\.tmp$")
#: ``.<name>.<random>.tmp``: temp files of the studio before the writer's pid was in the name.
_LEGACY_TEMP_RE = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
#: A temp file without a pid is its writer's only while the write can still be running: a save
#: takes well under a second (a 1,000,000-frame take is written in a few), so after this long
#: nobody is writing it.
LEGACY_TEMP_AGE_S = 60.0
#: A temp file whose pid is alive is kept unless it is older than this: the pid may have been
#: reused by another program since the writer died, and no save takes an hour.
STALE_TEMP_AGE_S = 3600.0


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def pid_alive(pid: int) -> bool:
    """Whether a process with this id is running (on this machine). A process of another user
    counts as running."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill would terminate it there
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            ctypes.windll.kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def temp_writer_pid(name: str) -> int | None:
    """The writer's pid in an atomic write's temp file name, else None."""
    m = _TEMP_RE.match(name)
    return int(m.group(1)) if m else None


def is_stale_temp(path: str | os.PathLike, now: float | None = None) -> bool:
    """Whether ``path`` is the temp file of an atomic write that will never finish: its writer
    is not running (or, for temp files without a pid, it is older than LEGACY_TEMP_AGE_S)."""
    p = Path(path)
    name = p.name
    pid = temp_writer_pid(name)
    if pid is None and not _LEGACY_TEMP_RE.match(name):
        return False  # not ours
    try:
        st = p.lstat()
    except OSError:
        return False
    import stat

    if not stat.S_ISREG(st.st_mode):
        return False
    age = (time.time() if now is None else now) - st.st_mtime
    if pid is None:
        return age > LEGACY_TEMP_AGE_S
    return not pid_alive(pid) or age > STALE_TEMP_AGE_S


def clean_stale_temps(folder: str | os.PathLike) -> list[Path]:
    """Remove the temp files of interrupted atomic writes in ``folder`` (see ``is_stale_temp``);
    returns the files removed. Never raises: a folder that cannot be listed is left alone."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(".") or not entry.name.endswith(".tmp"):
            continue
        if is_stale_temp(entry.path, now):
            try:
                os.unlink(entry.path)
            except OSError:
                continue
            removed.append(Path(entry.path))
    return removed


#: folder -> its st_mtime_ns just after this process's last write there (and the clean before it).
#: An atomic write scans its folder for stale temp files only when something else has changed
#: the folder since: a sequence of frames written into one folder scans it once, not per frame.
_CLEAN_AT: dict[str, int] = {}


def _mtime_ns(folder: Path) -> int | None:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return None


def _fsync_folder(folder: Path) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open folders; the rename is still atomic
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """``with atomic_open(path) as f: f.write(...)``: a binary file that replaces ``path`` when the
    block ends without an exception (for writers that stream, e.g. a long CSV export); on an
    exception the old file stays and the temp file is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.path.abspath(path.parent)
    touched = _CLEAN_AT.get(key) != _mtime_ns(path.parent)  # another writer since our last write
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(path.parent)
    if touched:
        clean_stale_temps(path.parent)
    _CLEAN_AT[key] = _mtime_ns(path.parent)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_open(path) as f:
        f.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """UTF-8 text with '\\n' line ends, written atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))
