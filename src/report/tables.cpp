#include "report/tables.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace priorbench::report {
namespace {

const char* const kMissing = "–";

std::string printf_number(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string csv_number(double value) { return std::isfinite(value) ? printf_number("%.10g", value) : "nan"; }

std::string sigma_text(double sigma) { return printf_number("%g", sigma); }

const char* const kTooFew = "too few units";

bool is_coverage(const std::string& metric) { return metric.rfind("coverage", 0) == 0; }

// Digits that suit each metric: PSNR in dB to 0.01, coverage to 0.001, the rest to 3
// significant digits.
std::string metric_value(const std::string& metric, double value) {
  if (!std::isfinite(value)) return kMissing;
  if (metric == "psnr") return printf_number("%.2f", value);
  if (is_coverage(metric)) return printf_number("%.3f", value);
  return printf_number("%.3g", value);
}

std::string interval_text(const std::string& metric, const Interval& interval) {
  if (!interval.valid()) return kMissing;
  return "[" + metric_value(metric, interval.lower) + ", " + metric_value(metric, interval.upper) + "]";
}

// The order-statistic interval of a median, or "too few units" when n cannot reach the level.
std::string interval_text(const std::string& metric, const QuantileInterval& interval) {
  if (interval.count == 0) return kMissing;
  if (interval.too_few_units()) return kTooFew;
  return interval_text(metric, interval.interval);
}

std::string p_text(double p) {
  if (!std::isfinite(p)) return kMissing;
  if (p < 1e-4) return printf_number("%.1e", p);
  return printf_number("%.4f", p);
}

std::string slope_text(double value) { return std::isfinite(value) ? printf_number("%.2f", value) : kMissing; }

std::string slope_with_interval(double slope, const Interval& interval) {
  if (!std::isfinite(slope)) return kMissing;
  return slope_text(slope) + " [" + slope_text(interval.lower) + ", " + slope_text(interval.upper) + "]";
}

std::string metric_title(const std::string& metric) {
  static const std::map<std::string, std::string> titles = {
      {"relative_error", "Relative error ‖x̂ − x†‖/‖x†‖"},
      {"psnr", "PSNR (dB, peak 1)"},
      {"expected_squared_error", "Posterior expected squared error ‖x̂ − x†‖²/n + mean(std²)"},
      {"range_error", "Error in range(Aᵀ) ‖P_R(x̂ − x†)‖/‖x†‖ (the part the data see)"},
      {"null_error", "Error in null(A) ‖P_N(x̂ − x†)‖/‖x†‖ (the part the data do not see)"},
      {"coverage_50", "Coverage of the 50 % pixelwise credible intervals"},
      {"coverage_90", "Coverage of the 90 % pixelwise credible intervals"},
      {"coverage_95", "Coverage of the 95 % pixelwise credible intervals"},
      {"mean_interval_width_50", "Mean width of the 50 % credible intervals"},
      {"mean_interval_width_90", "Mean width of the 90 % credible intervals"},
      {"mean_interval_width", "Mean width of the 95 % credible intervals"},
      {"interval_score_50", "Interval score of the 50 % intervals (Gneiting & Raftery 2007; lower is better)"},
      {"interval_score_90", "Interval score of the 90 % intervals (lower is better)"},
      {"interval_score_95", "Interval score of the 95 % intervals (lower is better)"},
      {"crps", "CRPS of the Gaussian pixel marginals (lower is better)"},
      {"seconds", "Wall time of the method (s)"}};
  const auto found = titles.find(metric);
  return found != titles.end() ? found->second : metric;
}

// Characters as displayed: UTF-8 continuation bytes do not count.
std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (const unsigned char c : text) width += (c & 0xC0) != 0x80 ? 1 : 0;
  return width;
}

using Row = std::vector<std::string>;

// A Markdown table padded to aligned columns; columns from `first_numeric` on are
// right-aligned.
std::string markdown_table(const Row& header, const std::vector<Row>& rows, std::size_t first_numeric) {
  std::vector<std::size_t> widths(header.size(), 3);
  for (std::size_t j = 0; j < header.size(); ++j) widths[j] = std::max(widths[j], display_width(header[j]));
  for (const auto& row : rows) {
    for (std::size_t j = 0; j < row.size(); ++j) widths[j] = std::max(widths[j], display_width(row[j]));
  }
  const auto line = [&](const Row& cells) {
    std::string text = "|";
    for (std::size_t j = 0; j < cells.size(); ++j) {
      const std::string pad(widths[j] - display_width(cells[j]), ' ');
      text.append(" ").append(j >= first_numeric ? pad : "").append(cells[j]);
      text.append(j >= first_numeric ? "" : pad).append(" |");
    }
    return text + "\n";
  };
  std::string text = line(header) + "|";
  for (std::size_t j = 0; j < header.size(); ++j) {
    const std::string dashes(widths[j] + 1, '-');
    text.append(j >= first_numeric ? "" : ":").append(dashes).append(j >= first_numeric ? ":|" : "|");
  }
  text += "\n";
  for (const auto& row : rows) text += line(row);
  return text;
}

std::string latex_escape(const std::string& text) {
  std::string escaped;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_' || c == '%' || c == '&' || c == '#' || c == '$') {
      escaped += std::string("\\") + c;
    } else if (text.compare(i, std::string("–").size(), "–") == 0) {
      escaped += "--";
      i += std::string("–").size() - 1;
    } else if (text.compare(i, std::string("†").size(), "†") == 0) {
      escaped += "$^\\dagger$";
      i += std::string("†").size() - 1;
    } else if (text.compare(i, std::string("≈").size(), "≈") == 0) {
      escaped += "$\\approx$";
      i += std::string("≈").size() - 1;
    } else {
      escaped += c;
    }
  }
  return escaped;
}

// A booktabs table; `header` cells are LaTeX already, body cells are escaped.
std::string latex_table(const std::string& caption, const std::string& columns, const Row& header,
                        const std::vector<Row>& rows) {
  std::ostringstream out;
  out << "\\begin{table}[ht]\n\\centering\n\\caption{" << caption << "}\n\\begin{tabular}{" << columns
      << "}\n\\toprule\n";
  for (std::size_t j = 0; j < header.size(); ++j) out << (j ? " & " : "") << header[j];
  out << " \\\\\n\\midrule\n";
  for (const auto& row : rows) {
    for (std::size_t j = 0; j < row.size(); ++j) out << (j ? " & " : "") << latex_escape(row[j]);
    out << " \\\\\n";
  }
  out << "\\bottomrule\n\\end{tabular}\n\\end{table}\n\n";
  return out.str();
}

std::string csv_line(const Row& cells) {
  std::string line;
  for (std::size_t j = 0; j < cells.size(); ++j) line += (j ? "," : "") + cells[j];
  return line + "\n";
}

std::string method_header(const Analysis& a, std::size_t m) { return a.method_name(m); }

// Rows of the summary table of one metric.
std::vector<Row> summary_rows(const Analysis& a, const std::string& metric) {
  std::vector<Row> rows;
  for (const auto& cell : a.cells) {
    const MetricSummary& s = cell.metrics.at(metric);
    rows.push_back({a.method_name(cell.method), a.kind_name(cell.truth_kind), std::to_string(cell.data_size),
                    sigma_text(cell.sigma), std::to_string(s.units), std::to_string(s.count),
                    metric_value(metric, s.quartiles.median), interval_text(metric, s.median_interval),
                    metric_value(metric, s.quartiles.q1), metric_value(metric, s.quartiles.q3),
                    std::to_string(cell.nonconverged), std::to_string(cell.sampled_std)});
  }
  return rows;
}

std::string compact_cell(const SummaryCell* cell) {
  if (cell == nullptr) return kMissing;
  const MetricSummary& s = cell->metrics.at("relative_error");
  if (s.count == 0) return kMissing;
  const std::string interval = interval_text("relative_error", s.median_interval);
  return metric_value("relative_error", s.quartiles.median) + " " +
         (s.median_interval.too_few_units() ? "(" + interval + ")" : interval) + (cell->nonconverged > 0 ? " †" : "");
}

// The median over truths of `metric` in `cell`, or – when the file does not record it.
std::string cell_median(const SummaryCell& cell, const std::string& metric) {
  const MetricSummary* s = cell.find(metric);
  return s == nullptr ? kMissing : metric_value(metric, s->quartiles.median);
}

double cell_median_number(const SummaryCell& cell, const std::string& metric) {
  const MetricSummary* s = cell.find(metric);
  return s == nullptr ? kNaN : s->quartiles.median;
}

// One row per σ (falling) and method of a truth kind and d: the error with its interval
// and the uncertainty columns, each the median over truths.
std::vector<Row> uncertainty_rows(const Analysis& a, std::int64_t kind, std::int64_t d) {
  std::vector<Row> rows;
  for (const double sigma : a.sigmas) {
    for (std::size_t m = 0; m < a.results->methods.size(); ++m) {
      const SummaryCell* cell = a.cell(m, kind, d, sigma);
      if (cell == nullptr) continue;
      rows.push_back({sigma_text(sigma), a.method_name(m), compact_cell(cell), cell_median(*cell, "range_error"),
                      cell_median(*cell, "null_error"), cell_median(*cell, "coverage_95"),
                      cell_median(*cell, "mean_interval_width"), cell_median(*cell, "interval_score_95"),
                      cell_median(*cell, "crps")});
    }
  }
  return rows;
}

const Row& uncertainty_header() {
  static const Row header = {"σ",       "method",   "rel. error [CI]", "range err.", "null err.",
                             "cov. 95", "width 95", "IS 95",           "CRPS"};
  return header;
}

std::string missing_note(const Analysis& a) {
  if (a.missing_uncertainty_metrics.empty()) return "";
  std::string names;
  for (const auto& name : a.missing_uncertainty_metrics) names += (names.empty() ? "" : ", ") + name;
  return "Not recorded in this file (written before these metrics existed), shown as –: " + names + ".\n";
}

std::string sampler_note(const Analysis& a) {
  return a.nonconverged.empty() ? "" : "† some runs of this cell did not converge (see nonconverged.csv).\n";
}

struct CompactTable {
  std::int64_t kind;
  std::int64_t data_size;
  Row header;
  std::vector<Row> rows;
  bool has_dagger = false;
};

std::vector<CompactTable> compact_tables(const Analysis& a, bool latex_header) {
  std::vector<CompactTable> tables;
  for (const auto kind : a.truth_kinds) {
    for (const auto d : a.data_sizes) {
      CompactTable table{kind, d, {latex_header ? "$\\sigma$" : "σ"}, {}, false};
      for (std::size_t m = 0; m < a.results->methods.size(); ++m) {
        table.header.push_back(latex_header ? latex_escape(method_header(a, m)) : method_header(a, m));
      }
      for (const double sigma : a.sigmas) {
        Row row{sigma_text(sigma)};
        bool any = false;
        for (std::size_t m = 0; m < a.results->methods.size(); ++m) {
          const SummaryCell* cell = a.cell(m, kind, d, sigma);
          any = any || cell != nullptr;
          table.has_dagger = table.has_dagger || (cell != nullptr && cell->nonconverged > 0);
          row.push_back(compact_cell(cell));
        }
        if (any) table.rows.push_back(row);
      }
      if (!table.rows.empty()) tables.push_back(std::move(table));
    }
  }
  return tables;
}

std::string level_text(const Analysis& a) { return printf_number("%g", 100 * a.options.bootstrap.level) + " %"; }

std::string bootstrap_note(const Analysis& a) {
  const auto& b = a.options.bootstrap;
  return level_text(a) + " BCa cluster-bootstrap CI (B = " + std::to_string(b.replicates) + ", seed " +
         std::to_string(b.seed) + ")";
}

std::string median_note(const Analysis& a) {
  return "median over truths (each the mean over its noise replicates) with its " + level_text(a) +
         " distribution-free order-statistic CI";
}

}  // namespace

std::string summary_csv(const Analysis& a) {
  std::string text =
      csv_line({"method", "truth_kind",  "data_size", "sigma",       "metric",  "count",        "median",
                "ci_low", "ci_high",     "q1",        "q3",          "tasks",   "nonconverged", "sampled_std",
                "units",  "ci_coverage", "ci_status", "task_median", "task_q1", "task_q3"});
  for (const auto& metric : a.summary_metrics) {
    for (const auto& cell : a.cells) {
      const MetricSummary& s = cell.metrics.at(metric);
      const QuantileInterval& ci = s.median_interval;
      text += csv_line({a.method_name(cell.method),
                        a.kind_name(cell.truth_kind),
                        std::to_string(cell.data_size),
                        csv_number(cell.sigma),
                        metric,
                        std::to_string(s.count),
                        csv_number(s.quartiles.median),
                        csv_number(ci.interval.lower),
                        csv_number(ci.interval.upper),
                        csv_number(s.quartiles.q1),
                        csv_number(s.quartiles.q3),
                        std::to_string(cell.tasks),
                        std::to_string(cell.nonconverged),
                        std::to_string(cell.sampled_std),
                        std::to_string(s.units),
                        csv_number(ci.coverage),
                        ci.count == 0        ? "no_values"
                        : ci.too_few_units() ? "too_few_units"
                                             : "ok",
                        csv_number(s.task_quartiles.median),
                        csv_number(s.task_quartiles.q1),
                        csv_number(s.task_quartiles.q3)});
    }
  }
  return text;
}

std::string summary_markdown(const Analysis& a) {
  std::string text = "# Summary per method, truth kind, data size d and noise level σ\n\n";
  text += "Each cell: the " + median_note(a) + " (\"" + kTooFew +
          "\" when no pair of order statistics reaches the level), and the quartiles Q1, Q3 over truths (type 7). "
          "truths: truths with a finite value; tasks: finite values over all replicates; non-conv.: runs whose "
          "solvers did not all converge; sampled: runs with a sampled (inexact) std.\n\n";
  text += missing_note(a);
  text += "## Error and uncertainty per method\n\n";
  for (const auto kind : a.truth_kinds) {
    for (const auto d : a.data_sizes) {
      const auto rows = uncertainty_rows(a, kind, d);
      if (rows.empty()) continue;
      text += "**" + a.kind_name(kind) + " truths, d = " + std::to_string(d) + "**\n\n";
      text += markdown_table(uncertainty_header(), rows, 2) + "\n";
    }
  }
  for (const auto& metric : a.summary_metrics) {
    text += "## " + metric_title(metric) + "\n\n";
    text += markdown_table({"method", "truth", "d", "σ", "truths", "tasks", "median", level_text(a) + " CI", "Q1", "Q3",
                            "non-conv.", "sampled"},
                           summary_rows(a, metric), 2);
    text += "\n";
  }
  return text;
}

std::string summary_latex(const Analysis& a) {
  std::string text = "% priorbench report: per-cell summaries (needs \\usepackage{booktabs}).\n\n";
  for (const auto& metric : a.summary_metrics) {
    text += latex_table(latex_escape(metric) + ": " + latex_escape(median_note(a)) + ", quartiles over truths",
                        "lllrrrrcrrrr",
                        {"method", "truth", "$d$", "$\\sigma$", "truths", "tasks", "median",
                         latex_escape(level_text(a)) + " CI", "$Q_1$", "$Q_3$", "non-conv.", "sampled"},
                        summary_rows(a, metric));
  }
  return text;
}

std::string compact_csv(const Analysis& a) {
  std::string text = csv_line({"truth_kind", "data_size", "sigma", "method", "median", "ci_low", "ci_high", "q1", "q3",
                               "count", "nonconverged", "units", "ci_status", "range_error", "null_error",
                               "coverage_95", "mean_interval_width", "interval_score_95", "crps"});
  for (const auto kind : a.truth_kinds) {
    for (const auto d : a.data_sizes) {
      for (const double sigma : a.sigmas) {
        for (std::size_t m = 0; m < a.results->methods.size(); ++m) {
          const SummaryCell* cell = a.cell(m, kind, d, sigma);
          if (cell == nullptr) continue;
          const MetricSummary& s = cell->metrics.at("relative_error");
          const QuantileInterval& ci = s.median_interval;
          text += csv_line({a.kind_name(kind), std::to_string(d), csv_number(sigma), a.method_name(m),
                            csv_number(s.quartiles.median), csv_number(ci.interval.lower),
                            csv_number(ci.interval.upper), csv_number(s.quartiles.q1), csv_number(s.quartiles.q3),
                            std::to_string(s.count), std::to_string(cell->nonconverged), std::to_string(s.units),
                            ci.count == 0        ? "no_values"
                            : ci.too_few_units() ? "too_few_units"
                                                 : "ok",
                            csv_number(cell_median_number(*cell, "range_error")),
                            csv_number(cell_median_number(*cell, "null_error")),
                            csv_number(cell_median_number(*cell, "coverage_95")),
                            csv_number(cell_median_number(*cell, "mean_interval_width")),
                            csv_number(cell_median_number(*cell, "interval_score_95")),
                            csv_number(cell_median_number(*cell, "crps"))});
        }
      }
    }
  }
  return text;
}

std::string compact_markdown(const Analysis& a, bool with_uncertainty) {
  std::string text;
  for (const auto& table : compact_tables(a, false)) {
    text += "**Relative error, " + a.kind_name(table.kind) + " truths, d = " + std::to_string(table.data_size) +
            "**: " + median_note(a) + "\n\n";
    text += markdown_table(table.header, table.rows, 1);
    if (table.has_dagger) text += "\n" + sampler_note(a);
    if (!with_uncertainty) {
      text += "\n";
      continue;
    }
    text += "\n**Error and uncertainty, " + a.kind_name(table.kind) +
            " truths, d = " + std::to_string(table.data_size) +
            "**: medians over truths; range/null err.: the error's parts in range(Aᵀ) and null(A) relative to "
            "‖x†‖; cov./width 95: coverage and mean width of the 95 % pixel intervals; IS 95: interval score; "
            "CRPS of the Gaussian pixel marginals\n\n";
    text += markdown_table(uncertainty_header(), uncertainty_rows(a, table.kind, table.data_size), 2);
    text += "\n";
  }
  text += missing_note(a);
  return text;
}

std::string compact_latex(const Analysis& a) {
  std::string text = "% priorbench report: relative error, methods as columns (needs \\usepackage{booktabs}).\n\n";
  for (const auto& table : compact_tables(a, true)) {
    const std::string caption = "Relative error, " + latex_escape(a.kind_name(table.kind)) +
                                " truths, $d = " + std::to_string(table.data_size) +
                                "$: " + latex_escape(median_note(a)) +
                                (table.has_dagger ? "; $^\\dagger$ some runs did not converge" : "");
    text += latex_table(caption, std::string("r").append(a.results->methods.size(), 'c'), table.header, table.rows);
    text += latex_table("Error and uncertainty, " + latex_escape(a.kind_name(table.kind)) +
                            " truths, $d = " + std::to_string(table.data_size) + "$: medians over truths",
                        "llcccccccc",
                        {"$\\sigma$", "method", "rel.\\ error [CI]", "range err.", "null err.", "cov.\\ 95", "width 95",
                         "IS 95", "CRPS"},
                        uncertainty_rows(a, table.kind, table.data_size));
  }
  return text;
}

namespace {

std::string replicate_text(const ReplicateCoverage& c) {
  if (!c.available()) return kMissing;
  return metric_value("coverage_95", c.per_truth.median) + " (lowest " + metric_value("coverage_95", c.lowest) +
         ", R = " + printf_number("%g", c.replicates) + ")";
}

std::string latent_text(const LatentCoverage& c) {
  if (c.runs == 0) return kMissing;
  return metric_value("coverage_95", c.coverage_95) + " (" + std::to_string(c.runs) + ")";
}

std::string task_coverage_text(const SummaryCell& cell) {
  const MetricSummary* s = cell.find("coverage_95");
  if (s == nullptr || s->count == 0) return kMissing;
  return metric_value("coverage_95", s->task_quartiles.median) + " [" +
         metric_value("coverage_95", s->task_quartiles.q1) + ", " + metric_value("coverage_95", s->task_quartiles.q3) +
         "]";
}

std::vector<Row> coverage_rows(const Analysis& a, std::int64_t kind, std::int64_t d) {
  std::vector<Row> rows;
  for (const double sigma : a.sigmas) {
    for (std::size_t m = 0; m < a.results->methods.size(); ++m) {
      const SummaryCell* cell = a.cell(m, kind, d, sigma);
      if (cell == nullptr) continue;
      rows.push_back({sigma_text(sigma), a.method_name(m), cell_median(*cell, "coverage_50"),
                      cell_median(*cell, "coverage_90"), cell_median(*cell, "coverage_95"), task_coverage_text(*cell),
                      replicate_text(cell->replicate_coverage), cell_median(*cell, "mean_interval_width_50"),
                      cell_median(*cell, "mean_interval_width_90"), cell_median(*cell, "mean_interval_width"),
                      cell_median(*cell, "interval_score_95"), cell_median(*cell, "crps"),
                      latent_text(cell->latent_coverage)});
    }
  }
  return rows;
}

const Row& coverage_header() {
  static const Row header = {
      "σ",        "method",   "cov. 50",  "cov. 90", "cov. 95", "one data set [Q1, Q3]", "over replicates",
      "width 50", "width 90", "width 95", "IS 95",   "CRPS",    "latent cov. 95 (runs)"};
  return header;
}

}  // namespace

std::string coverage_csv(const Analysis& a) {
  std::string text = csv_line({"method",
                               "truth_kind",
                               "data_size",
                               "sigma",
                               "truths",
                               "coverage_50",
                               "coverage_90",
                               "coverage_95",
                               "task_coverage_95_median",
                               "task_coverage_95_q1",
                               "task_coverage_95_q3",
                               "replicate_truths",
                               "replicates",
                               "replicate_coverage_95_median",
                               "replicate_coverage_95_q1",
                               "replicate_coverage_95_q3",
                               "replicate_coverage_95_lowest",
                               "replicate_coverage_95_spread",
                               "width_50",
                               "width_90",
                               "width_95",
                               "interval_score_50",
                               "interval_score_90",
                               "interval_score_95",
                               "crps",
                               "latent_runs",
                               "latent_coverage_50",
                               "latent_coverage_90",
                               "latent_coverage_95"});
  for (const auto& cell : a.cells) {
    const MetricSummary* task = cell.find("coverage_95");
    const ReplicateCoverage& r = cell.replicate_coverage;
    const LatentCoverage& l = cell.latent_coverage;
    text += csv_line({a.method_name(cell.method),
                      a.kind_name(cell.truth_kind),
                      std::to_string(cell.data_size),
                      csv_number(cell.sigma),
                      std::to_string(cell.truths),
                      csv_number(cell_median_number(cell, "coverage_50")),
                      csv_number(cell_median_number(cell, "coverage_90")),
                      csv_number(cell_median_number(cell, "coverage_95")),
                      csv_number(task ? task->task_quartiles.median : kNaN),
                      csv_number(task ? task->task_quartiles.q1 : kNaN),
                      csv_number(task ? task->task_quartiles.q3 : kNaN),
                      std::to_string(r.truths),
                      csv_number(r.replicates),
                      csv_number(r.per_truth.median),
                      csv_number(r.per_truth.q1),
                      csv_number(r.per_truth.q3),
                      csv_number(r.lowest),
                      csv_number(r.spread),
                      csv_number(cell_median_number(cell, "mean_interval_width_50")),
                      csv_number(cell_median_number(cell, "mean_interval_width_90")),
                      csv_number(cell_median_number(cell, "mean_interval_width")),
                      csv_number(cell_median_number(cell, "interval_score_50")),
                      csv_number(cell_median_number(cell, "interval_score_90")),
                      csv_number(cell_median_number(cell, "interval_score_95")),
                      csv_number(cell_median_number(cell, "crps")),
                      std::to_string(l.runs),
                      csv_number(l.coverage_50),
                      csv_number(l.coverage_90),
                      csv_number(l.coverage_95)});
  }
  return text;
}

std::string coverage_markdown(const Analysis& a) {
  std::string text =
      "Pixelwise credible intervals x̂ ± z·std per method. cov. L: fraction of pixels inside the L interval, "
      "median over truths (a truth's value: the mean over its noise replicates); one data set: the 95 % "
      "coverage of single runs, median [Q1, Q3] over tasks; over replicates: the 95 % coverage across the "
      "noise replicates of one truth (a frequentist coverage, averaged over pixels), median over truths with "
      "the lowest truth and the replicates R per truth (– with one replicate); width L: mean interval width; "
      "IS 95: interval score of the 95 % intervals; CRPS of the Gaussian pixel marginals; latent cov. 95: "
      "fraction of runs whose 95 % latent credible ellipsoid holds z† (generated truths, methods with a latent "
      "covariance).\n\n";
  if (!a.replicated) {
    text +=
        "This study has one noise replicate per truth and cell, so coverage across replicates (the frequentist "
        "coverage for a fixed truth) cannot be measured here; a study with `replicates` ≥ 2 gives it.\n\n";
  }
  text += missing_note(a);
  for (const auto kind : a.truth_kinds) {
    for (const auto d : a.data_sizes) {
      const auto rows = coverage_rows(a, kind, d);
      if (rows.empty()) continue;
      text += "**Coverage, " + a.kind_name(kind) + " truths, d = " + std::to_string(d) + "**\n\n";
      text += markdown_table(coverage_header(), rows, 2) + "\n";
    }
  }
  return text;
}

std::string coverage_latex(const Analysis& a) {
  std::string text = "% priorbench report: coverage of the credible intervals (needs \\usepackage{booktabs}).\n\n";
  for (const auto kind : a.truth_kinds) {
    for (const auto d : a.data_sizes) {
      const auto rows = coverage_rows(a, kind, d);
      if (rows.empty()) continue;
      text += latex_table("Coverage of the pixelwise credible intervals, " + latex_escape(a.kind_name(kind)) +
                              " truths, $d = " + std::to_string(d) + "$: medians over truths",
                          "llccccccccccc",
                          {"$\\sigma$", "method", "cov.\\ 50", "cov.\\ 90", "cov.\\ 95", "one data set",
                           "over replicates", "width 50", "width 90", "width 95", "IS 95", "CRPS", "latent cov.\\ 95"},
                          rows);
    }
  }
  return text;
}

namespace {

std::vector<Row> paired_rows(const Analysis& a, const std::string& metric) {
  std::vector<Row> rows;
  for (const auto& row : a.comparisons) {
    if (row.metric != metric) continue;
    const PairedComparison& c = row.comparison;
    rows.push_back({a.kind_name(row.truth_kind), std::to_string(row.data_size), sigma_text(row.sigma),
                    a.method_name(row.method), a.method_name(row.best), std::to_string(c.pairs),
                    std::to_string(c.wins) + "/" + std::to_string(c.ties) + "/" + std::to_string(c.losses),
                    printf_number("%.3g", c.median_difference), p_text(c.sign_p),
                    p_text(c.signed_rank.p_value) + (c.signed_rank.exact ? "" : " ≈"), p_text(row.holm_p)});
  }
  return rows;
}

const Row& paired_header() {
  static const Row header = {"truth",        "d",      "σ",          "method", "best", "n", "wins/ties/losses",
                             "median diff.", "sign p", "Wilcoxon p", "Holm p"};
  return header;
}

}  // namespace

std::string paired_csv(const Analysis& a) {
  std::string text =
      csv_line({"metric", "truth_kind", "data_size", "sigma", "method", "best", "pairs", "wins", "ties", "losses",
                "median_difference", "sign_p", "holm_sign_p", "wilcoxon_v", "wilcoxon_p", "wilcoxon_exact", "holm_p"});
  for (const auto& row : a.comparisons) {
    const PairedComparison& c = row.comparison;
    text +=
        csv_line({row.metric, a.kind_name(row.truth_kind), std::to_string(row.data_size), csv_number(row.sigma),
                  a.method_name(row.method), a.method_name(row.best), std::to_string(c.pairs), std::to_string(c.wins),
                  std::to_string(c.ties), std::to_string(c.losses), csv_number(c.median_difference),
                  csv_number(c.sign_p), csv_number(row.holm_sign_p), csv_number(c.signed_rank.statistic),
                  csv_number(c.signed_rank.p_value), c.signed_rank.exact ? "1" : "0", csv_number(row.holm_p)});
  }
  return text;
}

std::string paired_markdown(const Analysis& a, const std::string& only_metric) {
  std::string text;
  for (const auto& metric : paired_metric_names()) {
    if (!only_metric.empty() && metric != only_metric) continue;
    const auto rows = paired_rows(a, metric);
    if (rows.empty()) continue;
    text += "**Paired comparison on " + metric_title(metric) +
            "**: each method against the best of its cell (lowest median over truths), over the truths both "
            "ran (a truth's value: the mean over its replicates). wins/ties/losses: truths where the method is "
            "lower/equal/higher; median diff.: of method − best; sign p: exact two-sided sign test; Wilcoxon p: "
            "signed-rank test, exact, or ≈ the normal approximation with tie and continuity corrections; Holm p: "
            "the Wilcoxon p adjusted by Holm over the " +
            std::to_string(rows.size()) + " comparisons of this table.\n\n";
    text += markdown_table(paired_header(), rows, 5) + "\n";
  }
  return text;
}

std::string paired_latex(const Analysis& a) {
  std::string text = "% priorbench report: paired comparisons (needs \\usepackage{booktabs}).\n\n";
  for (const auto& metric : paired_metric_names()) {
    const auto rows = paired_rows(a, metric);
    if (rows.empty()) continue;
    text += latex_table("Paired comparison on " + latex_escape(metric) +
                            ": each method against the best of its cell; sign and Wilcoxon signed-rank tests, Holm "
                            "over the table",
                        "lllllrcrrrr",
                        {"truth", "$d$", "$\\sigma$", "method", "best", "$n$", "W/T/L", "median diff.", "sign $p$",
                         "Wilcoxon $p$", "Holm $p$"},
                        rows);
  }
  return text;
}

std::string contraction_csv(const Analysis& a) {
  std::string text = csv_line({"metric",
                               "method",
                               "truth_kind",
                               "data_size",
                               "slope_sigma",
                               "slope_sigma_low",
                               "slope_sigma_high",
                               "points",
                               "units",
                               "unit_kind",
                               "levels",
                               "dropped",
                               "sigma_smallest",
                               "sigma_next",
                               "floor",
                               "floor_low",
                               "floor_high",
                               "terminal_slope",
                               "terminal_low",
                               "terminal_high",
                               "floor_verdict",
                               "relative_range_distance",
                               "slope_sigma_percentile_low",
                               "slope_sigma_percentile_high",
                               "bca_bias_correction",
                               "bca_acceleration"});
  for (const auto& r : a.sigma_rates) {
    text += csv_line({r.metric,
                      a.method_name(r.method),
                      a.kind_name(r.truth_kind),
                      std::to_string(r.data_size),
                      csv_number(r.slope.slope),
                      csv_number(r.slope.interval.lower),
                      csv_number(r.slope.interval.upper),
                      std::to_string(r.slope.points),
                      std::to_string(r.slope.units),
                      r.unit_kind,
                      std::to_string(r.slope.levels),
                      std::to_string(r.slope.dropped),
                      csv_number(r.floor.sigma_smallest),
                      csv_number(r.floor.sigma_next),
                      csv_number(r.floor.floor),
                      csv_number(r.floor.floor_interval.lower),
                      csv_number(r.floor.floor_interval.upper),
                      csv_number(r.floor.terminal_slope),
                      csv_number(r.floor.terminal_interval.lower),
                      csv_number(r.floor.terminal_interval.upper),
                      verdict_name(r.floor.verdict),
                      csv_number(r.relative_range_distance),
                      csv_number(r.slope.percentile_interval.lower),
                      csv_number(r.slope.percentile_interval.upper),
                      csv_number(r.slope.bias_correction),
                      csv_number(r.slope.acceleration)});
  }
  return text;
}

std::string data_size_rates_csv(const Analysis& a) {
  std::string text = csv_line({"metric", "method", "truth_kind", "sigma", "slope_d", "slope_d_low", "slope_d_high",
                               "points", "units", "unit_kind", "levels", "dropped"});
  for (const auto& r : a.data_size_rates) {
    text += csv_line({r.metric, a.method_name(r.method), a.kind_name(r.truth_kind), csv_number(r.sigma),
                      csv_number(r.slope.slope), csv_number(r.slope.interval.lower), csv_number(r.slope.interval.upper),
                      std::to_string(r.slope.points), std::to_string(r.slope.units), r.unit_kind,
                      std::to_string(r.slope.levels), std::to_string(r.slope.dropped)});
  }
  return text;
}

std::string contraction_markdown(const Analysis& a, const std::string& metric, bool with_data_size) {
  std::string text;
  for (const auto& name : contraction_metric_names()) {
    if (!metric.empty() && name != metric) continue;
    std::vector<Row> rows;
    for (const auto& r : a.sigma_rates) {
      if (r.metric != name) continue;
      rows.push_back({a.method_name(r.method), a.kind_name(r.truth_kind), std::to_string(r.data_size),
                      slope_with_interval(r.slope.slope, r.slope.interval),
                      metric_value(name, r.floor.floor) + " " + interval_text(name, r.floor.floor_interval),
                      sigma_text(r.floor.sigma_smallest),
                      slope_with_interval(r.floor.terminal_slope, r.floor.terminal_interval),
                      verdict_name(r.floor.verdict), metric_value("relative_error", r.relative_range_distance),
                      std::to_string(r.slope.units) + " " + r.unit_kind});
    }
    if (rows.empty()) continue;
    text += "**Contraction in σ of " + metric_title(name) + "**: slope of log(" + name +
            ") against log σ over all σ levels with its " + bootstrap_note(a) +
            " over units; the floor (median over units at the smallest σ) with its " + level_text(a) +
            " order-statistic CI; the terminal slope between the two smallest σ levels with its " + level_text(a) +
            " percentile cluster-bootstrap CI.\n\n";
    text += markdown_table({"method", "truth", "d", "slope vs log σ [CI]", "floor [CI]", "at σ", "terminal slope [CI]",
                            "verdict", "range dist.", "units"},
                           rows, 3);
    text += "\n";
    std::vector<Row> d_rows;
    for (const auto& r : a.data_size_rates) {
      if (r.metric != name || !with_data_size) continue;
      d_rows.push_back({a.method_name(r.method), a.kind_name(r.truth_kind), sigma_text(r.sigma),
                        slope_with_interval(r.slope.slope, r.slope.interval), std::to_string(r.slope.levels),
                        std::to_string(r.slope.units) + " " + r.unit_kind});
    }
    if (!d_rows.empty()) {
      text += "**Contraction in d of " + metric_title(name) + "**: slope of log(" + name +
              ") against log d at each σ with its " + bootstrap_note(a) + " over units.\n\n";
      text += markdown_table({"method", "truth", "σ", "slope vs log d [CI]", "d levels", "units"}, d_rows, 3);
      text += "\n";
    }
  }
  return text;
}

std::string contraction_latex(const Analysis& a) {
  std::string text = "% priorbench report: contraction rates and floors (needs \\usepackage{booktabs}).\n\n";
  for (const auto& name : contraction_metric_names()) {
    std::vector<Row> rows;
    for (const auto& r : a.sigma_rates) {
      if (r.metric != name) continue;
      rows.push_back({a.method_name(r.method), a.kind_name(r.truth_kind), std::to_string(r.data_size),
                      slope_with_interval(r.slope.slope, r.slope.interval),
                      metric_value(name, r.floor.floor) + " " + interval_text(name, r.floor.floor_interval),
                      slope_with_interval(r.floor.terminal_slope, r.floor.terminal_interval),
                      verdict_name(r.floor.verdict)});
    }
    if (!rows.empty()) {
      text += latex_table(
          "Contraction of " + latex_escape(name) + ": slope against $\\log\\sigma$ (" +
              latex_escape(bootstrap_note(a)) +
              "), floor (median over units at the smallest $\\sigma$, order-statistic CI) and terminal slope "
              "(percentile cluster bootstrap)",
          "lllcccl", {"method", "truth", "$d$", "slope vs $\\log\\sigma$", "floor", "terminal slope", "verdict"}, rows);
    }
    std::vector<Row> d_rows;
    for (const auto& r : a.data_size_rates) {
      if (r.metric != name) continue;
      d_rows.push_back({a.method_name(r.method), a.kind_name(r.truth_kind), sigma_text(r.sigma),
                        slope_with_interval(r.slope.slope, r.slope.interval)});
    }
    if (!d_rows.empty()) {
      text += latex_table("Contraction of " + latex_escape(name) + " in the data size: slope against $\\log d$; " +
                              latex_escape(bootstrap_note(a)) + " over units",
                          "lllc", {"method", "truth", "$\\sigma$", "slope vs $\\log d$"}, d_rows);
    }
  }
  return text;
}

std::string nonconverged_csv(const Analysis& a) {
  const TaskTable& t = a.results->tasks;
  std::string text =
      csv_line({"task", "method", "truth_kind", "truth_number", "data_size", "sigma", "replicate", "relative_error"});
  const MetricTable& error = a.results->metric("relative_error");
  for (const auto& run : a.nonconverged) {
    const auto i = static_cast<std::size_t>(run.task);
    text += csv_line({std::to_string(run.task), a.method_name(run.method), a.kind_name(t.truth_kind[i]),
                      std::to_string(t.truth_number[i]), std::to_string(t.data_size[i]), csv_number(t.sigma[i]),
                      std::to_string(t.replicate[i]), csv_number(error.at(i, run.method))});
  }
  return text;
}

std::string code_line(const Results& r) {
  std::string line = "- **Code**: priorbench " + (r.priorbench_version.empty() ? "?" : r.priorbench_version) + " (" +
                     (r.git_version.empty() ? "unknown version" : r.git_version) + ")";
  switch (r.source_tree) {
    case SourceTree::clean:
      return line + ", built from a clean source tree.\n";
    case SourceTree::dirty:
      return line + ", **built from a DIRTY source tree** (uncommitted changes" +
             (r.source_tree_recorded ? "" : ", from the version's -dirty suffix") +
             "): these results cannot be reproduced from a commit.\n";
    case SourceTree::unknown:
      break;
  }
  return line + "; whether the source tree was clean is not recorded (the file predates the flag).\n";
}

namespace {

// A duration in the unit a reader takes in at a glance, to 3 significant digits.
std::string duration_text(double seconds) {
  if (!std::isfinite(seconds)) return "–";
  if (seconds >= 3600) return printf_number("%.3g", seconds / 3600) + " h";
  if (seconds >= 60) return printf_number("%.3g", seconds / 60) + " min";
  return printf_number("%.3g", seconds) + " s";
}

std::string time_line(const Analysis& a) {
  const TimeSummary& time = a.time;
  std::ostringstream out;
  out << "- **Time**: " << duration_text(time.task_seconds) << " of task time (wall time of the " << a.done_count
      << " done tasks, summed) on " << time.ranks << (time.ranks == 1 ? " rank" : " ranks") << "; median task by σ: ";
  for (std::size_t i = 0; i < a.sigmas.size(); ++i) {
    out << (i ? ", " : "") << sigma_text(a.sigmas[i]) << ": " << duration_text(time.median_task_seconds_by_sigma[i]);
  }
  out << "; median run by method: ";
  for (std::size_t m = 0; m < time.median_method_seconds.size(); ++m) {
    out << (m ? ", " : "") << a.method_name(m) << " " << duration_text(time.median_method_seconds[m]);
  }
  out << ". Timings differ between runs.\n";
  return out.str();
}

}  // namespace

std::string overview_markdown(const Analysis& a) {
  const Results& r = *a.results;
  std::ostringstream out;
  out << code_line(r);
  out << "- **Tasks**: " << a.task_count << ", of which " << a.done_count << " done and "
      << (a.task_count - a.done_count) << " pending"
      << (a.done_count < a.task_count ? " (only done tasks are reported; the run is incomplete)" : "") << ".\n";
  out << "- **Methods**: ";
  for (std::size_t m = 0; m < r.methods.size(); ++m) {
    out << (m ? ", " : "") << r.methods[m];
    if (!r.method_kinds[m].empty() && r.method_kinds[m] != r.methods[m]) out << " (" << r.method_kinds[m] << ")";
  }
  out << "; truth kinds: ";
  for (std::size_t i = 0; i < a.truth_kinds.size(); ++i) out << (i ? ", " : "") << a.kind_name(a.truth_kinds[i]);
  out << "; d: ";
  for (std::size_t i = 0; i < a.data_sizes.size(); ++i) out << (i ? ", " : "") << a.data_sizes[i];
  out << "; σ: ";
  for (std::size_t i = 0; i < a.sigmas.size(); ++i) out << (i ? ", " : "") << sigma_text(a.sigmas[i]);
  out << ".\n";
  if (!a.converged_recorded) {
    out << "- **Convergence**: not recorded in this file (no /metrics/converged).\n";
  } else if (a.nonconverged.empty()) {
    out << "- **Convergence**: all " << a.method_runs << " method runs converged.\n";
  } else {
    out << "- **WARNING: " << a.nonconverged.size() << " of " << a.method_runs << " method runs did not converge** (";
    bool first = true;
    for (std::size_t m = 0; m < r.methods.size(); ++m) {
      const std::size_t failed = a.nonconverged_per_method[m];
      if (failed == 0) continue;
      const std::size_t converged = a.done_count - failed;
      out << (first ? "" : "; ") << r.methods[m] << ": " << failed << " of " << a.done_count << ", so " << converged
          << " converged, " << printf_number("%.1f", 100.0 * double(converged) / double(a.done_count)) << " %";
      first = false;
    }
    out << "). They are included in every statistic; cells holding them are marked †; the list is in "
           "nonconverged.csv.\n";
  }
  if (a.mixing.runs > 0) {
    const MixingSummary& mix = a.mixing;
    out << "- **Mixing of the samplers**: " << mix.above_threshold << " of " << mix.runs
        << " sampler runs have a split-R̂ above " << printf_number("%.2f", MixingSummary::rhat_threshold)
        << (mix.above_threshold > 0 ? " (counted as not converged above)" : "") << "; largest split-R̂ per run: median "
        << printf_number("%.3g", mix.max_rhat.median) << " [Q1 " << printf_number("%.3g", mix.max_rhat.q1) << ", Q3 "
        << printf_number("%.3g", mix.max_rhat.q3) << "], up to " << printf_number("%.3g", mix.largest_rhat)
        << "; smallest bulk ESS per run: median " << printf_number("%.3g", mix.min_ess_bulk.median) << ".\n";
  }
  out << time_line(a);
  std::size_t sampled = 0;
  for (const auto count : a.sampled_std_per_method) sampled += count;
  out << "- **Sampled (inexact) std**: " << sampled << " of " << a.method_runs << " method runs";
  if (sampled > 0) {
    out << " (";
    bool first = true;
    for (std::size_t m = 0; m < r.methods.size(); ++m) {
      if (a.sampled_std_per_method[m] == 0) continue;
      out << (first ? "" : ", ") << r.methods[m] << ": " << a.sampled_std_per_method[m];
      first = false;
    }
    out << "); their coverage and expected squared error carry Monte Carlo error";
  }
  out << ".\n";
  return out.str();
}

std::string report_markdown(const Analysis& a, const std::string& claims_summary,
                            const std::vector<std::string>& figures, const std::vector<std::string>& files) {
  const Results& r = *a.results;
  std::ostringstream out;
  out << "# priorbench report: " << (r.study_name.empty() ? r.path : r.study_name) << "\n\n";
  out << "Results file `" << r.path << "`";
  if (!r.study_hash.empty()) out << ", study hash `" << r.study_hash << "`";
  if (!r.git_version.empty()) out << ", written by priorbench " << r.priorbench_version << " (" << r.git_version << ")";
  out << ". Statistics: medians over truths with distribution-free order-statistic CIs; slopes with "
      << bootstrap_note(a) << "; paired sign and Wilcoxon tests, Holm-adjusted; quartiles of type 7. How to "
      << "read this report: docs/report.md.\n\n";
  out << overview_markdown(a) << "\n";
  if (!claims_summary.empty()) out << "## The seed claims (claims.md)\n\n" << claims_summary << "\n";
  out << "## Error and uncertainty\n\n" << compact_markdown(a);
  out << "## Coverage of the credible intervals\n\n" << coverage_markdown(a);
  out << "## Paired comparisons\n\n"
      << paired_markdown(a, "relative_error")
      << "The same for the interval score and the CRPS: paired.md and paired.csv.\n\n";
  out << "## Contraction and floors\n\n" << contraction_markdown(a);
  if (!figures.empty()) {
    out << "## Figures\n\n";
    for (const auto& figure : figures) out << "![" << figure << "](" << figure << ")\n\n";
  }
  out << "## Files\n\n";
  for (const auto& file : files) out << "- [" << file << "](" << file << ")\n";
  return out.str();
}

}  // namespace priorbench::report
