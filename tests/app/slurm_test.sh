#!/usr/bin/env bash
# The project's own sbatch scripts on a real one-node SLURM cluster (tools/slurm-local.sh):
#   1. slurm/pretrain.sbatch with 2 tasks (srun --mpi=pmix), sbatch --wait;
#   2. slurm/ablation-array.sbatch as a 3-task job array;
#   3. preemption: the job is signalled (USR2 to the batch shell), checkpoints, requeues itself
#      and finishes with the same parameters (SHA-256 digest) as an uninterrupted run;
#   4. a copy of slurm/ under a path with a space, and a plain scancel: the job checkpoints and
#      stays cancelled (no requeue).
# LOCE_ROOT is left unset: the scripts find the project from the path they were submitted as.
# Usage: slurm_test.sh LOCE_BINARY SOURCE_DIR
set -euo pipefail
LOCE=$(realpath "$1"); SRC=$(realpath "$2")
if [ "$(id -u)" -ne 0 ] || ! command -v slurmctld >/dev/null; then
  echo "skipped: needs root and the slurm packages (tools/setup.sh installs them)"; exit 77
fi
export LOCE
unset LOCE_ROOT
WORK=$(mktemp -d /tmp/loce_slurm_test.XXXXXX)
chmod 0711 "$WORK"   # munged (user munge) keeps its socket below it
export SLURM_LOCAL_DIR=$WORK/slurm
cleanup() { "$SRC/tools/slurm-local.sh" down >/dev/null 2>&1 || true; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT
conf_line=$("$SRC/tools/slurm-local.sh" up)
eval "$conf_line"
test -n "${SLURM_CONF:-}"
cd "$WORK"

"$LOCE" --log-level warn synth --out data --train 12 --val 6 --height 64 --width 128 --seed 3
"$LOCE" --log-level warn prepare --cityscapes data --out cache.h5 --height 32 --width 64
CFG=$SRC/configs/ci.toml

echo "== 1. 2-task data-parallel pretraining"
sbatch --wait --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --output=pretrain.out \
  "$SRC/slurm/pretrain.sbatch" dae cache.h5 run-dp "$CFG" --steps 4 >/dev/null || { cat pretrain.out; exit 1; }
grep -q "2 task(s)" pretrain.out || { cat pretrain.out; echo "expected 2 tasks"; exit 1; }
test -f run-dp/train.h5 || { cat pretrain.out; echo "no train.h5"; exit 1; }

echo "== 2. job array of 3 combinations"
cat > job.toml <<JOB
name = "slurm-array"
config = "$CFG"
methods = ["baseline", "dae", "rpl"]
seeds = [0]
resolutions = ["32x64"]
[dataset]
source = "synth"
synth_train = 12
synth_val = 6
synth_height = 64
synth_width = 128
JOB
"$LOCE" --log-level warn run job.toml --out arr --until prepare
test "$("$LOCE" run job.toml --list | wc -l)" -eq 3
sbatch --wait --array=0-2%2 --ntasks=1 --output=array-%a.out "$SRC/slurm/ablation-array.sbatch" job.toml arr >/dev/null \
  || { cat array-*.out; exit 1; }
for m in baseline dae rpl; do
  test -f "arr/32x64/$m-s0/analysis.h5" || { cat array-*.out; echo "missing analysis of $m"; exit 1; }
done
"$LOCE" --log-level warn run job.toml --out arr --from report
test -f arr/32x64/report-s0/table1.md

echo "== 3. preemption: signal, checkpoint, requeue, resume"
# The demo model, so that training lasts long enough (seconds) to be interrupted mid-way.
PCFG=$SRC/configs/demo.toml
TRAIN=(--steps 300 --batch-size 8 --checkpoint-every 1000)
"$LOCE" --log-level warn --config "$PCFG" pretrain --method dae --data cache.h5 --out run-ref "${TRAIN[@]}"
JOB_ID=$(sbatch --parsable --ntasks=1 --output=preempt.out "$SRC/slurm/pretrain.sbatch" dae cache.h5 run-pre "$PCFG" "${TRAIN[@]}" --log-every 1)
for _ in $(seq 1 120); do   # wait until training is under way
  grep -q "step 1[0-9]/" preempt.out 2>/dev/null && break; sleep 0.2
done
scancel --signal=USR2 --batch "$JOB_ID"
for _ in $(seq 1 240); do
  state=$(scontrol show job "$JOB_ID" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  restarts=$(scontrol show job "$JOB_ID" 2>/dev/null | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
  [ "$state" = "COMPLETED" ] && break
  case "$state" in FAILED|CANCELLED|TIMEOUT) cat preempt.out; echo "job ended $state"; exit 1;; esac
  sleep 1
done
cat preempt.out | grep -E "slurm:|requeue|resum" || true
test "${restarts:-0}" -ge 1 || { cat preempt.out; echo "the job was not requeued"; exit 1; }
# The SHA-256 of the trained state (parameters, buffers, optimiser) of the final checkpoint.
digest() { "$LOCE" inspect "$1" --json | sed -n 's/.*"sha256": *"\([0-9a-f]*\)".*/\1/p'; }
ref=$(digest run-ref); got=$(digest run-pre)
echo "state sha256: uninterrupted $ref, preempted+resumed $got"
[ -n "$ref" ] || { echo "no digest from loce inspect --json"; exit 1; }
[ "$ref" = "$got" ] || { echo "the resumed run differs from the uninterrupted one"; exit 1; }
echo "== 4. a project path with a space; scancel cancels for good"
SPACED="$WORK/my proj"
mkdir -p "$SPACED" && cp -r "$SRC/slurm" "$SPACED/"
JOB_ID=$(sbatch --parsable --ntasks=1 --output=cancel.out "$SPACED/slurm/pretrain.sbatch" dae cache.h5 run-cancel "$PCFG" "${TRAIN[@]}" --log-every 1)
for _ in $(seq 1 120); do
  grep -q "step 1[0-9]/" cancel.out 2>/dev/null && break; sleep 0.2
done
grep -q "step 1[0-9]/" cancel.out || { cat cancel.out; echo "training never started"; exit 1; }
scancel "$JOB_ID"
for _ in $(seq 1 60); do
  state=$(scontrol show job "$JOB_ID" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  [ "$state" = "CANCELLED" ] && break; sleep 0.5
done
sleep 8   # a requeue, were there one, would show by now
state=$(scontrol show job "$JOB_ID" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
restarts=$(scontrol show job "$JOB_ID" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
[ "$state" = "CANCELLED" ] && [ "$restarts" = "0" ] ||
  { cat cancel.out; echo "scancel: state $state, restarts $restarts (expected CANCELLED, 0)"; exit 1; }
grep -q "not requeueing" cancel.out || { cat cancel.out; echo "no checkpoint-without-requeue message"; exit 1; }
ls run-cancel/checkpoints/ckpt-*.bin >/dev/null || { cat cancel.out; echo "no checkpoint after scancel"; exit 1; }
echo "slurm tests passed"
