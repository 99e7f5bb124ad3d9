#!/usr/bin/python3
"""Figures of `priorbench report` (docs/report.md), drawn with matplotlib's Agg backend.

Called by `priorbench report` with the report's CSV tables and the results file:

    /usr/bin/python3 scripts/plot_report.py --results R.h5 --summary DIR/summary.csv \
        --contraction DIR/contraction.csv --out DIR/figures [--gallery N]

Writes to --out:
  error_vs_sigma.png     relative error against sigma, log-log: one panel per truth kind
                         (columns) and data size d (rows); median over truths and IQR band
                         per method; the dashed line is the median relative distance of the
                         truths to the generator's range (a floor for estimates on the range)
  error_vs_d.png         relative error against d (log-log) at each sigma, when >= 2 sizes
  coverage_vs_sigma.png  per truth kind and d: coverage of the 95 % credible intervals
                         against sigma with the 0.95 line, and beside it the mean width of
                         those intervals (log-log): coverage alone rewards wide intervals
  coverage_levels.png    calibration at the smallest sigma: coverage against the nominal
                         level 0.5, 0.9, 0.95 per method, with the diagonal (files that record
                         the three levels)
  gallery_task<ID>.png   truth, the zero-filled reconstruction A^+ y (or A^T y where A A^T
                         is not diagonal), the sampling pattern (observed pixels, or the
                         k-space mask for fourier), each method's mean and its std on the
                         method's own colour scale with a colour bar, for the first --gallery
                         saved tasks that are done (default, or a negative N: every one)
  gallery_failures.png   the saved runs that failed: not converged, 95 % coverage below 0.5,
                         or an error over twice the best of the task: truth, mean, |error|
                         and std (own scales), with the reason

Every method keeps one colour, marker and line style in every figure; hollow and filled
markers alternate, and curves that coincide (within 0.1 % at every point) are named in a
note inside the panel, so a hidden curve is never mistaken for a missing one.
"""

import argparse
import csv
import math
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

plt.rcParams.update({"font.size": 10, "axes.titlesize": 10, "legend.fontsize": 9, "figure.dpi": 110})

MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">"]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def number(text):
    return float(text) if text not in ("", "nan") else math.nan


class Summary:
    """summary.csv indexed by (metric, method, truth kind, d, sigma)."""

    def __init__(self, path):
        self.rows = {}
        self.metrics = set()
        self.methods, self.kinds, self.sizes, self.sigmas = [], [], set(), set()
        for row in read_csv(path):
            self.metrics.add(row["metric"])
            key = (row["metric"], row["method"], row["truth_kind"], int(row["data_size"]), number(row["sigma"]))
            self.rows[key] = {k: number(row[k]) for k in ("median", "q1", "q3", "ci_low", "ci_high")}
            if row["method"] not in self.methods:
                self.methods.append(row["method"])
            if row["truth_kind"] not in self.kinds:
                self.kinds.append(row["truth_kind"])
            self.sizes.add(int(row["data_size"]))
            self.sigmas.add(number(row["sigma"]))
        self.sizes = sorted(self.sizes)
        self.sigmas = sorted(self.sigmas)

    def series(self, metric, method, kind, size=None, sigma=None):
        """Median, q1, q3 along sigma (size fixed) or along d (sigma fixed)."""
        xs, med, lo, hi = [], [], [], []
        axis = self.sigmas if size is not None else self.sizes
        for x in axis:
            key = (metric, method, kind, size, x) if size is not None else (metric, method, kind, x, sigma)
            row = self.rows.get(key)
            if row is None or not math.isfinite(row["median"]):
                continue
            xs.append(x)
            med.append(row["median"])
            lo.append(row["q1"])
            hi.append(row["q3"])
        return np.array(xs), np.array(med), np.array(lo), np.array(hi)


def range_distances(path):
    """Median relative distance to the generator's range, by (truth kind, d)."""
    out = {}
    if path and os.path.exists(path):
        for row in read_csv(path):
            value = number(row["relative_range_distance"])
            if row["metric"] == "relative_error" and math.isfinite(value) and value > 0:
                out[(row["truth_kind"], int(row["data_size"]))] = value
    return out


def styles(methods):
    """Colour, marker, line style and marker fill per method, the same in every figure."""
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {m: dict(color=colors[i % len(colors)], marker=MARKERS[i % len(MARKERS)],
                    linestyle=LINESTYLES[i % len(LINESTYLES)], markerfacecolor="none" if i % 2 else None)
            for i, m in enumerate(methods)}


def panel_grid(rows, cols, width=4.2, height=3.4):
    # At least 7.5 inches wide, so that the title and legend of a single panel fit.
    fig, axes = plt.subplots(rows, cols, figsize=(max(width * cols, 7.5), height * rows + 0.9), squeeze=False)
    return fig, axes


def finish(fig, axes, path, title):
    handles, labels = [], []
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.suptitle(title)
    if handles:
        columns = min(len(labels), 4)
        rows = (len(labels) + columns - 1) // columns
        fig.legend(handles, labels, loc="lower center", ncol=columns, frameon=False)
    fig.tight_layout(rect=(0, 0.045 * rows if handles else 0, 1, 0.96))
    fig.savefig(path)
    plt.close(fig)


def draw_series(ax, summary, style, metric, kind, band=True, **where):
    """One line per method (median) with its interquartile band; returns whether any was drawn.
    Methods whose curves coincide are named in a note in the panel."""
    drawn = {}
    for method in summary.methods:
        xs, med, lo, hi = summary.series(metric, method, kind, **where)
        if len(xs) == 0:
            continue
        drawn[method] = (xs, med)
        st = style[method]
        ax.plot(xs, med, label=method, markersize=6, **st)
        if band:
            ax.fill_between(xs, lo, hi, color=st["color"], alpha=0.15, linewidth=0)
    note_coincident(ax, drawn)
    return bool(drawn)


def note_coincident(ax, drawn):
    """Writes "A = B" in the panel for curves equal within 0.1 % at every common point."""
    groups = []
    for method, (xs, med) in drawn.items():
        for group in groups:
            other_xs, other = drawn[group[0]]
            if len(xs) >= 1 and np.array_equal(xs, other_xs) and np.allclose(med, other, rtol=1e-3, atol=0):
                group.append(method)
                break
        else:
            groups.append([method])
    notes = [" = ".join(group) for group in groups if len(group) > 1]
    if notes:
        ax.text(0.02, 0.02, "coincide: " + "; ".join(notes), transform=ax.transAxes, fontsize=7, va="bottom",
                bbox=dict(boxstyle="round", facecolor="white", alpha=0.8, linewidth=0.5))


def plot_error_vs_sigma(summary, distances, style, out):
    fig, axes = panel_grid(len(summary.sizes), len(summary.kinds))
    for i, size in enumerate(summary.sizes):
        for j, kind in enumerate(summary.kinds):
            ax = axes[i][j]
            draw_series(ax, summary, style, "relative_error", kind, size=size)
            ax.set_xscale("log")
            ax.set_yscale("log")
            # The distance to the range is drawn only where it is within the errors' scale:
            # for generated truths it is ~1e-15 and would flatten every curve.
            low, high = ax.get_ylim()
            distance = distances.get((kind, size))
            if distance is not None and distance >= low:
                ax.axhline(distance, color="gray", linestyle="--", linewidth=1, label="distance to range (median)")
                ax.set_ylim(low, max(high, distance))
            ax.set_title(f"{kind} truths, d = {size}")
            ax.set_xlabel("noise level σ")
            ax.set_ylabel("relative error ‖x̂ − x†‖/‖x†‖")
            ax.grid(True, which="both", alpha=0.3)
    finish(fig, axes, os.path.join(out, "error_vs_sigma.png"),
           "Relative error against noise level (median over truths, band: interquartile range)")


def plot_error_vs_d(summary, style, out):
    fig, axes = panel_grid(len(summary.sigmas), len(summary.kinds))
    for i, sigma in enumerate(sorted(summary.sigmas, reverse=True)):
        for j, kind in enumerate(summary.kinds):
            ax = axes[i][j]
            draw_series(ax, summary, style, "relative_error", kind, sigma=sigma)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"{kind} truths, σ = {sigma:g}")
            ax.set_xlabel("data size d")
            ax.set_ylabel("relative error ‖x̂ − x†‖/‖x†‖")
            ax.grid(True, which="both", alpha=0.3)
    finish(fig, axes, os.path.join(out, "error_vs_d.png"),
           "Relative error against data size (median over truths, band: interquartile range)")


def plot_coverage(summary, style, out):
    """Coverage of the 95 % intervals against sigma, and their mean width beside it."""
    if "coverage_95" not in summary.metrics:
        return
    kinds = summary.kinds
    fig, axes = panel_grid(len(summary.sizes), 2 * len(kinds), width=3.6)
    drawn = False
    for i, size in enumerate(summary.sizes):
        for j, kind in enumerate(kinds):
            ax = axes[i][2 * j]
            drawn = draw_series(ax, summary, style, "coverage_95", kind, size=size) or drawn
            ax.axhline(0.95, color="black", linestyle="--", linewidth=1, label="nominal 0.95")
            ax.set_xscale("log")
            ax.set_ylim(-0.02, 1.02)
            ax.set_title(f"{kind} truths, d = {size}: coverage")
            ax.set_xlabel("noise level σ")
            ax.set_ylabel("coverage of 95 % intervals")
            ax.grid(True, which="both", alpha=0.3)
            ax = axes[i][2 * j + 1]
            if "mean_interval_width" in summary.metrics:
                draw_series(ax, summary, style, "mean_interval_width", kind, size=size)
                ax.set_xscale("log")
                ax.set_yscale("log")
            ax.set_title(f"{kind} truths, d = {size}: width")
            ax.set_xlabel("noise level σ")
            ax.set_ylabel("mean width of 95 % intervals")
            ax.grid(True, which="both", alpha=0.3)
    if not drawn:
        plt.close(fig)
        return
    finish(fig, axes, os.path.join(out, "coverage_vs_sigma.png"),
           "95 % pixelwise credible intervals: coverage and mean width (median over truths, band: IQR)")


def plot_coverage_levels(summary, style, out):
    """Calibration at the smallest sigma: coverage against the nominal level."""
    levels = [("coverage_50", 0.5), ("coverage_90", 0.9), ("coverage_95", 0.95)]
    if not all(name in summary.metrics for name, _ in levels):
        return
    sigma = min(summary.sigmas)
    fig, axes = panel_grid(len(summary.sizes), len(summary.kinds), width=3.8)
    for i, size in enumerate(summary.sizes):
        for j, kind in enumerate(summary.kinds):
            ax = axes[i][j]
            drawn = {}
            for method in summary.methods:
                points = [(nominal, summary.rows.get((name, method, kind, size, sigma), {}).get("median", math.nan))
                          for name, nominal in levels]
                points = [(x, y) for x, y in points if math.isfinite(y)]
                if not points:
                    continue
                xs, ys = np.array([p[0] for p in points]), np.array([p[1] for p in points])
                drawn[method] = (xs, ys)
                ax.plot(xs, ys, label=method, **style[method])
            note_coincident(ax, drawn)
            ax.plot([0.4, 1.0], [0.4, 1.0], color="black", linestyle="--", linewidth=1, label="calibrated")
            ax.set_xlim(0.4, 1.0)
            ax.set_ylim(-0.02, 1.02)
            ax.set_title(f"{kind} truths, d = {size}, σ = {sigma:g}")
            ax.set_xlabel("nominal level of the interval")
            ax.set_ylabel("coverage (median over truths)")
            ax.grid(True, alpha=0.3)
    finish(fig, axes, os.path.join(out, "coverage_levels.png"),
           "Calibration of the pixelwise credible intervals at the smallest noise level")


def plot_gallery(results_path, count, out):
    import h5py

    with h5py.File(results_path, "r") as f:
        if count == 0 or "reconstructions" not in f or f["reconstructions/task"].shape[0] == 0:
            return
        labels = [s.strip() for s in text(f["methods"].attrs["labels"]).split(",")]
        kinds = truth_kind_names(f)
        done = f["tasks/done"][()]
        saved = f["reconstructions/task"][()]
        tasks = f["tasks"]
        rel = f["metrics/relative_error"][()]
        shown = 0
        for s, task in enumerate(saved):
            if 0 <= count <= shown:
                break
            if task < 0 or not done[task]:
                continue
            shown += 1
            truth = f["reconstructions/truth"][s]
            data_image, data_title = data_picture(f, s)
            sampling, sampling_title = sampling_picture(f, s)
            means = f["reconstructions/mean"][s]
            stds = f["reconstructions/std"][s]
            m = len(labels)
            fig, axes = plt.subplots(2, m + 2, figsize=(max(1.9 * (m + 2), 7.5), 5.0), squeeze=False,
                                     layout="constrained")
            image = dict(cmap="gray", vmin=0.0, vmax=1.0)
            show(axes[0][0], truth, "truth x†", image)
            show(axes[0][1], data_image, data_title, dict(cmap="gray"))
            for j, label in enumerate(labels):
                show(axes[0][j + 2], means[j], f"{label}\nmean, err {rel[task, j]:.3g}", image)
                show_std(fig, axes[1][j + 2], stds[j], f"{label} std")
            axes[1][0].set_axis_off()
            if sampling is None:
                axes[1][1].set_axis_off()
            else:
                show(axes[1][1], sampling, sampling_title, dict(cmap="gray", vmin=0.0, vmax=1.0))
            axes[1][0].text(0.0, 0.5, "top: truth, data and\neach method's mean\n(gray scale [0, 1]);\n"
                            "bottom: what is\nobserved, each method's\npixelwise posterior std\n(each on its own\n"
                            "scale: see its bar)", ha="left", va="center", fontsize=8, transform=axes[1][0].transAxes)
            kind = kinds[int(tasks["truth_kind"][task])]
            fig.suptitle(f"task {task}: {kind} truth {tasks['truth_number'][task]}, d = {tasks['data_size'][task]}, "
                         f"σ = {tasks['sigma'][task]:g}, replicate {tasks['replicate'][task]}")
            path = os.path.join(out, f"gallery_task{task}.png")
            fig.savefig(path)
            plt.close(fig)


def show_std(fig, ax, std, title):
    """A std map on the method's own scale (0 to its 99.5th percentile) with a colour bar:
    the methods' std differ by orders of magnitude, and one shared scale hides all but one."""
    finite = std[np.isfinite(std)]
    if finite.size == 0:
        ax.text(0.5, 0.5, "no std", ha="center", va="center")
        ax.set_axis_off()
        return
    top = float(np.percentile(finite, 99.5))
    im = show(ax, std, title, dict(cmap="magma", vmin=0.0, vmax=top if top > 0 else 1.0))
    fig.colorbar(im, ax=ax, shrink=0.8, format="%.2g")


def plot_failures(results_path, out, limit=8):
    """The saved runs that failed: not converged, 95 % coverage below 0.5, or an error over
    twice the task's best; one row each (truth, mean, |error|, std), up to `limit`."""
    import h5py

    with h5py.File(results_path, "r") as f:
        if "reconstructions" not in f or f["reconstructions/task"].shape[0] == 0:
            return
        labels = [s.strip() for s in text(f["methods"].attrs["labels"]).split(",")]
        done = f["tasks/done"][()]
        metrics = f["metrics"]
        rel = metrics["relative_error"][()]
        converged = metrics["converged"][()] if "converged" in metrics else np.ones_like(rel)
        coverage = metrics["coverage_95"][()] if "coverage_95" in metrics else np.full_like(rel, np.nan)
        failures = []
        for s, task in enumerate(f["reconstructions/task"][()]):
            if task < 0 or not done[task]:
                continue
            best = np.nanmin(rel[task])
            for m, label in enumerate(labels):
                reasons, severity = [], 3
                if converged[task, m] == 0:
                    reasons.append("not converged")
                    severity = 0
                if coverage[task, m] < 0.5:
                    reasons.append(f"95 % coverage {coverage[task, m]:.2f}")
                    severity = min(severity, 1)
                if rel[task, m] > 2 * best:
                    reasons.append(f"error {rel[task, m] / best:.1f}x the best")
                    severity = min(severity, 2)
                if reasons:
                    failures.append((severity, s, task, m, label, ", ".join(reasons)))
        if not failures:
            return
        failures.sort(key=lambda failure: failure[:3])  # not converged, then collapsed UQ, then large errors
        shown = [failure[1:] for failure in failures[:limit]]
        fig, axes = plt.subplots(len(shown), 4, figsize=(9.0, 2.3 * len(shown) + 0.6), squeeze=False,
                                 layout="constrained")
        image = dict(cmap="gray", vmin=0.0, vmax=1.0)
        for row, (s, task, m, label, reason) in enumerate(shown):
            truth = f["reconstructions/truth"][s]
            mean = f["reconstructions/mean"][s, m]
            show(axes[row][0], truth, f"task {task}: truth", image)
            show(axes[row][1], mean, f"{label} mean\n{reason}", image)
            error = np.abs(mean - truth)
            im = show(axes[row][2], error, "|x̂ − x†|", dict(cmap="viridis", vmin=0.0))
            fig.colorbar(im, ax=axes[row][2], shrink=0.8, format="%.2g")
            show_std(fig, axes[row][3], f["reconstructions/std"][s, m], f"{label} std")
        more = f" (first {limit} of {len(failures)})" if len(failures) > limit else ""
        fig.suptitle(f"Failed runs among the saved tasks{more}: not converged, then 95 % coverage < 0.5, then "
                     "error > 2x the task's best")
        fig.savefig(os.path.join(out, "gallery_failures.png"))
        plt.close(fig)


def data_picture(f, s):
    """The zero-filled reconstruction A⁺y where the file has it, else Aᵀy."""
    saved = f["reconstructions"]
    if "zero_filled" in saved and np.isfinite(saved["zero_filled"][s]).all():
        return saved["zero_filled"][s], "zero-filled A⁺y\n(own gray scale)"
    return saved["backprojection"][s], "data Aᵀy\n(own gray scale)"


def sampling_picture(f, s):
    """The sampling pattern: observed pixels, or the k-space mask with DC at the centre."""
    saved = f["reconstructions"]
    if "sampling" not in saved or not np.isfinite(saved["sampling"][s]).all():
        return None, ""
    pattern = saved["sampling"][s]
    if text(saved.attrs.get("operator", "")) == "fourier":
        observed = 100.0 * pattern.mean()
        return np.fft.fftshift(pattern), f"k-space mask ({observed:.0f} %,\nDC at centre)"
    return pattern, f"observed ({100.0 * pattern.mean():.0f} %)"


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def truth_kind_names(f):
    tasks = f["tasks"]
    if "truth_kind_names" in tasks.attrs:
        return [s.strip() for s in text(tasks.attrs["truth_kind_names"]).split(",")]
    if "names" in tasks["truth_kind"].attrs:
        return [s.strip() for s in text(tasks["truth_kind"].attrs["names"]).split(",")]
    return ["test", "generated", "generated_noisy"]


def show(ax, values, title, options):
    im = ax.imshow(np.nan_to_num(values), interpolation="nearest", **options)
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    return im


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", required=True)
    parser.add_argument("--summary", required=True)
    parser.add_argument("--contraction", default="")
    parser.add_argument("--out", required=True)
    parser.add_argument("--gallery", type=int, default=-1)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    summary = Summary(args.summary)
    if not summary.rows:
        sys.exit("plot_report.py: " + args.summary + " has no rows")
    style = styles(summary.methods)
    plot_error_vs_sigma(summary, range_distances(args.contraction), style, args.out)
    if len(summary.sizes) >= 2:
        plot_error_vs_d(summary, style, args.out)
    plot_coverage(summary, style, args.out)
    plot_coverage_levels(summary, style, args.out)
    plot_gallery(args.results, args.gallery, args.out)
    plot_failures(args.results, args.out)


if __name__ == "__main__":
    main()
