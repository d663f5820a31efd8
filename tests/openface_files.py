"""OpenFace 2.x FeatureExtraction CSVs for the tests that import them (core, CLI and the window).

What OpenFace 2.2 writes: its 714 columns with ", " separators, AU12 a smile rising and falling
every 2 s (``smile``), AU04 held (unless ``au04`` is None), the ``failed`` rows all zeros with
success 0 (the importer skips them)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.document.openface import openface_2x_columns


def smile(t):
    return 2.5 + 2.5 * np.sin(2 * np.pi * np.asarray(t) / 2.0)


def write_openface2(path: Path, seconds: float = 4.0, failed=range(40, 55), src_fps: float = 30.0,
                    au04: float | None = 1.5) -> Path:
    cols = openface_2x_columns()
    idx = {c: i for i, c in enumerate(cols)}
    lines = [", ".join(cols)]
    for k in range(int(round(seconds * src_fps))):
        t = round(k / src_fps, 3)
        row = ["0"] * len(cols)
        row[idx["frame"]], row[idx["timestamp"]] = str(k + 1), f"{t:.3f}"
        if k not in failed:
            row[idx["confidence"]], row[idx["success"]] = "0.98", "1"
            row[idx["AU12_r"]] = f"{smile(t):.2f}"
            if au04 is not None:
                row[idx["AU04_r"]] = f"{au04:.2f}"
        lines.append(", ".join(row))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path
