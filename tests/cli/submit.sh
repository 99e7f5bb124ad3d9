#!/usr/bin/env bash
# `priorbench submit` without a cluster: --dry-run prints the scripts and sbatch commands
# and writes nothing; bad options and files are refused with one-line errors naming the
# option and value; a finished results file leaves nothing to submit; a results file of
# another study is refused untouched. (tests/cli/slurm.sh submits to a real SLURM.)
set -euo pipefail
priorbench=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.bash"
source_dir=${PRIORBENCH_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir results
cp "$source_dir/studies/quickstart.toml" quickstart.toml
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

echo 'module load openmpi' >site.sh
"$priorbench" submit quickstart.toml -o results/q.h5 --shards 3 --dry-run --allow-dirty --partition short --account proj \
  --time 00:30:00 --mem 4G --tasks-per-node 2 --sbatch=--exclusive --site site.sh --launcher "srun --mpi=pmix" >dry.log
for expected in "==> $work/results/q.jobs/shard.sbatch <==" "#SBATCH --job-name=pb-quickstart-shard" \
  "#SBATCH --output=$work/results/q.jobs/logs/pb-quickstart-shard-%A_%a.out" "#SBATCH --ntasks-per-node=2" \
  "#SBATCH --partition=short" "#SBATCH --account=proj" "#SBATCH --time=00:30:00" "#SBATCH --mem=4G" \
  "#SBATCH --exclusive" "module load openmpi" "cd $work" \
  "srun --mpi=pmix $priorbench run $work/quickstart.toml -o $work/results/q.jobs/shard-\${shard}-of-3.h5 --shard \${shard}/3 --allow-dirty" \
  "\$ sbatch --parsable --array=0-2 $work/results/q.jobs/shard.sbatch" \
  "$priorbench merge -o $work/results/q.h5 $work/results/q.jobs/shard-0-of-3.h5" \
  "$priorbench report $work/results/q.h5 -o $work/results/q-report" \
  "\$ sbatch --parsable --dependency=afterok:<array job id> $work/results/q.jobs/merge.sbatch"; do
  grep -qF -- "$expected" dry.log || { cat dry.log; fail "dry run lacks: $expected"; }
done
[ -z "$(ls results)" ] || fail "--dry-run wrote files: $(ls results)"

"$priorbench" submit quickstart.toml -o results/q.h5 --dry-run --no-report --allow-dirty >single.log
grep -qF "$priorbench run $work/quickstart.toml -o $work/results/q.h5 --allow-dirty" single.log || { cat single.log; fail "single job"; }
grep -qF "\$ sbatch --parsable $work/results/q.jobs/run.sbatch" single.log || fail "single job command"
! grep -q " report " single.log || fail "--no-report still reports"

# Without --allow-dirty the jobs' `run` gets no such flag, and a build of a dirty tree is
# refused at submission (not after the jobs waited in the queue) for a file under results/.
mkdir elsewhere
"$priorbench" submit quickstart.toml -o elsewhere/q.h5 --dry-run --no-report >clean.log
grep -qF "$priorbench run $work/quickstart.toml -o $work/elsewhere/q.h5" clean.log || { cat clean.log; fail "elsewhere"; }
! grep -q -- "--allow-dirty" clean.log || fail "--allow-dirty passed on without being given"
if "$priorbench" --version | grep -q "dirty source tree"; then
  expect_failure "-o results/q.h5: this priorbench was built from a dirty source tree" \
    submit quickstart.toml -o results/q.h5 --dry-run
else
  "$priorbench" submit quickstart.toml -o results/q.h5 --dry-run --no-report >clean.log
  grep -qF "$priorbench run $work/quickstart.toml -o $work/results/q.h5" clean.log || fail "clean build refused"
fi

expect_failure "--shards 0: must be between 1 and the study's 36 tasks" submit quickstart.toml -o results/q.h5 --shards 0
expect_failure "--shards 37: must be between 1" submit quickstart.toml -o results/q.h5 --shards 37
expect_failure "--site missing.sh: no such file" submit quickstart.toml -o results/q.h5 --site missing.sh
expect_failure "--partition 'a b' must not contain spaces" submit quickstart.toml -o results/q.h5 --partition "a b"
expect_failure "--sbatch 'exclusive': expected an sbatch option" submit quickstart.toml -o results/q.h5 --sbatch exclusive
expect_failure "-o results/q.hdf: the results file must end in .h5" submit quickstart.toml -o results/q.hdf
expect_failure "directory $work/nowhere does not exist" submit quickstart.toml -o nowhere/q.h5
expect_failure "template $work/shard.sbatch.in cannot be read" submit quickstart.toml -o results/q.h5 --shards 2 \
  --templates "$work" --dry-run --allow-dirty

# A finished results file: nothing to submit. Another study's file: refused, untouched.
cat >tiny.toml <<'TOML'
[study]
name = "tiny"
seed = 3
[truth]
kinds = ["test"]
test_indices = [0]
[operator]
name = "inpaint"
data_sizes = [392]
[noise]
sigmas = [0.1, 0.05]
[[method]]
name = "white"
TOML
"$priorbench" run tiny.toml -o results/tiny.h5 --allow-dirty >/dev/null
"$priorbench" submit tiny.toml -o results/tiny.h5 --shards 2 >done.log
grep -q "nothing to submit: $work/results/tiny.h5 already holds all 2 tasks" done.log || { cat done.log; fail "finished"; }
before=$(sha256sum results/tiny.h5)
expect_failure "results/tiny.h5 belongs to another study" submit quickstart.toml -o results/tiny.h5 --dry-run
[ "$(sha256sum results/tiny.h5)" = "$before" ] || fail "results/tiny.h5 was modified"
echo "cli submit: all checks passed"
