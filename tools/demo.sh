#!/usr/bin/env bash
# The embedded default, end to end on a laptop: sets up (tools/setup.sh), then `loce run
# jobs/demo.toml`: generates the synthetic Cityscapes-layout dataset, pretrains the four methods,
# fine-tunes and evaluates them, computes their LoCEs, analyses them and prints Table 1 beside
# the paper's numbers. Then draws the figures (tools/plot_results.py).
#   tools/demo.sh [OUT_DIR]    (default: runs/demo; a second call skips what is done)
#   RANKS=2 tools/demo.sh      the same under mpirun -np 2
set -euo pipefail
cd "$(dirname "$0")/.."
LOCE_BUILD_TARGET=${LOCE_BUILD_TARGET:-loce} tools/setup.sh   # the program only; tools/test.sh builds the tests
OUT=${1:-runs/demo}
LOCE=${LOCE:-build/loce}
RANKS=${RANKS:-1}
if [ "$RANKS" -gt 1 ]; then
  LAUNCH=(mpirun -np "$RANKS" --oversubscribe)
  [ "$(id -u)" -eq 0 ] && LAUNCH+=(--allow-run-as-root)
else
  LAUNCH=()
fi
"${LAUNCH[@]}" "$LOCE" run jobs/demo.toml --out "$OUT"

runs=()
for m in baseline barlow dae rpl; do runs+=("$OUT/64x128/$m-s0"); done
if /usr/bin/python3 -c "import h5py, matplotlib" 2>/dev/null; then
  /usr/bin/python3 tools/plot_results.py "${runs[@]}" --out "$OUT/figures"
  echo "demo: figures in $OUT/figures"
else
  echo "demo: figures skipped (needs python3-h5py and python3-matplotlib)"
fi
echo "demo: Table 1 in $OUT/64x128/report-s0/table1.md, manifest in $OUT/manifest.tsv"
