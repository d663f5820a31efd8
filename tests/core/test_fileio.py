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
