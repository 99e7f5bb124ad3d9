#!/usr/bin/env bash
# Installs the Debian dependencies if any are missing, then configures and builds the
# release preset (build/release). Re-running only rebuilds what changed.
#   scripts/build.sh              everything: the priorbench command, tests, benchmarks
#   scripts/build.sh priorbench   only the named targets (the quickstart builds just the command)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -f build/release/build.ninja ] || cmake --preset release
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build --preset release -j "$(nproc)" "${targets[@]}"
