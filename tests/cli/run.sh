#!/usr/bin/env bash
# End-to-end test of `priorbench run`: identical metrics at 1 and 2 ranks (timings aside),
# a run killed with SIGKILL part way resumes to exactly an uninterrupted run's metrics
# with no task recomputed, and a results file of another study is refused untouched.
# Provenance: the file records whether the build's source tree was clean; a dirty build
# does not write under results/ without --allow-dirty (which branch runs depends on the
# tree this test was built from; tests/unit/study_spec.cpp covers both).
set -euo pipefail
priorbench=$1
mpiexec=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.bash"
work=$(mktemp -d)
runner=
cleanup() {
  if [ -n "$runner" ]; then kill -9 "$runner" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export HDF5_USE_FILE_LOCKING=FALSE  # the test reads a file another process is writing

cat >study.toml <<'TOML'
[study]
name = "run-test"
seed = 7
replicates = 3
save_reconstructions = 2

[data]
training_limit = 3000

[truth]
kinds = ["test"]
test_indices = [0, 5, 11]

[operator]
name = "blur"
blur_width = 1.5

[noise]
sigmas = [0.1, 0.05, 0.02, 0.01]

[[method]]
name = "white"
std = "samples"
std_samples = 60

[[method]]
name = "empirical"
label = "empirical-pca"
rank = 40
TOML

"$priorbench" run study.toml -o one.h5 >one.log
"$mpiexec" -n 2 "$priorbench" run study.toml -o two.h5 >two.log
/usr/bin/python3 "$here/check_run.py" same one.h5 two.h5

# Kill a run once a few tasks are done, then resume it with the same command.
"$priorbench" run study.toml -o killed.h5 >killed-1.log 2>&1 &
runner=$!
done_before=$(/usr/bin/python3 "$here/check_run.py" wait-done killed.h5 4 120)
kill -9 "$runner"
wait "$runner" 2>/dev/null || true
runner=
done_at_kill=$(/usr/bin/python3 "$here/check_run.py" count-done killed.h5)
total=$(/usr/bin/python3 "$here/check_run.py" count-tasks killed.h5)
echo "killed with $done_at_kill of $total tasks done (saw $done_before while running)"
[ "$done_at_kill" -ge 4 ] && [ "$done_at_kill" -lt "$total" ] || { echo "FAIL: kill did not land part way" >&2; exit 1; }
"$priorbench" run study.toml -o killed.h5 >killed-2.log
grep -q "$((total - done_at_kill)) tasks run now, $done_at_kill found done" killed-2.log ||
  { echo "FAIL: resume did not skip exactly the finished tasks:" >&2; cat killed-2.log >&2; exit 1; }
/usr/bin/python3 "$here/check_run.py" same one.h5 killed.h5

# Shards of a job array, merged, equal the single run; a missing or repeated shard and
# shards of different studies are refused with the reason.
"$priorbench" run study.toml -o shard0.h5 --shard 0/2 >shard0.log
"$mpiexec" -n 2 "$priorbench" run study.toml -o shard1.h5 --shard 1/2 >shard1.log
"$priorbench" merge -o merged.h5 shard0.h5 shard1.h5 >merge.log
/usr/bin/python3 "$here/check_run.py" same one.h5 merged.h5
if "$priorbench" merge -o half.h5 shard0.h5 >half.log 2>&1; then echo "FAIL: incomplete merge accepted" >&2; exit 1; fi
grep -q "is done in none of the 1 shards" half.log || { cat half.log >&2; exit 1; }
if "$priorbench" merge -o twice.h5 shard0.h5 shard1.h5 shard0.h5 >twice.log 2>&1; then
  echo "FAIL: a repeated shard was accepted" >&2
  exit 1
fi
grep -q "is done in both shard0.h5 and shard0.h5" twice.log || { cat twice.log >&2; exit 1; }
[ ! -e half.h5 ] && [ ! -e twice.h5 ] || { echo "FAIL: a refused merge left a file" >&2; exit 1; }
# A shard that stopped early is named with its progress; a missing shard file by its name.
"$priorbench" run study.toml -o partial.h5 --shard 1/2 --max-tasks 1 >/dev/null
in_shard1=$(grep -o "[0-9]* tasks run now, [0-9]* found done, [0-9]* in the study" shard1.log | awk '{print $8}')
if "$priorbench" merge -o partial-merge.h5 shard0.h5 partial.h5 >partial.log 2>&1; then
  echo "FAIL: a merge with an incomplete shard was accepted" >&2
  exit 1
fi
grep -q "shard 1/2 (partial.h5) is incomplete: 1 of $in_shard1 tasks done" partial.log || { cat partial.log >&2; exit 1; }
if "$priorbench" merge -o gone.h5 shard0.h5 no-such-shard.h5 >gone.log 2>&1; then
  echo "FAIL: a missing shard file was accepted" >&2
  exit 1
fi
grep -q "shard file no-such-shard.h5 does not exist" gone.log || { cat gone.log >&2; exit 1; }
[ ! -e partial-merge.h5 ] && [ ! -e partial-merge.h5.part ] || { echo "FAIL: a refused merge left a file" >&2; exit 1; }
# A shard's file is not resumed as another shard's.
expect_failure "holds shard 1/2, not shard 0/2" run study.toml -o partial.h5 --shard 0/2

# Another study's results file is refused and left as it was.
sed 's/seed = 7/seed = 8/' study.toml >other.toml
before=$(sha256sum one.h5)
if "$priorbench" run other.toml -o one.h5 >other.log 2>&1; then
  echo "FAIL: a results file of another study was accepted" >&2
  exit 1
fi
grep -q "written by a different study" other.log || { cat other.log >&2; exit 1; }
"$priorbench" run other.toml -o other-shard.h5 --shard 0/2 --max-tasks 1 >/dev/null
if "$priorbench" merge -o mixed.h5 shard0.h5 other-shard.h5 >mixed.log 2>&1; then
  echo "FAIL: shards of different studies were merged" >&2
  exit 1
fi
grep -q "belongs to another study" mixed.log || { cat mixed.log >&2; exit 1; }
[ "$(sha256sum one.h5)" = "$before" ] || { echo "FAIL: one.h5 was modified" >&2; exit 1; }

# Study file errors name the file, the field and the value.
sed 's/sigmas = \[0.1, 0.05, 0.02, 0.01\]/sigmas = [0.1, -0.5]/' study.toml >bad.toml
if "$priorbench" run bad.toml -o bad.h5 >bad.log 2>&1; then echo "FAIL: bad study accepted" >&2; exit 1; fi
grep -q "bad.toml: field 'noise.sigmas' has -0.5" bad.log || { cat bad.log >&2; exit 1; }
[ ! -e bad.h5 ] || { echo "FAIL: a refused study left a results file" >&2; exit 1; }
# Provenance. The file records the tree state the executable was built from.
tree=$("$priorbench" --version | grep -o "[a-z]* source tree" | cut -d' ' -f1)
/usr/bin/python3 - "$tree" <<'EOF'
import sys
import h5py
expected = {"clean": "false", "dirty": "true"}.get(sys.argv[1], "unknown")
with h5py.File("one.h5", "r") as f:
    recorded = f.attrs["git_dirty"].decode()
assert recorded == expected, f"git_dirty {recorded}, build tree {sys.argv[1]}"
EOF
mkdir -p results
if [ "$tree" = "clean" ]; then
  "$priorbench" run study.toml -o results/clean.h5 --max-tasks 1 >/dev/null
  [ -f results/clean.h5 ] || { echo "FAIL: a clean build could not write under results/" >&2; exit 1; }
  grep -q "built from a clean source tree" merge.log || { cat merge.log >&2; exit 1; }
else
  expect_failure "files under results/ must come from a clean commit" run study.toml -o results/dirty.h5
  [ ! -e results/dirty.h5 ] || { echo "FAIL: a refused run left results/dirty.h5" >&2; exit 1; }
  "$priorbench" run study.toml -o results/dirty.h5 --max-tasks 1 --allow-dirty >/dev/null
  [ -f results/dirty.h5 ] || { echo "FAIL: --allow-dirty did not write" >&2; exit 1; }
  # The merge shows the flag of its shards.
  grep -q "built from a DIRTY source tree" merge.log || { cat merge.log >&2; exit 1; }
fi
echo "cli run: all checks passed"
