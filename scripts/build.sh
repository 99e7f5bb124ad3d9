#!/usr/bin/env bash
# Installs the Debian dependencies if any are missing, then configures and builds the
# release preset (build/release). Re-running only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -f build/release/build.ninja ] || cmake --preset release
cmake --build --preset release -j "$(nproc)"
