#!/usr/bin/env bash
# The GPU check script (tools/gpu/check.sh) as a CPU dry run on tiny sizes, so that the one
# command a GPU session runs cannot drift from the program between such sessions: every step
# must pass (or be skipped for a stated reason: no nested ctest here, no PyTorch on the machine)
# and the table must hold the figures of each benchmark. A DEADLINE_S run must end with its
# table too, with the late steps marked.
# Usage: gpu_check_dry_run.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$(realpath "$1"); SRC=$(realpath "$2")
OUT=$(mktemp -d /tmp/loce_gpu_check.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
export GPU_CHECK_CPU=1 BUILD PYTHON=/usr/bin/python3 PHASES=test,bench
# The CUDA tests and the suite are ctest runs of this build folder: not from inside ctest.
export SKIP="cuda_tests test_suite"

OUT=$OUT/full "$SRC/tools/gpu/check.sh"
awk -F'\t' 'NR > 1 && $2 != "0" && $2 != "skipped" && $2 != "no-pytorch" {
  print "gpu check: step " $1 " ended with " $2; bad = 1 } END { exit bad }' "$OUT/full/summary.tsv"
table=$OUT/full/table.txt
for want in "dae +128x256 +bf16-cl +[0-9.]+" "dae +1024x2048 +bf16-cl +[0-9.]+" \
            "^ +full C1024 64x128 .* reference" "^ +ours float64" "busbw"; do
  grep -Eq -- "$want" "$table" || { echo "gpu check: no '$want' in the table"; cat "$table"; exit 1; }
done
grep -q "e2e_job	0" "$OUT/full/summary.tsv"

# A deadline already reached after the first steps: the rest is marked, the table still printed.
OUT=$OUT/late DEADLINE_S=20 "$SRC/tools/gpu/check.sh" > /dev/null
grep -q $'\tdeadline\t' "$OUT/late/summary.tsv"
test -s "$OUT/late/table.txt"
echo "gpu check dry run: $(($(wc -l < "$OUT/full/summary.tsv") - 1)) steps, all passed or skipped"
