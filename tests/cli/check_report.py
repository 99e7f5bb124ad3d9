#!/usr/bin/python3
"""Checks a `priorbench report` directory made from make_report_results.py's file:
rates and floors against the laws that generated the data, every summary median and
quartile against NumPy (type 7 = numpy's default "linear") over the truths' replicate
means, the paired comparisons against scipy.stats.wilcoxon and Holm, the counts the
report must show, the columns an older file lacks marked as such, and that the figures
are valid PNGs.

Usage: check_report.py RESULTS.h5 PARAMS.json REPORT_DIR STDOUT.txt
"""

import csv
import json
import math
import os
import sys

import h5py
import matplotlib
from scipy import stats

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import numpy as np  # noqa: E402

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def main(results_path, params_path, report, stdout_path):
    params = json.load(open(params_path))
    stdout = open(stdout_path).read()
    kinds = ["test", "generated", "generated_noisy"]

    with h5py.File(results_path, "r") as f:
        done = f["tasks/done"][()] == 1
        kind = f["tasks/truth_kind"][()]
        size = f["tasks/data_size"][()]
        sigma = f["tasks/sigma"][()]
        truth = f["tasks/truth_number"][()]
        error = f["metrics/relative_error"][()]
        range_distance = f["tasks/range_distance"][()] / f["tasks/truth_norm"][()]
    methods = ["power", "floored"]

    def errors(method, k, d, s):
        mask = done & (kind == kinds.index(k)) & (size == d) & (sigma == s)
        values = error[mask, methods.index(method)]
        return values[np.isfinite(values)]

    def truth_means(method, k, d, s):
        """Each truth's mean over its done replicates: the unit of every interval and test."""
        mask = done & (kind == kinds.index(k)) & (size == d) & (sigma == s)
        values, truths = error[mask, methods.index(method)], truth[mask]
        return {t: float(np.mean(values[truths == t])) for t in np.unique(truths)}

    # Rates in sigma and floors, relative error.
    sigma_min = min(params["sigmas"])
    contraction = [r for r in rows(os.path.join(report, "contraction.csv")) if r["metric"] == "relative_error"]
    check(len(contraction) == 2 * 2 * len(params["sizes"]), f"contraction.csv has {len(contraction)} rows")
    for r in contraction:
        where = f"contraction {r['method']} {r['truth_kind']} d={r['data_size']}"
        slope, low, high = float(r["slope_sigma"]), float(r["slope_sigma_low"]), float(r["slope_sigma_high"])
        floor, terminal = float(r["floor"]), float(r["terminal_slope"])
        check(low <= slope <= high, f"{where}: slope {slope} outside its CI [{low}, {high}]")
        check(r["unit_kind"] == "truth" and r["units"] == "6", f"{where}: units {r['units']} {r['unit_kind']}")
        # The floor is exactly the type-7 median over truths (replicates averaged) at the smallest
        # sigma, with the order-statistic interval [min, max] of 6 truths; a truth whose tasks at
        # the smallest sigma are pending leaves 5, too few for a 95 % interval.
        at_floor = truth_means(r["method"], r["truth_kind"], int(r["data_size"]), sigma_min)
        median = float(np.median(list(at_floor.values())))
        check(math.isclose(floor, median, rel_tol=1e-9), f"{where}: floor {floor} is not the median {median}")
        if len(at_floor) >= 6:
            check(float(r["floor_low"]) <= floor <= float(r["floor_high"]), f"{where}: floor outside its CI")
        else:
            check(r["floor_low"] == "nan" and r["floor_high"] == "nan",
                  f"{where}: {len(at_floor)} truths at the smallest sigma, yet an interval {r['floor_low']}")
        check(float(r["sigma_smallest"]) == sigma_min, f"{where}: sigma_smallest {r['sigma_smallest']}")
        if r["method"] == "power":
            rate = params["rate_sigma"]
            check(abs(slope - rate) < 0.03, f"{where}: slope {slope}, generated with {rate}")
            check(low - 0.01 <= rate <= high + 0.01, f"{where}: CI [{low}, {high}] misses {rate}")
            check(abs(terminal - rate) < 0.1, f"{where}: terminal slope {terminal}, generated with {rate}")
            check(r["floor_verdict"] == "falling", f"{where}: verdict {r['floor_verdict']}")
        else:
            # Against the floors of the truths present at the smallest sigma: their median F_truth
            # plus 0.5 sigma_min, up to the task noise; with all 6 also against the generating law.
            mask = done & (kind == kinds.index(r["truth_kind"]))
            present = [range_distance[mask & (truth == t)][0] for t in at_floor]
            reference = float(np.median(present)) + params["floor_slope"] * sigma_min
            if len(at_floor) == 6:
                expected = params["floor"][str(kinds.index(r["truth_kind"]))]
                check(abs(floor - expected) < 0.1 * expected, f"{where}: floor {floor}, generated around {expected}")
            check(abs(floor - reference) < 0.004, f"{where}: floor {floor}, truths' floors give {reference}")
            check(abs(terminal) < 0.2, f"{where}: terminal slope {terminal} of a floored error")
            check(math.isclose(float(r["relative_range_distance"]), float(np.median(np.unique(range_distance[mask]))),
                               rel_tol=1e-9), f"{where}: relative_range_distance")

    # Rates in d.
    rates_d = [r for r in rows(os.path.join(report, "rates_d.csv")) if r["metric"] == "relative_error"]
    check(len(rates_d) == 2 * 2 * len(params["sigmas"]), f"rates_d.csv has {len(rates_d)} rows")
    for r in rates_d:
        where = f"rates_d {r['method']} {r['truth_kind']} sigma={r['sigma']}"
        slope = float(r["slope_d"])
        expected = params["rate_d"] if r["method"] == "power" else 0.0
        check(abs(slope - expected) < (0.05 if r["method"] == "power" else 0.1),
              f"{where}: slope {slope}, generated with {expected}")

    # Every relative-error summary against NumPy: quartiles over the truths' replicate means,
    # over tasks in the task_ columns; the interval is [x(1), x(6)] of 6 truths (exact
    # binomial coverage 1 - 2/64), or "too few units" where a pending task left fewer.
    summary = [r for r in rows(os.path.join(report, "summary.csv")) if r["metric"] == "relative_error"]
    check(len(summary) == 2 * 2 * len(params["sizes"]) * len(params["sigmas"]), f"summary rows {len(summary)}")
    for r in summary:
        values = errors(r["method"], r["truth_kind"], int(r["data_size"]), float(r["sigma"]))
        units = np.array(list(truth_means(r["method"], r["truth_kind"], int(r["data_size"]), float(r["sigma"])).values()))
        where = f"summary {r['method']} {r['truth_kind']} d={r['data_size']} sigma={r['sigma']}"
        check(int(r["count"]) == values.size, f"{where}: count {r['count']} != {values.size}")
        check(int(r["units"]) == units.size, f"{where}: units {r['units']} != {units.size}")
        for name, q in (("q1", 25), ("median", 50), ("q3", 75)):
            check(math.isclose(float(r[name]), float(np.percentile(units, q)), rel_tol=1e-9),
                  f"{where}: {name} {r[name]} != numpy {np.percentile(units, q)}")
            check(math.isclose(float(r["task_" + name]), float(np.percentile(values, q)), rel_tol=1e-9),
                  f"{where}: task_{name} {r['task_' + name]} != numpy {np.percentile(values, q)}")
        if units.size >= 6:
            check(r["ci_status"] == "ok" and math.isclose(float(r["ci_low"]), units.min(), rel_tol=1e-9) and
                  math.isclose(float(r["ci_high"]), units.max(), rel_tol=1e-9) and
                  math.isclose(float(r["ci_coverage"]), 1 - 2 / 64, rel_tol=1e-9), f"{where}: interval {r}")
        else:
            check(r["ci_status"] == "too_few_units" and r["ci_low"] == "nan", f"{where}: {units.size} truths: {r}")

    # Paired comparisons: the best of each cell by median over truths, the exact Wilcoxon
    # test over truths (scipy), Holm over the table.
    paired = [r for r in rows(os.path.join(report, "paired.csv")) if r["metric"] == "relative_error"]
    check(len(paired) == 2 * len(params["sizes"]) * len(params["sigmas"]), f"paired rows {len(paired)}")
    p_values = []
    for r in paired:
        k, d, s = r["truth_kind"], int(r["data_size"]), float(r["sigma"])
        mine, best = truth_means(r["method"], k, d, s), truth_means(r["best"], k, d, s)
        where = f"paired {r['method']} vs {r['best']} {k} d={d} sigma={s}"
        check(np.median(list(best.values())) <= np.median(list(mine.values())), f"{where}: best is not the lowest")
        shared = [t for t in mine if t in best]
        differences = np.array([mine[t] - best[t] for t in shared])
        check(int(r["pairs"]) == len(shared) and int(r["wins"]) == int(np.sum(differences < 0)),
              f"{where}: pairs/wins {r['pairs']}/{r['wins']}")
        p = stats.wilcoxon(differences, mode="exact").pvalue
        check(math.isclose(float(r["wilcoxon_p"]), p, rel_tol=1e-9), f"{where}: Wilcoxon p {r['wilcoxon_p']} vs {p}")
        p_values.append(p)
    order, running = np.argsort(p_values, kind="stable"), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        check(math.isclose(float(paired[index]["holm_p"]), running, rel_tol=1e-9),
              f"paired row {index}: Holm {paired[index]['holm_p']} vs {running}")

    # An older file: the columns it lacks are marked, not invented.
    compact = open(os.path.join(report, "compact.md")).read()
    check("Not recorded in this file" in compact and "interval_score_95" in compact,
          "compact.md does not mark the uncertainty metrics the file lacks")
    check("whether the source tree was clean is not recorded" in stdout, "stdout does not show the tree state")

    # Counts: pending tasks, non-converged runs (loudly), sampled std.
    runs = 2 * (params["tasks"] - params["pending"])
    check(f"{params['pending']} pending" in stdout, "stdout does not say how many tasks are pending")
    check(f"WARNING: {params['nonconverged']} of {runs} method runs did not converge" in stdout,
          "stdout does not flag the non-converged runs")
    check(f"Sampled (inexact) std**: {params['sampled_std']} of {runs}" in stdout, "stdout lacks the sampled-std count")
    with h5py.File(results_path, "r") as f:
        converged = f["metrics/converged"][()][done]
        task_seconds = f["tasks/seconds"][()][done]
        ranks = len(set(f["tasks/rank"][()][done]))
        method_seconds = f["metrics/seconds"][()][done]
    for m, method in enumerate(methods):
        failed = int(np.sum(converged[:, m] == 0))
        if failed:
            ok = int(done.sum()) - failed
            check(f"{method}: {failed} of {int(done.sum())}, so {ok} converged, {100 * ok / done.sum():.1f} %" in stdout,
                  f"stdout lacks {method}'s converged count and fraction")

    def duration(seconds):
        if seconds >= 3600:
            return f"{seconds / 3600:.3g} h"
        return f"{seconds / 60:.3g} min" if seconds >= 60 else f"{seconds:.3g} s"
    time_line = (f"**Time**: {duration(task_seconds.sum())} of task time (wall time of the {int(done.sum())} done "
                 f"tasks, summed) on {ranks} rank{'s' if ranks > 1 else ''}")
    check(time_line in stdout, f"stdout lacks the line '{time_line}'")
    for m, method in enumerate(methods):
        median = f"{method} {duration(float(np.median(method_seconds[:, m])))}"
        check(median in stdout, f"stdout lacks the median run time '{median}'")
    check(len(rows(os.path.join(report, "nonconverged.csv"))) == params["nonconverged"], "nonconverged.csv rows")
    check("†" in open(os.path.join(report, "compact.md")).read(), "compact.md does not mark non-converged cells")
    compact_md = open(os.path.join(report, "compact.md")).read()
    check(compact_md.count("**Relative error, ") == 2 * len(params["sizes"]) and
          compact_md.count("**Error and uncertainty, ") == 2 * len(params["sizes"]),
          "compact.md should hold an error table and an error-and-uncertainty table per truth kind and d")
    for name in ("claims.md", "claims.csv", "coverage.md", "coverage.csv", "paired.md", "paired.csv"):
        check(os.path.exists(os.path.join(report, name)), f"missing {name}")
    for name in ("summary.tex", "compact.tex", "contraction.tex", "coverage.tex", "paired.tex"):
        tex = open(os.path.join(report, name)).read()
        check(tex.count("\\begin{tabular}") == tex.count("\\end{tabular}") > 0, f"{name}: unbalanced tabular")
        check("relative_error" not in tex, f"{name}: unescaped underscore")

    # Figures: present, valid PNGs of a legible size, and referenced by report.md.
    report_md = open(os.path.join(report, "report.md")).read()
    for name in ("error_vs_sigma", "error_vs_d", "coverage_vs_sigma", "gallery_task0", "gallery_task1",
                 "gallery_failures"):
        path = os.path.join(report, "figures", name + ".png")
        if not os.path.exists(path):
            failures.append(f"missing figure {path}")
            continue
        with open(path, "rb") as handle:
            check(handle.read(8) == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG signature")
        image = matplotlib.image.imread(path)
        check(image.shape[0] >= 300 and image.shape[1] >= 300, f"{path}: only {image.shape[:2]} pixels")
        check(float(np.std(image)) > 0.01, f"{path}: blank image")
        check(f"figures/{name}.png" in report_md, f"report.md does not show {name}")

    if failures:
        print("check_report.py: FAILED", *failures, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print(f"check_report.py: {len(contraction)} rates and floors, {len(rates_d)} rates in d, "
          f"{len(summary)} summaries, {len(paired)} paired comparisons and 6 figures as expected")


if __name__ == "__main__":
    main(*sys.argv[1:])
