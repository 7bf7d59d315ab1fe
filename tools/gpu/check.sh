#!/usr/bin/env bash
# The GPU check (issue 8), one command on the lent H100 or H200 (../shared/DEVICE.md): builds
# with the CUDA LibTorch of the machine's PyTorch, the system NCCL/OpenMPI/HDF5 and the carried
# Boost.Serialization; runs the CUDA tests (NCCL in a world of one, data-parallel step on NCCL,
# LoCE and GMM on the GPU equal to the CPU), the test suite, a tiny end-to-end job on the GPU;
# then the benchmarks (training, the input pipeline's GPU busy fraction, LoCE, analysis,
# all-reduce); prints a table last. Every step's log and summary.tsv go to OUT.
#
#   here, once:  tools/gpu/check.sh --fetch   (Boost .debs and the LoCE reference's source
#                                             into .device/, which git ignores; never commit it)
#                The reference's source: fetch github:continental/local-concept-embeddings (the
#                search tool's fetch gives a bare git folder), then
#                git --git-dir=MIRROR archive HEAD src | tar -x -C /tmp/ref and
#                REF_SRC_FROM=/tmp/ref/src tools/gpu/check.sh --fetch
#   there:       two calls back to back (one call may run 10 minutes, a session has 15 of
#                device time, start-up included; the machine stays warm and keeps build-gpu/
#                for about 30 s between them), each with a DEADLINE_S below its time limit so
#                that it ends with its table:
#                run(command="PHASES=build,test DEADLINE_S=420 tools/gpu/check.sh",
#                    carry=[".device"], timeout_s=450)
#                run(command="PHASES=build,bench DEADLINE_S=<budget left - 60> tools/gpu/check.sh",
#                    carry=[".device"], timeout_s=<DEADLINE_S + 30>)
#                (build is a no-op on the warm machine, and rebuilds on a fresh one)
#   dry run on CPU (tests this script with the CPU build and tiny sizes):
#                GPU_CHECK_CPU=1 tools/gpu/check.sh
# Env: OUT (default $OUT of the device tool, else gpu-results), JOBS (default nproc),
#      PEAK_TFLOPS (MFU's denominator, default 989: dense bf16 of an H100/H200 SXM),
#      PHASES (default build,test,bench),
#      DEADLINE_S (seconds after the script's start by which every step must have finished: a
#      step is cut to the time left and skipped when under 15 s are left, so that a call with a
#      time limit still ends with the table; the device's budget is 15 minutes a session, start
#      included. Steps run in order of importance to the open issues, so what a deadline drops
#      is the least needed),
#      REF_SRC (default .device/ref/src), PYTHON (default python3: the GPU machine's venv has
#      torch, numpy, scikit-learn; here use /usr/bin/python3), SKIP="step ..." (steps to skip).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

if [[ ${1:-} == --fetch ]]; then
  mkdir -p .device/debs
  grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo /.device/ >> .git/info/exclude
  (cd .device/debs && apt-get download libboost1.74-dev libboost-serialization1.74-dev \
      libboost-serialization1.74.0)
  # The reference's source (REF_SRC_FROM: the src/ folder of a checkout of
  # continental/local-concept-embeddings), unless already there.
  if [[ -n ${REF_SRC_FROM:-} && -d $REF_SRC_FROM/loce ]]; then
    mkdir -p .device/ref && rm -rf .device/ref/src && cp -r "$REF_SRC_FROM" .device/ref/src
  fi
  [[ -d .device/ref/src/loce ]] || echo "note: no .device/ref/src/loce; set REF_SRC_FROM"
  # ../shared is not beside the checkout there: the reference harness, the fixture frame and
  # the reference data travel in .device/shared (LOCE_SHARED_DIR, LOCE_REF_HARNESS below).
  mkdir -p .device/shared && cp -r ../shared/bench ../shared/fixtures ../shared/reference .device/shared/
  du -sh .device; exit 0
fi

cpu=${GPU_CHECK_CPU:-0}
if [[ -d .device/shared && ! -d ../shared ]]; then
  export LOCE_SHARED_DIR=$root/.device/shared
  export LOCE_REF_HARNESS=$root/.device/shared/bench/ref_loce_bench.py
fi
py=${PYTHON:-python3}
out=${OUT:-gpu-results}; mkdir -p "$out"; out=$(cd "$out" && pwd)
jobs=${JOBS:-$(nproc)}
summary=$out/summary.tsv; printf "step\trc\tseconds\n" > "$summary"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [[ $cpu == 1 ]]; then dev=cpu; build=${BUILD:-build}; else dev=cuda; build=build-gpu; fi
[[ $build == /* ]] && loce="$build/loce" || loce="$root/$build/loce"
asroot=(); [[ $(id -u) == 0 ]] && asroot=(--allow-run-as-root)
# MFU's denominator: dense bf16 tensor-core peak of an H100 or H200 SXM; set it for other GPUs.
peak=${PEAK_TFLOPS:-989}
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)

# Phases, so that the check can be split over two calls on a warm machine when one call's time
# limit is too short for all of it: build (configure, compile), test (CUDA tests, the suite, a
# tiny job), bench (everything else). The build folder stays between calls.
phases=${PHASES:-build,test,bench}
# A machine that went cold between two calls is a fresh one, without build-gpu/: build first
# rather than end at once after paying its start.
if [[ ! -x $loce && ",$phases," != *",build,"* ]]; then
  echo "no $loce (a fresh machine?): building first"
  phases="build,$phases"
fi
phase=always

# skip NAME WHY: a summary row for a step not run.
skip() {
  printf "%s\t%s\t0\n" "$1" "$2" >> "$summary"; echo "== $1: not run ($2)"
}

# step NAME LIMIT_S CMD...: runs CMD with a time limit, log in OUT/NAME.log, a summary row;
# skipped when named in SKIP, when its phase is not in PHASES, or when DEADLINE_S is near.
step() {
  local name=$1 limit=$2; shift 2
  if [[ " ${SKIP:-} " == *" $name "* || ( $phase != always && ",$phases," != *",$phase,"* ) ]]; then
    skip "$name" skipped; return 0
  fi
  if [[ -n ${DEADLINE_S:-} ]]; then
    local left=$((DEADLINE_S - SECONDS))
    if ((left < 15)); then
      skip "$name" deadline; return 0
    fi
    ((limit > left)) && limit=$left
  fi
  local t0=$SECONDS
  timeout "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  printf "%s\t%s\t%s\n" "$name" "$rc" "$((SECONDS - t0))" >> "$summary"
  echo "== $name: exit $rc, $((SECONDS - t0)) s"
  tail -n 4 "$out/$name.log" | sed 's/^/   /'
  return $rc
}

step machine 30 bash -c "nvidia-smi -L 2>/dev/null; nproc; $py -c 'import torch; print(torch.__version__, torch.cuda.is_available())'; mpirun --version | head -1"

phase=build
if [[ $cpu != 1 ]]; then
  # Every call: the binaries find Boost.Serialization here at run time.
  mkdir -p /tmp/sys && for d in .device/debs/*.deb; do dpkg -x "$d" /tmp/sys; done
  # One NCCL in the process: PyTorch's wheel loads its own copy (venv nvidia/nccl) and the system
  # has another (DEVICE.md); both are libnccl.so.2, so whichever loads first serves LibTorch too.
  # Build against the wheel's copy where it is there, so that LibTorch gets the one it was built for.
  nccl_flags=()
  nccl_py=$(python3 -c 'import nvidia.nccl as m; print(list(m.__path__)[0])' 2>/dev/null)
  if [[ -n $nccl_py && -f $nccl_py/include/nccl.h && -f $nccl_py/lib/libnccl.so.2 ]]; then
    nccl_flags=(-DNCCL_INCLUDE_DIR="$nccl_py/include" -DNCCL_LIBRARY="$nccl_py/lib/libnccl.so.2")
  fi
  step configure 120 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')" \
      -DBoost_DIR=/tmp/sys/usr/lib/x86_64-linux-gnu/cmake/Boost-1.74.0 \
      -DCMAKE_CUDA_ARCHITECTURES=90 "${nccl_flags[@]}" || exit 1
  step build 420 cmake --build "$build" -j "$jobs" || { tail -n 40 "$out/build.log"; exit 1; }
  # Which NCCL, CUDA runtime and LibTorch the program loads, and that it starts (an undefined
  # symbol here means two NCCL versions met).
  step link_check 30 bash -c "ldd '$loce' | grep -E 'nccl|cudart|c10_cuda|torch_cuda'; '$loce' --version" \
      || exit 1
fi

# CUDA tests first (they are the point), a tiny end-to-end job on the device, then the rest of
# the suite: not the SLURM test, not the CUDA tests again, not this script's own CPU dry run.
phase=test
step cuda_tests 120 ctest --test-dir "$build" --output-on-failure -R "Nccl|GpuEqualsCpu|OnGpu"
step e2e_job 180 "$loce" --device "$dev" --log-level warn run jobs/ci.toml --out "$tmp/e2e"
step test_suite 300 ctest --test-dir "$build" --output-on-failure -j 8 --timeout 240 \
    -E "slurm|gpu_check_dry_run|Nccl|GpuEqualsCpu|OnGpu"

phase=bench
# In order of importance to the open issues (a DEADLINE_S drops the tail): LoCE and analysis
# against their references (issues 5, 6), the dae training step against PyTorch at both
# resolutions (issue 8's two goals), the input pipeline, the other tasks, all-reduce.

# LoCE: ours (both modes, deep and full shapes) beside the reference harness on the same device.
ref=${REF_SRC:-.device/ref/src}
if [[ $cpu == 1 ]]; then
  step loce_bench 300 env PYTHON="$py" LOCE_BENCH_ARGS="--deep-pairs 20 --full-pairs 2" REF_N_DEEP=4 REF_N_FULL=2 \
      tools/bench/bench_loce.sh "$loce" "$ref" "$dev"
else
  step loce_bench 300 env PYTHON="$py" tools/bench/bench_loce.sh "$loce" "$ref" "$dev"
fi

# GMM + metrics on 20 000 x 1024: GPU and scikit-learn (then the CPU alone, further down).
if [[ $cpu == 1 ]]; then n=2000; d=128; else n=20000; d=1024; fi
step analysis_bench 300 "$py" tools/bench/bench_analysis.py --loce "$loce" --device "$dev" \
    --mixed-precision --n $n --dim $d

# Training throughput: ours against the PyTorch script of the same networks, losses and AdamW
# step (tools/bench/train_torch.py; parameter counts equal ours), one log per run named
# train_<ours|torch>_<method>_<resolution>_<variant>.log; tools/gpu/train_table.py turns them
# into img/s, ratios, model TFLOP/s and MFU. Ours is read from its last log window (the first
# steps pay for cuDNN's autotuning; the script leaves out 3 warm-up steps).
#   128x256, batch 64: dae in fp32, bf16 and bf16 + channels-last; barlow and rpl in bf16 + cl.
#   1024x2048, batch 8: every method in bf16 + channels-last.
train_pair() {  # METHOD RESOLUTION VARIANT CACHE HEIGHT WIDTH BATCH STEPS
  local m=$1 res=$2 variant=$3 cache=$4 h=$5 w=$6 b=$7 s=$8 flags=()  # the same flags for both
  [[ $variant == bf16* ]] && flags+=(--bf16)
  [[ $variant == *cl ]] && flags+=(--channels-last)
  step "train_ours_${m}_${res}_$variant" 150 "$loce" --device "$dev" pretrain --method "$m" \
      --data "$cache" --out "$tmp/pt_${m}_${res}_$variant" --batch-size "$b" --steps "$s" \
      --log-every $((s / 3)) --base-width $BW "${flags[@]}"
  if ((have_torch)); then
    step "train_torch_${m}_${res}_$variant" 150 "$py" tools/bench/train_torch.py --method "$m" \
        --device "$dev" --height "$h" --width "$w" --batch "$b" --steps "$s" --base-width $BW \
        "${flags[@]}"
  else
    skip "train_torch_${m}_${res}_$variant" no-pytorch
  fi
}
have_torch=0; "$py" -c "import torch" 2>/dev/null && have_torch=1
if [[ $cpu == 1 ]]; then H=32; W=64; B=4; S=3; BW=8; else H=128; W=256; B=64; S=30; BW=64; fi
if [[ $cpu == 1 ]]; then FH=64; FW=128; FB=2; FS=3; else FH=1024; FW=2048; FB=8; FS=12; fi
step synth 120 "$loce" synth --out "$tmp/synth" --train $((B * 2)) --val 2 --height $((H * 2)) --width $((W * 2))
step prepare 120 "$loce" prepare --cityscapes "$tmp/synth" --out "$tmp/cache.h5" --height $H --width $W
step synth_full 120 "$loce" synth --out "$tmp/synth_full" --train $((FB * 2)) --val 1 --height $FH --width $FW
step prepare_full 120 "$loce" prepare --cityscapes "$tmp/synth_full" --out "$tmp/cache_full.h5" \
    --height $FH --width $FW
train_pair dae 128x256 bf16-cl "$tmp/cache.h5" $H $W $B $S
train_pair dae 1024x2048 bf16-cl "$tmp/cache_full.h5" $FH $FW $FB $FS
for variant in fp32 bf16; do train_pair dae 128x256 $variant "$tmp/cache.h5" $H $W $B $S; done

# Input pipeline: the GPU's busy fraction with batches read ahead (the default) and read in the
# step (--prefetch 0), same run otherwise.
for depth in 0 2; do
  step "input_prefetch$depth" 150 tools/gpu/gpu_busy.sh "$out/input_prefetch$depth.samples" \
      "$loce" --device "$dev" pretrain --method dae --data "$tmp/cache.h5" --out "$tmp/in_$depth" \
      --batch-size $B --steps $S --log-every $S --base-width $BW --prefetch $depth
done

for m in barlow rpl; do train_pair $m 128x256 bf16-cl "$tmp/cache.h5" $H $W $B $S; done
for m in barlow rpl; do train_pair $m 1024x2048 bf16-cl "$tmp/cache_full.h5" $FH $FW $FB $FS; done

[[ $cpu != 1 ]] && step analysis_bench_cpu 300 "$py" tools/bench/bench_analysis.py --loce "$loce" \
    --device cpu --mixed-precision --skip-sklearn --threads "$jobs"

# All-reduce: MPI across 16 CPU ranks; NCCL in a world of one (a device copy, reported as such).
ranks=16; [[ $cpu == 1 ]] && ranks=2
step allreduce_mpi 120 mpirun -np $ranks --oversubscribe "${asroot[@]}" "$loce" --device cpu \
    --threads 1 bench allreduce $([[ $cpu == 1 ]] && echo --max-bytes 4194304)
[[ $cpu != 1 ]] && step allreduce_nccl 60 "$loce" --device cuda bench allreduce

# The table.
{
  echo; echo "== GPU check summary ($(date -u +%FT%TZ), $(git rev-parse --short HEAD 2>/dev/null || echo "no git"))"
  column -t -s $'\t' "$summary" 2>/dev/null || cat "$summary"
  echo; echo "-- training (${gpu_name:-no GPU}; MFU against PEAK_TFLOPS=$peak)"
  "$py" tools/gpu/train_table.py "$out" --peak-tflops "$peak"
  echo; echo "-- input pipeline (dae, batches read ahead: 2; read in the step: 0)"
  for depth in 0 2; do
    echo "   prefetch $depth: $(grep -sh -E "img/s" "$out/input_prefetch$depth.log" | tail -n 1 | grep -o -E "[0-9.]+ img/s") $(grep -sh "GPU busy" "$out/input_prefetch$depth.log")"
  done
  echo; echo "-- LoCE"; grep -sh -E "^(deep|full)|RESULT case|COMPARE" "$out/loce_bench.log" | sed 's/^/   /'
  echo; echo "-- analysis"; grep -sh -E "^ours|^scikit|speed-up" "$out"/analysis_bench*.log | sed 's/^/   /'
  echo; echo "-- all-reduce"; grep -sh -E "busbw|MB|overlap" "$out"/allreduce_*.log | head -20 | sed 's/^/   /'
} | tee "$out/table.txt"

# Exit status: 1 when a step failed (skipped ones do not count), so the caller sees it at once.
failed=$(awk -F'\t' 'NR > 1 && $2 ~ /^[0-9]+$/ && $2 != 0 { print $1 }' "$summary")
[[ -z $failed ]] || { echo "failed steps:" $failed; exit 1; }
exit 0
