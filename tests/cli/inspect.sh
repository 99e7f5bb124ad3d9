#!/usr/bin/env bash
# End-to-end test of `priorbench inspect` and of the generator methods in `solve`, on a
# tiny VAE trained here in seconds: the inspect file's numbers are checked for internal
# consistency (descending singular values, identifiable count, Fisher = V S² Vᵀ / σ²), the
# PNG is valid, and the laplace posterior of `solve` is recomputed independently from the
# saved prior (tests/cli/check_solve.py).
set -euo pipefail
priorbench=$1
mpiexec=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

"$priorbench" train --training-limit 1000 --test-limit 200 --diagnostic-images 100 --jacobian-images 10 \
  --epochs 1 -o tiny.pt >train.log
"$priorbench" inspect --model tiny.pt --image fashion-mnist:test:0 --operator inpaint --data-size 196 \
  --sigma 0.05 --collapse-images 300 -o inspect.h5 >inspect.log
grep -q "identifiable directions" inspect.log
"$mpiexec" -n 2 "$priorbench" solve --model tiny.pt --image fashion-mnist:test:4 --operator inpaint --data-size 392 \
  --sigma 0.02 --method laplace,latent_map,latent_laplace --training-limit 2000 -o generator.h5 >solve.log
if "$priorbench" solve --image fashion-mnist:test:4 --sigma 0.02 --method latent_map -o x.h5 >err.log 2>&1; then
  echo "FAIL: latent_map without --model was accepted" >&2
  exit 1
fi
grep -q "needs a generator: pass --model" err.log || { cat err.log >&2; exit 1; }

# A study with both samplers: their R̂ and ESS are recorded per run (NaN for the other
# methods). NUTS (the default) is converged exactly when the contract holds (R̂ ≤ 1.01, bulk
# and tail ESS ≥ 400, no divergence) and meets it at both noise levels with its defaults;
# pCN is converged exactly when its largest R̂ is at most 1.01: at σ = 5 the posterior is
# nearly the prior and pCN mixes with margin (R̂ ≈ 1.001), at σ = 0.005 it does not
# (R̂ ≈ 1.4–1.5). Per-task warnings go to mcmc.warnings.log, the terminal gets one mixing
# line per sampler.
cat >mcmc.toml <<'TOML'
[study]
name = "mcmc-test"
seed = 3
replicates = 1
[model]
file = "tiny.pt"
[data]
training_limit = 500
[truth]
kinds = ["generated"]
generated_count = 2
[operator]
name = "inpaint"
data_sizes = [392]
[noise]
sigmas = [5.0, 0.005]
[[method]]
name = "white"
[[method]]
name = "latent_mcmc"
label = "pcn"
sampler = "pcn"
burn_in = 100
samples = 1000
[[method]]
name = "latent_mcmc"
label = "nuts"
TOML
"$priorbench" run mcmc.toml -o mcmc.h5 >mcmc.out 2>mcmc.err || { cat mcmc.out mcmc.err >&2; exit 1; }

/usr/bin/python3 - <<'PY'
import h5py
import numpy as np

with h5py.File("inspect.h5", "r") as f:
    s = f["sensitivity/singular_values"][()]
    sigma = f.attrs["sigma"]
    assert np.all(np.diff(s) <= 1e-12 * s[0]), "singular values not descending"
    assert int(f["sensitivity"].attrs["identifiable_directions"]) == int(np.sum(s > sigma))
    v = f["sensitivity/right_vectors"][()]
    fisher = f["sensitivity/fisher"][()]
    m = len(s)
    v = v.reshape(m, m)
    reference = v @ np.diag(s**2 / sigma**2) @ v.T
    if v.shape[0] != m or not np.allclose(fisher, reference, rtol=1e-8, atol=1e-10 * np.max(np.abs(reference))):
        reference = v.T @ np.diag(s**2 / sigma**2) @ v  # vectors stored as rows
        assert np.allclose(fisher, reference, rtol=1e-8, atol=1e-10 * np.max(np.abs(reference))), "Fisher"
    assert f["range_distance"].attrs["distance"] > 0
with open("inspect-directions.png", "rb") as png:
    assert png.read(8) == b"\x89PNG\r\n\x1a\n", "not a PNG"
with h5py.File("generator.h5", "r") as f:
    for method in ("laplace", "latent_map", "latent_laplace"):
        group = f["methods"][method]
        assert np.isfinite(group.attrs["relative_error"]), method
        assert len(group["latent"][()]) == 16, method
with h5py.File("mcmc.h5", "r") as f:
    rhat, ess = f["metrics/max_rhat"][()], f["metrics/min_ess_bulk"][()]
    converged, sigma = f["metrics/converged"][()], f["tasks/sigma"][()]
    tail, divergences = f["metrics/min_ess_tail"][()], f["metrics/divergences"][()]
    ess_rate = f["metrics/ess_per_second"][()]
    assert np.all(np.isnan(rhat[:, 0])) and np.all(np.isnan(ess[:, 0])), "white has an R-hat"
    assert np.all(np.isnan(tail[:, 0])) and np.all(np.isnan(divergences[:, 0])) and np.all(np.isnan(ess_rate[:, 0]))
    assert np.all(converged[:, 0] == 1)
    for s in (1, 2):
        assert np.all(np.isfinite(rhat[:, s])) and np.all(ess[:, s] > 0), f"sampler R-hat/ESS missing: {rhat} {ess}"
        assert np.all(ess_rate[:, s] > 0), ess_rate
    pcn, nuts = 1, 2
    assert np.array_equal(converged[:, pcn] == 1, rhat[:, pcn] <= 1.01), f"pCN {converged[:, pcn]} vs {rhat[:, pcn]}"
    assert np.array_equal(converged[:, pcn] == 1, sigma == 5.0), f"pCN R-hat {rhat[:, pcn]} at sigma {sigma}"
    assert np.all(np.isnan(divergences[:, pcn])), "pCN has no divergences to count"
    contract = (rhat[:, nuts] <= 1.01) & (ess[:, nuts] >= 400) & (tail[:, nuts] >= 400) & (divergences[:, nuts] == 0)
    assert np.array_equal(converged[:, nuts] == 1, contract), f"NUTS converged {converged[:, nuts]} vs the contract"
    assert np.all(converged[:, nuts] == 1), f"NUTS R-hat {rhat[:, nuts]}, ESS {ess[:, nuts]}, {tail[:, nuts]}"
print("check_inspect: ok; pCN R-hat", np.round(rhat[:, 1], 3), "NUTS R-hat", np.round(rhat[:, 2], 4), "at sigma", sigma)
PY
# Warnings in the log, not on the terminal; one mixing line per sampler at the end.
grep -q "method pcn: split-R-hat.*recorded as not converged" mcmc.warnings.log ||
  { echo "FAIL: the pCN R-hat warning is not in the log as not converged" >&2; cat mcmc.warnings.log >&2; exit 1; }
if grep -q "split-R-hat" mcmc.out mcmc.err; then echo "FAIL: per-task warnings on the terminal" >&2; exit 1; fi
grep -q "priorbench run: pcn mixing: 2 of 4 runs converged; worst R-hat" mcmc.out ||
  { echo "FAIL: no pCN mixing line" >&2; cat mcmc.out >&2; exit 1; }
grep -q "priorbench run: nuts mixing: 4 of 4 runs converged; worst R-hat 1.0[01].*smallest tail ESS" mcmc.out ||
  { echo "FAIL: no NUTS mixing line" >&2; cat mcmc.out >&2; exit 1; }
grep -q "warnings in mcmc.warnings.log" mcmc.out || { echo "FAIL: the summary does not name the log" >&2; exit 1; }
/usr/bin/python3 "$here/check_solve.py" --no-rank-comparison generator.h5
echo "cli inspect: all checks passed"
