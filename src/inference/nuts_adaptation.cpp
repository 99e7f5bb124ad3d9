#include "inference/nuts_adaptation.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace priorbench {

DualAveraging::DualAveraging(const DualAveragingParameters& parameters) : parameters_(parameters) {
  PB_REQUIRE(parameters.target_acceptance > 0 && parameters.target_acceptance < 1,
             "NUTS: the target acceptance must be in (0, 1), got ", parameters.target_acceptance);
  PB_REQUIRE(parameters.gamma > 0, "NUTS: the dual-averaging gamma must be positive, got ", parameters.gamma);
  PB_REQUIRE(parameters.t0 >= 0, "NUTS: the dual-averaging t0 must be non-negative, got ", parameters.t0);
  PB_REQUIRE(parameters.kappa > 0 && parameters.kappa <= 1, "NUTS: the dual-averaging kappa must be in (0, 1], got ",
             parameters.kappa);
}

void DualAveraging::restart(double step_size) {
  PB_REQUIRE(step_size > 0 && std::isfinite(step_size), "NUTS: dual averaging needs a positive step size, got ",
             step_size);
  mu_ = std::log(10 * step_size);
  error_average_ = 0;
  log_step_average_ = 0;
  count_ = 0;
}

double DualAveraging::update(double acceptance) {
  ++count_;
  const double t = static_cast<double>(count_);
  const double eta = 1.0 / (t + parameters_.t0);
  error_average_ = (1 - eta) * error_average_ + eta * (parameters_.target_acceptance - std::min(acceptance, 1.0));
  const double log_step = mu_ - error_average_ * std::sqrt(t) / parameters_.gamma;
  const double weight = std::pow(t, -parameters_.kappa);
  log_step_average_ = (1 - weight) * log_step_average_ + weight * log_step;
  return std::exp(log_step);
}

double DualAveraging::final_step_size() const { return std::exp(log_step_average_); }

WarmupSchedule::WarmupSchedule(std::size_t warmup, std::size_t initial_buffer, std::size_t base_window,
                               std::size_t terminal_buffer, bool adapt_metric)
    : warmup_(warmup) {
  PB_REQUIRE(base_window >= 2, "NUTS: the base metric window must hold at least 2 draws, got ", base_window);
  PB_REQUIRE(terminal_buffer >= 1,
             "NUTS: the terminal buffer must be at least 1 iteration (the step size must adapt to the last metric)");
  if (!adapt_metric || warmup < 20) return;
  if (initial_buffer + base_window + terminal_buffer > warmup) {  // Stan's 15 % / 75 % / 10 %
    initial_buffer = static_cast<std::size_t>(0.15 * static_cast<double>(warmup));
    terminal_buffer = static_cast<std::size_t>(0.1 * static_cast<double>(warmup));
    base_window = warmup - (initial_buffer + terminal_buffer);
  }
  initial_buffer_ = initial_buffer;
  terminal_buffer_ = terminal_buffer;
  const std::size_t last = warmup - terminal_buffer - 1;  // the final window ends here
  std::size_t size = base_window;
  std::size_t end = initial_buffer + size - 1;
  while (true) {
    window_ends_.push_back(end);
    if (end == last) break;
    size *= 2;
    std::size_t next = end + size;
    // Stretch this window to the end when the one after it would not fit.
    if (next + 2 * size >= warmup - terminal_buffer) next = last;
    end = next;
  }
}

bool WarmupSchedule::collects(std::size_t iteration) const {
  return adapts_metric() && iteration >= initial_buffer_ && iteration <= window_ends_.back();
}

bool WarmupSchedule::ends_window(std::size_t iteration) const {
  return std::binary_search(window_ends_.begin(), window_ends_.end(), iteration);
}

MetricEstimator::MetricEstimator(MetricKind kind, std::size_t dimension)
    : kind_(kind), mean_(dimension, 0.0), comoments_(dimension, dimension) {}

void MetricEstimator::add(std::span<const double> position) {
  const std::size_t m = mean_.size();
  ++count_;
  std::vector<double> before(m);
  for (std::size_t j = 0; j < m; ++j) {
    before[j] = position[j] - mean_[j];
    mean_[j] += before[j] / static_cast<double>(count_);
  }
  for (std::size_t j = 0; j < m; ++j) {
    const double after = position[j] - mean_[j];
    if (kind_ == MetricKind::diagonal) {
      comoments_(j, j) += before[j] * after;
      continue;
    }
    for (std::size_t i = 0; i < m; ++i) comoments_(i, j) += before[i] * after;
  }
}

DenseMatrix MetricEstimator::regularized_covariance() const {
  PB_REQUIRE(count_ >= 2, "NUTS: a metric window needs at least 2 draws, got ", count_);
  const double n = static_cast<double>(count_);
  DenseMatrix covariance = comoments_;
  for (double& value : covariance.values()) value *= (n / (n + 5)) / (n - 1);
  for (std::size_t j = 0; j < covariance.rows(); ++j) covariance(j, j) += 1e-3 * 5 / (n + 5);
  return covariance;
}

void MetricEstimator::restart() {
  count_ = 0;
  std::fill(mean_.begin(), mean_.end(), 0.0);
  std::fill(comoments_.values().begin(), comoments_.values().end(), 0.0);
}

}  // namespace priorbench
