#!/usr/bin/env bash
# `priorbench submit` against a real SLURM: a private single-node cluster on localhost
# (scripts/slurm-localhost.sh: slurmctld, slurmd and munge from Debian) runs the quickstart
# study as a 2-element job array plus the merge job.
#   1. Shard 1 fails on purpose (its site set-up exits): the merge job is cancelled, not left
#      hanging, and `submit --wait` names the failed shard; `merge` names the missing file.
#   2. Resubmitting runs only shard 1 (at 2 MPI ranks under srun) and the merge + report.
#   3. The merged metrics equal a direct mpirun run of the study (timings aside).
#   4. A third submission has nothing to do.
# The daemons are stopped by their PIDs whatever happens. Skipped (exit 77) only where
# SLURM cannot be installed or run: no Debian packages, or not root.
set -euo pipefail
priorbench=$1
mpiexec=$2
here=$(cd "$(dirname "$0")" && pwd)
source_dir=${PRIORBENCH_SOURCE_DIR:-$(cd "$here/../.." && pwd)}

if [ ! -x /usr/sbin/slurmctld ] || [ ! -x /usr/sbin/slurmd ] || [ ! -x /usr/sbin/munged ] || ! command -v sbatch >/dev/null; then
  echo "SKIP: SLURM is not installed (Debian packages slurmctld slurmd slurm-client munge; scripts/install-deps.sh)"
  exit 77
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: a localhost SLURM needs root (slurmd starts jobs as their users)"
  exit 77
fi

work=$(mktemp -d)
cluster=$work/cluster
cleanup() {
  "$source_dir/scripts/slurm-localhost.sh" stop "$cluster" || true
  rm -rf "$work"
}
trap cleanup EXIT
# A port of its own, so a cluster left by another run cannot answer.
export SLURM_LOCALHOST_PORT=$((20000 + ($$ % 2000) * 2))
"$source_dir/scripts/slurm-localhost.sh" start "$cluster"
export SLURM_CONF=$cluster/slurm.conf
daemons=$(cat "$cluster"/run/*.pid)

cd "$work"
mkdir results
ln -s "$source_dir/models" models
cp "$source_dir/studies/quickstart.toml" quickstart.toml
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# 1. Shard 1 fails.
cat >failing-site.sh <<'EOF'
if [ "${SLURM_ARRAY_TASK_ID:-}" = 1 ]; then echo "site: shard 1 fails on purpose" >&2; exit 3; fi
EOF
status=0
"$priorbench" submit quickstart.toml -o results/quickstart.h5 --shards 2 --allow-dirty --site failing-site.sh --wait \
  --poll-seconds 1 >failed.log 2>&1 || status=$?
cat failed.log
[ "$status" -ne 0 ] || fail "submit --wait succeeded although shard 1 failed"
grep -q "shard 1/2 failed: .*shard-1-of-2.h5 not started; log .*pb-quickstart-shard-[0-9]*_1.out: site: shard 1 fails on purpose" failed.log ||
  fail "submit did not name the failed shard"
grep -q "did not run (SLURM cancelled it because a shard failed)" failed.log || fail "the merge job was not reported cancelled"
merge_job=$(sed -n 's/.*job \([0-9]*\) (pb-quickstart-merge).*/\1/p' failed.log)
scontrol show job "$merge_job" | grep -q "JobState=CANCELLED" || fail "merge job $merge_job is not CANCELLED"
[ ! -e results/quickstart.h5 ] || fail "a merged file exists after a failed shard"
"$priorbench" submit quickstart.toml -o results/quickstart.h5 --shards 2 --status >status.log
grep -q "shard 0/2 (.*shard-0-of-2.h5): 18 of 18 tasks done" status.log || { cat status.log; fail "shard 0 not complete"; }
grep -q "shard 1/2 (.*shard-1-of-2.h5): not started" status.log || { cat status.log; fail "shard 1 not reported"; }
status=0
"$priorbench" merge -o by-hand.h5 results/quickstart.jobs/shard-{0,1}-of-2.h5 >merge.log 2>&1 || status=$?
[ "$status" -ne 0 ] && grep -q "shard file .*shard-1-of-2.h5 does not exist" merge.log || { cat merge.log; fail "merge did not name the missing shard"; }

# 2. Resubmission runs only shard 1, at 2 ranks.
"$priorbench" submit quickstart.toml -o results/quickstart.h5 --shards 2 --allow-dirty --tasks-per-node 2 --wait \
  --poll-seconds 1 >resubmitted.log 2>&1 || { cat resubmitted.log; fail "the resubmission failed"; }
cat resubmitted.log
grep -q "runs 1 of 2 shards (indices 1); 1 finished shard skipped" resubmitted.log || fail "finished shard 0 was not skipped"
grep -q "done: .*quickstart.h5 holds all 36 tasks" resubmitted.log || fail "the merged file is incomplete"
[ -f results/quickstart-report/report.md ] || fail "the merge job wrote no report"
grep -q "priorbench run: study 'quickstart', 18 tasks (0 already done)" results/quickstart.jobs/logs/pb-quickstart-shard-*_1.out ||
  fail "shard 1 log"

# 3. The same numbers as a direct run.
"$mpiexec" -n 2 "$priorbench" run quickstart.toml -o direct.h5 >direct.log
/usr/bin/python3 "$here/check_run.py" same direct.h5 results/quickstart.h5

# 4. Nothing left to do.
"$priorbench" submit quickstart.toml -o results/quickstart.h5 --shards 2 >again.log
grep -q "nothing to submit: .*quickstart.h5 already holds all 36 tasks" again.log || { cat again.log; fail "resubmission"; }

"$source_dir/scripts/slurm-localhost.sh" stop "$cluster"
for pid in $daemons; do
  ! kill -0 "$pid" 2>/dev/null || fail "daemon $pid is still running after stop"
done
echo "cli slurm: all checks passed"
