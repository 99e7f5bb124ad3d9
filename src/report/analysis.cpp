#include "report/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
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
    analysis_.truth_kinds = distinct(kinds);
    analysis_.data_sizes = distinct(sizes);
    analysis_.sigmas = distinct(sigmas);
    std::reverse(analysis_.sigmas.begin(), analysis_.sigmas.end());
    for (const auto& name : summary_metric_names()) {
      if (results.has_metric(name)) analysis_.summary_metrics.push_back(name);
    }
  }

  Analysis run() && {
    count_runs();
    summarize_cells();
    contraction_in_sigma();
    contraction_in_data_size();
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

  void count_runs() {
    summarize_mixing();
    analysis_.method_runs = done_.size() * method_count();
    analysis_.sampled_std_per_method.assign(method_count(), 0);
    analysis_.converged_recorded = results_.has_metric("converged");
    for (const std::size_t t : done_) {
      for (std::size_t m = 0; m < method_count(); ++m) {
        if (analysis_.converged_recorded && results_.metric("converged").at(t, m) == 0) {
          analysis_.nonconverged.push_back({static_cast<std::int64_t>(t), m});
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

  SummaryCell summarize_cell(std::size_t m, std::int64_t kind, std::int64_t d, double sigma,
                             const std::vector<std::size_t>& members) const {
    SummaryCell cell{m, kind, d, sigma, members.size(), 0, 0, {}};
    for (const std::size_t t : members) {
      if (results_.has_metric("converged") && results_.metric("converged").at(t, m) == 0) ++cell.nonconverged;
      if (results_.has_metric("std_exact") && results_.metric("std_exact").at(t, m) == 0) ++cell.sampled_std;
    }
    for (const auto& name : analysis_.summary_metrics) {
      const MetricTable& table = results_.metric(name);
      std::vector<double> values;
      for (const std::size_t t : members) values.push_back(table.at(t, m));
      values = finite_values(values);
      MetricSummary summary;
      summary.count = values.size();
      summary.quartiles = quartiles(values);
      summary.median_interval = bootstrap_median_interval(
          values, bootstrap(), stable_key("summary|" + cell_label(m, kind, d, sigma) + "|" + name));
      cell.metrics.emplace(name, summary);
    }
    return cell;
  }

  double relative_range_distance(const std::vector<std::size_t>& members) const {
    std::map<std::int64_t, double> per_truth;
    for (const std::size_t t : members) {
      const double ratio = tasks_.range_distance[t] / tasks_.truth_norm[t];
      if (std::isfinite(ratio)) per_truth.emplace(tasks_.truth_number[t], ratio);
    }
    std::vector<double> values;
    for (const auto& [truth, ratio] : per_truth) values.push_back(ratio);
    return median(values);
  }

  void contraction_in_sigma() {
    for (const auto& metric : contraction_metric_names()) {
      if (!results_.has_metric(metric)) continue;
      const MetricTable& table = results_.metric(metric);
      for (std::size_t m = 0; m < method_count(); ++m) {
        for (const auto kind : analysis_.truth_kinds) {
          for (const auto d : analysis_.data_sizes) {
            const auto members = done_where(kind, d, -1);
            if (members.empty()) continue;
            const auto [units, unit_kind] = assign_units(tasks_, members, analysis_.options.min_truths_for_truth_units);
            std::vector<Observation> observations;
            for (std::size_t i = 0; i < members.size(); ++i) {
              observations.push_back({tasks_.sigma[members[i]], table.at(members[i], m), units[i]});
            }
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
            rate.relative_range_distance = relative_range_distance(members);
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
  static const std::vector<std::string> names = {
      "relative_error", "psnr", "expected_squared_error", "coverage_95", "mean_interval_width", "seconds"};
  return names;
}

const std::vector<std::string>& contraction_metric_names() {
  static const std::vector<std::string> names = {"relative_error", "expected_squared_error"};
  return names;
}

const SummaryCell* Analysis::cell(std::size_t method, std::int64_t kind, std::int64_t data_size, double sigma) const {
  for (const auto& c : cells) {
    if (c.method == method && c.truth_kind == kind && c.data_size == data_size && c.sigma == sigma) return &c;
  }
  return nullptr;
}

Analysis analyze(const Results& results, const AnalysisOptions& options) { return Analyzer(results, options).run(); }

}  // namespace priorbench::report
