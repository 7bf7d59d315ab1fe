#!/usr/bin/env bash
# LoCE throughput, ours next to the reference implementation's, on this machine, in one go.
#
#   tools/bench/bench_loce.sh LOCE_BINARY [REF_SRC] [DEVICE]
#
# LOCE_BINARY  the built `loce`
# REF_SRC      the src/ folder of a checkout of continental/local-concept-embeddings (optional;
#              without it, or without a Python that has torch, h5py, scikit-image, scikit-learn,
#              the reference's figures are skipped with a note)
# DEVICE       cpu (default) or cuda
# Env: PYTHON (default: /usr/bin/python3 if it has torch, else python3), THREADS (default: all
#      cores), REF_N_DEEP / REF_N_FULL (pairs the reference runs; defaults by device),
#      LOCE_BENCH_ARGS (extra flags for `loce bench loce`).
#
# Prints, in this order: `loce bench loce` (both modes, deep and full shapes, per-pair and
# shared activations), the reference harness's figures for the same shapes, and the relative
# error between its vectors and ours (reference mode) on its own inputs.
set -euo pipefail
loce=${1:?usage: bench_loce.sh LOCE_BINARY [REF_SRC] [DEVICE]}
ref_src=${2:-}
device=${3:-cpu}
threads=${THREADS:-$(nproc)}
here=$(cd "$(dirname "$0")" && pwd)
harness=${LOCE_REF_HARNESS:-$here/../../../shared/bench/ref_loce_bench.py}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Both sides get the CPU settings `loce` gives itself (README, "CPU speed": OpenBLAS kernel and
# threads, malloc), or those you exported, so that the reference is not timed on OpenBLAS's SSE3
# fallback kernels: `loce bench settings` prints them.
settings=$("$loce" --log-level warn bench settings)
while IFS= read -r line; do if [[ -n $line ]]; then export "$line"; fi; done <<<"$settings"
echo "== CPU settings for both: $(tr '\n' ' ' <<<"$settings")"
echo "== loce bench loce (device $device, $threads threads)"
"$loce" --device "$device" --threads "$threads" --log-level warn bench loce ${LOCE_BENCH_ARGS:-}

pick_python() {
  for p in ${PYTHON:-} /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null 2>&1 &&
       "$p" -c 'import torch, h5py, skimage, sklearn' >/dev/null 2>&1; then
      echo "$p"; return 0
    fi
  done
  return 1
}
if [[ -z "$ref_src" || ! -d "$ref_src/loce" ]]; then
  echo "== reference: skipped (no REF_SRC with loce/loce_optimizer.py given)"; exit 0
fi
if [[ ! -f "$harness" ]]; then
  echo "== reference: skipped (harness not found at $harness; set LOCE_REF_HARNESS)"; exit 0
fi
if ! py=$(pick_python); then
  echo "== reference: skipped (no Python with torch, h5py, scikit-image, scikit-learn)"; exit 0
fi
# The reference imports tqdm for a progress bar of its MS COCO loop, which the harness never
# runs; where tqdm is not installed (the GPU machine's venv may lack it) a stand-in will do.
if ! "$py" -c 'import tqdm' >/dev/null 2>&1; then
  mkdir -p "$work/stand-ins"
  printf 'def tqdm(iterable=None, *args, **kwargs):\n    return iterable\n' > "$work/stand-ins/tqdm.py"
  export PYTHONPATH="$work/stand-ins${PYTHONPATH:+:$PYTHONPATH}"
  echo "== note: tqdm is not installed for $py; a stand-in that only iterates is on PYTHONPATH"
fi
if [[ $device == cuda ]]; then n_deep=${REF_N_DEEP:-256}; n_full=${REF_N_FULL:-128}
else n_deep=${REF_N_DEEP:-64}; n_full=${REF_N_FULL:-8}; fi

for shape in "deep 8 16 $n_deep" "full 64 128 $n_full"; do
  set -- $shape
  echo "== reference harness: $1 (C 1024, $2x$3), $4 pairs, $py"
  "$py" "$harness" --ref "$ref_src" --n "$4" --C 1024 --h "$2" --w "$3" --device "$device" \
      --threads "$threads" --out "$work/ref_$1.h5" | grep -E '^(case|RESULT)'
  "$py" "$here/ref_to_activations_loce.py" convert "$work/ref_$1.h5" "$work/acts_$1.h5"
  "$loce" --device "$device" --threads "$threads" --log-level warn embed \
      --from-activations "$work/acts_$1.h5" --out "$work/loce_$1.h5" --mode reference
  "$py" "$here/ref_to_activations_loce.py" compare "$work/ref_$1.h5" "$work/loce_$1.h5" || true
done
