#!/usr/bin/env bash
# The test command of the README and of CI: builds as needed, then runs every test
# (serial, 2-rank MPI and command-line tests) with CTest on all cores, printing the output
# of any test that fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --preset release -j "$(nproc)" --output-on-failure "$@"
