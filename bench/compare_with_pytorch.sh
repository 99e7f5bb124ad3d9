#!/usr/bin/env bash
# priorbench's per-replicate cost against the idiomatic PyTorch/NumPy implementation
# (bench/pytorch_reference.py) on the same problem, measured side by side in one run, one
# thread each (docs/performance.md §8 records a run). Builds nothing: run
# scripts/build.sh first.
#
#   bench/compare_with_pytorch.sh [OUTPUT_DIRECTORY]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/release
out=${1:-$(mktemp -d)}
mkdir -p "$out"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 PRIORBENCH_TORCH_THREADS=1
PRIORBENCH_BENCH_PROBLEM="$out/problem.h5" "$build/bench/bench_methods" --benchmark_filter='^method/' \
  --benchmark_out="$out/methods.json" --benchmark_out_format=json
"$build/bench/bench_generator" --benchmark_filter='^(roofline|mlp/)' --benchmark_out="$out/generator.json" \
  --benchmark_out_format=json
/usr/bin/python3 bench/pytorch_reference.py "$out/problem.h5" --json "$out/pytorch.json"
/usr/bin/python3 bench/ratio_table.py "$out/methods.json" "$out/generator.json" "$out/pytorch.json" | tee "$out/ratios.md"
echo "compare_with_pytorch: results in $out"
