"""The ablation grid's table from scripts/results_grid.sh's folder: every variant's mean and
standard deviation over its seeds (docs/RESULTS.md, "The ablation grid").

    python scripts/grid_table.py OUT [--curves]

Reads OUT/eval_*.json (core.training.evaluate's rows, named <variant>_s<seed>), OUT/<run>.txt (the
per-AU response of `main.py evaluate --au-response`) and, with --curves, OUT/<run>.log.jsonl (the
training loss every 25 steps) for a loss-curve summary."""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

COLUMNS = (("le_u", "LMD-U (mm)", ".3f"), ("le_l", "LMD-L (mm)", ".3f"), ("lip_f1", "lip F1", ".3f"),
           ("aue_u", "AUE-U", ".3f"), ("aue_l", "AUE-L", ".3f"), ("au_jerk", "AU-Jerk", ".3f"),
           ("noise_cut", "noise cut", ".0%"), ("leak_audio", "leak audio->upper (mm)", ".4f"),
           ("leak_au", "leak AU->lips (mm)", ".4f"), ("fidelity", "AU fidelity", ".0%"),
           ("fidelity_min", "lowest AU", ".0%"), ("train_position", "train position (mm)", ".2f"),
           ("steps", "steps", ".0f"))
RUN = re.compile(r"^(?P<variant>.+)_s(?P<seed>\d+)$")
LINE = re.compile(r"^(AU\d\d) model .* fidelity (-?\d+)%")


def _cell(values: list[float], fmt: str) -> str:
    v = np.array([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if len(v) == 0:
        return "–"
    if fmt.endswith("%"):
        mean = format(v.mean(), fmt)
        return mean if len(v) == 1 else f"{mean} ± {v.std(ddof=1) * 100:.0f}"
    mean = format(v.mean(), fmt)
    return mean if len(v) == 1 else f"{mean} ± {format(v.std(ddof=1), fmt)}"


def _fidelity(out: Path, name: str) -> dict:
    path = out / f"{name}.txt"
    fid = [int(x.group(2)) / 100.0 for x in map(LINE.match, path.read_text().splitlines()) if x] if path.exists() else []
    return {"fidelity": float(np.mean(fid)) if fid else float("nan"),
            "fidelity_min": float(np.min(fid)) if fid else float("nan")}


def _last_log(out: Path, name: str) -> dict:
    """The training log's last entry: its step and the geometry term (mean position error, mm)."""
    path = out / f"{name}.log.jsonl"
    if not path.exists():
        return {}
    lines = [x for x in path.read_text().splitlines() if x.strip()]
    if not lines:
        return {}
    last = json.loads(lines[-1])
    return {"train_position": float(last.get("position", float("nan"))), "steps": float(last["step"])}


def collect(out: Path) -> tuple[dict, dict]:
    """({variant: [row per seed]}, {reference row name: row}). A run without an evaluation row (the
    evaluation did not finish) still gives its per-AU response and its training log's end."""
    runs: dict[str, list[dict]] = {}
    refs: dict[str, dict] = {}
    seen = set()
    for path in sorted(out.glob("eval_*.json")):
        for name, row in json.loads(path.read_text())["results"].items():
            m = RUN.match(name)
            if not m:
                refs.setdefault(name, row)
                continue
            seen.add(name)
            runs.setdefault(m["variant"], []).append(dict(_last_log(out, name), **row, **_fidelity(out, name)))
    for path in sorted(out.glob("*.log.jsonl")):
        name = path.name[: -len(".log.jsonl")]
        m = RUN.match(name)
        if m and name not in seen:
            runs.setdefault(m["variant"], []).append(dict(_last_log(out, name), **_fidelity(out, name)))
    return runs, refs


def table(runs: dict, refs: dict) -> str:
    from core.training.variants import VARIANT_TITLES

    lines = ["| model | seeds | " + " | ".join(c[1] for c in COLUMNS) + " |",
             "|---|---|" + "---|" * len(COLUMNS)]
    for name, row in refs.items():
        lines.append(f"| {name} | – | " + " | ".join(_cell([row.get(k, float('nan'))], f) for k, _, f in COLUMNS) + " |")
    for variant in ("audio_only", "au_vector", "no_cit", "no_pab", "full", "six_zones", "channel_gate"):
        rows = runs.get(variant)
        if rows:
            lines.append(f"| {VARIANT_TITLES.get(variant, variant)} | {len(rows)} | "
                         + " | ".join(_cell([r.get(k, float('nan')) for r in rows], f) for k, _, f in COLUMNS) + " |")
    return "\n".join(lines)


def curves(out: Path) -> str:
    """Loss at 25%, 50%, 75% and 100% of each run's steps, and the last quarter's relative fall."""
    lines = ["| run | steps | loss at 25% | 50% | 75% | end | fall over the last quarter |", "|---|---|---|---|---|---|---|"]
    for path in sorted(out.glob("*.log.jsonl")):
        log = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        if len(log) < 4:
            continue
        loss = np.array([r["loss"] for r in log])
        q = [loss[max(0, int(len(loss) * f) - 1)] for f in (0.25, 0.5, 0.75, 1.0)]
        lines.append(f"| {path.name[:-len('.log.jsonl')]} | {log[-1]['step']} | " + " | ".join(f"{x:.3f}" for x in q)
                     + f" | {(q[2] - q[3]) / q[2]:.0%} |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--curves", action="store_true")
    args = p.parse_args()
    out = Path(args.out)
    runs, refs = collect(out)
    print(table(runs, refs))
    if args.curves:
        print()
        print(curves(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
