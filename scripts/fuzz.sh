#!/usr/bin/env bash
# Builds the libFuzzer harnesses of the readers (preset fuzz; docs/fuzzing.md) and runs
# each for SECONDS (default 60), one after the other, starting from its seed corpus
# fuzz/corpus/NAME plus what earlier runs found (build/fuzz/corpus/NAME). A crash, leak,
# timeout, out-of-memory or sanitizer report makes the script fail; its input is kept in
# build/fuzz/findings/NAME/ (replay: build/fuzz/fuzz/fuzz_NAME FILE) and the log in
# build/fuzz/logs/NAME.log.
#
# --smoke (CI): each harness runs its seed corpus and then 1000 mutations of it with a
# fixed seed (-seed=1 -runs=1000, at most 60 s), keeping nothing it finds as corpus; about
# a minute for all of them after the build.
#
#   scripts/fuzz.sh                 # every harness, 60 s each
#   scripts/fuzz.sh 600             # 10 minutes each
#   scripts/fuzz.sh --smoke         # what CI runs
#   FUZZERS="idx nifti" scripts/fuzz.sh 30
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)  # absolute paths: a harness may change its working directory
smoke=0
if [ "${1:-}" = --smoke ]; then
  smoke=1
  seconds=60
else
  seconds=${1:-60}
fi

bash scripts/install-deps.sh
# One build at a time: two fuzz.sh started side by side (one harness each) would otherwise
# rebuild the same tree at once and fail to link.
mkdir -p build
exec 9>build/.fuzz-build.lock
flock 9
[ -f build/fuzz/build.ninja ] || cmake --preset fuzz
cmake --build --preset fuzz -j "$(nproc)"
flock -u 9

fuzzers=${FUZZERS:-$(sed -n '/^set(PRIORBENCH_FUZZERS/,/)/p' fuzz/CMakeLists.txt | tr -d '()' | tail -n +2)}
# Fatal on every report; leaks are checked after each input that allocated more than it
# freed. The symbolizer of LLVM 14 names the lines of a report.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:symbolize=1:external_symbolizer_path=/usr/bin/llvm-symbolizer-14"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

failed=()
for name in $fuzzers; do
  corpus=$root/build/fuzz/corpus/$name
  findings=$root/build/fuzz/findings/$name
  log=$root/build/fuzz/logs/$name.log
  options=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1)
  if [ "$smoke" -eq 1 ]; then
    # New inputs go to the first directory: a scratch one, emptied every time.
    corpus=$root/build/fuzz/smoke/$name
    findings=$root/build/fuzz/smoke-findings/$name
    log=$root/build/fuzz/logs/$name.smoke.log
    rm -rf "$corpus"
    options+=(-seed=1 -runs=1000)
  fi
  mkdir -p "$corpus" "$findings" "$(dirname "$log")"
  options+=(-artifact_prefix="$findings/")
  [ -f "fuzz/$name.dict" ] && options+=(-dict="$root/fuzz/$name.dict")
  status=0
  "build/fuzz/fuzz/fuzz_$name" "${options[@]}" "$corpus" "$root/fuzz/corpus/$name" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  if [ "$status" -ne 0 ]; then
    failed+=("$name")
    echo "fuzz_$name: FAILED after ${runs:-?} runs; see $log and $findings/"
    grep -m 3 -E "ERROR:|runtime error:|FUZZ FINDING|SUMMARY:" "$log" || true
  else
    echo "fuzz_$name: ${runs:-?} runs (${rate:-?}/s), no finding"
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: findings in ${failed[*]}"
  exit 1
fi
