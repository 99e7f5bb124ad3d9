#!/usr/bin/env bash
# End-to-end test of `priorbench solve`: runs it at 1 and 2 ranks, recomputes every
# posterior independently from the output file alone (tests/cli/check_solve.py, numpy),
# and checks the error paths: one-line message, non-zero exit, nothing overwritten.
set -euo pipefail
priorbench=$1
mpiexec=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.bash
source "$here/common.bash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

solve() { "$priorbench" solve "$@"; }

# Every operator with both priors, 1 rank; inpaint and gaussian also at 2 ranks.
solve --image fashion-mnist:test:17 --operator inpaint --data-size 392 --sigma 0.01 \
  --method white,empirical --seed 1 -o inpaint.h5 --training-limit 5000
"$mpiexec" -n 2 "$priorbench" solve --image fashion-mnist:test:17 --operator inpaint --data-size 392 --sigma 0.01 \
  --method white,empirical --seed 1 -o inpaint2.h5 --training-limit 5000
"$mpiexec" -n 2 "$priorbench" solve --image fashion-mnist:test:5 --operator gaussian --data-size 200 --sigma 0.05 \
  --method white,empirical --seed 2 -o gaussian2.h5 --training-limit 5000
for op in identity blur fourier; do
  solve --image fashion-mnist:test:3 --operator "$op" --sigma 0.02 --method white,empirical --seed 3 \
    -o "$op.h5" --training-limit 5000
done
# fourier by acceleration: R = 4 on 28 lines of k-space is 7 lines, d = 196.
solve --image fashion-mnist:test:3 --operator fourier --fourier-mask lines --acceleration 4 --sigma 0.02 \
  --method white --seed 3 -o fourier_r4.h5 --training-limit 5000 >fourier_r4.log
grep -q "d = 196, n = 784, acceleration 4)" fourier_r4.log || { cat fourier_r4.log >&2; exit 1; }
# A sampled std, and a solve of the observed data from a previous output file.
solve --image fashion-mnist:test:3 --operator blur --sigma 0.02 --method white --std samples --std-samples 200 \
  --seed 3 -o blur_samples.h5 --training-limit 5000
solve --data inpaint.h5 --method white --training-limit 5000 -o from_data.h5
# --seed draws the mask too: another seed observes other pixels, the same seed the same ones.
solve --image fashion-mnist:test:17 --operator inpaint --data-size 392 --sigma 0.01 \
  --method white --seed 2 -o inpaint_seed2.h5 --training-limit 5000
/usr/bin/python3 - inpaint.h5 inpaint2.h5 inpaint_seed2.h5 <<'PYTHON'
import sys, h5py, numpy as np
one, one_again, two = (h5py.File(f, "r")["operator/observed"][()] for f in sys.argv[1:])
assert np.array_equal(one, one_again), "the same --seed must observe the same pixels"
assert not np.array_equal(one, two), "--seed 1 and --seed 2 observed the same pixels"
PYTHON

/usr/bin/python3 "$here/check_solve.py" inpaint.h5 inpaint2.h5 gaussian2.h5 identity.h5 blur.h5 fourier.h5 \
  blur_samples.h5 from_data.h5 fourier_r4.h5

# Error paths: exit status 1, a one-line message, and an existing file left untouched.
before=$(sha256sum inpaint.h5)
expect_failure "already exists" solve --image fashion-mnist:test:1 --sigma 0.1 -o inpaint.h5
expect_failure "unknown method 'nope'" solve --image fashion-mnist:test:1 --sigma 0.1 --method nope -o x.h5
expect_failure "foo not in" solve --image fashion-mnist:test:1 --sigma 0.1 --operator foo -o x.h5
expect_failure "exceeds the number of pixels" solve --image fashion-mnist:test:1 --sigma 0.1 --operator inpaint \
  --data-size 785 -o x.h5
expect_failure "acceleration 0.5 must be a real number >= 1" solve --image fashion-mnist:test:1 --sigma 0.1 \
  --operator fourier --acceleration 0.5 -o x.h5
expect_failure "not both" solve --image fashion-mnist:test:1 --sigma 0.1 --operator fourier --acceleration 4 \
  --data-size 200 -o x.h5
expect_failure "applies only to operator fourier" solve --image fashion-mnist:test:1 --sigma 0.1 --operator inpaint \
  --acceleration 4 -o x.h5
expect_failure "sigma must be positive" solve --image fashion-mnist:test:1 --sigma 0 -o x.h5
expect_failure "sigma must be positive" solve --image fashion-mnist:test:1 --sigma -0.5 -o x.h5
expect_failure "index out of range" solve --image fashion-mnist:test:10000 --sigma 0.1 -o x.h5
expect_failure "does not exist" solve --data missing.h5 -o x.h5
expect_failure "does not exist" solve --image fashion-mnist:test:1 --sigma 0.1 -o no/such/dir/x.h5
echo "not hdf5" >bad.h5
expect_failure "not an HDF5 file" solve --data bad.h5 -o x.h5
[ "$(sha256sum inpaint.h5)" = "$before" ] || { echo "FAIL: inpaint.h5 was modified" >&2; exit 1; }
[ ! -e x.h5 ] || { echo "FAIL: a failed run left x.h5" >&2; exit 1; }
# --force replaces only a file this command wrote (issue 16).
echo "notes" >notes.txt
expect_failure "-o notes.txt exists and is not an HDF5 file; --force replaces only files priorbench wrote" \
  solve --image fashion-mnist:test:1 --sigma 0.1 --method white --training-limit 500 -o notes.txt --force
[ "$(cat notes.txt)" = "notes" ] || { echo "FAIL: notes.txt was replaced" >&2; exit 1; }
ls -A | grep -q "\.tmp" && { echo "FAIL: temporary files left behind" >&2; exit 1; }
echo "cli solve: all checks passed"
