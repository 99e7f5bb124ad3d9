#!/usr/bin/python3
"""Writes a synthetic results file in the layout of docs/results-format.md, with errors
following known laws, for tests/cli/report.sh:

  method `power`:   relative error = C_truth * sigma^R * (d / 100)^(-S) * exp(0.02 eps)
  method `floored`: relative error = F_truth + 0.5 sigma + 0.002 eps          (no d effect)

with C_truth = 0.8 exp(0.1 eta), F_truth = F_kind exp(0.05 eta') per truth, eps ~ N(0, 1)
per task. The exact constants go to a JSON file next to the results so the checker
compares the report's rates and floors against them. This file has the layout of the
first results files: no uncertainty metrics beyond coverage_95 and the width, no
range/null split, no operator name, no git_dirty.

With --claims it writes instead a file in the current layout whose seed claims have known
verdicts per design cell (operator gaussian, n = 64, d = 16 < n and d = 64 = n), listed
in the JSON file; see claims_file below.

Usage: make_report_results.py OUT.h5 PARAMS.json
       make_report_results.py --claims OUT.h5 EXPECTED.json
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
            if label in CLAIM_MODELS:
                g.attrs["model"] = fixed(CLAIM_MODELS[label])
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


CLAIM_SIZES = [16, 64]  # n = 64: d < n (a null space) and d = n (gaussian: injective)
CLAIM_TRUTHS = 12
CLAIM_METHODS = [("laplace", "laplace"), ("latent_map", "latent_map"), ("latent_mcmc", "latent_mcmc"),
                 ("white", "white"), ("gan_map", "latent_map")]
CLAIM_MODELS = {"gan_map": "models.gan"}  # the `model` of a method of another generator (a study of several families)


def claims_file(out, expected_path):
    """Test and generated truths, d in {16, 64}, 5 noise levels, 2 replicates. By construction
    (F_t = the truth's relative distance to the range, e ~ N(0, 1) small noise per task):

      laplace      range part c_t σ (falls); null part 0.3 F_t at d = 16, 0 at d = 64;
                   95 % coverage ≈ 0.95 (0.70 at d = 16); interval score 4σ
      latent_map   d = 64: error F_t + 0.3σ, all in the range part (stalls at the range
                   distance); d = 16: range part 0.5 c_t σ (it fits the data: falls), null
                   part 3 F_t (floor at 3× the range distance); no std
      latent_mcmc  error 2.5 F_t + 0.3σ (a floor, 2.5× the range distance); 95 % coverage
                   0.2 on test truths, 0.9 on generated ones; interval score 40σ; at d = 16
                   4 of 10 runs per cell not converged; latent credible level ≈ 1
      white        error 0.5, coverage 1.0 (useless wide intervals)
      gan_map      a latent_map of another generator ([models.gan]), whose range lies 3× as
                   far from the truths (its per-method `range_distance`): error 3 F_t + 0.3σ

    so that, per design cell (expected verdicts in the JSON file):
      claim 1  test d=64: latent_map supported, latent_mcmc not supported (2.5×);
               test d=16: latent_map not supported (3×), latent_mcmc not testable (sampler)
      claim 1  gan_map supported at both d (its floor is at its own range distance, 3× the
               [model]'s in /tasks/range_distance)
      claim 2  test d=64: supported; test d=16: not supported (latent_map's range part falls);
               laplace is never paired with gan_map (another generator)
      claim 3  test d=64: supported; generated d=64: not supported (0.9 is not collapsed);
               d=16: not testable (sampler)
    """
    rng = np.random.default_rng(7)
    tasks = [(kind, truth, d, sigma, rep) for kind in (0, 1) for truth in range(CLAIM_TRUTHS) for d in CLAIM_SIZES
             for sigma in SIGMAS for rep in range(REPLICATES)]
    t, m = len(tasks), len(CLAIM_METHODS)
    c = 0.8 * np.exp(0.1 * rng.standard_normal((2, CLAIM_TRUTHS)))
    distance = np.array([0.2 * np.exp(0.1 * rng.standard_normal(CLAIM_TRUTHS)), np.full(CLAIM_TRUTHS, 1e-12)])
    names = ["relative_error", "range_error", "null_error", "coverage_50", "coverage_90", "coverage_95",
             "mean_interval_width_50", "mean_interval_width_90", "mean_interval_width", "interval_score_50",
             "interval_score_90", "interval_score_95", "crps", "converged", "std_exact", "split_iterations",
             "split_ksp_reason", "latent_credible_level", "seconds", "range_distance"]
    metrics = {name: np.full((t, m), np.nan) for name in names}
    for i, (kind, truth, d, sigma, rep) in enumerate(tasks):
        noise = lambda: np.exp(0.02 * rng.standard_normal())  # noqa: E731
        f = distance[kind, truth]
        wide = d == 64
        laplace = (c[kind, truth] * sigma * noise(), 0.0 if wide else 0.3 * f * noise())
        if wide:
            latent_map = ((f + 0.3 * sigma) * noise(), 0.0)
        else:
            latent_map = (0.5 * c[kind, truth] * sigma * noise(), 3 * f * noise())
        mcmc = ((2.5 * f + 0.3 * sigma) * noise(), 0.0) if wide else (2.5 * f * noise(), 0.3 * f * noise())
        white = (0.5 * noise(), 0.0 if wide else 0.1)
        gan = ((3 * f + 0.3 * sigma) * noise(), 0.0)
        parts = [laplace, latent_map, mcmc, white, gan]
        metrics["range_error"][i] = [p[0] for p in parts]
        metrics["null_error"][i] = [p[1] for p in parts]
        metrics["relative_error"][i] = [np.hypot(*p) for p in parts]
        cover_laplace = (0.95 if wide else 0.70) + 0.005 * rng.standard_normal()
        cover_mcmc = (0.2 if kind == 0 else 0.9) + 0.01 * rng.standard_normal()
        metrics["coverage_95"][i] = [cover_laplace, np.nan, cover_mcmc, 1.0, np.nan]
        metrics["coverage_90"][i] = [cover_laplace - 0.05, np.nan, cover_mcmc * 0.9, 1.0, np.nan]
        metrics["coverage_50"][i] = [cover_laplace - 0.45, np.nan, cover_mcmc * 0.5, 1.0, np.nan]
        for name, z in (("mean_interval_width_50", 0.674), ("mean_interval_width_90", 1.645),
                        ("mean_interval_width", 1.96)):
            metrics[name][i] = [2 * z * sigma, np.nan, 2 * z * 0.1 * sigma, 2 * z * 0.4, np.nan]
        for name, scale in (("interval_score_50", 2.0), ("interval_score_90", 3.0), ("interval_score_95", 4.0)):
            metrics[name][i] = [scale * sigma * noise(), np.nan, 10 * scale * sigma * noise(), 1.6, np.nan]
        metrics["crps"][i] = [0.5 * sigma * noise(), np.nan, 5 * sigma * noise(), 0.2, np.nan]
        metrics["std_exact"][i] = [1, np.nan, 0, 1, np.nan]
        mcmc_converged = 0 if (not wide and (truth + rep) % 5 < 2) else 1
        metrics["converged"][i] = [1, 1, mcmc_converged, 1, 1]
        metrics["split_iterations"][i] = [0 if wide else 12] * m
        metrics["split_ksp_reason"][i] = [0 if wide else 2] * m
        metrics["latent_credible_level"][i] = [np.nan, np.nan, 1 - 1e-4 * rng.random() if kind == 1 else np.nan,
                                               np.nan, np.nan]
        metrics["seconds"][i] = [0.01, 0.1, 1.0, 0.01, 0.1]
        metrics["range_distance"][i] = [10.0 * f] * 3 + [np.nan, 30.0 * f]  # ‖x†‖ = 10

    with h5py.File(out, "w") as f:
        f.attrs["format"] = fixed("priorbench-study-1")
        f.attrs["study_name"] = fixed("synthetic-claims")
        f.attrs["study_hash"] = fixed("fedcba9876543210")
        f.attrs["priorbench_version"] = fixed("0.1.0")
        f.attrs["git_version"] = fixed("synthetic")
        f.attrs["git_dirty"] = fixed("false")
        f.attrs["height"] = np.int64(H)
        f.attrs["width"] = np.int64(W)
        f["study_text"] = fixed("[study]\nname = \"synthetic-claims\"\n")
        methods = f.create_group("methods")
        methods.attrs["labels"] = fixed(",".join(label for label, _ in CLAIM_METHODS))
        for label, kind in CLAIM_METHODS:
            g = methods.create_group(label)
            g.attrs["name"] = fixed(kind)
            g.attrs["options"] = fixed("")
            if label in CLAIM_MODELS:
                g.attrs["model"] = fixed(CLAIM_MODELS[label])
        g = f.create_group("tasks")
        g.attrs["truth_kind_names"] = fixed("test,generated,generated_noisy")
        for column, name in enumerate(("truth_kind", "truth_number", "data_size")):
            g[name] = np.array([x[column if column < 2 else 2] for x in tasks], dtype=np.int64)
        g["test_index"] = np.array([x[1] if x[0] == 0 else -1 for x in tasks], dtype=np.int64)
        g["sigma"] = np.array([x[3] for x in tasks])
        g["replicate"] = np.array([x[4] for x in tasks], dtype=np.int64)
        g["done"] = np.ones(t, dtype=np.int8)
        g["rank"] = np.zeros(t, dtype=np.int64)
        g["seconds"] = np.ones(t)
        g["truth_norm"] = np.full(t, 10.0)
        g["range_distance"] = np.array([10.0 * distance[x[0], x[1]] for x in tasks])
        mg = f.create_group("metrics")
        for name, values in metrics.items():
            mg[name] = values
        rg = f.create_group("reconstructions")
        rg.attrs["operator"] = fixed("gaussian")
        rg["task"] = np.zeros(0, dtype=np.int64)
        for name in ("truth", "backprojection", "zero_filled", "sampling"):
            rg[name] = np.zeros((0, H, W))
        for name in ("mean", "std"):
            rg[name] = np.zeros((0, m, H, W))

    supported, not_supported, untestable = "supported", "not supported", "not testable here"
    expected = [
        [1, "test", 16, "latent_map", "", not_supported], [1, "test", 64, "latent_map", "", supported],
        [1, "test", 16, "latent_mcmc", "", untestable], [1, "test", 64, "latent_mcmc", "", not_supported],
        [1, "test", 16, "gan_map", "", supported], [1, "test", 64, "gan_map", "", supported],
        [2, "test", 16, "laplace", "latent_map", not_supported], [2, "test", 64, "laplace", "latent_map", supported],
        [3, "test", 16, "latent_mcmc", "laplace", untestable], [3, "test", 64, "latent_mcmc", "laplace", supported],
        [3, "generated", 16, "latent_mcmc", "laplace", untestable],
        [3, "generated", 64, "latent_mcmc", "laplace", not_supported],
    ]
    with open(expected_path, "w") as handle:
        json.dump({"verdicts": expected, "sigmas": SIGMAS, "truths": CLAIM_TRUTHS, "n": H * W}, handle)


if __name__ == "__main__":
    if sys.argv[1] == "--claims":
        claims_file(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1], sys.argv[2])
