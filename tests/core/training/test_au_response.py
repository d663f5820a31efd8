"""`main.py evaluate --au-response`: each AU alone against the rig, direction counted."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core.aus import AU_NAMES
from core.head import default_head
from core.model.deform import EmoZoneModel, ModelConfig
from core.training.au_response import au_response

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def head():
    return default_head()


def _still_model(head):
    model = EmoZoneModel.for_cloud(head.cloud, ModelConfig()).eval()
    with torch.no_grad():
        model.dec_out.weight.zero_()  # offsets exactly zero
    return model


def test_a_model_that_never_moves_scores_zero_and_the_rig_sizes_are_real(head):
    rows = au_response(_still_model(head), head)
    assert [r.au for r in rows] == list(AU_NAMES)
    for r in rows:
        assert r.model_mm == 0.0 and r.fidelity == pytest.approx(0.0, abs=1e-6) and r.moving > 100
        assert r.neutral_mm == 0.0 and r.fidelity_from_neutral == pytest.approx(0.0, abs=1e-6)
    sizes = {r.au: r.rig_mm for r in rows}
    assert sizes["AU26"] > 10 and 1 < sizes["AU45"] < 10  # a jaw drop is big, a blink a few mm


def test_the_right_size_in_the_wrong_direction_scores_below_zero(head):
    """An offset of the rig's size pointing the other way is worse than not moving (fidelity -100%)."""
    from core import rig

    model = _still_model(head)
    au = torch.zeros(1, 17)
    au[0, AU_NAMES.index("AU12")] = 5.0
    flipped = -(rig.deform(head, au).means[0] - head.cloud.means)

    class Flipped(torch.nn.Module):  # the real model with its decoder's output replaced
        def __init__(self):
            super().__init__()
            self.inner = model
            self.dec_out = model.dec_out
            self.config = model.config
            self.au_radius = model.au_radius

        def __getattr__(self, name):
            try:
                return super().__getattr__(name)
            except AttributeError:
                return getattr(self.inner, name)

        def decode(self, ctx, audio_tokens, cond):
            out = self.inner.decode(ctx, audio_tokens, cond)
            out.d_mu = flipped[None].expand_as(out.d_mu)
            return out

    rows = {r.au: r for r in au_response(Flipped(), head, aus=("AU12",))}
    assert rows["AU12"].fidelity == pytest.approx(-1.0, abs=1e-4)
    assert rows["AU12"].model_mm == pytest.approx(rows["AU12"].rig_mm, rel=1e-4)


def test_the_command_prints_one_line_per_au(tmp_path):
    proc = subprocess.run([sys.executable, "main.py", "evaluate", "--au-response"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if re.match(r"AU\d\d model ", ln)]
    assert [ln.split()[0] for ln in lines] == list(AU_NAMES)
    assert all(re.fullmatch(r"AU\d\d model \d+\.\d\d mm rig \d+\.\d\d mm fidelity -?\d+%", ln) for ln in lines)
    assert re.search(r"^neutral \(every AU 0, silence\) moves AU\d\d's Gaussians \d+\.\d\d mm", proc.stdout, re.M)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint")
    proc = subprocess.run([sys.executable, "main.py", "evaluate", "--au-response", str(bad)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2 and "bad.safetensors" in proc.stderr and "Traceback" not in proc.stderr
