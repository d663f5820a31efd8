#!/usr/bin/env bash
# Why the model could not fit the rig (docs/RESULTS.md): capacity runs (static poses,
# scripts/model_fit_poses.py) and geometry-only sequence trainings, side by side on one GPU.
#   scripts/model_diagnosis.sh ROUND DATA OUT [SECONDS]
# ROUND: 1 to 5 (the rounds of docs/RESULTS.md; rounds 4 and 5 want a data set made with --pauses long;
# round 5 continues WARM=CHECKPOINT, a round-4 softmax_anchor_b8, in one of its runs; round 6
# continues round 5's "continued" and "lr4e-3" from the folder WARM). DATA: a `main.py dataset DIR --stage sources`
# folder. Every run stops after SECONDS of training (default 380; round 3 used 120) and writes
# OUT/NAME.txt (the per-AU response) and OUT/NAME.json or OUT/NAME.safetensors.
set -u
round=$1; data=$2; out=$3; secs=${4:-380}
mkdir -p "$out"
py=${PYTHON:-python3}
code='--set gaussian_latent=16 --set zone_features=true'
film='--set cit_identity=film'
hires='--set triplane_resolutions=[64,128,256] --set triplane_reduce=concat'
poses() { name=$1; shift; $py scripts/model_fit_poses.py -o "$out/$name.json" --steps 1000000 --max-seconds "$secs" \
            "$@" > "$out/$name.txt" 2>&1; }
seqs() { name=$1; shift
         $py main.py train "$data" -o "$out/$name.safetensors" ${FRESH---fresh} --steps 1000000 --max-seconds "$secs" \
             --image-weight 0 --position-weight 1 "$@" > "$out/$name.train.txt" 2>&1
         $py main.py evaluate --au-response "$out/$name.safetensors" --device cuda > "$out/$name.txt" 2>&1; }
case $round in
1)  poses poses_default &
    poses poses_hires $hires &
    poses poses_zones --set zone_features=true &
    poses poses_code $code &
    seqs seq_old_loss --position-norm moving &
    seqs seq_default --magnitude-weight 0 &
    seqs seq_code --magnitude-weight 0 $code &
    seqs seq_code_wide --magnitude-weight 0 $code --set mlp_hidden=256 --set mlp_layers=3 &
    seqs seq_code_no_pab --variant no_pab --magnitude-weight 0 $code &
    seqs seq_code_channel_gate --variant channel_gate --magnitude-weight 0 $code & ;;
2)  seqs full_film_hires --magnitude-weight 0 $film $hires &
    seqs full_film_hires_code --magnitude-weight 0 $film $hires $code &
    seqs full_hires --magnitude-weight 0 $hires &
    seqs full_film --magnitude-weight 0 $film &
    seqs full_film_hires_sigmoid --magnitude-weight 0 $film $hires --set attention_norm=sigmoid &
    seqs no_pab_film_hires --variant no_pab --magnitude-weight 0 $film $hires &
    seqs channel_gate_hires --variant channel_gate --magnitude-weight 0 $hires &
    poses poses_film_hires $film $hires & ;;
3)  for n in softmax sigmoid modality; do
        seqs "$n" --magnitude-weight 0 $film $hires --set attention_norm=$n &
    done ;;
4)  anchor='--set neutral_anchor=true'
    seqs softmax_anchor_b8 --magnitude-weight 0 $film $hires $anchor --batch 8 &
    seqs modality_anchor_b8 --magnitude-weight 0 $film $hires $anchor --batch 8 --set attention_norm=modality &
    seqs sigmoid_anchor_b8 --magnitude-weight 0 $film $hires $anchor --batch 8 --set attention_norm=sigmoid &
    seqs softmax_b8 --magnitude-weight 0 $film $hires --batch 8 &
    seqs softmax_anchor_b1 --magnitude-weight 0 $film $hires $anchor &
    seqs channel_gate_anchor_b8 --variant channel_gate --magnitude-weight 0 $hires $anchor --batch 8 & ;;
5)  best="--magnitude-weight 0 $film $hires --set neutral_anchor=true --batch 8 --shape-weight 10"
    seqs lr2e-3 $best &
    seqs lr4e-3 $best --lr 4e-3 &
    seqs wide $best --set mlp_hidden=256 --set mlp_layers=3 &
    cp "$WARM" "$out/continued.safetensors" && FRESH= seqs continued $best & ;;
6)  best="--magnitude-weight 0 $film $hires --set neutral_anchor=true --batch 8 --shape-weight 10"
    cp "$WARM/continued.safetensors" "$out/continued2.safetensors" && FRESH= seqs continued2 $best &
    cp "$WARM/lr4e-3.safetensors" "$out/lr4e-3_continued.safetensors" && FRESH= seqs lr4e-3_continued $best --lr 2e-3 & ;;
*)  echo "ROUND must be 1 to 6" >&2; exit 2 ;;
esac
wait
