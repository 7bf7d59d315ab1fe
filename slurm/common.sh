# Sourced by the sbatch scripts: where loce is, how to launch it, and the preemption protocol.
#
# Preemption / time limits: submit with --signal=B:USR2@<seconds>. SLURM signals this batch
# shell; the trap forwards USR2 to the job step (srun), the trainer checkpoints at its next
# step and exits with code 75, and the script requeues itself; the restarted job
# (SLURM_RESTART_COUNT > 0) resumes from the checkpoint. USR1 is never used: NCCL owns it.
LOCE_ROOT=${LOCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LOCE=${LOCE:-$LOCE_ROOT/build/loce}
LOCE_LAUNCH=${LOCE_LAUNCH:-srun}          # srun (PMIx) | mpirun
EXIT_REQUEUE=75

launch() {
  if [ "$LOCE_LAUNCH" = "mpirun" ]; then
    # mpirun takes the task count and hosts from the allocation.
    mpirun ${MPIRUN_ARGS:---allow-run-as-root --oversubscribe} "$LOCE" "$@"
  else
    srun --mpi=pmix ${SRUN_ARGS:-} "$LOCE" "$@"
  fi
}

# Runs `launch ARGS...` in the background so the batch shell can receive signals, forwards USR2
# and TERM to it, and requeues the job when the work asks for it (exit code 75).
run_preemptible() {
  launch "$@" &
  local child=$!
  trap 'echo "slurm: signal received, asking loce to checkpoint"; kill -USR2 $child 2>/dev/null; scancel --signal=USR2 "$SLURM_JOB_ID" 2>/dev/null' USR2 TERM
  local rc=0
  while true; do
    wait $child && rc=0 || rc=$?
    kill -0 $child 2>/dev/null || break   # wait returns early when a trapped signal arrives
  done
  trap - USR2 TERM
  if [ "$rc" -eq "$EXIT_REQUEUE" ]; then
    echo "slurm: loce checkpointed (exit $rc); requeueing job $SLURM_JOB_ID"
    scontrol requeue "$SLURM_JOB_ID"
    exit 0
  fi
  return "$rc"
}

echo "slurm: job ${SLURM_JOB_ID:-?} restart ${SLURM_RESTART_COUNT:-0} on $(hostname -s): ${SLURM_NTASKS:-1} task(s)"
