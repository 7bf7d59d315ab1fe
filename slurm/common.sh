# Sourced by the sbatch scripts: where loce is, how to launch it, and the preemption protocol.
#
# Preemption / time limits: submit with --signal=B:USR2@<seconds>. SLURM signals this batch
# shell; the trap forwards USR2 to the job step (srun), the trainer checkpoints at its next
# step and exits with code 75, and the script requeues itself; the restarted job
# (SLURM_RESTART_COUNT > 0) resumes from the checkpoint. USR1 is never used: NCCL owns it.
# SIGTERM (scancel, or the allocation's end) is forwarded too, so training still checkpoints,
# but the job is not requeued: a cancelled job stays cancelled; submit it again to continue.
LOCE_ROOT=${LOCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LOCE=${LOCE:-$LOCE_ROOT/build/loce}
LOCE_LAUNCH=${LOCE_LAUNCH:-srun}          # srun (PMIx) | mpirun
EXIT_REQUEUE=75

# The launcher and its flags, as an array, so that the process started is the launcher itself
# (a shell function run with & would be a subshell, and a signal sent to it would not reach loce).
launcher() {
  if [ "$LOCE_LAUNCH" = "mpirun" ]; then
    # mpirun takes the task count and hosts from the allocation.
    LAUNCHER=(mpirun ${MPIRUN_ARGS:---allow-run-as-root --oversubscribe})
  else
    LAUNCHER=(srun --mpi=pmix ${SRUN_ARGS:-})
  fi
}

launch() {
  launcher
  "${LAUNCHER[@]}" "$LOCE" "$@"
}

# Runs `launch ARGS...` in the background so the batch shell can receive signals, forwards USR2
# and TERM to it, and requeues the job when the work asks for it (exit code 75).
run_preemptible() {
  launcher
  "${LAUNCHER[@]}" "$LOCE" "$@" &
  local child=$! rc=0 signalled cancelled=0
  # srun forwards the signal to every task of the step, mpirun to every rank.
  trap 'signalled=1; echo "slurm: USR2 received, asking loce to checkpoint"; kill -USR2 $child 2>/dev/null' USR2
  trap 'signalled=1; cancelled=1; echo "slurm: TERM received (cancelled or out of time), asking loce to checkpoint"; kill -USR2 $child 2>/dev/null' TERM
  # A trapped signal makes `wait` return early (status > 128) with the child still running (or
  # not yet reported): then wait again for the child's own exit status.
  while true; do
    signalled=0
    wait $child && rc=0 || rc=$?
    [ "$signalled" -eq 1 ] || break
  done
  trap - USR2 TERM
  if [ "$rc" -eq "$EXIT_REQUEUE" ] && [ "$cancelled" -eq 1 ]; then
    echo "slurm: loce checkpointed (exit $rc); not requeueing a cancelled job: submit it again to continue"
    return "$rc"
  fi
  if [ "$rc" -eq "$EXIT_REQUEUE" ]; then
    echo "slurm: loce checkpointed (exit $rc); requeueing job $SLURM_JOB_ID"
    scontrol requeue "$SLURM_JOB_ID"
    exit 0
  fi
  return "$rc"
}

echo "slurm: job ${SLURM_JOB_ID:-?} restart ${SLURM_RESTART_COUNT:-0} on $(hostname -s): ${SLURM_NTASKS:-1} task(s)"
