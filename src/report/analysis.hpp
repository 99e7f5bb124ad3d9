#pragma once
// The numbers of a report, computed from the done tasks of a results file: per-cell
// summaries (method × truth kind × d × σ), contraction rates and floors, and the counts a
// reader must see (pending tasks, non-converged runs, sampled standard deviations).
// Formatting lives in tables.hpp; the estimators in statistics.hpp.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "report/results_reader.hpp"
#include "report/statistics.hpp"

namespace priorbench::report {

// Metrics summarized per cell, in table order (those absent from a file are skipped).
const std::vector<std::string>& summary_metric_names();
// Metrics whose contraction (rate in σ and d, floor) is reported.
const std::vector<std::string>& contraction_metric_names();

struct AnalysisOptions {
  BootstrapOptions bootstrap;
  // A rate's resampling unit is a truth when a group has at least this many truths,
  // otherwise a (truth, replicate) pair (a truth-level bootstrap over 2–4 truths is
  // meaningless).
  std::size_t min_truths_for_truth_units = 5;
};

struct MetricSummary {
  std::size_t count = 0;  // finite values
  Quartiles quartiles;
  Interval median_interval;  // percentile bootstrap over the cell's tasks
};

struct SummaryCell {
  std::size_t method = 0;
  std::int64_t truth_kind = 0;
  std::int64_t data_size = 0;
  double sigma = 0;
  std::size_t tasks = 0;
  std::size_t nonconverged = 0;
  std::size_t sampled_std = 0;
  std::map<std::string, MetricSummary> metrics;
};

// Rate in σ at fixed d, and the floor as σ → 0.
struct SigmaRate {
  std::string metric;
  std::size_t method = 0;
  std::int64_t truth_kind = 0;
  std::int64_t data_size = 0;
  SlopeEstimate slope;
  FloorEstimate floor;
  std::string unit_kind;  // "truth" or "truth-replicate"
  // Median of ‖x† − μ(z)‖ / ‖x†‖ over the group's truths (NaN without a generator): the
  // relative error below which no estimate on the generator's range can go.
  double relative_range_distance = kNaN;
};

// Rate in d at fixed σ (only with at least two data sizes).
struct DataSizeRate {
  std::string metric;
  std::size_t method = 0;
  std::int64_t truth_kind = 0;
  double sigma = 0;
  SlopeEstimate slope;
  std::string unit_kind;
};

struct NonConvergedRun {
  std::int64_t task = 0;
  std::size_t method = 0;
};

// The samplers' mixing over all done runs that recorded a split-R̂ (/metrics/max_rhat):
// how many, how many above the threshold, and the spread of R̂ and bulk ESS.
struct MixingSummary {
  static constexpr double rhat_threshold = 1.01;  // the sampler's own threshold (inference/pcn.hpp)
  std::size_t runs = 0;
  std::size_t above_threshold = 0;
  Quartiles max_rhat;
  double largest_rhat = kNaN;
  Quartiles min_ess_bulk;
};

struct Analysis {
  const Results* results = nullptr;
  AnalysisOptions options;
  std::size_t task_count = 0;
  std::size_t done_count = 0;
  std::vector<std::int64_t> truth_kinds;  // present among done tasks, ascending
  std::vector<std::int64_t> data_sizes;   // ascending
  std::vector<double> sigmas;             // descending: the order in which noise falls
  std::vector<std::string> summary_metrics;
  std::vector<SummaryCell> cells;  // method, kind, d, σ (descending)
  std::vector<SigmaRate> sigma_rates;
  std::vector<DataSizeRate> data_size_rates;
  bool converged_recorded = false;
  std::vector<NonConvergedRun> nonconverged;
  std::vector<std::size_t> sampled_std_per_method;
  MixingSummary mixing;
  std::size_t method_runs = 0;  // done tasks × methods

  const std::string& method_name(std::size_t method) const { return results->methods[method]; }
  std::string kind_name(std::int64_t kind) const { return results->truth_kind_name(kind); }
  const SummaryCell* cell(std::size_t method, std::int64_t kind, std::int64_t data_size, double sigma) const;
};

// Everything of a report; fails if no task is done.
Analysis analyze(const Results& results, const AnalysisOptions& options);

}  // namespace priorbench::report
