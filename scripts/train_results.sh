#!/usr/bin/env bash
# Train variants of the EmoZone model with the same budget, then evaluate them on held-out sequences.
#   scripts/train_results.sh DATASET RUNDIR STEPS [VARIANT ...]   (variants: full no_pab no_cit channel_gate)
#   LR sets the learning rate (default 2e-3); EVALUATE=1 also writes RUNDIR/results.md and RUNDIR/results.json for every checkpoint in RUNDIR.
# Run on a CUDA machine with gsplat; the data set comes from `python main.py dataset`.
set -euo pipefail
data=$1 runs=$2 steps=$3; shift 3
py=${PYTHON:-python3}
mkdir -p "$runs"
for variant in "$@"; do
  "$py" main.py train "$data" -o "$runs/$variant.safetensors" --variant "$variant" --steps "$steps" --lr "${LR:-2e-3}" 2>&1 | tr '\r' '\n' | grep -v '^train ' || true
done
if [ "${EVALUATE:-0}" = 1 ]; then
  rows=()
  for ckpt in "$runs"/*.safetensors; do
    name=$(basename "$ckpt" .safetensors)
    case "$name" in *.optim) continue ;; esac
    rows+=("$name=$ckpt")
  done
  "$py" main.py evaluate "$data" "${rows[@]}" -o "$runs/results"
fi
