#!/usr/bin/env bash
# The embedded default, end to end on a laptop: sets up (tools/setup.sh), generates the synthetic
# Cityscapes-layout dataset, and runs the pipeline stages on it.
#   tools/demo.sh [OUT_DIR]    (default: runs/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
OUT=${1:-runs/demo}
LOCE=${LOCE:-build/loce}
mkdir -p "$OUT"
if $LOCE --help | grep -q "^  run "; then
  exec $LOCE run jobs/demo.toml --out "$OUT"
fi
# Until the runner lands (issue 7), the stages that exist, one after another.
echo "demo: generating the synthetic dataset in $OUT/synth"
$LOCE synth --out "$OUT/synth" --train 64 --val 24 --height 128 --width 256 --seed 1 --force
echo "demo: decoding it into $OUT/cache.h5 at 64x128"
$LOCE prepare --cityscapes "$OUT/synth" --out "$OUT/cache.h5" --height 64 --width 128
echo "demo: statistics of the val split"
$LOCE stats --cache "$OUT/cache.h5" --split val
echo "demo: done. The later stages (pretrain, finetune, evaluate, embed, analyze, report) join this"
echo "      script as they land; see README.md for their status."
