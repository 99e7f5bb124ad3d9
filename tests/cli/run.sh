#!/usr/bin/env bash
# End-to-end test of `priorbench run`: identical metrics at 1 and 2 ranks (timings aside),
# a run killed with SIGKILL part way resumes to exactly an uninterrupted run's metrics
# with no task recomputed, and a results file of another study is refused untouched.
set -euo pipefail
priorbench=$1
mpiexec=$2
here=$(cd "$(dirname "$0")" && pwd)
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

# Another study's results file is refused and left as it was.
sed 's/seed = 7/seed = 8/' study.toml >other.toml
before=$(sha256sum one.h5)
if "$priorbench" run other.toml -o one.h5 >other.log 2>&1; then
  echo "FAIL: a results file of another study was accepted" >&2
  exit 1
fi
grep -q "written by a different study" other.log || { cat other.log >&2; exit 1; }
[ "$(sha256sum one.h5)" = "$before" ] || { echo "FAIL: one.h5 was modified" >&2; exit 1; }

# Study file errors name the file, the field and the value.
sed 's/sigmas = \[0.1, 0.05, 0.02, 0.01\]/sigmas = [0.1, -0.5]/' study.toml >bad.toml
if "$priorbench" run bad.toml -o bad.h5 >bad.log 2>&1; then echo "FAIL: bad study accepted" >&2; exit 1; fi
grep -q "bad.toml: field 'noise.sigmas' has -0.5" bad.log || { cat bad.log >&2; exit 1; }
[ ! -e bad.h5 ] || { echo "FAIL: a refused study left a results file" >&2; exit 1; }
echo "cli run: all checks passed"
