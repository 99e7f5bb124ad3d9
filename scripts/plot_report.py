#!/usr/bin/python3
"""Figures of `priorbench report` (docs/report.md), drawn with matplotlib's Agg backend.

Called by `priorbench report` with the report's CSV tables and the results file:

    /usr/bin/python3 scripts/plot_report.py --results R.h5 --summary DIR/summary.csv \
        --contraction DIR/contraction.csv --out DIR/figures [--gallery N]

Writes to --out:
  error_vs_sigma.png     relative error against sigma, log-log: one panel per truth kind
                         (columns) and data size d (rows); median and IQR band per method;
                         the dashed line is the median relative distance of the truths to
                         the generator's range (a floor for estimates on the range)
  error_vs_d.png         relative error against d (log-log) at each sigma, when >= 2 sizes
  coverage_vs_sigma.png  coverage of the 95 % credible intervals against sigma, 0.95 line
  gallery_task<ID>.png   truth, the zero-filled reconstruction A^+ y (or A^T y where A A^T
                         is not diagonal), the sampling pattern (observed pixels, or the
                         k-space mask for fourier), each method's mean and std, for the
                         first --gallery saved tasks that are done (default, or
                         a negative N: every saved task that is done)
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


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def number(text):
    return float(text) if text not in ("", "nan") else math.nan


class Summary:
    """summary.csv indexed by (metric, method, truth kind, d, sigma)."""

    def __init__(self, path):
        self.rows = {}
        self.methods, self.kinds, self.sizes, self.sigmas = [], [], set(), set()
        for row in read_csv(path):
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
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {m: (colors[i % len(colors)], MARKERS[i % len(MARKERS)]) for i, m in enumerate(methods)}


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


def draw_series(ax, summary, style, metric, kind, **where):
    """One line per method (median) with its interquartile band; returns whether any was drawn."""
    drawn = False
    for method in summary.methods:
        xs, med, lo, hi = summary.series(metric, method, kind, **where)
        if len(xs) == 0:
            continue
        drawn = True
        color, marker = style[method]
        ax.plot(xs, med, marker=marker, color=color, label=method)
        ax.fill_between(xs, lo, hi, color=color, alpha=0.18, linewidth=0)
    return drawn


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
           "Relative error against noise level (median, band: interquartile range)")


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
           "Relative error against data size (median, band: interquartile range)")


def plot_coverage(summary, style, out):
    drawn = False
    fig, axes = panel_grid(len(summary.sizes), len(summary.kinds))
    for i, size in enumerate(summary.sizes):
        for j, kind in enumerate(summary.kinds):
            ax = axes[i][j]
            drawn = draw_series(ax, summary, style, "coverage_95", kind, size=size) or drawn
            ax.axhline(0.95, color="black", linestyle="--", linewidth=1, label="nominal 0.95")
            ax.set_xscale("log")
            ax.set_ylim(-0.02, 1.02)
            ax.set_title(f"{kind} truths, d = {size}")
            ax.set_xlabel("noise level σ")
            ax.set_ylabel("coverage of 95 % intervals")
            ax.grid(True, which="both", alpha=0.3)
    if not drawn:
        plt.close(fig)
        return
    finish(fig, axes, os.path.join(out, "coverage_vs_sigma.png"),
           "Pixelwise coverage of 95 % credible intervals (median, band: interquartile range)")


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
            finite_std = stds[np.isfinite(stds)]
            std_max = float(np.percentile(finite_std, 99.5)) if finite_std.size else 1.0
            image = dict(cmap="gray", vmin=0.0, vmax=1.0)
            show(axes[0][0], truth, "truth x†", image)
            show(axes[0][1], data_image, data_title, dict(cmap="gray"))
            for j, label in enumerate(labels):
                show(axes[0][j + 2], means[j], f"{label}\nmean, err {rel[task, j]:.3g}", image)
                if np.isfinite(stds[j]).any():
                    im = show(axes[1][j + 2], stds[j], f"{label} std", dict(cmap="magma", vmin=0, vmax=std_max))
                else:
                    axes[1][j + 2].text(0.5, 0.5, "no std", ha="center", va="center")
                    axes[1][j + 2].set_axis_off()
            axes[1][0].set_axis_off()
            if sampling is None:
                axes[1][1].set_axis_off()
            else:
                show(axes[1][1], sampling, sampling_title, dict(cmap="gray", vmin=0.0, vmax=1.0))
            if finite_std.size:
                fig.colorbar(im, ax=list(axes[1][2:]), location="right", shrink=0.9, label="pixel std (shared scale)")
            axes[1][0].text(0.0, 0.5, "top: truth, data and\neach method's mean\n(gray scale [0, 1]);\n"
                            "bottom: what is\nobserved, each method's\npixelwise posterior std", ha="left", va="center", fontsize=8,
                            transform=axes[1][0].transAxes)
            kind = kinds[int(tasks["truth_kind"][task])]
            fig.suptitle(f"task {task}: {kind} truth {tasks['truth_number'][task]}, d = {tasks['data_size'][task]}, "
                         f"σ = {tasks['sigma'][task]:g}, replicate {tasks['replicate'][task]}")
            path = os.path.join(out, f"gallery_task{task}.png")
            fig.savefig(path)
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
    plot_gallery(args.results, args.gallery, args.out)


if __name__ == "__main__":
    main()
