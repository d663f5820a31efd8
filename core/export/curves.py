"""Curve exports: the AU and speech values the rig receives, sampled at the exported frames.

openface  OpenFace 2.x FeatureExtraction style CSV (frame, face_id, timestamp, confidence,
          success, AUxx_r, AUxx_c), readable by core.document.openface.read_openface_csv.
arkit     Live Link Face style CSV through core.document.arkit (ARKit-52 weights).
json      the take's project JSON (core.document.project) plus the sampled values.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from core.aus import AU_NAMES, SPEECH_NAMES

#: OpenFace writes AUxx_c (presence) for these; AU28 has no intensity channel in OpenFace 2.x.
_PRESENCE_AUS = ("AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14",
                 "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU28", "AU45")
#: OpenFace marks an AU present from intensity 1 upward (its classifiers and regressors agree there).
_PRESENT_AT = 1.0


def openface_text(au: np.ndarray, fps: float) -> str:
    """OpenFace-style CSV text for au [F, 17] at ``fps``; rows are output frames 1..F."""
    cols = ["frame", "face_id", "timestamp", "confidence", "success"]
    cols += [f"{a}_r" for a in AU_NAMES] + [f"{a}_c" for a in _PRESENCE_AUS]
    buf = io.StringIO()
    buf.write(", ".join(cols) + "\n")
    for k, row in enumerate(au):
        values = [f"{k + 1}", "0", f"{k / fps:.3f}", "0.98", "1"]
        values += [f"{v:.2f}" for v in row]
        by_name = dict(zip(AU_NAMES, row))
        values += [f"{1.0 if by_name.get(a, 0.0) >= _PRESENT_AT else 0.0:.1f}" for a in _PRESENCE_AUS]
        buf.write(", ".join(values) + "\n")
    return buf.getvalue()


def arkit_text(au: np.ndarray, speech: np.ndarray, fps: float) -> str:
    from core.document.arkit import arkit_csv_text

    return arkit_csv_text(au, speech, fps)


def json_text(take, path: Path, frames: np.ndarray, au: np.ndarray, speech: np.ndarray, fps: float) -> str:
    from core.document.project import take_to_json

    data = {
        "schema": "CurveExport.1",
        "fps": fps,
        "timeline_frames": [float(f) for f in frames],
        "au_names": list(AU_NAMES),
        "au": np.round(au, 6).tolist(),
        "speech_names": list(SPEECH_NAMES),
        "speech": np.round(speech, 6).tolist(),
        "take": take_to_json(take, path.parent.resolve()),
    }
    return json.dumps(data, indent=1, allow_nan=False) + "\n"


def write_curves(fmt: str, take, path: Path, frames: np.ndarray, au: np.ndarray, speech: np.ndarray,
                 fps: float) -> None:
    """Atomically write the sampled curves au [F, 17], speech [F, 4] in ``fmt``."""
    from core.fileio import atomic_write_text

    if fmt == "openface":
        text = openface_text(au, fps)
    elif fmt == "arkit":
        text = arkit_text(au, speech, fps)
    elif fmt == "json":
        text = json_text(take, path, frames, au, speech, fps)
    else:  # pragma: no cover - guarded by detect_format
        raise ValueError(fmt)
    atomic_write_text(path, text)
