#!/usr/bin/env bash
# Concurrent and partial results files (issue 16), end to end: one writer per results file
# (the lock R.h5.lock: a live holder refused by name, another host's lock never broken, a
# stale one taken over), damage found by the per-task checksums (run again on resume, left
# out by report, refused by merge; a truncated file refused by all), the model's SHA-256
# (resume with another model refused), and files of the first format still reported.
# Every refusal: non-zero exit, a one- or two-line message, every file left as it was.
set -euo pipefail
priorbench=$1
mpiexec=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.bash"
source_dir=${PRIORBENCH_SOURCE_DIR:-$here/../..}
check() { /usr/bin/python3 "$here/check_integrity.py" "$@"; }
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export HDF5_USE_FILE_LOCKING=FALSE  # h5py reads files a run may hold open

snapshot() { find . -type f | LC_ALL=C sort | xargs -d '\n' sha256sum; }

# refused PATTERN ARGS...: exits non-zero with a one- or two-line message holding PATTERN,
# and no file in the directory is created, removed or changed.
refused() {
  local pattern=$1
  shift
  local before output status=0
  before=$(snapshot)
  output=$("$priorbench" "$@" 2>&1) || status=$?
  [ "$status" -ne 0 ] || { echo "FAIL: expected a refusal of: $*; got: $output" >&2; exit 1; }
  grep -qF -- "$pattern" <<<"$output" || { echo "FAIL: expected '$pattern' for: $*; got: $output" >&2; exit 1; }
  [ "$(grep -c . <<<"$output")" -le 2 ] || { echo "FAIL: more than two lines for: $*: $output" >&2; exit 1; }
  [ "$(snapshot)" = "$before" ] || { echo "FAIL: files changed by the refused: $*" >&2; exit 1; }
}

write_lock() {  # FILE HOST PID
  printf 'priorbench-lock-1\nhost=%s\npid=%s\nstarted=2026-01-01T00:00:00Z\ncommand=priorbench run x\n' "$2" "$3" >"$1"
}

cat >study.toml <<'TOML'
[study]
name = "integrity-test"
seed = 3
replicates = 2
save_reconstructions = 2

[data]
training_limit = 2000

[truth]
kinds = ["test"]
test_indices = [0, 5]

[operator]
name = "identity"

[noise]
sigmas = [0.1, 0.02]

[[method]]
name = "white"

[[method]]
name = "empirical"
rank = 20
TOML

"$priorbench" run study.toml -o r.h5 >r.log
[ "$(check attribute r.h5 format)" = "priorbench-study-2" ] || { echo "FAIL: format" >&2; exit 1; }
[ -z "$(check attribute r.h5 model_sha256)" ] || { echo "FAIL: a model hash without a model" >&2; exit 1; }
[ "$(check verify r.h5)" = 8 ] || { echo "FAIL: not every task verified" >&2; exit 1; }
[ ! -e r.h5.lock ] || { echo "FAIL: the lock outlived the run" >&2; exit 1; }
cp r.h5 clean.h5

# A live holder on this host is named; so under MPI (rank 0 decides, every rank stops).
sleep 300 &
live=$!
pids+=("$live")
write_lock r.h5.lock "$(hostname)" "$live"
refused "r.h5 is in use by PID $live on this host" run study.toml -o r.h5
refused "priorbench merge: r.h5 is in use by PID $live" merge -o merged.h5 r.h5
before=$(snapshot)
status=0
output=$("$mpiexec" -n 2 "$priorbench" run study.toml -o r.h5 2>&1) || status=$?
[ "$status" -ne 0 ] && grep -qF "r.h5 is in use by PID $live on this host" <<<"$output" ||
  { echo "FAIL: the lock did not stop a 2-rank run: $output" >&2; exit 1; }
[ "$(snapshot)" = "$before" ] || { echo "FAIL: a refused 2-rank run changed files" >&2; exit 1; }
# report reads a file being written, says so, and covers what is complete.
"$priorbench" report r.h5 -o live-report --no-figures --bootstrap 50 >report-live.log 2>&1
grep -qF "is being written by PID $live" report-live.log || { cat report-live.log >&2; exit 1; }
kill -9 "$live"
wait "$live" 2>/dev/null || true
# The PID is gone now: its lock is stale on this host and taken over, with a notice.
"$priorbench" run study.toml -o r.h5 >stale.log 2>&1
grep -qF "taking over the stale lock r.h5.lock of PID $live" stale.log || { cat stale.log >&2; exit 1; }
[ ! -e r.h5.lock ] || { echo "FAIL: the taken-over lock outlived the run" >&2; exit 1; }

# Another host's lock is never broken, whatever its PID.
write_lock r.h5.lock elsewhere.invalid 1
refused "a lock of another host is never broken: once that run has ended, remove r.h5.lock" run study.toml -o r.h5
rm r.h5.lock
printf '' >report-dir.lock
refused "report-dir.lock exists but is not a complete priorbench lock" report r.h5 -o report-dir --no-figures --bootstrap 50
rm report-dir.lock

# Two real runs on one file: the second is refused naming the first; killed, the first's
# lock is stale and the next run takes it over and finishes the file.
# (The training set in full: its principal components take the first run some seconds.)
sed -e 's/training_limit = 2000/training_limit = 60000/' study.toml >slow.toml
"$priorbench" run slow.toml -o live.h5 >live-1.log 2>&1 &
first=$!
pids+=("$first")
for _ in $(seq 1000); do [ -e live.h5.lock ] && break; sleep 0.01; done
[ -e live.h5.lock ] || { echo "FAIL: the first run took no lock" >&2; exit 1; }
kill -STOP "$first"  # it holds the lock however fast the machine: no race with the second
status=0
output=$("$priorbench" run slow.toml -o live.h5 2>&1) || status=$?
[ "$status" -ne 0 ] && grep -qF "live.h5 is in use by PID $first on this host" <<<"$output" ||
  { echo "FAIL: a second run on the same file was not refused: $output" >&2; exit 1; }
kill -9 "$first"
wait "$first" 2>/dev/null || true
"$priorbench" run slow.toml -o live.h5 >live-2.log 2>&1
grep -qF "taking over the stale lock live.h5.lock of PID $first" live-2.log || { cat live-2.log >&2; exit 1; }
[ "$(check verify live.h5)" = 8 ] || { echo "FAIL: the resumed file is not complete and valid" >&2; exit 1; }
# SIGTERM (scancel, a job's time limit) ends a run without leaving its lock behind.
"$priorbench" run slow.toml -o term.h5 >term.log 2>&1 &
victim=$!
pids+=("$victim")
# The lock appears whole with its handler already armed: SIGTERM the instant it exists.
for _ in $(seq 1000); do [ -e term.h5.lock ] && break; sleep 0.01; done
[ -e term.h5.lock ] || { echo "FAIL: the run took no lock" >&2; exit 1; }
kill -TERM "$victim"
status=0
wait "$victim" 2>/dev/null || status=$?
[ "$status" -eq 143 ] || { echo "FAIL: the run was not ended by SIGTERM (status $status)" >&2; exit 1; }
[ -z "$(find . -name 'term.h5.lock*')" ] || { echo "FAIL: SIGTERM left the lock behind" >&2; exit 1; }

# A flipped byte in task 3's rows: report leaves it out and says so, run does it again and
# the file equals the clean one.
check flip r.h5 metrics/psnr $((3 * 2 + 1))
"$priorbench" report r.h5 -o damaged-report --no-figures --bootstrap 50 >damaged-report.log 2>&1
grep -qF "task(s) 3 are marked done but their rows do not match their checksums" damaged-report.log ||
  { cat damaged-report.log >&2; exit 1; }
grep -rq "of which 7 done and 1 pending" damaged-report/ || { echo "FAIL: the report counted the damaged task" >&2; exit 1; }
"$priorbench" run study.toml -o r.h5 >repair.log 2>&1
grep -qF "task(s) 3 were marked done but their rows do not match their checksums" repair.log || { cat repair.log >&2; exit 1; }
grep -qF "1 tasks run now, 7 found done" repair.log || { cat repair.log >&2; exit 1; }
/usr/bin/python3 "$here/check_run.py" same clean.h5 r.h5
[ "$(check verify r.h5)" = 8 ] || { echo "FAIL: the repaired file does not verify" >&2; exit 1; }
# merge verifies every shard the same way.
"$priorbench" run study.toml -o s0.h5 --shard 0/2 >/dev/null
"$priorbench" run study.toml -o s1.h5 --shard 1/2 >/dev/null
check flip s1.h5 tasks/seconds 1
refused "merge: shard s1.h5: task(s) 1 are marked done but their rows do not match their checksums" \
  merge -o merged.h5 s0.h5 s1.h5

# A file cut short (a full disk, a killed copy) is refused by every command, untouched.
head -c $(($(stat -c %s clean.h5) / 2)) clean.h5 >cut.h5
refused "cannot open HDF5 file cut.h5: truncated file" run study.toml -o cut.h5
refused "cannot open HDF5 file cut.h5: truncated file" report cut.h5 -o cut-report --no-figures --bootstrap 50
refused "cannot open HDF5 file cut.h5: truncated file" merge -o cut-merged.h5 cut.h5

# The model's SHA-256 is recorded; a resume with a changed model file is refused naming both.
cp "$source_dir/models/fmnist-vae-mlp-m16.pt" model.pt
sed -e 's/name = "integrity-test"/name = "integrity-model"/' -e 's/^\[operator\]/[model]\nfile = "model.pt"\n\n[operator]/' \
  study.toml >model.toml
"$priorbench" run model.toml -o m.h5 --max-tasks 1 >/dev/null
made_with=$(sha256sum model.pt | cut -d' ' -f1)
[ "$(check attribute m.h5 model_sha256)" = "$made_with" ] || { echo "FAIL: model_sha256 not recorded" >&2; exit 1; }
printf 'x' >>model.pt
now=$(sha256sum model.pt | cut -d' ' -f1)
refused "m.h5 was made with the model of SHA-256 $made_with but model.pt now has SHA-256 $now" run model.toml -o m.h5

# Files of the first format: reported (with a note), never resumed or merged.
cp clean.h5 old.h5
check set-format old.h5 priorbench-study-1
refused "old.h5 is a results file of format priorbench-study-1" run study.toml -o old.h5
refused "merge: shard old.h5 is of format priorbench-study-1" merge -o old-merged.h5 old.h5
"$priorbench" report old.h5 -o old-report --no-figures --bootstrap 50 >old-report.log 2>&1
grep -qF "old.h5 is of format priorbench-study-1, which records no task checksums" old-report.log ||
  { cat old-report.log >&2; exit 1; }
for committed in "$source_dir"/results/*.h5; do
  "$priorbench" report "$committed" -o "committed-$(basename "$committed" .h5)" --no-figures --bootstrap 50 >/dev/null 2>&1 ||
    { echo "FAIL: the committed $committed is no longer reported" >&2; exit 1; }
done
echo "cli integrity: all checks passed"
