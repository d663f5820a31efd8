#!/usr/bin/env bash
# The second round of docs/RESULTS.md's diagnosis: the fixes (per-AU token scale "film", a finer
# tri-plane) one at a time and together, geometry-only on one GPU, side by side.
#   scripts/model_diagnosis2.sh DATA OUT [SECONDS]
set -u
data=$1; out=$2; secs=${3:-380}
mkdir -p "$out"
py=${PYTHON:-python3}
film='--set cit_identity=film'
hires='--set triplane_resolutions=[64,128,256] --set triplane_reduce=concat'
seqs() { name=$1; shift
         $py main.py train "$data" -o "$out/$name.safetensors" --fresh --steps 1000000 --max-seconds "$secs" \
             --image-weight 0 --position-weight 1 --magnitude-weight 0 "$@" > "$out/$name.train.txt" 2>&1
         $py main.py evaluate --au-response "$out/$name.safetensors" --device cuda > "$out/$name.txt" 2>&1; }
poses() { name=$1; shift; $py scripts/model_fit_poses.py -o "$out/$name.json" --steps 1000000 --max-seconds "$secs" \
            "$@" > "$out/$name.txt" 2>&1; }
seqs full_film_hires $film $hires &
seqs full_film_hires_code $film $hires --set gaussian_latent=16 --set zone_features=true &
seqs full_hires $hires &
seqs full_film $film &
seqs full_film_hires_sigmoid $film $hires --set attention_norm=sigmoid &
seqs no_pab_film_hires --variant no_pab $film $hires &
seqs channel_gate_hires --variant channel_gate $hires &
poses poses_film_hires $film $hires &
wait
