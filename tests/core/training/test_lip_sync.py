"""`main.py evaluate --lip-sync`: the lips open and close on the phonemes, from the audio alone."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core.head import default_head
from core.model.deform import EmoZoneModel, ModelConfig
from core.training.lip_sync import JAW_OPEN, lip_sync_scores, open_threshold_mm, utterances

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def head():
    return default_head()


def test_the_rig_on_phoneme_truth_passes_and_a_still_mouth_fails(head):
    utts = utterances()[:3]
    model = EmoZoneModel.for_cloud(head.cloud, ModelConfig()).eval()
    with torch.no_grad():
        model.dec_out.weight.zero_()  # never moves
    scores = {s.source: s for s in lip_sync_scores(model, head, utts=utts)}
    assert scores["rig, phoneme truth"].f1_macro > 0.9
    assert scores["rig, speech driver"].f1_macro > 0.8
    still = scores["model"]
    assert still.f1_open == 0.0 and still.f1_macro < 0.5  # a closed mouth never scores "open"
    assert still.frames == scores["rig, phoneme truth"].frames > 100
    # The boundary: a clearly open jaw, a few millimetres between the lips.
    assert 2.0 < open_threshold_mm(head) < open_threshold_mm(head, 2 * JAW_OPEN)


def test_the_command_prints_the_three_sources(tmp_path):
    proc = subprocess.run([sys.executable, "main.py", "evaluate", "--lip-sync"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    for source in ("rig, phoneme truth", "rig, speech driver", "model"):
        assert re.search(rf"^{re.escape(source)} +open/closed F1 [01]\.\d{{3}} ", proc.stdout, re.M), proc.stdout
    assert re.search(r"^model - rig with the speech driver: [+-]\d\.\d{3}$", proc.stdout, re.M)
    proc = subprocess.run([sys.executable, "main.py", "evaluate", "--lip-sync", str(tmp_path / "none.safetensors")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2 and "none.safetensors" in proc.stderr and "Traceback" not in proc.stderr
