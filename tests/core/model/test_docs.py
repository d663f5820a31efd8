"""docs/MODEL.md must state the bias table and parameter counts the code actually has."""
import math
from pathlib import Path

import torch

from core.aus import ZONES
from core.model.deform import EmoZoneModel, ModelConfig
from core.model.sz_pab import prior_bias_table, token_names

DOC = Path(__file__).resolve().parents[3] / "docs" / "MODEL.md"


def _rows(text: str, first_cell: str) -> list[list[str]]:
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"| {first_cell} |"))
    rows = []
    for ln in lines[start + 2:]:
        if not ln.startswith("|"):
            break
        rows.append([c.strip() for c in ln.strip("|").split("|")])
    return rows


def test_documented_bias_table_matches_code():
    text = DOC.read_text()
    header = _rows(text, "token")
    table = prior_bias_table("cit")
    names = token_names("cit")
    assert [r[0] for r in header] == list(names)
    for j, row in enumerate(header):
        values = [-math.inf if c == "-inf" else float(c) for c in row[1:]]
        assert values == table[:, j].tolist(), names[j]
    assert f"| token | {' | '.join(ZONES)} |" in text


def test_documented_parameter_counts_match_code():
    text = DOC.read_text()
    total_row = next(r for r in _rows(text, "part") if r[0] == "**total**")
    documented = [int(c.strip("*").replace(" ", "")) for c in total_row[1:]]
    configs = [ModelConfig(), ModelConfig(pab=False), ModelConfig(au_encoder="mlp"),
               ModelConfig(baseline="channel_gate")]
    assert documented == [EmoZoneModel(c).parameter_counts()["total"] for c in configs]
