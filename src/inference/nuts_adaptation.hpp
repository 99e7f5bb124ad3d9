#pragma once
// Stan's windowed warm-up for HMC/NUTS (Stan Reference Manual, "HMC algorithm parameters";
// stan/mcmc/windowed_adaptation.hpp, stepsize_adaptation.hpp, covar_adaptation.hpp):
//
//   | fast: step size | slow windows: step size and metric, doubling | fast: step size |
//     initial_buffer    base_window, 2·base_window, …                    terminal_buffer
//
// - Step size: Nesterov dual averaging (Hoffman & Gelman 2014, §3.2.1) of log ε toward an
//   acceptance statistic δ, every warm-up iteration; restarted with μ = log(10 ε) after
//   each metric update.
// - Metric: the draws of each slow window give a covariance estimate Σ̂ (n draws), used as
//   the inverse metric after Stan's regularization toward a small multiple of I,
//     M⁻¹ = n/(n + 5) Σ̂ + 10⁻³ · 5/(n + 5) I
//   (only the diagonal for a diagonal metric), which keeps M⁻¹ positive definite when n ≤ m.
// - Windows double until the next doubling would overrun the terminal buffer; the last
//   one is stretched to end where the terminal buffer begins. With warm-up 1000 and the
//   defaults 75/25/50 the slow windows hold 25, 50, 100, 200 and 500 draws.
// - Short warm-up (Stan's rule): when initial_buffer + base_window + terminal_buffer exceed
//   the warm-up, the three stages become 15 % / 75 % / 10 % of it (one slow window); below
//   20 warm-up iterations the metric is not adapted, only the step size.

#include <cstddef>
#include <span>
#include <vector>

#include "core/dense.hpp"
#include "inference/hamiltonian.hpp"

namespace priorbench {

struct DualAveragingParameters {
  double target_acceptance = 0.8;  // δ
  double gamma = 0.05;             // γ, shrinkage toward μ
  double t0 = 10;                  // t0, damps the first iterations
  double kappa = 0.75;             // κ, decay of the averaging weights
};

// Dual averaging of log ε: after iteration t with acceptance statistic α_t ≤ 1,
//   H̄_t = (1 − 1/(t + t0)) H̄_{t−1} + (δ − α_t)/(t + t0),
//   log ε_{t+1} = μ − √t H̄_t / γ,
//   log ε̄_{t+1} = t^−κ log ε_{t+1} + (1 − t^−κ) log ε̄_t,
// and ε̄ is the step size once adaptation stops.
class DualAveraging {
 public:
  explicit DualAveraging(const DualAveragingParameters& parameters);
  // Starts afresh around step size ε: μ = log(10 ε), t = 0, H̄ = 0, log ε̄ = 0.
  void restart(double step_size);
  // The step size for the next iteration after one with acceptance statistic α.
  double update(double acceptance);
  double final_step_size() const;  // ε̄
  std::size_t iterations() const { return count_; }

 private:
  DualAveragingParameters parameters_;
  double mu_ = 0;
  double error_average_ = 0;     // H̄
  double log_step_average_ = 0;  // log ε̄
  std::size_t count_ = 0;
};

// Which warm-up iterations (0-based) feed the metric and after which it is re-estimated.
class WarmupSchedule {
 public:
  WarmupSchedule(std::size_t warmup, std::size_t initial_buffer, std::size_t base_window, std::size_t terminal_buffer,
                 bool adapt_metric);

  bool adapts_metric() const { return !window_ends_.empty(); }
  // The draw of this warm-up iteration enters the current window's estimate.
  bool collects(std::size_t iteration) const;
  // The metric is re-estimated after this iteration.
  bool ends_window(std::size_t iteration) const;
  const std::vector<std::size_t>& window_ends() const { return window_ends_; }
  std::size_t initial_buffer() const { return initial_buffer_; }
  std::size_t terminal_buffer() const { return terminal_buffer_; }

 private:
  std::size_t warmup_;
  std::size_t initial_buffer_ = 0;
  std::size_t terminal_buffer_ = 0;
  std::vector<std::size_t> window_ends_;
};

// Running mean and co-moments (Welford) of one window's draws and the regularized estimate.
class MetricEstimator {
 public:
  MetricEstimator(MetricKind kind, std::size_t dimension);
  void add(std::span<const double> position);
  std::size_t count() const { return count_; }
  // n/(n + 5) Σ̂ + 10⁻³ · 5/(n + 5) I, Σ̂ with divisor n − 1 (diagonal only for a diagonal
  // metric); needs n ≥ 2.
  DenseMatrix regularized_covariance() const;
  void restart();

 private:
  MetricKind kind_;
  std::size_t count_ = 0;
  std::vector<double> mean_;
  DenseMatrix comoments_;  // dense: all of Σ (x − x̄)(x − x̄)ᵀ; diagonal: its diagonal only
};

}  // namespace priorbench
