#include "report/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <tuple>
#include <utility>

#include "core/error.hpp"

namespace priorbench::report {
namespace {

std::string number_key(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

template <class Value>
std::vector<Value> distinct(std::vector<Value> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

// Resampling units of a group of tasks: truths when there are enough of them, otherwise
// (truth, replicate) pairs. Returns the unit of each task, in the order given.
std::pair<std::vector<std::size_t>, std::string> assign_units(const TaskTable& tasks,
                                                              const std::vector<std::size_t>& members,
                                                              std::size_t min_truths) {
  std::set<std::int64_t> truths;
  for (const std::size_t t : members) truths.insert(tasks.truth_number[t]);
  const bool by_truth = truths.size() >= min_truths;
  std::map<std::pair<std::int64_t, std::int64_t>, std::size_t> ids;
  std::vector<std::size_t> units;
  units.reserve(members.size());
  for (const std::size_t t : members) {
    const std::pair<std::int64_t, std::int64_t> key{tasks.truth_number[t], by_truth ? 0 : tasks.replicate[t]};
    units.push_back(ids.emplace(key, ids.size()).first->second);
  }
  return {std::move(units), by_truth ? "truth" : "truth-replicate"};
}

// Each truth's mean of `table` over its tasks among `members` (finite values only).
std::map<std::int64_t, double> truth_means(const TaskTable& tasks, const std::vector<std::size_t>& members,
                                           const MetricTable& table, std::size_t m) {
  std::map<std::int64_t, std::pair<double, double>> sums;  // truth → (sum, count)
  for (const std::size_t t : members) {
    const double value = table.at(t, m);
    if (!std::isfinite(value)) continue;
    auto& [sum, count] = sums[tasks.truth_number[t]];
    sum += value;
    count += 1;
  }
  std::map<std::int64_t, double> means;
  for (const auto& [truth, sum_count] : sums) means.emplace(truth, sum_count.first / sum_count.second);
  return means;
}

// Done tasks of a truth kind at data size d (all when negative) and σ (all when negative).
std::vector<std::size_t> done_tasks(const TaskTable& tasks, std::int64_t kind, std::int64_t data_size, double sigma) {
  std::vector<std::size_t> members;
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    if (tasks.done[t] && tasks.truth_kind[t] == kind && (data_size < 0 || tasks.data_size[t] == data_size) &&
        (sigma < 0 || tasks.sigma[t] == sigma)) {
      members.push_back(t);
    }
  }
  return members;
}

class Analyzer {
 public:
  Analyzer(const Results& results, const AnalysisOptions& options) : results_(results), tasks_(results.tasks) {
    analysis_.results = &results;
    analysis_.options = options;
    analysis_.task_count = tasks_.size();
    for (std::size_t t = 0; t < tasks_.size(); ++t) {
      if (tasks_.done[t]) done_.push_back(t);
    }
    analysis_.done_count = done_.size();
    PB_REQUIRE(!done_.empty(), results.path, ": no task is done yet (0 of ", tasks_.size(), "); nothing to report");
    std::vector<std::int64_t> kinds, sizes;
    std::vector<double> sigmas;
    for (const std::size_t t : done_) {
      kinds.push_back(tasks_.truth_kind[t]);
      sizes.push_back(tasks_.data_size[t]);
      sigmas.push_back(tasks_.sigma[t]);
    }
    std::set<std::tuple<std::int64_t, std::int64_t, std::int64_t, double>> seen;
    for (const std::size_t t : done_) {
      const auto key =
          std::make_tuple(tasks_.truth_kind[t], tasks_.truth_number[t], tasks_.data_size[t], tasks_.sigma[t]);
      if (!seen.insert(key).second) analysis_.replicated = true;
    }
    analysis_.truth_kinds = distinct(kinds);
    analysis_.data_sizes = distinct(sizes);
    analysis_.sigmas = distinct(sigmas);
    std::reverse(analysis_.sigmas.begin(), analysis_.sigmas.end());
    for (const auto& name : summary_metric_names()) {
      if (results.has_metric(name)) analysis_.summary_metrics.push_back(name);
    }
    for (const auto& name : uncertainty_metric_names()) {
      if (!results.has_metric(name)) analysis_.missing_uncertainty_metrics.push_back(name);
    }
  }

  Analysis run() && {
    count_runs();
    summarize_cells();
    compare_methods();
    contraction_in_sigma();
    contraction_in_data_size();
    summarize_time();
    return std::move(analysis_);
  }

 private:
  const BootstrapOptions& bootstrap() const { return analysis_.options.bootstrap; }
  std::size_t method_count() const { return results_.methods.size(); }

  std::vector<std::size_t> done_where(std::int64_t kind, std::int64_t data_size, double sigma) const {
    std::vector<std::size_t> members;
    for (const std::size_t t : done_) {
      if (tasks_.truth_kind[t] == kind && (data_size < 0 || tasks_.data_size[t] == data_size) &&
          (sigma < 0 || tasks_.sigma[t] == sigma)) {
        members.push_back(t);
      }
    }
    return members;
  }

  void summarize_mixing() {
    if (!results_.has_metric("max_rhat")) return;
    const MetricTable& rhat_table = results_.metric("max_rhat");
    const MetricTable* ess_table = results_.has_metric("min_ess_bulk") ? &results_.metric("min_ess_bulk") : nullptr;
    std::vector<double> rhats, ess;
    for (const std::size_t t : done_) {
      for (std::size_t m = 0; m < method_count(); ++m) {
        const double rhat = rhat_table.at(t, m);
        if (std::isnan(rhat)) continue;  // not a sampler
        rhats.push_back(rhat);
        if (ess_table != nullptr) ess.push_back(ess_table->at(t, m));
      }
    }
    MixingSummary& mixing = analysis_.mixing;
    mixing.runs = rhats.size();
    // An infinite R̂ (a chain that never moved) counts as above the threshold.
    for (const double rhat : rhats) mixing.above_threshold += !(rhat <= MixingSummary::rhat_threshold);
    const auto finite = finite_values(rhats);
    mixing.max_rhat = quartiles(finite);
    if (!finite.empty()) mixing.largest_rhat = *std::max_element(finite.begin(), finite.end());
    mixing.min_ess_bulk = quartiles(finite_values(ess));
  }

  void summarize_time() {
    TimeSummary& time = analysis_.time;
    std::set<std::int64_t> ranks;
    for (const std::size_t t : done_) {
      time.task_seconds += tasks_.seconds[t];
      ranks.insert(tasks_.rank[t]);
    }
    time.ranks = ranks.size();
    for (const double sigma : analysis_.sigmas) {
      std::vector<double> seconds;
      for (const std::size_t t : done_) {
        if (tasks_.sigma[t] == sigma) seconds.push_back(tasks_.seconds[t]);
      }
      time.median_task_seconds_by_sigma.push_back(quartiles(seconds).median);
    }
    for (std::size_t m = 0; m < method_count(); ++m) {
      std::vector<double> seconds;
      if (results_.has_metric("seconds")) {
        for (const std::size_t t : done_) seconds.push_back(results_.metric("seconds").at(t, m));
      }
      time.median_method_seconds.push_back(seconds.empty() ? kNaN : quartiles(finite_values(seconds)).median);
    }
  }

  void count_runs() {
    summarize_mixing();
    analysis_.method_runs = done_.size() * method_count();
    analysis_.sampled_std_per_method.assign(method_count(), 0);
    analysis_.nonconverged_per_method.assign(method_count(), 0);
    analysis_.converged_recorded = results_.has_metric("converged");
    for (const std::size_t t : done_) {
      for (std::size_t m = 0; m < method_count(); ++m) {
        if (analysis_.converged_recorded && results_.metric("converged").at(t, m) == 0) {
          analysis_.nonconverged.push_back({static_cast<std::int64_t>(t), m});
          ++analysis_.nonconverged_per_method[m];
        }
        if (results_.has_metric("std_exact") && results_.metric("std_exact").at(t, m) == 0) {
          ++analysis_.sampled_std_per_method[m];
        }
      }
    }
  }

  std::string cell_label(std::size_t method, std::int64_t kind, std::int64_t data_size, double sigma) const {
    return results_.methods[method] + "|" + results_.truth_kind_name(kind) + "|d=" + std::to_string(data_size) +
           "|sigma=" + number_key(sigma);
  }

  void summarize_cells() {
    for (std::size_t m = 0; m < method_count(); ++m) {
      for (const auto kind : analysis_.truth_kinds) {
        for (const auto d : analysis_.data_sizes) {
          for (const double sigma : analysis_.sigmas) {
            const auto members = done_where(kind, d, sigma);
            if (members.empty()) continue;
            analysis_.cells.push_back(summarize_cell(m, kind, d, sigma, members));
          }
        }
      }
    }
  }

  std::map<std::int64_t, double> truth_means(const std::vector<std::size_t>& members, const MetricTable& table,
                                             std::size_t m) const {
    return report::truth_means(tasks_, members, table, m);
  }

  static std::vector<double> values_of(const std::map<std::int64_t, double>& by_truth) {
    std::vector<double> values;
    for (const auto& [truth, value] : by_truth) values.push_back(value);
    return values;
  }

  MetricSummary summarize_metric(const std::vector<std::size_t>& members, const MetricTable& table,
                                 std::size_t m) const {
    std::vector<double> tasks;
    for (const std::size_t t : members) tasks.push_back(table.at(t, m));
    tasks = finite_values(tasks);
    const std::vector<double> units = values_of(truth_means(members, table, m));
    MetricSummary summary;
    summary.count = tasks.size();
    summary.units = units.size();
    summary.quartiles = quartiles(units);
    summary.median_interval = order_statistic_interval(units, 0.5, bootstrap().level);
    summary.task_quartiles = quartiles(tasks);
    return summary;
  }

  ReplicateCoverage replicate_coverage(const std::vector<std::size_t>& members, std::size_t m) const {
    ReplicateCoverage coverage;
    if (!results_.has_metric("coverage_95")) return coverage;
    const MetricTable& table = results_.metric("coverage_95");
    std::map<std::int64_t, std::vector<double>> by_truth;
    for (const std::size_t t : members) {
      if (std::isfinite(table.at(t, m))) by_truth[tasks_.truth_number[t]].push_back(table.at(t, m));
    }
    std::vector<double> means, spreads, counts;
    for (const auto& [truth, values] : by_truth) {
      if (values.size() < 2) continue;
      const double n = static_cast<double>(values.size());
      double mean = 0, squares = 0;
      for (const double v : values) mean += v / n;
      for (const double v : values) squares += (v - mean) * (v - mean);
      means.push_back(mean);
      spreads.push_back(std::sqrt(squares / (n - 1)));
      counts.push_back(n);
    }
    coverage.truths = means.size();
    if (means.empty()) return coverage;
    coverage.replicates = median(counts);
    coverage.per_truth = quartiles(means);
    coverage.lowest = *std::min_element(means.begin(), means.end());
    coverage.spread = median(spreads);
    return coverage;
  }

  LatentCoverage latent_coverage(const std::vector<std::size_t>& members, std::size_t m) const {
    LatentCoverage coverage;
    if (!results_.has_metric("latent_credible_level")) return coverage;
    const MetricTable& table = results_.metric("latent_credible_level");
    double inside[3] = {0, 0, 0};
    for (const std::size_t t : members) {
      const double level = table.at(t, m);
      if (!std::isfinite(level)) continue;
      ++coverage.runs;
      inside[0] += level <= 0.5 ? 1 : 0;
      inside[1] += level <= 0.9 ? 1 : 0;
      inside[2] += level <= 0.95 ? 1 : 0;
    }
    if (coverage.runs == 0) return coverage;
    const double runs = static_cast<double>(coverage.runs);
    coverage.coverage_50 = inside[0] / runs;
    coverage.coverage_90 = inside[1] / runs;
    coverage.coverage_95 = inside[2] / runs;
    return coverage;
  }

  SummaryCell summarize_cell(std::size_t m, std::int64_t kind, std::int64_t d, double sigma,
                             const std::vector<std::size_t>& members) const {
    SummaryCell cell;
    cell.method = m;
    cell.truth_kind = kind;
    cell.data_size = d;
    cell.sigma = sigma;
    cell.tasks = members.size();
    std::set<std::int64_t> truths;
    for (const std::size_t t : members) {
      truths.insert(tasks_.truth_number[t]);
      if (results_.has_metric("converged") && results_.metric("converged").at(t, m) == 0) ++cell.nonconverged;
      if (results_.has_metric("std_exact") && results_.metric("std_exact").at(t, m) == 0) ++cell.sampled_std;
    }
    cell.truths = truths.size();
    for (const auto& name : analysis_.summary_metrics) {
      cell.metrics.emplace(name, summarize_metric(members, results_.metric(name), m));
    }
    cell.replicate_coverage = replicate_coverage(members, m);
    cell.latent_coverage = latent_coverage(members, m);
    return cell;
  }

  // Every method against the best of its cell, per metric; Holm over each metric's rows.
  void compare_methods() {
    for (const auto& metric : paired_metric_names()) {
      if (!results_.has_metric(metric)) continue;
      const MetricTable& table = results_.metric(metric);
      const std::size_t first = analysis_.comparisons.size();
      for (const auto kind : analysis_.truth_kinds) {
        for (const auto d : analysis_.data_sizes) {
          for (const double sigma : analysis_.sigmas) {
            const auto members = done_where(kind, d, sigma);
            if (members.empty()) continue;
            compare_in_cell(metric, table, kind, d, sigma, members);
          }
        }
      }
      std::vector<double> signed_rank, sign;
      for (std::size_t i = first; i < analysis_.comparisons.size(); ++i) {
        signed_rank.push_back(analysis_.comparisons[i].comparison.signed_rank.p_value);
        sign.push_back(analysis_.comparisons[i].comparison.sign_p);
      }
      const auto adjusted = holm_adjust(signed_rank), adjusted_sign = holm_adjust(sign);
      for (std::size_t i = first; i < analysis_.comparisons.size(); ++i) {
        analysis_.comparisons[i].holm_p = adjusted[i - first];
        analysis_.comparisons[i].holm_sign_p = adjusted_sign[i - first];
      }
    }
  }

  void compare_in_cell(const std::string& metric, const MetricTable& table, std::int64_t kind, std::int64_t d,
                       double sigma, const std::vector<std::size_t>& members) {
    std::vector<std::map<std::int64_t, double>> by_method;
    std::size_t best = method_count();
    double best_median = kNaN;
    for (std::size_t m = 0; m < method_count(); ++m) {
      by_method.push_back(truth_means(members, table, m));
      const double value = median(values_of(by_method.back()));
      if (std::isfinite(value) && !(value >= best_median)) {
        best = m;
        best_median = value;
      }
    }
    if (best == method_count()) return;
    for (std::size_t m = 0; m < method_count(); ++m) {
      if (m == best || by_method[m].empty()) continue;
      std::vector<double> mine, theirs;
      for (const auto& [truth, value] : by_method[m]) {
        const auto other = by_method[best].find(truth);
        if (other == by_method[best].end()) continue;
        mine.push_back(value);
        theirs.push_back(other->second);
      }
      PairedRow row;
      row.metric = metric;
      row.truth_kind = kind;
      row.data_size = d;
      row.sigma = sigma;
      row.method = m;
      row.best = best;
      row.comparison = compare_paired(mine, theirs);
      analysis_.comparisons.push_back(std::move(row));
    }
  }

  // Median over truths of ‖x† − range‖ / ‖x†‖ for method m: the distance to the range of
  // the method's own generator (the per-method metric `range_distance`, in files that
  // record it), else to that of the study's [model] (/tasks/range_distance).
  double relative_range_distance(const std::vector<std::size_t>& members, std::size_t m) const {
    const MetricTable* own = results_.has_metric("range_distance") ? &results_.metric("range_distance") : nullptr;
    std::map<std::int64_t, double> per_truth;
    for (const std::size_t t : members) {
      const double distance = own != nullptr && std::isfinite(own->at(t, m)) ? own->at(t, m) : tasks_.range_distance[t];
      const double ratio = distance / tasks_.truth_norm[t];
      if (std::isfinite(ratio)) per_truth.emplace(tasks_.truth_number[t], ratio);
    }
    std::vector<double> values;
    for (const auto& [truth, ratio] : per_truth) values.push_back(ratio);
    return median(values);
  }

  void contraction_in_sigma() {
    for (const auto& metric : contraction_metric_names()) {
      if (!results_.has_metric(metric)) continue;
      for (std::size_t m = 0; m < method_count(); ++m) {
        for (const auto kind : analysis_.truth_kinds) {
          for (const auto d : analysis_.data_sizes) {
            const auto members = done_where(kind, d, -1);
            if (members.empty()) continue;
            const auto [observations, unit_kind] =
                sigma_observations(results_, metric, m, kind, d, analysis_.options.min_truths_for_truth_units);
            const std::string label =
                metric + "|" + results_.methods[m] + "|" + results_.truth_kind_name(kind) + "|d=" + std::to_string(d);
            SigmaRate rate;
            rate.metric = metric;
            rate.method = m;
            rate.truth_kind = kind;
            rate.data_size = d;
            rate.slope = log_log_slope(observations, bootstrap(), stable_key("rate-sigma|" + label));
            rate.floor = floor_as_sigma_vanishes(observations, bootstrap(), stable_key("floor|" + label));
            rate.unit_kind = unit_kind;
            rate.relative_range_distance = relative_range_distance(members, m);
            analysis_.sigma_rates.push_back(std::move(rate));
          }
        }
      }
    }
  }

  void contraction_in_data_size() {
    if (analysis_.data_sizes.size() < 2) return;
    for (const auto& metric : contraction_metric_names()) {
      if (!results_.has_metric(metric)) continue;
      const MetricTable& table = results_.metric(metric);
      for (std::size_t m = 0; m < method_count(); ++m) {
        for (const auto kind : analysis_.truth_kinds) {
          for (const double sigma : analysis_.sigmas) {
            const auto members = done_where(kind, -1, sigma);
            if (members.empty()) continue;
            const auto [units, unit_kind] = assign_units(tasks_, members, analysis_.options.min_truths_for_truth_units);
            std::vector<Observation> observations;
            for (std::size_t i = 0; i < members.size(); ++i) {
              observations.push_back(
                  {static_cast<double>(tasks_.data_size[members[i]]), table.at(members[i], m), units[i]});
            }
            const std::string label = metric + "|" + results_.methods[m] + "|" + results_.truth_kind_name(kind) +
                                      "|sigma=" + number_key(sigma);
            DataSizeRate rate;
            rate.metric = metric;
            rate.method = m;
            rate.truth_kind = kind;
            rate.sigma = sigma;
            rate.slope = log_log_slope(observations, bootstrap(), stable_key("rate-d|" + label));
            rate.unit_kind = unit_kind;
            analysis_.data_size_rates.push_back(std::move(rate));
          }
        }
      }
    }
  }

  const Results& results_;
  const TaskTable& tasks_;
  std::vector<std::size_t> done_;
  Analysis analysis_;
};

}  // namespace

const std::vector<std::string>& summary_metric_names() {
  static const std::vector<std::string> names = {"relative_error",
                                                 "range_error",
                                                 "null_error",
                                                 "psnr",
                                                 "expected_squared_error",
                                                 "coverage_50",
                                                 "coverage_90",
                                                 "coverage_95",
                                                 "mean_interval_width_50",
                                                 "mean_interval_width_90",
                                                 "mean_interval_width",
                                                 "interval_score_50",
                                                 "interval_score_90",
                                                 "interval_score_95",
                                                 "crps",
                                                 "seconds"};
  return names;
}

const std::vector<std::string>& contraction_metric_names() {
  static const std::vector<std::string> names = {"relative_error", "range_error", "null_error",
                                                 "expected_squared_error"};
  return names;
}

const std::vector<std::string>& paired_metric_names() {
  static const std::vector<std::string> names = {"relative_error", "interval_score_95", "crps"};
  return names;
}

const std::vector<std::string>& uncertainty_metric_names() {
  static const std::vector<std::string> names = {"coverage_50",
                                                 "coverage_90",
                                                 "coverage_95",
                                                 "mean_interval_width_50",
                                                 "mean_interval_width_90",
                                                 "mean_interval_width",
                                                 "interval_score_50",
                                                 "interval_score_90",
                                                 "interval_score_95",
                                                 "crps",
                                                 "range_error",
                                                 "null_error"};
  return names;
}

const SummaryCell* Analysis::cell(std::size_t method, std::int64_t kind, std::int64_t data_size, double sigma) const {
  for (const auto& c : cells) {
    if (c.method == method && c.truth_kind == kind && c.data_size == data_size && c.sigma == sigma) return &c;
  }
  return nullptr;
}

const MetricSummary* SummaryCell::find(const std::string& metric) const {
  const auto found = metrics.find(metric);
  return found == metrics.end() ? nullptr : &found->second;
}

const SigmaRate* Analysis::sigma_rate(const std::string& metric, std::size_t method, std::int64_t kind,
                                      std::int64_t data_size) const {
  for (const auto& rate : sigma_rates) {
    if (rate.metric == metric && rate.method == method && rate.truth_kind == kind && rate.data_size == data_size) {
      return &rate;
    }
  }
  return nullptr;
}

const PairedRow* Analysis::comparison(const std::string& metric, std::size_t method, std::int64_t kind,
                                      std::int64_t data_size, double sigma) const {
  for (const auto& row : comparisons) {
    if (row.metric == metric && row.method == method && row.truth_kind == kind && row.data_size == data_size &&
        row.sigma == sigma) {
      return &row;
    }
  }
  return nullptr;
}

std::map<std::int64_t, double> truth_values(const Results& results, const std::string& metric, std::size_t method,
                                            std::int64_t kind, std::int64_t data_size, double sigma) {
  if (!results.has_metric(metric)) return {};
  return truth_means(results.tasks, done_tasks(results.tasks, kind, data_size, sigma), results.metric(metric), method);
}

std::pair<std::vector<Observation>, std::string> sigma_observations(const Results& results, const std::string& metric,
                                                                    std::size_t method, std::int64_t kind,
                                                                    std::int64_t data_size, std::size_t min_truths) {
  const auto members = done_tasks(results.tasks, kind, data_size, -1);
  const auto [units, unit_kind] = assign_units(results.tasks, members, min_truths);
  std::vector<Observation> observations;
  if (!results.has_metric(metric)) return {observations, unit_kind};
  const MetricTable& table = results.metric(metric);
  for (std::size_t i = 0; i < members.size(); ++i) {
    observations.push_back({results.tasks.sigma[members[i]], table.at(members[i], method), units[i]});
  }
  return {std::move(observations), unit_kind};
}

Analysis analyze(const Results& results, const AnalysisOptions& options) { return Analyzer(results, options).run(); }

}  // namespace priorbench::report
