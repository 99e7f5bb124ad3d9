#!/usr/bin/env python3
"""The ratio table of docs/performance.md from one run of bench/compare_with_pytorch.sh:
priorbench's per-replicate times (bench_methods, bench_generator; Google Benchmark JSON)
beside the idiomatic PyTorch/NumPy implementation's (pytorch_reference.py JSON).

    ratio_table.py METHODS.json GENERATOR.json PYTORCH.json
"""
import json
import sys


def benchmark_times(path):
    """Real time per iteration in milliseconds, by case name."""
    with open(path) as f:
        data = json.load(f)
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
    times = {}
    for case in data["benchmarks"]:
        if case.get("run_type") == "aggregate":
            continue
        name = case["name"].split("/manual_time")[0].split("/iterations:")[0].split("/min_time:")[0]
        times[name] = case["real_time"] * scale[case["time_unit"]]
    return times


def main():
    methods, generator = benchmark_times(sys.argv[1]), benchmark_times(sys.argv[2])
    with open(sys.argv[3]) as f:
        reference = json.load(f)
    print("| per replicate | PyTorch/NumPy ms | priorbench native ms | ratio | priorbench torchscript ms | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, python_ms in sorted(reference.items()):
        if key.startswith("method/"):
            _, name, sigma = key.split("/")
            native = methods.get(f"method/{name}/route:native/{sigma}", methods.get(f"method/{name}/{sigma}"))
            torch = methods.get(f"method/{name}/route:torchscript/{sigma}")
        else:
            native = generator.get(f"mlp/native/{key}")
            torch = generator.get(f"mlp/torchscript/{key}")
        cells = [f"{python_ms:.3f}"]
        for value in (native, torch):
            cells += [f"{value:.3f}", f"{python_ms / value:.1f}×"] if value else ["–", "–"]
        print(f"| {key} | " + " | ".join(cells) + " |")
    if "roofline/dgemm:512" in generator:
        flops = 2 * 512**3 / (generator["roofline/dgemm:512"] * 1e-3)
        print(f"\nDGEMM (512³) in the same run: {flops / 1e9:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
