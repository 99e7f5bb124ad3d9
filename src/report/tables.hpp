#pragma once
// The tables of a report as text: Markdown (aligned, readable in a terminal), LaTeX
// (booktabs fragments to \input) and CSV (tidy, full precision, for scripts and figures).
// What each table shows is documented in docs/report.md.

#include <string>
#include <vector>

#include "report/analysis.hpp"

namespace priorbench::report {

// Per method × truth kind × d × σ and metric: the median over truths with its order-
// statistic CI, quartiles, counts; the Markdown starts with the error-and-uncertainty
// table per truth kind and d.
std::string summary_csv(const Analysis& analysis);
std::string summary_markdown(const Analysis& analysis);
std::string summary_latex(const Analysis& analysis);

// Paper-style: one table per truth kind and d; σ as rows (falling), methods as columns,
// cells "median [CI]" of the relative error; † marks a cell with non-converged runs. Each
// is followed by the error-and-uncertainty table (σ × method: error [CI], range and null
// parts, coverage and width of the 95 % intervals, interval score, CRPS).
std::string compact_csv(const Analysis& analysis);
// `with_uncertainty`: also the error-and-uncertainty table after each error table.
std::string compact_markdown(const Analysis& analysis, bool with_uncertainty = true);
std::string compact_latex(const Analysis& analysis);

// Contraction: slope of log(metric) against log σ per method × truth kind × d, with its
// CI, the floor as σ → 0 and the terminal slope; and, with two or more data sizes, the
// slope against log d per method × truth kind × σ (the `rates_d` CSV).
std::string contraction_csv(const Analysis& analysis);
std::string data_size_rates_csv(const Analysis& analysis);
// `metric`: only that metric's rows ("" for all); `with_data_size`: the rates in d too.
std::string contraction_markdown(const Analysis& analysis, const std::string& metric = "", bool with_data_size = true);
std::string contraction_latex(const Analysis& analysis);

// Coverage of the pixelwise intervals at 50/90/95 %, within one data set and across the
// noise replicates of a truth, widths, interval score, CRPS, latent coverage.
std::string coverage_csv(const Analysis& analysis);
std::string coverage_markdown(const Analysis& analysis);
std::string coverage_latex(const Analysis& analysis);

// Each method against the best of its cell per paired metric: wins, sign and Wilcoxon
// tests, Holm-adjusted. `metric`: only that metric's table ("" for all).
std::string paired_csv(const Analysis& analysis);
std::string paired_markdown(const Analysis& analysis, const std::string& metric = "");
std::string paired_latex(const Analysis& analysis);

// Every non-converged method run (task, its parameters, the method).
std::string nonconverged_csv(const Analysis& analysis);

// Counts and warnings: code version and whether its tree was clean, tasks done and
// pending, non-converged runs, sampled std.
std::string overview_markdown(const Analysis& analysis);

// The report's front page: overview, the claims' verdicts, error and uncertainty tables,
// coverage, paired comparisons, contraction, figures, file list.
std::string report_markdown(const Analysis& analysis, const std::string& claims_summary,
                            const std::vector<std::string>& figures, const std::vector<std::string>& files);

}  // namespace priorbench::report
