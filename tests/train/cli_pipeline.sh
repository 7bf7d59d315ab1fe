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
# Resuming the fine-tuning onto another encoder is refused (its weights' digest is part of the
# run's config), however the folder is named.
if "$@" -np 2 "$loce" --threads 1 finetune --encoder "$work/rpl" --data "$work/cache.h5" --out "$work/ft" \
    --batch-size 4 --steps 6 --checkpoint-every 3 --resume > "$work/err.txt" 2>&1; then
  echo "finetune resumed onto another encoder"; exit 1
fi
grep -q "encoder_digest" "$work/err.txt" || { cat "$work/err.txt"; exit 1; }
"$@" -np 2 "$loce" --threads 1 evaluate --model "$work/ft" --data "$work/cache.h5" --batch-size 4
grep -q '"miou"' "$work/ft/eval.json"
grep -q '"pixel_acc"' "$work/ft/eval.json"
grep -q '"per_class_iou"' "$work/ft/eval.json"
# The world of one gives the same scores as the two ranks (the confusion matrix is summed).
cp "$work/ft/eval.json" "$work/eval_np2.json"
"$loce" --threads 1 evaluate --model "$work/ft" --data "$work/cache.h5" --batch-size 4
cmp "$work/ft/eval.json" "$work/eval_np2.json"
# Bad input: a cache of another size than the run was trained on, and a zero batch size, are
# one-line errors with a non-zero exit and no output written.
"$loce" --log-level warn prepare --cityscapes "$work/city" --out "$work/cache16.h5" --height 16 --width 32
rm -f "$work/ft/eval.json"
if "$loce" evaluate --model "$work/ft" --data "$work/cache16.h5" > "$work/err.txt" 2>&1; then
  echo "evaluate accepted a cache of another size"; exit 1
fi
grep -q "cache holds 16x32 images but the run" "$work/err.txt" || { cat "$work/err.txt"; exit 1; }
if "$loce" finetune --encoder "$work/dae" --data "$work/cache16.h5" --out "$work/ft16" > "$work/err.txt" 2>&1; then
  echo "finetune accepted a cache of another size"; exit 1
fi
test ! -e "$work/ft16/checkpoints" || { echo "finetune left checkpoints behind"; exit 1; }
if "$loce" evaluate --model "$work/ft" --data "$work/cache.h5" --batch-size 0 > "$work/err.txt" 2>&1; then
  echo "evaluate accepted --batch-size 0"; exit 1
fi
grep -q "batch-size" "$work/err.txt" || { cat "$work/err.txt"; exit 1; }
test ! -e "$work/ft/eval.json" || { echo "a refused evaluate wrote eval.json"; exit 1; }
echo "cli pipeline ok"
