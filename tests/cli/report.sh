#!/usr/bin/env bash
# End-to-end test of `priorbench report`: a synthetic results file in the documented
# layout (tests/cli/make_report_results.py: errors c·σ^r·d^(−s) for one method, floor + c·σ
# for the other, small noise) is reported; tests/cli/check_report.py compares the printed
# rates and floors with the generating laws, every median and quartile with NumPy, the
# counts, and the PNGs. A second synthetic file in the current layout has known verdicts on
# the seed claims (make_report_results.py --claims); tests/cli/check_claims.py compares
# claims.csv and claims.md with them and with NumPy/SciPy, with and without the range/null
# split. Then: determinism, 2 ranks, and the error paths (one-line message, non-zero exit,
# nothing overwritten or left behind).
set -euo pipefail
priorbench=$1
mpiexec=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.bash
source "$here/common.bash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

/usr/bin/python3 "$here/make_report_results.py" synthetic.h5 params.json
"$priorbench" report synthetic.h5 >stdout.txt
cat stdout.txt
[ -d synthetic-report ] || { echo "FAIL: default report directory synthetic-report/ missing" >&2; exit 1; }
/usr/bin/python3 "$here/check_report.py" synthetic.h5 params.json synthetic-report stdout.txt

# The seed claims, on a file built to have known verdicts; then without its range/null split.
/usr/bin/python3 "$here/make_report_results.py" --claims claims.h5 expected.json
"$priorbench" report claims.h5 >claims-stdout.txt
/usr/bin/python3 "$here/check_claims.py" claims.h5 expected.json claims-report
# Its coverage figures: coverage with a width panel, and the calibration at three levels.
/usr/bin/python3 - <<'EOF'
import matplotlib.image
for name in ("coverage_vs_sigma", "coverage_levels"):
    image = matplotlib.image.imread(f"claims-report/figures/{name}.png")
    assert image.shape[1] > 1000 if name == "coverage_vs_sigma" else image.shape[0] > 300, (name, image.shape)
    assert image.std() > 0.01, name
EOF
grep -q "Claim 2\*\* (The linearized (laplace) prior stays consistent where latent inference stalls): supported in 1" \
  claims-stdout.txt || { echo "FAIL: stdout lacks the claims summary" >&2; cat claims-stdout.txt >&2; exit 1; }
grep -q "built from a clean source tree" claims-stdout.txt || { echo "FAIL: stdout lacks the tree state" >&2; exit 1; }
cp claims.h5 no-split.h5
/usr/bin/python3 -c "
import h5py
with h5py.File('no-split.h5', 'r+') as f:
    del f['metrics/range_error'], f['metrics/null_error']
"
"$priorbench" report no-split.h5 --no-figures >/dev/null
/usr/bin/python3 "$here/check_claims.py" no-split.h5 expected.json no-split-report --no-split
# laplace of another generator than every latent method: claims 2 and 3 pair none, and say so.
cp claims.h5 other-generator.h5
/usr/bin/python3 -c "
import h5py
with h5py.File('other-generator.h5', 'r+') as f:
    f['methods/laplace'].attrs['model'] = 'models.other'
"
"$priorbench" report other-generator.h5 --no-figures >/dev/null
for reason in "Claim 2 (.*), test, –: \*\*not testable here\*\* — needs a laplace and a latent_map method of the same generator" \
  "Claim 3 (.*), –, –: \*\*not testable here\*\* — needs a laplace method and a latent method with pixel std of the same generator"; do
  grep -q -- "$reason" other-generator-report/claims.md ||
    { echo "FAIL: claims.md does not say that no pair of one generator exists: $reason" >&2; exit 1; }
done

# The same file and seed give the same report, at 1 and at 2 ranks (rank 0 works alone).
"$priorbench" report synthetic.h5 -o again --no-figures >/dev/null
"$mpiexec" -n 2 "$priorbench" report synthetic.h5 -o two-ranks --no-figures >two-ranks.txt
for table in summary.csv compact.csv contraction.csv rates_d.csv nonconverged.csv compact.md contraction.tex \
  coverage.csv paired.csv claims.md claims.csv; do
  cmp synthetic-report/$table again/$table
  cmp synthetic-report/$table two-ranks/$table
done
[ "$(grep -c "^priorbench report:" two-ranks.txt)" -eq 1 ] || { echo "FAIL: 2 ranks printed twice" >&2; exit 1; }
[ ! -e again/figures ] || { echo "FAIL: --no-figures left a figures directory" >&2; exit 1; }
# Another seed moves the bootstrap intervals of the slopes, not the estimates; the
# order-statistic intervals of the medians do not depend on it at all.
"$priorbench" report synthetic.h5 -o seed2 --no-figures --seed 2 --bootstrap 500 >/dev/null
cmp synthetic-report/summary.csv seed2/summary.csv
cut -d, -f1-5 synthetic-report/contraction.csv >a.txt
cut -d, -f1-5 seed2/contraction.csv >b.txt
cmp a.txt b.txt
cmp -s synthetic-report/contraction.csv seed2/contraction.csv && { echo "FAIL: --seed changed nothing" >&2; exit 1; }

# Error paths: exit status 1, a one-line message.
before=$(find synthetic-report -type f -exec sha256sum {} + | sort)
expect_failure "already exists; pass --force" report synthetic.h5
[ "$(find synthetic-report -type f -exec sha256sum {} + | sort)" = "$before" ] ||
  { echo "FAIL: synthetic-report/ was modified" >&2; exit 1; }
expect_failure "does not exist" report missing.h5
echo "not hdf5" >bad.h5
expect_failure "not an HDF5 file" report bad.h5
/usr/bin/python3 - <<'EOF'
import shutil
import h5py
import numpy as np
for name, edit in [("other_format.h5", lambda f: f.attrs.__setitem__("format", np.bytes_(b"priorbench-solve-1"))),
                   ("no_sigma.h5", lambda f: f.__delitem__("tasks/sigma")),
                   ("bad_metric.h5", lambda f: (f.__delitem__("metrics/psnr"),
                                                f.create_dataset("metrics/psnr", data=np.zeros((3, 2)))))]:
    shutil.copy("synthetic.h5", name)
    with h5py.File(name, "r+") as f:
        edit(f)
EOF
expect_failure "format 'priorbench-solve-1' is not 'priorbench-study-2' (or the older 'priorbench-study-1')" report other_format.h5
expect_failure "no_sigma.h5:/tasks/sigma does not exist" report no_sigma.h5
expect_failure "bad_metric.h5:/metrics/psnr has shape \[3, 2\]; expected \[240, 2\]" report bad_metric.h5
expect_failure "cannot import them" report synthetic.h5 -o no-python --python /bin/false
expect_failure "plotting script nowhere.py does not exist" report synthetic.h5 -o no-script --plot-script nowhere.py
mkdir inside && cp synthetic.h5 inside/
expect_failure "holds files that priorbench report did not write" report inside/synthetic.h5 -o inside --force
[ "$(ls -A inside)" = "synthetic.h5" ] || { echo "FAIL: inside/ was changed" >&2; exit 1; }
expect_failure "is not a directory" report synthetic.h5 -o bad.h5 --force
expect_failure "bootstrap" report synthetic.h5 -o x --bootstrap 0
for leftover in no-python no-script x other_format-report no_sigma-report bad_metric-report; do
  [ ! -e "$leftover" ] || { echo "FAIL: a failed report left $leftover" >&2; exit 1; }
done
ls -a | grep -q "staging" && { echo "FAIL: staging directories left behind" >&2; exit 1; }

# --force replaces a report, and only once the new one is complete.
"$priorbench" report synthetic.h5 --force --no-figures >/dev/null
[ ! -e synthetic-report/figures ] || { echo "FAIL: --force kept the old figures" >&2; exit 1; }
cmp synthetic-report/contraction.csv again/contraction.csv

# Data loss (issue 16): --force replaces the files of the previous report (its manifest)
# and nothing else — not a user's file beside them, not a subfolder, not the working directory.
mkdir paper && echo "my thesis" >paper/thesis.tex && mkdir paper/data && echo "1,2" >paper/data/mine.csv
users=$(cd paper && find . -type f -exec sha256sum {} + | sort)
expect_failure "holds files that priorbench report did not write" report synthetic.h5 -o paper --force
[ "$(cd paper && find . -type f -exec sha256sum {} + | sort)" = "$users" ] || { echo "FAIL: paper/ was changed" >&2; exit 1; }
mkdir cwd && cp synthetic.h5 cwd/ && echo "keep" >cwd/notes.txt
(cd cwd && expect_failure "holds files that priorbench report did not write" report synthetic.h5 -o . --force)
[ "$(ls -A cwd | tr '\n' ' ')" = "notes.txt synthetic.h5 " ] || { echo "FAIL: -o . changed the directory" >&2; exit 1; }
# A report written into an empty directory, then a user's files added beside it:
mkdir shared
"$priorbench" report synthetic.h5 -o shared >/dev/null
[ -f shared/.priorbench-manifest ] && [ -f shared/figures/error_vs_sigma.png ] || { echo "FAIL: no manifest/figures" >&2; exit 1; }
echo "my thesis" >shared/thesis.tex && mkdir -p shared/figures/mine && echo "x" >shared/figures/mine/plot.csv
echo "mine" >shared/figures/my_figure.png
expect_failure "output directory shared already exists; pass --force" report synthetic.h5 -o shared
"$priorbench" report synthetic.h5 -o shared --force --no-figures >/dev/null
[ -f shared/thesis.tex ] && [ -f shared/figures/mine/plot.csv ] && [ -f shared/figures/my_figure.png ] ||
  { echo "FAIL: --force removed a user's file" >&2; exit 1; }
[ ! -e shared/figures/error_vs_sigma.png ] || { echo "FAIL: --force kept a figure of the old report" >&2; exit 1; }
cmp shared/contraction.csv again/contraction.csv
grep -qx "summary.md" shared/.priorbench-manifest && ! grep -q "thesis" shared/.priorbench-manifest ||
  { echo "FAIL: the manifest does not list exactly the report's files" >&2; exit 1; }
# A manifest that names a file outside the directory is refused, and nothing is deleted.
printf '%s\n' "# priorbench report: the files it wrote here; --force replaces these and nothing else" "../synthetic.h5" \
  >shared/.priorbench-manifest
expect_failure "which is not a file inside shared" report synthetic.h5 -o shared --force
[ -f synthetic.h5 ] || { echo "FAIL: a hostile manifest deleted a file" >&2; exit 1; }
# A user's file with the name of a report file, in a directory whose manifest does not list it.
printf '%s\n' "# priorbench report: the files it wrote here; --force replaces these and nothing else" >shared/.priorbench-manifest
expect_failure "already has claims.csv, which priorbench report did not write" report synthetic.h5 -o shared --force
echo "cli report: all checks passed"
