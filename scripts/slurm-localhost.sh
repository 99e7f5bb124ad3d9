#!/usr/bin/env bash
# A private single-node SLURM on this machine, for the test suite and for trying
# `priorbench submit` without a cluster.
#
#   scripts/slurm-localhost.sh start DIR   # writes DIR/slurm.conf, starts munged, slurmctld, slurmd
#   scripts/slurm-localhost.sh stop DIR    # stops the three daemons by the PIDs recorded in DIR
#   scripts/slurm-localhost.sh env DIR     # prints `export SLURM_CONF=...` for the clients
#
# Everything (configuration, munge key and socket, spool and state directories, logs,
# PID files) lives under DIR, so the cluster touches nothing system-wide and a second
# one can run beside it. It needs root (slurmd starts jobs as their users) and Debian's
# slurmctld, slurmd, slurm-client and munge (scripts/install-deps.sh). What works without
# systemd or cgroups (DESIGN §6): proctrack/linuxproc, task/none, MPI through PMIx.
# Ports: SLURM_LOCALHOST_PORT (default 6917) for slurmctld, the next one for slurmd.
set -euo pipefail

die() {
  echo "slurm-localhost: $*" >&2
  exit 1
}

[ $# -eq 2 ] || die "usage: $0 start|stop|env DIR"
action=$1
dir=$(realpath -m "$2")
conf=$dir/slurm.conf

write_config() {
  local host cpus memory port
  host=$(hostname -s)
  cpus=$(nproc)
  memory=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10))
  port=${SLURM_LOCALHOST_PORT:-6917}
  mkdir -p "$dir"/{state,spool,log,run,munge}
  cat >"$conf" <<EOF
# Written by scripts/slurm-localhost.sh: a single-node test cluster under $dir.
ClusterName=priorbench-localhost
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
MpiDefault=pmix
DependencyParameters=kill_invalid_depend
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=600
KillWait=5
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  # Its own key, socket, PID and log; the socket's directory must be world-readable (755).
  chmod 755 "$dir/munge"
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  /usr/sbin/munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munge.seed"
}

wait_for_node() {
  local state
  for _ in $(seq 1 60); do
    state=$(SLURM_CONF=$conf sinfo -h -o %t 2>/dev/null | head -n 1 || true)
    case $state in
      idle | mix | alloc) return 0 ;;
    esac
    sleep 1
  done
  die "the node did not come up (state '${state:-none}'); see $dir/log/slurmctld.log and slurmd.log"
}

stop_daemon() {
  local pid_file=$1 pid
  [ -f "$pid_file" ] || return 0
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file"
}

case $action in
  start)
    [ "$(id -u)" -eq 0 ] || die "needs root: slurmd starts jobs as their users"
    for program in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd; do
      [ -x "$program" ] || die "$program is missing: run scripts/install-deps.sh (slurmctld slurmd slurm-client munge)"
    done
    write_config
    start_munge
    /usr/sbin/slurmctld -f "$conf" -c -i
    /usr/sbin/slurmd -f "$conf" -c
    wait_for_node
    echo "slurm-localhost: up under $dir (export SLURM_CONF=$conf)"
    ;;
  stop)
    stop_daemon "$dir/run/slurmd.pid"
    stop_daemon "$dir/run/slurmctld.pid"
    stop_daemon "$dir/run/munged.pid"
    ;;
  env)
    echo "export SLURM_CONF=$conf"
    ;;
  *)
    die "unknown action '$action' (start, stop or env)"
    ;;
esac
