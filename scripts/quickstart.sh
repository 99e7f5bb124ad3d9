#!/usr/bin/env bash
# The main job: installs and builds as needed, runs the quickstart study (all six
# methods, Fashion-MNIST inpainting, test and generated truths) on all local cores, then
# writes the report (tables and figures) and prints the comparison table.
# Rerunning resumes the study (finished tasks are kept) and rewrites the report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh priorbench  # the command only: the tests and benchmarks are not needed here
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p results
mpiexec -n "$(nproc)" build/release/priorbench run studies/quickstart.toml -o results/quickstart.h5
build/release/priorbench report results/quickstart.h5 -o results/quickstart-report --force
