#!/usr/bin/python3
"""Checks the claims.md and claims.csv of a report made from make_report_results.py --claims:
every verdict against the one the file was built to have, and the numbers behind each
against an independent computation with NumPy and SciPy (floors as medians over truths of
replicate means, slopes by numpy.polyfit over all tasks, coverage medians, the paired
Wilcoxon test by scipy.stats.wilcoxon and Holm's adjustment written out here).

Usage: check_claims.py RESULTS.h5 EXPECTED.json REPORT_DIR [--no-split]
  --no-split: the file had its range/null split removed; claim 2 at d < n is then not
  testable, and at d = n (gaussian, injective) it is judged on the whole error.
"""

import csv
import json
import math
import os
import sys

import h5py
import numpy as np
from scipy import stats

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def close(a, b, tolerance=1e-9):
    return math.isclose(float(a), float(b), rel_tol=tolerance, abs_tol=tolerance)


def main(results_path, expected_path, report, *flags):
    no_split = "--no-split" in flags
    expected = json.load(open(expected_path))
    with open(os.path.join(report, "claims.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    markdown = open(os.path.join(report, "claims.md")).read()

    with h5py.File(results_path, "r") as f:
        labels = [s.strip() for s in f["methods"].attrs["labels"].decode().split(",")]
        kind = f["tasks/truth_kind"][()]
        truth = f["tasks/truth_number"][()]
        size = f["tasks/data_size"][()]
        sigma = f["tasks/sigma"][()]
        norm = f["tasks/truth_norm"][()]
        distance = f["tasks/range_distance"][()] / norm
        metric = {name: f["metrics/" + name][()] for name in f["metrics"]}
    kinds = ["test", "generated"]
    sigma_min = min(expected["sigmas"])

    def truth_means(name, method, k, d, s):
        mask = (kind == kinds.index(k)) & (size == d) & (sigma == s)
        values = metric[name][mask, labels.index(method)]
        return {t: float(np.mean(values[truth[mask] == t])) for t in np.unique(truth[mask])}

    def slope(name, method, k, d):
        mask = (kind == kinds.index(k)) & (size == d)
        return float(np.polyfit(np.log(sigma[mask]), np.log(metric[name][mask, labels.index(method)]), 1)[0])

    # Every expected verdict, and no other row.
    found = {(int(r["claim"]), r["truth_kind"], int(r["data_size"]), r["method"], r["against"]): r for r in rows}
    check(len(rows) == len(expected["verdicts"]), f"claims.csv has {len(rows)} rows, expected {len(expected['verdicts'])}")
    for claim, k, d, method, against, verdict in expected["verdicts"]:
        if no_split and claim == 2 and d < expected["n"]:
            verdict = "not testable here"
        row = found.get((claim, k, d, method, against))
        where = f"claim {claim} {k} d={d} {method} {against}"
        if row is None:
            failures.append(f"{where}: missing from claims.csv")
            continue
        check(row["verdict"] == verdict, f"{where}: verdict '{row['verdict']}', built to be '{verdict}'")
        check(f"| **{verdict}** |" in markdown, f"claims.md shows no '{verdict}' verdict")
        if claim == 1 and verdict != "not testable here":
            floor = float(np.median(list(truth_means("relative_error", method, k, d, sigma_min).values())))
            check(close(row["floor"], floor), f"{where}: floor {row['floor']}, numpy {floor}")
            mask = (kind == 0) & (size == d)
            # The method's own generator's range distance (per-method metric), else [model]'s.
            own = metric["range_distance"][:, labels.index(method)] / norm if "range_distance" in metric else distance
            reference = np.where(np.isfinite(own), own, distance)
            check(close(row["range_distance"], np.median(np.unique(reference[mask]))), f"{where}: range distance")
            check(close(row["slope"], slope("relative_error", method, k, d), 1e-8), f"{where}: slope {row['slope']}")
        if claim == 2 and verdict != "not testable here":
            name = "relative_error" if no_split else "range_error"
            mine, theirs = slope(name, method, k, d), slope(name, against, k, d)
            check(close(row["slope"], mine, 1e-8), f"{where}: slope {row['slope']}, numpy {mine}")
            check(close(row["against_slope"], theirs, 1e-8), f"{where}: against slope {row['against_slope']}")
            check(close(row["difference"], mine - theirs, 1e-8), f"{where}: difference {row['difference']}")
            check(float(row["difference_low"]) <= float(row["difference"]) <= float(row["difference_high"]),
                  f"{where}: difference outside its interval")
        if no_split and claim == 2 and d < expected["n"]:
            check("records no range/null split" in markdown and f"d = {d} < n = {expected['n']}" in markdown,
                  f"{where}: claims.md does not say why claim 2 cannot be tested")
    # Claim 3: coverage medians, the paired test and Holm over the claim's tests.
    testable = [r for r in rows if r["claim"] == "3" and r["verdict"] != "not testable here"]
    p_values = []
    for r in testable:
        k, d = r["truth_kind"], int(r["data_size"])
        where = f"claim 3 {k} d={d}"
        for column, method in (("coverage", r["method"]), ("against_coverage", r["against"])):
            median = float(np.median(list(truth_means("coverage_95", method, k, d, sigma_min).values())))
            check(close(r[column], median), f"{where}: {column} {r[column]}, numpy {median}")
        ours = truth_means("interval_score_95", r["against"], k, d, sigma_min)
        other = truth_means("interval_score_95", r["method"], k, d, sigma_min)
        differences = np.array([ours[t] - other[t] for t in ours])
        p = stats.wilcoxon(differences, mode="exact").pvalue
        check(close(r["p_value"], p), f"{where}: Wilcoxon p {r['p_value']}, scipy {p}")
        p_values.append(p)
    order = np.argsort(p_values)
    running, holm = 0.0, [0.0] * len(p_values)
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        holm[index] = running
    for r, h in zip(testable, holm):
        check(close(r["holm_p"], h), f"claim 3 {r['truth_kind']} d={r['data_size']}: Holm {r['holm_p']}, expected {h}")

    # The file says what the data do not support, with the thresholds it used.
    check("## Thresholds" in markdown and "| floor_ratio | 1.5 |" in markdown, "claims.md lacks its thresholds")
    unsupported = sum(1 for r in rows if r["verdict"] != "supported")
    section = markdown.split("## What these data do not support")[-1]
    check(section.count("- Claim ") == unsupported,
          f"claims.md lists {section.count('- Claim ')} unsupported cells, claims.csv has {unsupported}")
    check("did not converge" in section, "claims.md does not name the non-converged sampler runs")

    if failures:
        print("check_claims.py: FAILED", *failures, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print(f"check_claims.py: {len(rows)} verdicts as built, numbers as NumPy/SciPy compute them")


if __name__ == "__main__":
    main(*sys.argv[1:])
