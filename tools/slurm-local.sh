#!/usr/bin/env bash
# A real one-node SLURM cluster on localhost, for the sbatch tests and for trying the slurm/
# scripts on a workstation.
#
#   tools/slurm-local.sh up      start munge, slurmctld and slurmd (idempotent); prints the
#                                `export SLURM_CONF=...` line clients need
#   tools/slurm-local.sh down    cancel jobs, stop the daemons
#   tools/slurm-local.sh env     print the export line only
#
# State lives in $SLURM_LOCAL_DIR (default /tmp/loce-slurm). Needs root and the Debian packages
# slurmctld slurmd slurm-client munge (tools/setup.sh installs them).
set -euo pipefail
STATE=${SLURM_LOCAL_DIR:-/tmp/loce-slurm}
CONF=$STATE/slurm.conf
HOST=$(hostname -s)

say() { echo "slurm-local: $*" >&2; }

write_conf() {
  local hw cpus mem
  hw=$(slurmd -C | head -1)
  cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
  mem=$((mem * 9 / 10))
  local node_hw=${hw#NodeName=* }         # the hardware fields after the name
  node_hw=$(sed "s/RealMemory=[0-9]*/RealMemory=$mem/" <<<"$node_hw")
  cat >"$CONF" <<CONF
ClusterName=loce-local
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$STATE/munge/munge.socket,cred_expire=10
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
ReturnToService=2
SchedulerParameters=sched_interval=2
MinJobAge=300
KillWait=5
NodeName=$HOST NodeAddr=127.0.0.1 $node_hw State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
  : "$cpus"
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

up() {
  [ "$(id -u)" -eq 0 ] || { say "needs root"; exit 1; }
  command -v slurmctld >/dev/null || { say "slurmctld not installed (run tools/setup.sh --deps-only)"; exit 1; }
  mkdir -p "$STATE"/{ctld,d,munge}
  chmod 0711 "$STATE" "$STATE/munge"   # the socket folder must be reachable by all users
  chown munge:munge "$STATE/munge"
  # munged runs as the munge user: every folder above its socket must be searchable by it.
  runuser -u munge -- test -x "$STATE/munge" ||
    { say "$STATE is not reachable by the munge user (a parent folder is mode 0700?)"; exit 1; }
  if [ ! -f "$STATE/munge/munge.key" ]; then
    dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1024 count=1 status=none
    chown munge:munge "$STATE/munge/munge.key"
    chmod 0400 "$STATE/munge/munge.key"
  fi
  if ! running "$STATE/munge/munged.pid"; then
    runuser -u munge -- munged --key-file="$STATE/munge/munge.key" \
      --socket="$STATE/munge/munge.socket" --pid-file="$STATE/munge/munged.pid" \
      --log-file="$STATE/munge/munged.log" --seed-file="$STATE/munge/munged.seed"
  fi
  write_conf
  export SLURM_CONF=$CONF
  running "$STATE/slurmctld.pid" || slurmctld
  running "$STATE/slurmd.pid" || slurmd -N "$HOST"
  for _ in $(seq 1 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      say "up: node $HOST $(sinfo -h -o '%T %c CPUs')"
      echo "export SLURM_CONF=$CONF"
      return 0
    fi
    sleep 0.5
  done
  say "the node did not become idle; see $STATE/slurmctld.log and $STATE/slurmd.log"
  exit 1
}

down() {
  export SLURM_CONF=$CONF
  if [ -f "$CONF" ] && running "$STATE/slurmctld.pid"; then
    scancel --user="$(id -un)" 2>/dev/null || true
  fi
  for pidfile in "$STATE/slurmd.pid" "$STATE/slurmctld.pid" "$STATE/munge/munged.pid"; do
    if running "$pidfile"; then
      local pid
      pid=$(cat "$pidfile")
      kill -TERM "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
  done
  say "down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
