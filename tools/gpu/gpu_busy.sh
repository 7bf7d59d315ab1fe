#!/usr/bin/env bash
# Runs a command and reports how busy the GPU was meanwhile: nvidia-smi's utilisation (the
# fraction of each 100 ms sample in which a kernel ran), sampled while the command runs.
#   tools/gpu/gpu_busy.sh SAMPLES_FILE CMD...
# Prints "GPU busy: mean N% over M samples" after the command's own output and exits with its
# code. Without nvidia-smi (a CPU dry run) it says so and only runs the command.
set -u
samples=$1; shift
if ! command -v nvidia-smi > /dev/null; then
  "$@"; rc=$?
  echo "GPU busy: no nvidia-smi here"
  exit $rc
fi
nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 100 > "$samples" 2>&1 &
smi=$!
"$@"; rc=$?
kill "$smi" 2> /dev/null; wait "$smi" 2> /dev/null
awk '$1 ~ /^[0-9]+$/ {s += $1; n++} END {if (n) printf "GPU busy: mean %.0f%% over %d samples\n", s / n, n; else print "GPU busy: no samples"}' "$samples"
exit $rc
