"""The shipped sample take matches its builder and points at the shipped audio by a relative path."""
from __future__ import annotations

import json
import os

import numpy as np

from core.aus import AU_INDEX
from core.sample import SAMPLE_AUDIO, SAMPLE_TAKE, build_sample_take, sample_take


def test_sample_take_file_is_current_and_relative():
    data = json.loads(SAMPLE_TAKE.read_text())
    assert not os.path.isabs(data["audio"]["path"])
    shipped, built = sample_take(), build_sample_take()
    assert os.path.samefile(shipped.audio.path, SAMPLE_AUDIO)
    frames = np.arange(built.duration, dtype=np.float64)
    np.testing.assert_array_equal(shipped.evaluate_au(frames), built.evaluate_au(frames))
    au = shipped.evaluate_au(frames)
    smile = au[:, AU_INDEX["AU12"]]
    assert smile[0] == 0 and smile.max() >= 3 and smile[-1] == 0  # rises and falls
    assert au[:, AU_INDEX["AU01"]].max() > 2 and au[:, AU_INDEX["AU02"]].max() > 2
    blinks = au[:, AU_INDEX["AU45"]]
    assert np.sum((blinks[1:] >= 4.9) & (blinks[:-1] < 4.9)) >= 2  # at least two full blinks
