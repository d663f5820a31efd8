#!/usr/bin/env bash
# Why the model could not fit the rig (docs/RESULTS.md): capacity runs (static poses,
# scripts/model_fit_poses.py) and geometry-only sequence trainings side by side on one GPU.
#   scripts/model_diagnosis.sh DATA OUT [SECONDS]
# DATA: a `main.py dataset DIR --stage sources` folder. Every run stops after SECONDS of training
# (default 380) and writes OUT/NAME.txt (the per-AU response) and OUT/NAME.json or a checkpoint.
set -u
data=$1; out=$2; secs=${3:-380}
mkdir -p "$out"
py=${PYTHON:-python3}
code='--set gaussian_latent=16 --set zone_features=true'
poses() { name=$1; shift; $py scripts/model_fit_poses.py -o "$out/$name.json" --steps 1000000 --max-seconds "$secs" \
            "$@" > "$out/$name.txt" 2>&1; }
seqs() { name=$1; shift
         $py main.py train "$data" -o "$out/$name.safetensors" --fresh --steps 1000000 --max-seconds "$secs" \
             --image-weight 0 --position-weight 1 "$@" > "$out/$name.train.txt" 2>&1
         $py main.py evaluate --au-response "$out/$name.safetensors" --device cuda > "$out/$name.txt" 2>&1; }
poses poses_default &
poses poses_hires --set 'triplane_resolutions=[64,128,256]' --set triplane_reduce=concat &
poses poses_zones --set zone_features=true &
poses poses_code $code &
seqs seq_old_loss --position-norm moving &
seqs seq_default --magnitude-weight 0 &
seqs seq_code --magnitude-weight 0 $code &
seqs seq_code_wide --magnitude-weight 0 $code --set mlp_hidden=256 --set mlp_layers=3 &
seqs seq_code_no_pab --variant no_pab --magnitude-weight 0 $code &
seqs seq_code_channel_gate --variant channel_gate --magnitude-weight 0 $code &
wait
