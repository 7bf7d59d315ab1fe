#!/bin/sh
# The training CLI end to end under mpirun: synth -> prepare -> pretrain (each method) ->
# finetune -> evaluate -> inspect, all with two ranks, on a tiny synthetic dataset.
# Usage: cli_pipeline.sh LOCE_BINARY MPIRUN...   (MPIRUN: the mpirun command with its flags)
set -eu
loce="$1"; shift
work=$(mktemp -d "${TMPDIR:-/tmp}/loce_cli_XXXXXX")
trap 'rm -rf "$work"' EXIT
"$loce" --log-level warn synth --out "$work/city" --train 24 --val 8 --height 32 --width 64 --seed 2
"$loce" --log-level warn prepare --cityscapes "$work/city" --out "$work/cache.h5" --height 32 --width 64
tiny="--base-width 8 --depth 3 --batch-size 4 --steps 6 --checkpoint-every 3 --log-every 3 --projector 32-32"
for m in barlow dae rpl baseline; do
  "$@" -np 2 "$loce" --threads 1 --seed 1 pretrain --method $m --data "$work/cache.h5" \
      --out "$work/$m" $tiny
  "$loce" inspect --json "$work/$m" | grep -q "\"method\": \"$m\""
done
"$@" -np 2 "$loce" --threads 1 finetune --encoder "$work/dae" --data "$work/cache.h5" \
    --out "$work/ft" --batch-size 4 --steps 6 --checkpoint-every 3
"$@" -np 2 "$loce" --threads 1 evaluate --model "$work/ft" --data "$work/cache.h5" --batch-size 4
grep -q '"miou"' "$work/ft/eval.json"
grep -q '"pixel_acc"' "$work/ft/eval.json"
grep -q '"per_class_iou"' "$work/ft/eval.json"
# The world of one gives the same scores as the two ranks (the confusion matrix is summed).
cp "$work/ft/eval.json" "$work/eval_np2.json"
"$loce" --threads 1 evaluate --model "$work/ft" --data "$work/cache.h5" --batch-size 4
cmp "$work/ft/eval.json" "$work/eval_np2.json"
echo "cli pipeline ok"
