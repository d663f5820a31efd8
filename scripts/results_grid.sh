#!/usr/bin/env bash
# The paper's ablation grid (its Table 3) plus our variants, several seeds, side by side on one GPU,
# then the held-out evaluation (docs/RESULTS.md, "The ablation grid").
#   scripts/results_grid.sh DATA OUT [SECONDS] [SEEDS]
# DATA: a `main.py dataset DIR --stage sources --pauses long` folder (frames not needed: training is
# geometry-only and the evaluation's columns are geometric). Every run trains for SECONDS (default 360)
# with the same settings; SEEDS (default "0 1 2") for the five rows of the paper's table, seed 0 for
# the six-zone and channel-gate variants. Writes OUT/<variant>_s<seed>.{train.txt,log.jsonl,txt}
# (the training log, the loss curve, the per-AU response) and OUT/eval_<k>.{md,json} (the table).
# STAGE=train or STAGE=eval runs one half (a GPU lease too short for both). BACKEND (default none)
# renders for PSNR/SSIM: with gsplat, the held-out sequences' truth frames are rendered first by the same renderer.
set -u
data=$1; out=$2; secs=${3:-360}; seeds=${4:-"0 1 2"}
stage=${STAGE:-all}; backend=${BACKEND:-none}
mkdir -p "$out"
py=${PYTHON:-python3}
export OMP_NUM_THREADS=1  # many processes share the machine's cores
recipe="--image-weight 0 --position-weight 1 --magnitude-weight 0 --batch 8 --shape-weight 10 --lr 2e-3"
runs=()
for v in full no_pab no_cit au_vector audio_only; do
    for s in $seeds; do runs+=("$v:$s"); done
done
[ "${EXTRAS:-1}" = 1 ] && runs+=("six_zones:0" "channel_gate:0")  # EXTRAS=0: the paper's rows only
for r in "${runs[@]}"; do
    [ "$stage" = eval ] && break
    v=${r%%:*}; s=${r##*:}; name="${v}_s$s"
    $py main.py train "$data" -o "$out/$name.safetensors" --fresh --variant "$v" --seed "$s" --steps 1000000 \
        --max-seconds "$secs" $recipe > "$out/$name.train.txt" 2>&1 &
done
wait
[ "$stage" = train ] && exit 0
last=$(ls -d "$data"/seq_* | tail -n 1)  # a held-out sequence (the split puts them last)
if [ "$backend" != none ] && [ ! -f "$last/frames_cam0.npy" ]; then
    $py main.py dataset "$data" --stage frames --split val --png-every 100000 --backend "$backend" > "$out/frames.txt" 2>&1
fi
# Evaluation: the reference rows (no deformation, rig) once, then each checkpoint in its own process
# (OUT/eval_<name>.{md,json}: what finished is kept if the rest runs out of time), and the per-AU
# response of every checkpoint. grid_table.py joins them.
$py main.py evaluate "$data" --reference-rows -o "$out/eval_reference" --backend "$backend" --device cuda \
    > "$out/eval_reference.txt" 2>&1 &
for r in "${runs[@]}"; do
    v=${r%%:*}; s=${r##*:}; name="${v}_s$s"
    [ -f "$out/$name.safetensors" ] && $py main.py evaluate "$data" "$name=$out/$name.safetensors" --no-reference-rows \
        -o "$out/eval_$name" --backend "$backend" --device cuda > "$out/eval_$name.txt" 2>&1 &
done
for r in "${runs[@]}"; do
    v=${r%%:*}; s=${r##*:}; name="${v}_s$s"
    [ -f "$out/$name.safetensors" ] && $py main.py evaluate --au-response "$out/$name.safetensors" --device cuda \
        > "$out/$name.txt" 2>&1 &
    while [ "$(jobs -r | wc -l)" -ge 40 ]; do sleep 1; done
done
wait
