#pragma once
// The numbers of a report, computed from the done tasks of a results file: per-cell
// summaries (method × truth kind × d × σ), coverage across noise replicates, paired
// comparisons of the methods, contraction rates and floors, and the counts a reader must
// see (pending tasks, non-converged runs, sampled standard deviations).
// Formatting lives in tables.hpp, the seed claims in claims.hpp, the estimators in
// statistics.hpp.
//
// The unit of every interval and test is a truth (an image): a truth's value in a cell is
// the mean of the metric over its noise replicates there, so replicates of one image are
// never counted as independent draws from the population of images.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "report/results_reader.hpp"
#include "report/statistics.hpp"

namespace priorbench::report {

// Metrics summarized per cell, in table order (those absent from a file are skipped).
const std::vector<std::string>& summary_metric_names();
// Metrics whose contraction (rate in σ and d, floor) is reported.
const std::vector<std::string>& contraction_metric_names();
// Metrics compared pairwise between methods (lower is better for each).
const std::vector<std::string>& paired_metric_names();
// The uncertainty metrics of the current results format; a file written before they were
// recorded lacks some, and the report marks those columns as not recorded.
const std::vector<std::string>& uncertainty_metric_names();

struct AnalysisOptions {
  BootstrapOptions bootstrap;
  // A rate's resampling unit is a truth when a group has at least this many truths,
  // otherwise a (truth, replicate) pair (a truth-level bootstrap over 2–4 truths is
  // meaningless).
  std::size_t min_truths_for_truth_units = 5;
};

struct MetricSummary {
  std::size_t count = 0;             // tasks with a finite value
  std::size_t units = 0;             // truths with a finite value: the n of the interval
  Quartiles quartiles;               // over truths (each the mean over its replicates)
  QuantileInterval median_interval;  // distribution-free, over truths
  Quartiles task_quartiles;          // over tasks (every replicate on its own)
};

// Coverage of the 95 % intervals across the noise replicates of one truth (a frequentist
// coverage, averaged over pixels), for cells whose truths have two or more replicates:
// per truth the mean over its replicates of the pixel coverage, then over truths.
struct ReplicateCoverage {
  std::size_t truths = 0;    // truths with ≥ 2 replicates and finite coverage
  double replicates = kNaN;  // median number of replicates per truth
  Quartiles per_truth;       // quartiles over truths
  double lowest = kNaN;      // the smallest truth's coverage
  double spread = kNaN;      // median over truths of the sd of pixel coverage across its replicates
  bool available() const { return truths > 0; }
};

// Coverage of the latent credible ellipsoids: the fraction of a cell's runs with
// /metrics/latent_credible_level ≤ L, for L = 0.5, 0.9, 0.95 (generated truths only).
struct LatentCoverage {
  std::size_t runs = 0;
  double coverage_50 = kNaN, coverage_90 = kNaN, coverage_95 = kNaN;
};

struct SummaryCell {
  std::size_t method = 0;
  std::int64_t truth_kind = 0;
  std::int64_t data_size = 0;
  double sigma = 0;
  std::size_t tasks = 0;
  std::size_t nonconverged = 0;
  std::size_t sampled_std = 0;
  std::size_t truths = 0;  // distinct truths among the cell's tasks
  std::map<std::string, MetricSummary> metrics;
  ReplicateCoverage replicate_coverage;
  LatentCoverage latent_coverage;
  // The summary of `metric`, or null when the file does not record it.
  const MetricSummary* find(const std::string& metric) const;
};

// One method against the best method of a cell (lowest median over truths) on one metric,
// paired over the truths both have; `holm_p` adjusts the signed-rank p-values over every
// comparison of that metric in the report (and `holm_sign_p` the sign tests').
struct PairedRow {
  std::string metric;
  std::int64_t truth_kind = 0;
  std::int64_t data_size = 0;
  double sigma = 0;
  std::size_t method = 0;
  std::size_t best = 0;
  PairedComparison comparison;
  double holm_p = kNaN;
  double holm_sign_p = kNaN;
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

// Where the run's time went: the task time of the done tasks (wall seconds of each task,
// summed), the ranks that ran them, the median task by σ and the median method run.
// Timings differ between runs of the same study; they are reported, never compared.
struct TimeSummary {
  double task_seconds = 0;
  std::size_t ranks = 0;
  std::vector<double> median_task_seconds_by_sigma;  // parallel to Analysis::sigmas
  std::vector<double> median_method_seconds;         // per method; NaN without /metrics/seconds
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
  std::vector<std::string> missing_uncertainty_metrics;  // of uncertainty_metric_names(), absent from the file
  std::vector<SummaryCell> cells;                        // method, kind, d, σ (descending)
  std::vector<PairedRow> comparisons;                    // metric, kind, d, σ, method
  bool replicated = false;                               // some truth has ≥ 2 replicates in a cell
  std::vector<SigmaRate> sigma_rates;
  std::vector<DataSizeRate> data_size_rates;
  bool converged_recorded = false;
  std::vector<NonConvergedRun> nonconverged;
  std::vector<std::size_t> sampled_std_per_method;
  MixingSummary mixing;
  TimeSummary time;
  std::size_t method_runs = 0;  // done tasks × methods
  std::vector<std::size_t> nonconverged_per_method;

  const std::string& method_name(std::size_t method) const { return results->methods[method]; }
  std::string kind_name(std::int64_t kind) const { return results->truth_kind_name(kind); }
  const SummaryCell* cell(std::size_t method, std::int64_t kind, std::int64_t data_size, double sigma) const;
  const SigmaRate* sigma_rate(const std::string& metric, std::size_t method, std::int64_t kind,
                              std::int64_t data_size) const;
  const PairedRow* comparison(const std::string& metric, std::size_t method, std::int64_t kind, std::int64_t data_size,
                              double sigma) const;
};

// Everything of a report; fails if no task is done.
Analysis analyze(const Results& results, const AnalysisOptions& options);

// A metric's value per truth (the mean over its done replicates) in one cell, by truth
// number; empty when the file does not record the metric.
std::map<std::int64_t, double> truth_values(const Results& results, const std::string& metric, std::size_t method,
                                            std::int64_t kind, std::int64_t data_size, double sigma);

// The (σ, value, unit) points of a metric over the done tasks of a truth kind and d, with
// the resampling units of the contraction rates (truths, or (truth, replicate) pairs when
// there are fewer than `min_truths` truths), and which of the two it used.
std::pair<std::vector<Observation>, std::string> sigma_observations(const Results& results, const std::string& metric,
                                                                    std::size_t method, std::int64_t kind,
                                                                    std::int64_t data_size, std::size_t min_truths);

}  // namespace priorbench::report
