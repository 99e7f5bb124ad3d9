#!/usr/bin/env bash
# The catalogue of hostile inputs (issue 16): every command given inputs made to be wrong
# must exit non-zero with a one- or two-line message on stderr that names the offending
# file, field or value, create no file and leave every existing file as it was. The cases
# run in a sandbox directory, checksummed (names, types, modes, sizes, contents) before and
# after each case. Two lanes, each with its own copy of the sandbox, take every other case
# (most of a case's time is the process starting).
#
#   bad_inputs.sh PRIORBENCH [MPIEXEC]     (BAD_INPUTS_VERBOSE=1 also lists every message)
set -euo pipefail
priorbench=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
box=$work/template
mkdir "$box"
cd "$box"
export PRIORBENCH_MODEL_TIMEOUT=10  # the endless decode below must be stopped within 10 s
lanes=2
lane=0
cases=0
failures=0
started=$SECONDS

# Names, types, modes, sizes and contents of everything under the sandbox.
snapshot() {
  (
    cd "$box"
    find . -printf '%y %m %s %p\n' | LC_ALL=C sort
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
  ) | sha256sum
}

fail() {
  echo "FAIL [$1]: $2" >&2
  failures=$((failures + 1))
}

# The files of this lane (under $work/lane-N/: the sandbox and what a case prints).
lane_file() { echo "$work/lane-$lane/$1"; }

# hostile NAME PATTERN ARGS...: `priorbench ARGS...` run in the sandbox must fail with one
# or two lines on stderr containing PATTERN (a fixed string), and change nothing.
hostile() {
  local name=$1 pattern=$2
  shift 2
  cases=$((cases + 1))
  [ $((cases % lanes)) -eq "$lane" ] || return 0
  local before status=0 lines case_start=$SECONDS err
  err=$(lane_file err)
  before=$(snapshot)
  (cd "$box" && find . -mindepth 1 -maxdepth 1 | LC_ALL=C sort >"$(lane_file names)")
  timeout 90 "$priorbench" "$@" >"$(lane_file out)" 2>"$err" || status=$?
  lines=$(grep -c . "$err" || true)
  if [ "$status" -eq 0 ]; then
    fail "$name" "exit status 0 for: priorbench $*"
  elif [ "$status" -eq 124 ]; then
    fail "$name" "no answer within 90 s for: priorbench $*"
  elif [ "$lines" -lt 1 ] || [ "$lines" -gt 2 ]; then
    fail "$name" "$lines lines on stderr (expected 1 or 2): $(head -c 600 "$err")"
  elif ! grep -qF -- "$pattern" "$err"; then
    fail "$name" "expected '$pattern' in: $(head -c 600 "$err")"
  fi
  if [ "$(snapshot)" != "$before" ]; then
    fail "$name" "the sandbox changed: $(cd "$box" && find . -newer "$(lane_file stamp)" | head -5 | tr '\n' ' ')"
    # What the failed case made must not fail the cases after it.
    (cd "$box" && find . -mindepth 1 -maxdepth 1 | LC_ALL=C sort | comm -13 "$(lane_file names)" - | xargs -r rm -rf)
  fi
  touch "$(lane_file stamp)"
  echo "$((SECONDS - case_start)) s $name" >>"$work/times"
  printf '%s\t%s\n' "$name" "$(tr '\n' ' ' <"$err")" >>"$work/messages"
}

# study FILE SED-EXPRESSION...: the tiny base study with the expressions applied.
study() {
  local file=$1
  shift
  local arguments=()
  for expression in "$@"; do arguments+=(-e "$expression"); done
  sed "${arguments[@]}" "$work/base.toml" >"$file"
}

cat >"$work/base.toml" <<'TOML'
[study]
name = "hostile"
seed = 1
replicates = 1
save_reconstructions = 1

[data]
training_limit = 100

[truth]
kinds = ["test"]
test_indices = [0]

[operator]
name = "inpaint"
data_sizes = [100]

[noise]
sigmas = [0.1]

[[method]]
name = "white"
TOML
cp "$work/base.toml" base.toml
# With a generator: a 28x28 TorchScript decoder of latent_dim 3.
sed -e 's/^\[data\]/[model]\nfile = "good.pt"\n\n[data]/' -e 's/^kinds = \["test"\]/kinds = ["generated"]\ngenerated_count = 1/' \
  -e 's/^name = "white"/name = "latent_mcmc"/' "$work/base.toml" >"$work/mcmc.toml"

/usr/bin/python3 "$here/make_hostile_inputs.py" "$box"
/usr/bin/python3 "$here/make_python_model.py" small.pt /dev/null --no-encoder
"$priorbench" run base.toml -o results.h5 >/dev/null
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
with h5py.File("latents.h5", "w") as f:
    f["z"] = np.array([[0.0, np.nan, 0.0], [0.1, 0.2, 0.3]])
    f["z_wide"] = np.zeros((2, 5))
    f["images"] = np.zeros((2, 28, 28))
PY
echo "my thesis" >thesis.tex
mkdir -p report-dir/figures study-dir
echo "a,b" >report-dir/figures/mine.csv
echo "notes" >report-dir/notes.md
# A results file with 16 bytes set to 0xff at four places in its first quarter, where HDF5
# keeps object headers (flips in raw data alone are for the per-task checksums to find).
cp results.h5 flipped.h5
size=$(stat -c %s flipped.h5)
for sixteenth in 1 2 3 4; do
  printf '\xff%.0s' {1..16} | dd of=flipped.h5 bs=1 seek=$((size * sixteenth / 16)) conv=notrunc status=none
done
head -c 3000 results.h5 >truncated.h5
head -c 100000 /dev/urandom >garbage.pt

# The cases, run by each lane in its own copy of the sandbox.
catalogue() {

# --- run: study fields -------------------------------------------------------------
study wrap.toml 's/^replicates = 1/replicates = 4294967297/'
hostile run-replicates-wrap "4294967297" run wrap.toml -o out.h5
study many.toml 's/^replicates = 1/replicates = 100000000/'
hostile run-replicates-1e8 "limit" run many.toml -o out.h5
study tera.toml 's/^replicates = 1/replicates = 1000000000000/'
hostile run-replicates-1e12 "replicates" run tera.toml -o out.h5
study save.toml 's/^save_reconstructions = 1/save_reconstructions = 4294967297/'
hostile run-save-reconstructions-wrap "save_reconstructions" run save.toml -o out.h5
study testcount.toml 's/^test_indices = \[0\]/test_count = 1000000000/'
hostile run-test-count-1e9 "test_count" run testcount.toml -o out.h5
study zero.toml 's/^data_sizes = \[100\]/data_sizes = [0]/'
hostile run-data-size-0 "data_sizes" run zero.toml -o out.h5
study big.toml 's/^data_sizes = \[100\]/data_sizes = [785]/'
hostile run-data-size-above-n "785" run big.toml -o out.h5
study negd.toml 's/^data_sizes = \[100\]/data_sizes = [-5]/'
hostile run-data-size-negative "data_sizes" run negd.toml -o out.h5
study std.toml 's/^name = "white"/name = "white"\nstd = "bogus"/'
hostile run-unknown-std "bogus" run std.toml -o out.h5
study lowrank.toml "s|^\\[data\\]|[model]\\nfile = \"$here/../../models/fmnist-flow-realnvp.pt\"\\n\\n[data]|" \
  's/^name = "white"/name = "flow_laplace"\nrank = 101/'
hostile run-flow-laplace-rank-above-d "'rank' has 101, more than the data size d = 100" run lowrank.toml -o out.h5
study nodata.toml 's/^training_limit = 100/training = "missing.h5:\/images"\ntraining_limit = 100/'
hostile run-missing-training-set "missing.h5" run nodata.toml -o out.h5
study nosigma.toml 's/^sigmas = \[0.1\]/sigmas = [-0.1]/'
hostile run-negative-sigma "sigmas" run nosigma.toml -o out.h5
study infsigma.toml 's/^sigmas = \[0.1\]/sigmas = [inf]/'
hostile run-infinite-sigma "sigmas" run infsigma.toml -o out.h5
study op.toml 's/^name = "inpaint"/name = "convolve"/'
hostile run-unknown-operator "convolve" run op.toml -o out.h5
study method.toml 's/^name = "white"/name = "whiter"/'
hostile run-unknown-method "whiter" run method.toml -o out.h5
study typo.toml 's/^seed = 1/sed = 1/'
hostile run-unknown-field "sed" run typo.toml -o out.h5
study stdsamples.toml 's/^name = "white"/name = "white"\nstd = "samples"\nstd_samples = 1000000000/'
hostile run-std-samples-1e9 "std_samples" run stdsamples.toml -o out.h5
long_name=$(head -c 5000000 /dev/zero | tr '\0' 'x')
printf '[study]\nname = "%s"\n' "$long_name" >longname.toml
tail -n +3 "$work/base.toml" >>longname.toml
hostile run-5MB-name "study.name" run longname.toml -o out.h5
unset long_name
hostile run-study-is-directory "study-dir" run study-dir -o out.h5
hostile run-dev-zero "/dev/zero" run /dev/zero -o out.h5
hostile run-missing-study "nothere.toml" run nothere.toml -o out.h5
hostile run-max-tasks-negative "--max-tasks" run base.toml -o out.h5 --max-tasks -1
hostile run-empty-output "-o" run base.toml -o ''
hostile run-output-directory-missing "no-such-dir" run base.toml -o no-such-dir/out.h5
hostile run-output-is-directory "study-dir" run base.toml -o study-dir
hostile run-shard-bad "--shard" run base.toml -o out.h5 --shard 2/2
study other.toml 's/^seed = 1/seed = 2/'
hostile run-other-study-results "different study" run other.toml -o results.h5
sed 's/^name = "latent_mcmc"/name = "latent_mcmc"\nchains = 1000000000/' "$work/mcmc.toml" >chains.toml
hostile run-mcmc-chains-1e9 "chains" run chains.toml -o out.h5
sed 's/^name = "latent_mcmc"/name = "latent_mcmc"\nwarmup = 1000000000000/' "$work/mcmc.toml" >warmup.toml
hostile run-mcmc-warmup-1e12 "warmup" run warmup.toml -o out.h5
sed 's/^name = "latent_mcmc"/name = "latent_mcmc"\nsamples = 1000000000000/' "$work/mcmc.toml" >samples.toml
hostile run-mcmc-samples-1e12 "samples" run samples.toml -o out.h5
sed 's/^name = "latent_mcmc"/name = "latent_mcmc"\nsampler = "pcn"\nburn_in = 1000000000000/' "$work/mcmc.toml" >burnin.toml
hostile run-pcn-burn-in-1e12 "burn_in" run burnin.toml -o out.h5
sed 's/^name = "latent_mcmc"/name = "latent_mcmc"\nsampler = "pcn"\ntemperatures = 1000000000/' "$work/mcmc.toml" >temps.toml
hostile run-pcn-temperatures-1e9 "temperatures" run temps.toml -o out.h5
sed 's/^name = "latent_mcmc"/name = "latent_mcmc"\nmax_tree_depth = 1000/' "$work/mcmc.toml" >depth.toml
hostile run-nuts-tree-depth-1000 "max_tree_depth" run depth.toml -o out.h5
sed 's/^name = "latent_mcmc"/name = "latent_map"\nmap_prior_starts = 1000000000/' "$work/mcmc.toml" >starts.toml
hostile run-map-prior-starts-1e9 "map_prior_starts" run starts.toml -o out.h5
sed 's/^file = "good.pt"/file = "nan-away.pt"/' "$work/mcmc.toml" >nanmodel.toml
hostile run-generator-nan-away-from-zero "nan-away.pt" run nanmodel.toml -o out.h5
study smallmodel.toml 's/^\[data\]/[model]\nfile = "small.pt"\n\n[data]/'
hostile run-model-image-size-mismatch "small.pt" run smallmodel.toml -o out.h5

# --- solve ---------------------------------------------------------------------------
hostile solve-data-size-0 "--data-size" solve --image fashion-mnist:test:0 --operator inpaint --data-size 0 \
  --sigma 0.1 --training-limit 100 -o out.h5
hostile solve-data-size-above-n "785" solve --image fashion-mnist:test:0 --operator inpaint --data-size 785 \
  --sigma 0.1 --training-limit 100 -o out.h5
hostile solve-sigma-nan "--sigma" solve --image fashion-mnist:test:0 --sigma nan --training-limit 100 -o out.h5
hostile solve-image-index "20000" solve --image fashion-mnist:test:20000 --sigma 0.1 --training-limit 100 -o out.h5
hostile solve-nifti-nan-voxel "nan.nii" solve --image mri:nan.nii:2:16:all:3 --sigma 0.1 --method white \
  --tau2 1 -o out.h5
hostile solve-nifti-inf-voxel "inf.nii" solve --image mri:inf.nii:2:16:all:3 --sigma 0.1 --method white \
  --tau2 1 -o out.h5
hostile solve-empty-output "-o" solve --image fashion-mnist:test:0 --sigma 0.1 --training-limit 100 -o ''
hostile solve-replace-foreign-file "thesis.tex" solve --image fashion-mnist:test:0 --sigma 0.1 \
  --training-limit 100 -o thesis.tex --force
hostile solve-model-huge-latent "huge-latent.pt" solve --image fashion-mnist:test:0 --sigma 0.1 \
  --method latent_map --model huge-latent.pt -o out.h5
hostile solve-mcmc-chains-1e9 "--mcmc-chains" solve --image fashion-mnist:test:0 --sigma 0.1 \
  --method latent_mcmc --model good.pt --mcmc-chains 1000000000 -o out.h5

# --- model ---------------------------------------------------------------------------
hostile model-samples-1e8 "--samples" model good.pt --samples 100000000 -o out.h5
hostile model-threads-1e5 "--threads" model good.pt --threads 100000
hostile model-nan-latents "latents.h5" model good.pt --latents latents.h5:z -o out.h5
hostile model-latents-wrong-shape "latents.h5" model good.pt --latents latents.h5:z_wide -o out.h5
hostile model-encode-without-encoder "no-encoder.pt" model no-encoder.pt --encode latents.h5:images -o out.h5
hostile model-samples-nan-images "nan-away.pt" model nan-away.pt --samples 4 -o out.h5
hostile model-decode-never-returns "hang.pt" model hang.pt
hostile model-latent-dim-2-40 "huge-latent.pt" model huge-latent.pt
hostile model-garbage-file "garbage.pt" model garbage.pt
hostile model-is-directory "study-dir" model study-dir
hostile model-replace-foreign-file "thesis.tex" model good.pt --samples 2 -o thesis.tex --force

# --- inspect -------------------------------------------------------------------------
hostile inspect-nan-model "nan-away.pt" inspect --model nan-away.pt --image fashion-mnist:test:0 --sigma 0.1 \
  --collapse-images 10 -o out.h5
hostile inspect-data-size-0 "--data-size" inspect --model good.pt --image fashion-mnist:test:0 --sigma 0.1 \
  --data-size 0 --collapse-images 10 -o out.h5
hostile inspect-model-mismatch "small.pt" inspect --model small.pt --image fashion-mnist:test:0 --sigma 0.1 \
  --collapse-images 10 -o out.h5
hostile inspect-empty-output "-o" inspect --model good.pt --image fashion-mnist:test:0 --sigma 0.1 -o ''

# --- train ---------------------------------------------------------------------------
hostile train-checkpoint-onto-study "base.toml" train --training-limit 100 --epochs 1 -o out.pt \
  --checkpoint base.toml
hostile train-output-onto-foreign "thesis.tex" train --training-limit 100 --epochs 1 -o thesis.tex --force
hostile train-latent-dim-0 "--latent-dim" train --training-limit 100 --epochs 1 --latent-dim 0 -o out.pt
hostile train-latent-dim-2-40 "--latent-dim" train --training-limit 100 --epochs 1 --latent-dim 1099511627776 \
  -o out.pt
hostile train-threads-1e5 "--threads" train --training-limit 100 --epochs 1 --threads 100000 -o out.pt
hostile train-missing-training-set "missing.h5" train --training missing.h5:/images --epochs 1 -o out.pt

# --- merge ---------------------------------------------------------------------------
hostile merge-flipped-bytes "flipped.h5" merge -o out.h5 flipped.h5
hostile merge-truncated "truncated.h5" merge -o out.h5 truncated.h5
hostile merge-onto-existing "results.h5" merge -o results.h5 results.h5
hostile merge-missing-shard "gone.h5" merge -o out.h5 gone.h5

# --- report --------------------------------------------------------------------------
hostile report-flipped-bytes "flipped.h5" report flipped.h5 -o rep --no-figures
hostile report-garbage "garbage.pt" report garbage.pt -o rep --no-figures
hostile report-force-foreign-directory "report-dir" report results.h5 -o report-dir --force --no-figures
hostile report-force-working-directory "." report results.h5 -o . --force --no-figures
hostile report-empty-output "-o" report results.h5 -o '' --no-figures

# --- submit --------------------------------------------------------------------------
hostile submit-study-is-directory "study-dir" submit study-dir -o out.h5 --dry-run
hostile submit-shards-0 "--shards" submit base.toml -o out.h5 --shards 0 --dry-run
hostile submit-bad-study "4294967297" submit wrap.toml -o out.h5 --dry-run

}

for lane in $(seq 0 $((lanes - 1))); do
  (
    mkdir "$work/lane-$lane"
    box=$work/lane-$lane/box
    cp -a "$work/template" "$box"
    cd "$box"
    touch "$(lane_file stamp)"
    catalogue
    echo "$cases $failures" >"$(lane_file counts)"
  ) &
done
wait
read -r cases failures_0 <"$work/lane-0/counts"
read -r _ failures_1 <"$work/lane-1/counts"
failures=$((failures_0 + failures_1))
echo "$cases hostile inputs, $failures failed, $((SECONDS - started)) s; the slowest:"
sort -rn "$work/times" | head -5
if [ -n "${BAD_INPUTS_VERBOSE:-}" ]; then sort "$work/messages"; fi
[ "$cases" -ge 40 ] || { echo "FAIL: only $cases cases" >&2; exit 1; }
[ "$failures" -eq 0 ]
