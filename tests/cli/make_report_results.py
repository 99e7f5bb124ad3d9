#!/usr/bin/python3
"""Writes a synthetic results file in the layout of docs/results-format.md, with errors
following known laws, for tests/cli/report.sh:

  method `power`:   relative error = C_truth * sigma^R * (d / 100)^(-S) * exp(0.02 eps)
  method `floored`: relative error = F_truth + 0.5 sigma + 0.002 eps          (no d effect)

with C_truth = 0.8 exp(0.1 eta), F_truth = F_kind exp(0.05 eta') per truth, eps ~ N(0, 1)
per task. The exact constants go to a JSON file next to the results so the checker
compares the report's rates and floors against them.

Usage: make_report_results.py OUT.h5 PARAMS.json
"""

import json
import sys

import h5py
import numpy as np

R, S = 1.0, 0.5
FLOOR = {0: 0.2, 1: 0.02}  # test truths sit off the range, generated ones near it
SIGMAS = [0.1, 0.03, 0.01, 0.003, 0.001]
SIZES = [100, 400]
TRUTHS = 6
REPLICATES = 2
PENDING = 5  # the last tasks are left undone
NONCONVERGED = [(3, 1), (17, 1), (40, 0)]  # (task, method) runs with converged = 0
SAVED = 2
H = W = 8


def fixed(text):
    return np.bytes_(text.encode())  # fixed-length strings, as the parallel writer stores them


def main(out, params_path):
    rng = np.random.default_rng(20240611)
    tasks = []
    for kind in (0, 1):
        for truth in range(TRUTHS):
            for d in SIZES:
                for sigma in SIGMAS:
                    for rep in range(REPLICATES):
                        tasks.append((kind, truth, d, sigma, rep))
    t, m = len(tasks), 2
    c_truth = 0.8 * np.exp(0.1 * rng.standard_normal((2, TRUTHS)))
    f_truth = np.array([[FLOOR[k] * np.exp(0.05 * e) for e in rng.standard_normal(TRUTHS)] for k in (0, 1)])
    metrics = {name: np.full((t, m), np.nan) for name in
               ["relative_error", "psnr", "expected_squared_error", "coverage_95", "mean_interval_width", "seconds",
                "iterations", "forward_applications", "adjoint_applications", "decoder_passes", "converged",
                "std_exact"]}
    done = np.ones(t, dtype=np.int8)
    done[t - PENDING:] = 0
    for i, (kind, truth, d, sigma, rep) in enumerate(tasks):
        if not done[i]:
            continue
        power = c_truth[kind, truth] * sigma ** R * (d / 100.0) ** (-S) * np.exp(0.02 * rng.standard_normal())
        floored = f_truth[kind, truth] + 0.5 * sigma + 0.002 * rng.standard_normal()
        metrics["relative_error"][i] = [power, floored]
        metrics["psnr"][i] = -20 * np.log10(np.array([power, floored]) * 0.3)
        metrics["expected_squared_error"][i] = [power ** 2 * 0.09 + sigma ** 2, np.nan]  # floored: no std
        metrics["coverage_95"][i] = [min(1.0, 0.93 + 0.01 * rng.standard_normal()), np.nan]
        metrics["mean_interval_width"][i] = [4 * sigma, np.nan]
        metrics["seconds"][i] = [0.01 * (1 + rng.random()), 0.5 * (1 + rng.random())]
        metrics["iterations"][i] = [2, 40]
        metrics["converged"][i] = [1, 1]
        metrics["std_exact"][i] = [0 if i % 10 == 0 else 1, np.nan]
    for task, method in NONCONVERGED:
        metrics["converged"][task, method] = 0

    with h5py.File(out, "w") as f:
        f.attrs["format"] = fixed("priorbench-study-1")
        f.attrs["study_name"] = fixed("synthetic-report-test")
        f.attrs["study_hash"] = fixed("0123456789abcdef")
        f.attrs["priorbench_version"] = fixed("0.1.0")
        f.attrs["git_version"] = fixed("synthetic")
        f.attrs["libraries"] = fixed("none")
        f.attrs["height"] = np.int64(H)
        f.attrs["width"] = np.int64(W)
        f["study_text"] = fixed("[study]\nname = \"synthetic-report-test\"\n")
        methods = f.create_group("methods")
        methods.attrs["labels"] = fixed("power,floored")
        for label, kind in (("power", "laplace"), ("floored", "latent_map")):
            g = methods.create_group(label)
            g.attrs["name"] = fixed(kind)
            g.attrs["options"] = fixed("")
        g = f.create_group("tasks")
        g.attrs["truth_kind_names"] = fixed("test,generated,generated_noisy")
        g["truth_kind"] = np.array([x[0] for x in tasks], dtype=np.int64)
        g["truth_number"] = np.array([x[1] for x in tasks], dtype=np.int64)
        g["test_index"] = np.array([x[1] if x[0] == 0 else -1 for x in tasks], dtype=np.int64)
        g["data_size"] = np.array([x[2] for x in tasks], dtype=np.int64)
        g["sigma"] = np.array([x[3] for x in tasks], dtype=np.float64)
        g["replicate"] = np.array([x[4] for x in tasks], dtype=np.int64)
        g["done"] = done
        g["rank"] = np.where(done == 1, 0, -1).astype(np.int64)
        g["seconds"] = np.where(done == 1, 1.0, np.nan)
        g["truth_norm"] = np.full(t, 10.0)
        kinds = np.array([x[0] for x in tasks])
        truths = np.array([x[1] for x in tasks])
        g["range_distance"] = 10.0 * f_truth[kinds, truths]
        mg = f.create_group("metrics")
        for name, values in metrics.items():
            mg[name] = values
        rg = f.create_group("reconstructions")
        rg["task"] = np.arange(SAVED, dtype=np.int64)
        yy, xx = np.mgrid[0:H, 0:W] / (H - 1)
        truth = np.stack([np.clip(np.sin(3 * xx + s) * yy, 0, 1) for s in range(SAVED)])
        rg["truth"] = truth
        rg["backprojection"] = truth * (rng.random(truth.shape) < 0.5)
        rg["mean"] = np.stack([truth, truth], axis=1) + 0.05 * rng.standard_normal((SAVED, m, H, W))
        std = np.abs(0.05 + 0.01 * rng.standard_normal((SAVED, m, H, W)))
        std[:, 1] = np.nan
        rg["std"] = std

    with open(params_path, "w") as handle:
        json.dump({"rate_sigma": R, "rate_d": -S, "floor": FLOOR, "floor_slope": 0.5, "sigmas": SIGMAS,
                   "sizes": SIZES, "pending": PENDING, "tasks": t, "nonconverged": len(NONCONVERGED),
                   "sampled_std": int(sum(1 for i in range(t) if done[i] and i % 10 == 0))}, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
