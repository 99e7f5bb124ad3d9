#pragma once
// The tables of a report as text: Markdown (aligned, readable in a terminal), LaTeX
// (booktabs fragments to \input) and CSV (tidy, full precision, for scripts and figures).
// What each table shows is documented in docs/report.md.

#include <string>
#include <vector>

#include "report/analysis.hpp"

namespace priorbench::report {

// Per method × truth kind × d × σ and metric: count, median, bootstrap CI of the median,
// quartiles, plus the cell's task, non-converged and sampled-std counts.
std::string summary_csv(const Analysis& analysis);
std::string summary_markdown(const Analysis& analysis);
std::string summary_latex(const Analysis& analysis);

// Paper-style: one table per truth kind and d; σ as rows (falling), methods as columns,
// cells "median [CI]" of the relative error; † marks a cell with non-converged runs.
std::string compact_csv(const Analysis& analysis);
std::string compact_markdown(const Analysis& analysis);
std::string compact_latex(const Analysis& analysis);

// Contraction: slope of log(metric) against log σ per method × truth kind × d, with its
// CI, the floor as σ → 0 and the terminal slope; and, with two or more data sizes, the
// slope against log d per method × truth kind × σ (the `rates_d` CSV).
std::string contraction_csv(const Analysis& analysis);
std::string data_size_rates_csv(const Analysis& analysis);
// `metric`: only that metric's rows ("" for all); `with_data_size`: the rates in d too.
std::string contraction_markdown(const Analysis& analysis, const std::string& metric = "", bool with_data_size = true);
std::string contraction_latex(const Analysis& analysis);

// Every non-converged method run (task, its parameters, the method).
std::string nonconverged_csv(const Analysis& analysis);

// Counts and warnings: tasks done and pending, non-converged runs, sampled std.
std::string overview_markdown(const Analysis& analysis);

// The report's front page: overview, compact tables, contraction, figures, file list.
std::string report_markdown(const Analysis& analysis, const std::vector<std::string>& figures,
                            const std::vector<std::string>& files);

}  // namespace priorbench::report
