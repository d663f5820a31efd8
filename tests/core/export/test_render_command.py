"""`main.py render` errors are one line, as `main.py export`'s are."""
from __future__ import annotations

import pytest


def test_render_with_gsplat_without_cuda_is_one_line(tmp_path, capsys):
    from core.render import cuda_available

    if cuda_available():
        pytest.skip("CUDA is here: gsplat may render")
    import main

    out = tmp_path / "x.png"
    rc = main.main(["render", "--head", "default", "-o", str(out), "--backend", "gsplat", "--size", "64x64"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and "CUDA" in err and "Traceback" not in err
    assert not out.exists()
