import csv

import numpy as np
import pytest

from core.anim import Curve, Keyframe, SpeechDrive, Take
from core.aus import AU_NAMES
from core.document.arkit import ARKIT_NAMES, AU_TO_ARKIT, ROTATION_NAMES, arkit_weights, export_arkit_csv, timecode


def test_every_au_but_lips_part_maps_and_names_are_arkit():
    assert len(ARKIT_NAMES) == 52 and len(set(ARKIT_NAMES)) == 52
    assert set(AU_TO_ARKIT) == set(AU_NAMES) - {"AU25"}
    assert all(s in ARKIT_NAMES for shapes in AU_TO_ARKIT.values() for s in shapes)


def test_weights_follow_the_table():
    au = np.zeros((2, 17))
    au[0, AU_NAMES.index("AU12")] = 5.0
    au[0, AU_NAMES.index("AU26")] = 2.5
    au[1, AU_NAMES.index("AU26")] = 2.5
    au[1, AU_NAMES.index("AU25")] = 5.0
    w = arkit_weights(au)
    i = ARKIT_NAMES.index
    assert w[0, i("MouthSmileLeft")] == 1 and w[0, i("MouthSmileRight")] == 1
    assert w[0, i("JawOpen")] == 0.5
    # Jaw half open with the lips together: MouthClose = 0.5 * (1 - 0); lips parted: 0.
    assert w[0, i("MouthClose")] == 0.5 and w[1, i("MouthClose")] == 0
    assert w[0, i("BrowInnerUp")] == 0


def test_live_link_face_csv(tmp_path):
    take = Take(fps=30, duration=40, curves={
        "AU45": Curve((Keyframe(0, 0, "linear"), Keyframe(10, 5, "linear"))),
        "lip_round": Curve((Keyframe(0, 0.8, "constant"),)),
    }, speech={"lip_round": SpeechDrive(driven_by_audio=False)})
    p = tmp_path / "out.csv"
    export_arkit_csv(take, p)
    rows = list(csv.reader(p.open()))
    assert rows[0] == ["Timecode", "BlendShapeCount", *ARKIT_NAMES, *ROTATION_NAMES]
    assert len(rows) == 41
    assert rows[1][0] == "00:00:00:00.000" and rows[31][0] == "00:00:01:00.000"
    assert rows[5][1] == "61"
    blink = rows[0].index("EyeBlinkLeft")
    # AU45 linear 0 -> 5 over 10 frames: frame 5 is 2.5, weight 0.5.
    assert float(rows[6][blink]) == pytest.approx(0.5)
    assert float(rows[6][rows[0].index("MouthPucker")]) == pytest.approx(0.8)
    assert all(float(v) == 0 for v in rows[6][-9:])


def test_timecode_rolls_over_minutes():
    assert timecode(25 * 61 + 3, 25) == "00:01:01:03.000"
