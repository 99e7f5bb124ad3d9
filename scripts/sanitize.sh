#!/usr/bin/env bash
# Builds the sanitizer tree (preset asan: GCC, AddressSanitizer + UndefinedBehaviorSanitizer,
# -O1 with line tables, no benchmarks) and runs the unit and MPI tests in it, once
# (test preset asan). Every report is fatal and fails the test that triggered it. Leak
# checking is off here: Open MPI and PETSc keep allocations until exit that LeakSanitizer
# would report; the fuzzers check the readers for leaks (docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -f build/asan/build.ninja ] || cmake --preset asan
cmake --build --preset asan -j "$(nproc)"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --preset asan -j "$(nproc)" "$@"
