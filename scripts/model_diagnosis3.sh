#!/usr/bin/env bash
# Round 3 of docs/RESULTS.md's diagnosis: the attention weights (softmax, sigmoid, modality-separated)
# with the fine tri-plane and per-AU token scale, geometry-only, side by side on one GPU.
#   scripts/model_diagnosis3.sh DATA OUT [SECONDS]
set -u
data=$1; out=$2; secs=${3:-120}
mkdir -p "$out"
py=${PYTHON:-python3}
h='--set cit_identity=film --set triplane_resolutions=[64,128,256] --set triplane_reduce=concat'
for n in softmax sigmoid modality; do
  ($py main.py train "$data" -o "$out/$n.safetensors" --fresh --steps 1000000 --max-seconds "$secs" \
       --image-weight 0 --position-weight 1 --magnitude-weight 0 $h --set attention_norm=$n > "$out/$n.train.txt" 2>&1
   $py main.py evaluate --au-response "$out/$n.safetensors" --device cuda > "$out/$n.txt" 2>&1) &
done
wait
