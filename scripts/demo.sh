#!/usr/bin/env bash
# The main job for now: installs and builds as needed, then reconstructs Fashion-MNIST
# test image 17 from half of its pixels (inpainting, sigma = 0.01) with the white and
# empirical Gaussian priors on all local cores, and prints the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p results/demo
mpiexec -n "$(nproc)" build/release/priorbench solve --image fashion-mnist:test:17 --operator inpaint \
  --data-size 392 --sigma 0.01 --method white,empirical --seed 1 -o results/demo/inpaint.h5 --force
echo "Result file: results/demo/inpaint.h5 (layout: docs/solve-output.md)"
