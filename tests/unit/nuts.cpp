// The NUTS sampler (inference/nuts.hpp), its dynamics (hamiltonian.hpp), its warm-up
// (nuts_adaptation.hpp) and the diagnostics it reports (mcmc_diagnostics.hpp):
// - the leapfrog step: reversible, volume preserving, energy error O(ε²); momenta of the metric;
// - dual averaging reaches its target; Stan's window schedule; the regularized metric;
// - diagnostics against known values: AR(1) bulk and tail ESS, E-BFMI, R̂ of chains that
//   disagree in location or in scale, the convergence verdict and its reason;
// - correlated Gaussians (m = 2, 16, 32, condition number 1e4, with and without a good initial
//   metric): mean and covariance within 4 MCSE, converged by the contract of DESIGN §2;
// - non-Gaussian targets: a banana (closed-form moments), a logistic-regression posterior
//   (2-D quadrature);
// - determinism: the same draws for every batching and on repeated runs; chains in lockstep;
// - simulation-based calibration (Talts et al. 2018) on logistic regression, and a broken
//   sampler that fails it.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>

#include "core/error.hpp"
#include "core/random.hpp"
#include "diagnostics/mcmc_diagnostics.hpp"
#include "inference/hamiltonian.hpp"
#include "inference/nuts.hpp"
#include "inference/nuts_adaptation.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::Chains;
using pb::DenseMatrix;

namespace {

double normal(std::uint64_t stream, std::uint64_t index) {
  return pb::CounterRandom(31, stream, pb::Purpose::test_values).normal(index);
}
double uniform(std::uint64_t stream, std::uint64_t index) {
  return pb::CounterRandom(31, stream, pb::Purpose::test_values).uniform(index);
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double mean_of(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// ---------------------------------------------------------------------------------------------
// Targets

// N(μ, Σ) with Σ = Q diag(λ) Qᵀ, λ log-spaced over [1/√κ, √κ] (condition number κ), Q a
// random rotation (or the identity: axis-aligned scales).
struct GaussianTarget {
  std::size_t m = 0;
  std::vector<double> mean;
  DenseMatrix covariance;
  DenseMatrix precision;

  pb::BatchedPotential potential() const {
    return [this](std::span<const double> points, std::size_t batch, std::span<double> potentials,
                  std::span<double> gradients) {
      for (std::size_t b = 0; b < batch; ++b) {
        std::vector<double> r(m);
        for (std::size_t j = 0; j < m; ++j) r[j] = points[b * m + j] - mean[j];
        double u = 0;
        for (std::size_t i = 0; i < m; ++i) {
          double g = 0;
          for (std::size_t j = 0; j < m; ++j) g += precision(i, j) * r[j];
          gradients[b * m + i] = g;
          u += 0.5 * r[i] * g;
        }
        potentials[b] = u;
      }
    };
  }
};

GaussianTarget correlated_gaussian(std::size_t m, double condition, bool rotated, std::uint64_t seed) {
  DenseMatrix rotation(m, m);
  if (rotated) {
    DenseMatrix symmetric(m, m);
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t i = 0; i <= j; ++i) symmetric(i, j) = symmetric(j, i) = normal(seed, j * m + i);
    rotation = pb::symmetric_eigen(symmetric).vectors;
  } else {
    for (std::size_t j = 0; j < m; ++j) rotation(j, j) = 1;
  }
  GaussianTarget target;
  target.m = m;
  target.covariance = DenseMatrix(m, m);
  target.precision = DenseMatrix(m, m);
  for (std::size_t k = 0; k < m; ++k) {
    const double fraction = m == 1 ? 0.5 : static_cast<double>(k) / static_cast<double>(m - 1);
    const double variance = std::pow(condition, fraction - 0.5);
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t i = 0; i < m; ++i) {
        target.covariance(i, j) += rotation(i, k) * variance * rotation(j, k);
        target.precision(i, j) += rotation(i, k) / variance * rotation(j, k);
      }
  }
  for (std::size_t j = 0; j < m; ++j) target.mean.push_back(3 * normal(seed + 1, j));
  return target;
}

// Overdispersed starts: the mean plus 3 target standard deviations of noise per coordinate.
std::vector<double> overdispersed_starts(const GaussianTarget& target, std::size_t chains, std::uint64_t seed) {
  std::vector<double> starts(chains * target.m);
  for (std::size_t c = 0; c < chains; ++c)
    for (std::size_t j = 0; j < target.m; ++j)
      starts[c * target.m + j] = target.mean[j] + 3 * std::sqrt(target.covariance(j, j)) * normal(seed + 100 + c, j);
  return starts;
}

// Haario's twisted Gaussian: q₀ ~ N(0, a²), q₁ | q₀ ~ N(b (q₀² − a²), 1); E q = 0,
// Var q₀ = a², Var q₁ = 1 + 2 b² a⁴, Cov = 0.
struct Banana {
  double a = 1.0;
  double b = 0.5;
  pb::BatchedPotential potential() const {
    return [a = a, b = b](std::span<const double> points, std::size_t batch, std::span<double> potentials,
                          std::span<double> gradients) {
      for (std::size_t k = 0; k < batch; ++k) {
        const double x = points[2 * k], y = points[2 * k + 1];
        const double r = y - b * (x * x - a * a);
        potentials[k] = 0.5 * x * x / (a * a) + 0.5 * r * r;
        gradients[2 * k] = x / (a * a) - 2 * b * x * r;
        gradients[2 * k + 1] = r;
      }
    };
  }
};

// Bayesian logistic regression in 2 dimensions: θ ~ N(0, I), y_k ~ Bernoulli(σ(x_kᵀθ)).
struct LogisticRegression {
  std::vector<double> covariates;  // n × 2
  std::vector<double> outcomes;    // n, 0 or 1

  double potential_at(const double* theta, double* gradient) const {
    double u = 0.5 * (theta[0] * theta[0] + theta[1] * theta[1]);
    gradient[0] = theta[0];
    gradient[1] = theta[1];
    for (std::size_t k = 0; k < outcomes.size(); ++k) {
      const double eta = covariates[2 * k] * theta[0] + covariates[2 * k + 1] * theta[1];
      // −log p(y | η) = log(1 + e^η) − y η, evaluated stably
      u += std::max(eta, 0.0) + std::log1p(std::exp(-std::abs(eta))) - outcomes[k] * eta;
      const double residual = 1 / (1 + std::exp(-eta)) - outcomes[k];
      gradient[0] += residual * covariates[2 * k];
      gradient[1] += residual * covariates[2 * k + 1];
    }
    return u;
  }

  pb::BatchedPotential potential(double energy_scale = 1.0) const {
    return [this, energy_scale](std::span<const double> points, std::size_t batch, std::span<double> potentials,
                                std::span<double> gradients) {
      for (std::size_t k = 0; k < batch; ++k) {
        potentials[k] = energy_scale * potential_at(points.data() + 2 * k, gradients.data() + 2 * k);
      }
    };
  }
};

LogisticRegression simulate_logistic(std::size_t n, std::span<const double> theta, std::uint64_t stream) {
  LogisticRegression model;
  for (std::size_t k = 0; k < n; ++k) {
    const double x0 = normal(stream, 2 * k), x1 = normal(stream, 2 * k + 1);
    model.covariates.insert(model.covariates.end(), {x0, x1});
    const double eta = x0 * theta[0] + x1 * theta[1];
    model.outcomes.push_back(uniform(stream + 1, k) < 1 / (1 + std::exp(-eta)) ? 1.0 : 0.0);
  }
  return model;
}

// ---------------------------------------------------------------------------------------------
// Checks

Chains coordinate_chains(const pb::NutsResult& result, std::size_t i) {
  Chains chains(result.chains);
  for (std::size_t c = 0; c < result.chains; ++c)
    for (std::size_t s = 0; s < result.draws_per_chain; ++s)
      chains[c].push_back(result.draws[(c * result.draws_per_chain + s) * result.dimension + i]);
  return chains;
}

// Chains of (q_i − q̄_i)(q_j − q̄_j): their mean is the covariance, their MCSE its error.
Chains product_chains(const pb::NutsResult& result, std::size_t i, std::size_t j) {
  Chains a = coordinate_chains(result, i), b = coordinate_chains(result, j);
  for (std::size_t c = 0; c < a.size(); ++c)
    for (std::size_t s = 0; s < a[c].size(); ++s) a[c][s] = (a[c][s] - result.mean[i]) * (b[c][s] - result.mean[j]);
  return a;
}

// Every mean and covariance entry within 4 Monte Carlo standard errors of the truth.
void expect_moments_within_mcse(const pb::NutsResult& result, const std::vector<double>& mean,
                                const DenseMatrix& covariance) {
  const std::size_t m = result.dimension;
  for (std::size_t i = 0; i < m; ++i) {
    const pb::ChainDiagnostics d = pb::diagnose("q", coordinate_chains(result, i));
    EXPECT_NEAR(d.mean, result.mean[i], 1e-9 * (1 + std::abs(d.mean)));
    EXPECT_NEAR(result.mean[i], mean[i], 4 * d.mcse_mean) << "mean of q[" << i << "]";
    for (std::size_t j = 0; j <= i; ++j) {
      const Chains products = product_chains(result, i, j);
      std::vector<double> pooled;
      for (const auto& chain : products) pooled.insert(pooled.end(), chain.begin(), chain.end());
      const double mean_product = mean_of(pooled);
      double squares = 0;
      for (const double x : pooled) squares += (x - mean_product) * (x - mean_product);
      const double mcse = std::sqrt(squares / static_cast<double>(pooled.size() - 1) / pb::ess_mean(products));
      EXPECT_NEAR(mean_product, covariance(i, j), 4 * mcse) << "covariance (" << i << ", " << j << ")";
      EXPECT_NEAR(result.covariance(i, j) * static_cast<double>(pooled.size() - 1) / static_cast<double>(pooled.size()),
                  mean_product, 1e-9 * (std::abs(mean_product) + 1e-3));
    }
  }
}

// Gradient evaluations after warm-up per effective draw of the worst tracked quantity.
double evaluations_per_effective_draw(const pb::NutsResult& result) {
  return static_cast<double>(result.gradient_evaluations - result.warmup_gradient_evaluations) /
         result.verdict.min_ess_bulk;
}

void report(const std::string& label, const pb::NutsResult& result) {
  double leapfrogs = 0, depth = 0, acceptance = 0;
  for (const auto& t : result.transitions) {
    leapfrogs += static_cast<double>(t.leapfrog_steps);
    depth += static_cast<double>(t.tree_depth);
    acceptance += t.accept_stat;
  }
  const double n = static_cast<double>(result.transitions.size());
  std::cout << "[ nuts     ] " << label << ": warm-up " << result.warmup_gradient_evaluations << " gradients, "
            << "sampling " << result.gradient_evaluations - result.warmup_gradient_evaluations << " (mean depth "
            << depth / n << ", leapfrogs " << leapfrogs / n << ", accept " << acceptance / n << "), min bulk ESS "
            << result.verdict.min_ess_bulk << ", min tail ESS " << result.verdict.min_ess_tail << ", max R-hat "
            << result.verdict.max_rhat << ", " << evaluations_per_effective_draw(result)
            << " gradients per effective draw, " << result.seconds << " s\n";
}

}  // namespace

// =============================================================================================
// Dynamics

TEST(Hamiltonian, LeapfrogIsReversible) {
  const Banana banana;
  const auto potential = banana.potential();
  DenseMatrix inverse(2, 2);
  inverse(0, 0) = 1.5, inverse(1, 1) = 0.7, inverse(0, 1) = inverse(1, 0) = 0.4;
  const pb::EuclideanMetric metric(pb::MetricKind::dense, inverse);
  pb::PhasePoint point(2);
  point.position = {0.8, -0.3};
  potential(point.position, 1, std::span<double>(&point.potential, 1), point.gradient);
  pb::refresh_momentum(metric, pb::CounterRandom(1, 2, pb::Purpose::test_values), 0, point);
  const pb::PhasePoint start = point;
  for (int k = 0; k < 25; ++k) pb::leapfrog(potential, metric, 0.1, point);
  EXPECT_GT(std::abs(point.position[0] - start.position[0]), 0.1);  // it moved
  for (double& p : point.momentum) p = -p;
  for (int k = 0; k < 25; ++k) pb::leapfrog(potential, metric, 0.1, point);
  for (std::size_t j = 0; j < 2; ++j) {
    EXPECT_NEAR(point.position[j], start.position[j], 1e-12);
    EXPECT_NEAR(-point.momentum[j], start.momentum[j], 1e-12);
  }
  // Backward in time is the same as flipping the momentum.
  pb::PhasePoint backward = start, flipped = start;
  for (double& p : flipped.momentum) p = -p;
  pb::leapfrog(potential, metric, -0.1, backward);
  pb::leapfrog(potential, metric, 0.1, flipped);
  for (std::size_t j = 0; j < 2; ++j) {
    EXPECT_DOUBLE_EQ(backward.position[j], flipped.position[j]);
    EXPECT_DOUBLE_EQ(backward.momentum[j], -flipped.momentum[j]);
  }
}

TEST(Hamiltonian, LeapfrogPreservesVolume) {
  // det ∂(q', p')/∂(q, p) = 1 after 10 steps, by central differences, on the banana.
  const Banana banana;
  const auto potential = banana.potential();
  DenseMatrix inverse(2, 2);
  inverse(0, 0) = 1.2, inverse(1, 1) = 0.9, inverse(0, 1) = inverse(1, 0) = -0.3;
  const pb::EuclideanMetric metric(pb::MetricKind::dense, inverse);
  auto flow = [&](const std::vector<double>& state) {
    pb::PhasePoint point(2);
    point.position = {state[0], state[1]};
    point.momentum = {state[2], state[3]};
    potential(point.position, 1, std::span<double>(&point.potential, 1), point.gradient);
    for (int k = 0; k < 10; ++k) pb::leapfrog(potential, metric, 0.15, point);
    return std::vector<double>{point.position[0], point.position[1], point.momentum[0], point.momentum[1]};
  };
  const std::vector<double> state = {0.5, 0.2, -0.7, 1.1};
  const double h = 1e-6;
  double jacobian[4][4];
  for (std::size_t j = 0; j < 4; ++j) {
    std::vector<double> plus = state, minus = state;
    plus[j] += h, minus[j] -= h;
    const auto fp = flow(plus), fm = flow(minus);
    for (std::size_t i = 0; i < 4; ++i) jacobian[i][j] = (fp[i] - fm[i]) / (2 * h);
  }
  // Determinant by Gaussian elimination with partial pivoting.
  double det = 1;
  for (std::size_t k = 0; k < 4; ++k) {
    std::size_t pivot = k;
    for (std::size_t i = k + 1; i < 4; ++i)
      if (std::abs(jacobian[i][k]) > std::abs(jacobian[pivot][k])) pivot = i;
    if (pivot != k) {
      std::swap(jacobian[pivot], jacobian[k]);
      det = -det;
    }
    det *= jacobian[k][k];
    for (std::size_t i = k + 1; i < 4; ++i) {
      const double factor = jacobian[i][k] / jacobian[k][k];
      for (std::size_t j = k; j < 4; ++j) jacobian[i][j] -= factor * jacobian[k][j];
    }
  }
  EXPECT_NEAR(det, 1.0, 1e-6);
}

TEST(Hamiltonian, EnergyErrorIsSecondOrderInTheStep) {
  // Over a fixed time T = 2, the largest |H − H0| shrinks 4× when ε halves.
  const GaussianTarget target = correlated_gaussian(4, 10, true, 7);
  const auto potential = target.potential();
  const pb::EuclideanMetric metric = pb::EuclideanMetric::identity(pb::MetricKind::dense, 4);
  pb::PhasePoint start(4);
  for (std::size_t j = 0; j < 4; ++j) start.position[j] = target.mean[j] + 0.5 * normal(3, j);
  potential(start.position, 1, std::span<double>(&start.potential, 1), start.gradient);
  pb::refresh_momentum(metric, pb::CounterRandom(1, 3, pb::Purpose::test_values), 0, start);
  auto largest_error = [&](double step) {
    pb::PhasePoint point = start;
    double worst = 0;
    for (int k = 0; k < static_cast<int>(std::lround(2 / step)); ++k) {
      pb::leapfrog(potential, metric, step, point);
      worst = std::max(worst, std::abs(point.hamiltonian() - start.hamiltonian()));
    }
    return worst;
  };
  const double coarse = largest_error(0.08), fine = largest_error(0.04), finer = largest_error(0.02);
  EXPECT_GT(coarse, 1e-4);
  EXPECT_NEAR(coarse / fine, 4.0, 0.4);
  EXPECT_NEAR(fine / finer, 4.0, 0.2);
}

TEST(Hamiltonian, MomentaHaveTheMetricAsCovariance) {
  // p = L⁻ᵀ ξ with M⁻¹ = L Lᵀ gives ½ pᵀ M⁻¹ p = ½ ξᵀ ξ exactly, and Cov p = M.
  const GaussianTarget target = correlated_gaussian(3, 100, true, 11);
  const pb::EuclideanMetric metric(pb::MetricKind::dense, target.covariance);
  const pb::CounterRandom random(5, 0, pb::Purpose::test_values);
  pb::PhasePoint point(3);
  pb::refresh_momentum(metric, random, 30, point);
  double half_norm = 0;
  for (std::size_t j = 0; j < 3; ++j) half_norm += 0.5 * random.normal(30 + j) * random.normal(30 + j);
  EXPECT_NEAR(point.kinetic_energy(), half_norm, 1e-12 * half_norm);

  const std::size_t draws = 40000;
  DenseMatrix second(3, 3);
  for (std::size_t n = 0; n < draws; ++n) {
    pb::refresh_momentum(metric, random, 3 * n, point);
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 3; ++j) second(i, j) += point.momentum[i] * point.momentum[j] / draws;
  }
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j) {
      // the standard error of a second moment of a Gaussian: √((M_ii M_jj + M_ij²)/draws)
      const double se = std::sqrt(
          (target.precision(i, i) * target.precision(j, j) + target.precision(i, j) * target.precision(i, j)) / draws);
      EXPECT_NEAR(second(i, j), target.precision(i, j), 4 * se) << i << ", " << j;
    }

  const pb::EuclideanMetric diagonal(pb::MetricKind::diagonal, target.covariance);
  EXPECT_EQ(diagonal.inverse()(0, 1), 0.0);
  EXPECT_EQ(diagonal.inverse()(2, 2), target.covariance(2, 2));
}

TEST(Hamiltonian, MetricsAreValidated) {
  using pb::testing_support::expect_error;
  DenseMatrix asymmetric(2, 2);
  asymmetric(0, 0) = asymmetric(1, 1) = 1, asymmetric(0, 1) = 0.5;
  expect_error([&] { pb::EuclideanMetric(pb::MetricKind::dense, asymmetric); }, {"not symmetric"});
  DenseMatrix indefinite(2, 2);
  indefinite(0, 0) = indefinite(1, 1) = 1, indefinite(0, 1) = indefinite(1, 0) = 2;
  expect_error([&] { pb::EuclideanMetric(pb::MetricKind::dense, indefinite); }, {"not positive definite"});
  DenseMatrix negative(2, 2);
  negative(0, 0) = 1, negative(1, 1) = -1;
  expect_error([&] { pb::EuclideanMetric(pb::MetricKind::diagonal, negative); }, {"diagonal entry 1"});
  expect_error([] { pb::parse_metric_kind("unit"); }, {"unknown metric 'unit'"});
  EXPECT_EQ(pb::parse_metric_kind(pb::metric_kind_name(pb::MetricKind::diagonal)), pb::MetricKind::diagonal);
}

// =============================================================================================
// Warm-up

TEST(NutsAdaptation, DualAveragingReachesTheTargetAcceptance) {
  // Acceptance exp(−ε²) (as for a leapfrog error growing like ε²): the target 0.8 is reached
  // at ε* = √(−log 0.8); with noise on the statistic the average still converges.
  for (const double noise : {0.0, 0.2}) {
    pb::DualAveraging adaptation({});
    adaptation.restart(1.0);
    double step = 1.0;
    for (std::size_t t = 0; t < 2000; ++t) {
      const double acceptance = std::clamp(std::exp(-step * step) + noise * (uniform(9, t) - 0.5), 0.0, 1.0);
      step = adaptation.update(acceptance);
    }
    EXPECT_NEAR(adaptation.final_step_size(), std::sqrt(-std::log(0.8)), 0.02) << "noise " << noise;
  }
  pb::DualAveraging adaptation({0.95, 0.05, 10, 0.75});
  adaptation.restart(0.1);
  double step = 0.1;
  for (std::size_t t = 0; t < 2000; ++t) step = adaptation.update(std::exp(-step * step));
  EXPECT_NEAR(adaptation.final_step_size(), std::sqrt(-std::log(0.95)), 0.01);
  EXPECT_EQ(adaptation.iterations(), 2000u);
  EXPECT_THROW(pb::DualAveraging({1.0, 0.05, 10, 0.75}), pb::Error);
}

TEST(NutsAdaptation, WindowsFollowStan) {
  const pb::WarmupSchedule standard(1000, 75, 25, 50, true);  // windows of 25, 50, 100, 200, 500
  EXPECT_EQ(standard.window_ends(), (std::vector<std::size_t>{99, 149, 249, 449, 949}));
  EXPECT_FALSE(standard.collects(74));
  EXPECT_TRUE(standard.collects(75));
  EXPECT_TRUE(standard.collects(949));
  EXPECT_FALSE(standard.collects(950));
  EXPECT_TRUE(standard.ends_window(449));
  EXPECT_FALSE(standard.ends_window(450));
  EXPECT_EQ(pb::WarmupSchedule(2000, 75, 25, 50, true).window_ends(),
            (std::vector<std::size_t>{99, 149, 249, 449, 849, 1949}));
  EXPECT_EQ(pb::WarmupSchedule(150, 75, 25, 50, true).window_ends(), (std::vector<std::size_t>{99}));
  // Too short for 75 + 25 + 50: 15 % / 75 % / 10 %.
  const pb::WarmupSchedule short_warmup(100, 75, 25, 50, true);
  EXPECT_EQ(short_warmup.window_ends(), (std::vector<std::size_t>{89}));
  EXPECT_EQ(short_warmup.initial_buffer(), 15u);
  EXPECT_EQ(short_warmup.terminal_buffer(), 10u);
  EXPECT_FALSE(pb::WarmupSchedule(19, 75, 25, 50, true).adapts_metric());
  EXPECT_FALSE(pb::WarmupSchedule(1000, 75, 25, 50, false).adapts_metric());
  EXPECT_FALSE(pb::WarmupSchedule(1000, 75, 25, 50, false).collects(100));
  EXPECT_THROW(pb::WarmupSchedule(1000, 75, 25, 0, true), pb::Error);
}

TEST(NutsAdaptation, MetricEstimateIsRegularizedLikeStan) {
  // Draws (0, 0), (2, 2), (4, −2): Σ̂ = [[4, −2], [−2, 4]] (divisor n − 1 = 2), n = 3:
  // 3/8 Σ̂ + 1e-3 · 5/8 I.
  pb::MetricEstimator dense(pb::MetricKind::dense, 2), diagonal(pb::MetricKind::diagonal, 2);
  for (const auto& q : std::vector<std::vector<double>>{{0, 0}, {2, 2}, {4, -2}}) {
    dense.add(q);
    diagonal.add(q);
  }
  const DenseMatrix estimate = dense.regularized_covariance();
  EXPECT_NEAR(estimate(0, 0), 1.5 + 0.000625, 1e-15);
  EXPECT_NEAR(estimate(1, 1), 1.5 + 0.000625, 1e-15);
  EXPECT_NEAR(estimate(0, 1), -0.75, 1e-15);
  EXPECT_EQ(estimate(1, 0), estimate(0, 1));
  EXPECT_EQ(diagonal.regularized_covariance()(0, 1), 0.0);
  EXPECT_NEAR(diagonal.regularized_covariance()(1, 1), estimate(1, 1), 1e-15);
  dense.restart();
  dense.add(std::vector<double>{1, 1});
  dense.add(std::vector<double>{1, 3});
  EXPECT_NEAR(dense.regularized_covariance()(1, 1), 2.0 * 2 / 7 + 1e-3 * 5 / 7, 1e-15);
  EXPECT_NEAR(dense.regularized_covariance()(0, 1), 0.0, 1e-15);
}

// =============================================================================================
// Diagnostics

namespace {

Chains autoregressive_chains(std::size_t count, std::size_t length, double phi, std::uint64_t stream = 0) {
  Chains chains(count);
  for (std::size_t c = 0; c < count; ++c) {
    double x = normal(stream + 500 + c, 0) / std::sqrt(1 - phi * phi);
    for (std::size_t i = 0; i < length; ++i) {
      x = phi * x + normal(stream + c, i);
      chains[c].push_back(x);
    }
  }
  return chains;
}

// Integrated autocorrelation time of I(x ≤ q) for a stationary Gaussian AR(1) with
// coefficient φ: lag-k correlation (Φ₂(q, q; φ^k) − p²)/(p(1 − p)), with
// Φ₂(q, q; r) − p² = ∫₀^r exp(−q²/(1 + s)) / (2π √(1 − s²)) ds (Plackett's identity).
double indicator_autocorrelation_time(double phi, double p) {
  const double q = pb::normal_quantile(p);
  double tau = 1;
  for (int k = 1; k < 400; ++k) {
    const double r = std::pow(phi, k);
    double integral = 0;  // Simpson's rule on [0, r]
    const int panels = 200;
    for (int i = 0; i <= panels; ++i) {
      const double s = r * i / panels;
      const double weight = (i == 0 || i == panels) ? 1 : (i % 2 == 1 ? 4 : 2);
      integral += weight * std::exp(-q * q / (1 + s)) / (2 * M_PI * std::sqrt(1 - s * s));
    }
    integral *= r / (3 * panels);
    tau += 2 * integral / (p * (1 - p));
  }
  return tau;
}

}  // namespace

TEST(McmcDiagnostics, AutoregressiveBulkAndTailEssMatchTheirClosedForms) {
  const double phi = 0.6;  // τ = (1 + φ)/(1 − φ) = 4
  const Chains chains = autoregressive_chains(4, 10000, phi);
  const double draws = 40000;
  EXPECT_NEAR(pb::ess_mean(chains) / (draws / 4.0), 1.0, 0.1);
  // Rank normalization keeps a Gaussian chain Gaussian: the bulk ESS is the same.
  EXPECT_NEAR(pb::ess_bulk(chains) / (draws / 4.0), 1.0, 0.1);
  const double tau_tail = indicator_autocorrelation_time(phi, 0.05);
  EXPECT_GT(tau_tail, 1.5);
  EXPECT_LT(tau_tail, 4.0);  // the indicator forgets faster than x
  EXPECT_NEAR(pb::ess_quantile(chains, 0.05) / (draws / tau_tail), 1.0, 0.15);
  EXPECT_NEAR(pb::ess_quantile(chains, 0.95) / (draws / tau_tail), 1.0, 0.15);
  EXPECT_DOUBLE_EQ(pb::ess_tail(chains), std::min(pb::ess_quantile(chains, 0.05), pb::ess_quantile(chains, 0.95)));
  const pb::ChainDiagnostics d = pb::diagnose("x", chains);
  EXPECT_EQ(d.ess_tail, pb::ess_tail(chains));
  EXPECT_EQ(d.rhat, std::max(d.rhat_bulk, d.rhat_tail));
  EXPECT_EQ(d.rhat, pb::rank_normalized_split_rhat(chains));
}

TEST(McmcDiagnostics, PooledQuantileInterpolatesLikeR) {
  const Chains chains = {{3, 1}, {4, 2}};  // sorted 1 2 3 4
  EXPECT_DOUBLE_EQ(pb::pooled_quantile(chains, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(pb::pooled_quantile(chains, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(pb::pooled_quantile(chains, 0.9), 3.7);
  EXPECT_DOUBLE_EQ(pb::pooled_quantile(chains, 1.0), 4.0);
  EXPECT_THROW(pb::pooled_quantile(chains, 1.5), pb::Error);
}

TEST(McmcDiagnostics, BulkRhatFlagsShiftedChainsAndTailRhatFlagsScaledChains) {
  Chains shifted = autoregressive_chains(4, 1000, 0.3);
  for (std::size_t c = 0; c < 4; ++c)
    for (double& x : shifted[c]) x += 0.5 * static_cast<double>(c);
  EXPECT_GT(pb::rhat_bulk(shifted), 1.05);
  // Same location, different scales: the bulk agrees, the tails do not.
  Chains scaled = autoregressive_chains(4, 1000, 0.3, 50);
  for (std::size_t c = 0; c < 4; ++c)
    for (double& x : scaled[c]) x *= c < 2 ? 0.5 : 2.0;
  EXPECT_LT(pb::rhat_bulk(scaled), 1.01);
  EXPECT_GT(pb::rhat_tail(scaled), 1.05);
  EXPECT_TRUE(std::isnan(pb::ess_tail(Chains(4, std::vector<double>(10, 2.0)))));
}

TEST(McmcDiagnostics, EnergyFractionOfMissingInformation) {
  // Σ (ΔE)² = 3 over Σ (E − Ē)² = 1.
  EXPECT_DOUBLE_EQ(pb::e_bfmi({0, 1, 0, 1}), 3.0);
  // AR(1) energies: E (ΔE)² = 2 (1 − φ) Var E, so E-BFMI → 2 (1 − φ).
  for (const double phi : {0.0, 0.9}) {
    const Chains chain = autoregressive_chains(1, 50000, phi, 77);
    EXPECT_NEAR(pb::e_bfmi(chain[0]), 2 * (1 - phi), 0.03 + 0.1 * 2 * (1 - phi)) << phi;
  }
  EXPECT_TRUE(std::isnan(pb::e_bfmi({1, 1, 1})));
  EXPECT_THROW(pb::e_bfmi({1}), pb::Error);
}

TEST(McmcDiagnostics, ConvergenceVerdictNamesWhatFailed) {
  auto quantity = [](const std::string& name, double bulk_rhat, double tail_rhat, double bulk, double tail) {
    pb::ChainDiagnostics d;
    d.name = name;
    d.rhat_bulk = bulk_rhat, d.rhat_tail = tail_rhat, d.ess_bulk = bulk, d.ess_tail = tail;
    return d;
  };
  std::vector<pb::ChainDiagnostics> good = {quantity("potential", 1.002, 1.004, 900, 700),
                                            quantity("z[0]", 1.001, 1.003, 1200, 650)};
  const pb::ConvergenceVerdict ok = pb::convergence_verdict(good, 0);
  EXPECT_TRUE(ok.converged);
  EXPECT_EQ(ok.reason, "");
  EXPECT_EQ(ok.max_rhat, 1.004);
  EXPECT_EQ(ok.min_ess_bulk, 900);
  EXPECT_EQ(ok.min_ess_tail, 650);

  std::vector<pb::ChainDiagnostics> bad = good;
  bad.push_back(quantity("z[1]", 1.005, 1.02, 800, 500));
  bad.push_back(quantity("z[2]", 1.008, 1.031, 212.7, 380));
  const pb::ConvergenceVerdict verdict = pb::convergence_verdict(bad, 3);
  EXPECT_FALSE(verdict.converged);
  EXPECT_EQ(verdict.reason,
            "R̂ 1.03 > 1.01 (z[2] tail); bulk ESS 212 < 400 (z[2]); tail ESS 380 < 400 (z[2]); 3 divergences");
  EXPECT_EQ(pb::convergence_verdict(good, 1).reason, "1 divergence");
  // An R̂ just above the threshold is printed with the digits that show it is above.
  std::vector<pb::ChainDiagnostics> close = good;
  close.push_back(quantity("z[1]", 1.0102, 1.003, 800, 500));
  EXPECT_EQ(pb::convergence_verdict(close, 0).reason, "R̂ 1.0102 > 1.01 (z[1] bulk)");

  std::vector<pb::ChainDiagnostics> constant = good;
  constant.push_back(quantity("z[1]", std::nan(""), std::nan(""), std::nan(""), std::nan("")));
  const pb::ConvergenceVerdict broken = pb::convergence_verdict(constant, 0);
  EXPECT_FALSE(broken.converged);
  EXPECT_TRUE(std::isnan(broken.max_rhat));
  EXPECT_EQ(broken.reason, "R̂ not finite (z[1] bulk); bulk ESS not finite (z[1]); tail ESS not finite (z[1])");
  pb::ConvergenceCriteria lenient;
  lenient.max_rhat = 1.05, lenient.min_ess_bulk = 100, lenient.min_ess_tail = 100, lenient.max_divergences = 5;
  EXPECT_TRUE(pb::convergence_verdict(bad, 3, lenient).converged);
}

// =============================================================================================
// The sampler on Gaussian targets

namespace {

struct GaussianCase {
  std::size_t m;
  double condition;
  bool rotated;
  pb::MetricKind metric = pb::MetricKind::dense;
  bool initial_metric = false;  // start from the exact covariance
  std::size_t base_window = 25;
};

// Default settings (4 chains, warm-up 1000, 1000 draws) from overdispersed starts.
pb::NutsResult check_gaussian(const GaussianCase& c) {
  const GaussianTarget target = correlated_gaussian(c.m, c.condition, c.rotated, 100 + c.m);
  pb::NutsOptions options;
  options.metric = c.metric;
  options.base_window = c.base_window;
  options.keep_draws = true;
  options.seed = 5;
  if (c.initial_metric) options.initial_inverse_metric = target.covariance;
  const pb::NutsResult result = pb::nuts_sample(target.potential(), overdispersed_starts(target, 4, c.m), c.m, options);
  report("m = " + std::to_string(c.m) + ", " + pb::metric_kind_name(c.metric) +
             (c.initial_metric ? ", exact initial metric" : ", identity initial metric") + ", base window " +
             std::to_string(c.base_window),
         result);
  EXPECT_TRUE(result.verdict.converged) << result.verdict.reason;
  EXPECT_EQ(result.divergences, 0u);
  EXPECT_EQ(result.max_depth_hits, 0u);
  EXPECT_EQ(result.diagnostics.size(), 1 + c.m);
  for (const double e_bfmi : result.e_bfmi) EXPECT_GT(e_bfmi, 0.3);
  expect_moments_within_mcse(result, target.mean, target.covariance);
  // The adapted metric has found the target's scales: tr(M⁻¹ Σ⁻¹)/m near 1 (each chain's
  // last window holds 500 draws or more).
  for (const DenseMatrix& inverse : result.inverse_metrics) {
    DenseMatrix product(c.m, c.m);
    pb::gemm(false, false, 1.0, inverse, target.precision, 0.0, product);
    double trace = 0;
    for (std::size_t j = 0; j < c.m; ++j) trace += product(j, j);
    EXPECT_NEAR(trace / static_cast<double>(c.m), 1.0, 0.25);
  }
  // Modest cost once adapted: a standardized Gaussian needs trees of depth about 3.
  EXPECT_LT(evaluations_per_effective_draw(result), 40.0);
  return result;
}

}  // namespace

TEST(Nuts, GaussianInTwoDimensionsWithConditionNumber1e4) { check_gaussian({2, 1e4, true}); }

TEST(Nuts, GaussianIn16Dimensions) { check_gaussian({16, 1e4, true}); }

TEST(Nuts, GaussianIn32DimensionsFromTheIdentity) { check_gaussian({32, 1e4, true}); }

TEST(Nuts, GaussianIn32DimensionsFromAGoodInitialMetric) {
  // Stan's first slow window (25 draws) is rank-deficient in 32 dimensions: the regularized
  // estimate replaces the good initial metric with one that is ~10⁻³ in the missing
  // directions, and the next window builds deep trees. A first window of ≥ 3m draws keeps the
  // benefit of the initial metric.
  const pb::NutsResult stan = check_gaussian({32, 1e4, true, pb::MetricKind::dense, true});
  const pb::NutsResult wide = check_gaussian({32, 1e4, true, pb::MetricKind::dense, true, 100});
  EXPECT_LT(2 * wide.warmup_gradient_evaluations, stan.warmup_gradient_evaluations);
  EXPECT_EQ(wide.metric_window_ends, (std::vector<std::size_t>{174, 374, 949}));
}

TEST(Nuts, DiagonalMetricOnAxisAlignedScales) { check_gaussian({16, 1e4, false, pb::MetricKind::diagonal}); }

TEST(Nuts, StepSizeAdaptationReachesTheTargetAcceptance) {
  // Dual averaging drives the mean acceptance statistic of the iterates toward δ; the final
  // step size ε̄ (an average of log ε) is a little smaller, so after warm-up the acceptance
  // is at least δ.
  const GaussianTarget target = correlated_gaussian(8, 100, true, 8);
  for (const double delta : {0.65, 0.8, 0.95}) {
    pb::NutsOptions options;
    options.step_size_adaptation.target_acceptance = delta;
    options.samples = 500;
    const pb::NutsResult result = pb::nuts_sample(target.potential(), overdispersed_starts(target, 4, 8), 8, options);
    std::vector<double> terminal, after;
    for (std::size_t c = 0; c < 4; ++c)
      for (std::size_t t = 950; t < 1000; ++t) terminal.push_back(result.warmup_transitions[c * 1000 + t].accept_stat);
    for (const auto& t : result.transitions) after.push_back(t.accept_stat);
    std::cout << "[ nuts     ] delta " << delta << ": terminal window " << mean_of(terminal) << ", after warm-up "
              << mean_of(after) << ", step sizes " << ::testing::PrintToString(result.step_sizes) << "\n";
    EXPECT_NEAR(mean_of(terminal), delta, 0.05) << delta;
    EXPECT_GT(mean_of(after), delta - 0.02) << delta;
    EXPECT_LT(mean_of(after), delta + 0.5 * (1 - delta) + 0.02) << delta;
  }
}

// =============================================================================================
// Non-Gaussian targets

TEST(Nuts, BananaMatchesItsClosedFormMoments) {
  const Banana banana{1.0, 1.0};  // Var q₁ = 1 + 2 b² a⁴ = 3
  pb::NutsOptions options;
  options.keep_draws = true;
  options.seed = 8;
  const std::vector<double> starts = {-2, 3, 1.5, -1, 0.2, 4, 2.5, 2};
  const pb::NutsResult result = pb::nuts_sample(banana.potential(), starts, 2, options);
  report("banana", result);
  EXPECT_TRUE(result.verdict.converged) << result.verdict.reason;
  DenseMatrix covariance(2, 2);
  covariance(0, 0) = 1, covariance(1, 1) = 3;
  expect_moments_within_mcse(result, {0, 0}, covariance);
}

TEST(Nuts, LogisticRegressionPosteriorMatchesQuadrature) {
  const std::vector<double> theta = {1.0, -0.5};
  const LogisticRegression model = simulate_logistic(30, theta, 40);
  // Reference by the trapezoidal rule on [−6, 6]² (spacing 0.02, the posterior sd is ~0.4;
  // the integrand is smooth and negligible at the border).
  const int points = 601;
  const double low = -6, h = 12.0 / (points - 1);
  std::vector<double> log_density(points * points);
  double largest = -1e300;
  for (int i = 0; i < points; ++i)
    for (int j = 0; j < points; ++j) {
      const double t[2] = {low + i * h, low + j * h};
      double g[2];
      log_density[i * points + j] = -model.potential_at(t, g);
      largest = std::max(largest, log_density[i * points + j]);
    }
  double mass = 0, first[2] = {0, 0}, second[2][2] = {{0, 0}, {0, 0}};
  std::vector<double> marginal(points, 0.0);  // of θ₀
  for (int i = 0; i < points; ++i)
    for (int j = 0; j < points; ++j) {
      const double w = std::exp(log_density[i * points + j] - largest);
      const double t[2] = {low + i * h, low + j * h};
      mass += w;
      marginal[i] += w;
      for (int a = 0; a < 2; ++a) {
        first[a] += w * t[a];
        for (int b = 0; b < 2; ++b) second[a][b] += w * t[a] * t[b];
      }
    }
  std::vector<double> mean = {first[0] / mass, first[1] / mass};
  DenseMatrix covariance(2, 2);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) covariance(a, b) = second[a][b] / mass - mean[a] * mean[b];
  // 5 % and 95 % quantiles of θ₀ from the cumulative marginal (trapezoids, linear inside a cell).
  auto marginal_quantile = [&](double p) {
    double cumulative = 0;
    for (int i = 1; i < points; ++i) {
      const double cell = 0.5 * (marginal[i - 1] + marginal[i]) / mass;
      if (cumulative + cell >= p) return low + (i - 1 + (p - cumulative) / cell) * h;
      cumulative += cell;
    }
    return low + (points - 1) * h;
  };

  pb::NutsOptions options;
  options.keep_draws = true;
  options.seed = 12;
  const std::vector<double> starts = {2, 2, -2, -2, 2, -2, -2, 2};
  const pb::NutsResult result = pb::nuts_sample(model.potential(), starts, 2, options);
  report("logistic regression", result);
  EXPECT_TRUE(result.verdict.converged) << result.verdict.reason;
  expect_moments_within_mcse(result, mean, covariance);
  for (const double p : {0.05, 0.95}) {
    const double reference = marginal_quantile(p);
    Chains below = coordinate_chains(result, 0);
    for (auto& chain : below)
      for (double& x : chain) x = x <= reference ? 1.0 : 0.0;
    const pb::ChainDiagnostics d = pb::diagnose("I", below);
    EXPECT_NEAR(d.mean, p, 4 * d.mcse_mean) << "P(θ₀ ≤ reference quantile " << p << ")";
  }
}

TEST(Nuts, SamplesCorrectlyAcrossAHardWallAndCountsTheDivergences) {
  // N(0, I₂) truncated to q₀ < 1: U = +∞ beyond the wall. Trajectories that hit it diverge
  // and their last doubling is discarded; the draws remain exact: E q₀ = −φ(1)/Φ(1).
  const pb::BatchedPotential wall = [](std::span<const double> points, std::size_t batch, std::span<double> potentials,
                                       std::span<double> gradients) {
    for (std::size_t k = 0; k < batch; ++k) {
      const double x = points[2 * k], y = points[2 * k + 1];
      potentials[k] = x < 1 ? 0.5 * (x * x + y * y) : std::numeric_limits<double>::infinity();
      gradients[2 * k] = x, gradients[2 * k + 1] = y;
    }
  };
  pb::NutsOptions options;
  options.keep_draws = true;
  options.seed = 3;
  const pb::NutsResult result = pb::nuts_sample(wall, std::vector<double>{0, 0, -1, 1, 0.5, -0.5, -2, 0}, 2, options);
  EXPECT_GT(result.divergences, 0u);
  EXPECT_FALSE(result.verdict.converged);
  EXPECT_NE(result.verdict.reason.find("divergences"), std::string::npos) << result.verdict.reason;
  std::size_t counted = 0;
  for (const auto& t : result.transitions) counted += t.divergent ? 1 : 0;
  EXPECT_EQ(counted, result.divergences);
  const double density = std::exp(-0.5) / std::sqrt(2 * M_PI);
  const pb::ChainDiagnostics d = pb::diagnose("q0", coordinate_chains(result, 0));
  EXPECT_NEAR(d.mean, -density / normal_cdf(1), 4 * d.mcse_mean);
  for (const double x : result.draws) EXPECT_TRUE(std::isfinite(x));
}

TEST(Nuts, TreeDepthIsCappedAndCounted) {
  const GaussianTarget target = correlated_gaussian(4, 1e4, true, 4);
  pb::NutsOptions options;
  options.max_tree_depth = 3;
  options.adapt_metric = false;  // the identity on a target of condition 1e4: long trees wanted
  options.warmup = 200;
  options.samples = 100;
  const pb::NutsResult result = pb::nuts_sample(target.potential(), overdispersed_starts(target, 4, 4), 4, options);
  std::size_t hits = 0;
  for (const auto& t : result.transitions) {
    EXPECT_LE(t.tree_depth, 3u);
    EXPECT_LE(t.leapfrog_steps, 15u);  // at most 2³ − 1 kept plus a discarded doubling of 8
    hits += t.tree_depth == 3 ? 1 : 0;
  }
  EXPECT_GT(hits, 0u);
  EXPECT_EQ(result.max_depth_hits, hits);
  EXPECT_TRUE(result.metric_window_ends.empty());
  for (const DenseMatrix& inverse : result.inverse_metrics) EXPECT_EQ(inverse(1, 1), 1.0);
}

// =============================================================================================
// The iterative tree against Stan's recursion

namespace {

double log_sum_exp(double a, double b) {
  if (a == -INFINITY) return b;
  if (b == -INFINITY) return a;
  return std::max(a, b) + std::log1p(std::exp(-std::abs(a - b)));
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

std::vector<double> plus(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> sum(a.size());
  for (std::size_t j = 0; j < a.size(); ++j) sum[j] = a[j] + b[j];
  return sum;
}

// One transition written as Stan writes it (base_nuts.hpp: a recursive build_tree, four end
// momenta at the top level), reading the random numbers from the counter layout nuts.hpp
// documents: direction of doubling j at offset j, its top-level choice at D + j, the k-th
// subtree merge at 2D + k.
class RecursiveNuts {
 public:
  RecursiveNuts(const pb::BatchedPotential& potential, const pb::EuclideanMetric& metric, double step,
                std::size_t max_depth, const pb::CounterRandom& random, std::uint64_t block)
      : potential_(potential), metric_(metric), step_(step), max_depth_(max_depth), random_(random), block_(block) {}

  pb::NutsTransition transition(pb::PhasePoint& start) {
    const std::size_t m = start.position.size();
    z_ = start;
    pb::PhasePoint z_fwd = z_, z_bck = z_, z_sample = z_, z_propose = z_;
    std::vector<double> p_fwd_fwd = z_.momentum, p_sharp_fwd_fwd = z_.velocity;
    std::vector<double> p_fwd_bck = p_fwd_fwd, p_sharp_fwd_bck = p_sharp_fwd_fwd;
    std::vector<double> p_bck_fwd = p_fwd_fwd, p_sharp_bck_fwd = p_sharp_fwd_fwd;
    std::vector<double> p_bck_bck = p_fwd_fwd, p_sharp_bck_bck = p_sharp_fwd_fwd;
    std::vector<double> rho = z_.momentum;
    double log_sum_weight = 0;
    h0_ = z_.hamiltonian();
    std::size_t depth = 0;
    while (depth < max_depth_) {
      std::vector<double> rho_fwd(m, 0.0), rho_bck(m, 0.0);
      double log_sum_weight_subtree = -INFINITY;
      bool valid = false;
      if (uniform(depth) > 0.5) {
        z_ = z_fwd;
        rho_bck = rho;
        p_bck_fwd = p_fwd_fwd;
        p_sharp_bck_fwd = p_sharp_fwd_fwd;
        valid = build_tree(depth, z_propose, p_sharp_fwd_bck, p_sharp_fwd_fwd, rho_fwd, p_fwd_bck, p_fwd_fwd, 1,
                           log_sum_weight_subtree);
        z_fwd = z_;
      } else {
        z_ = z_bck;
        rho_fwd = rho;
        p_fwd_bck = p_bck_bck;
        p_sharp_fwd_bck = p_sharp_bck_bck;
        valid = build_tree(depth, z_propose, p_sharp_bck_fwd, p_sharp_bck_bck, rho_bck, p_bck_fwd, p_bck_bck, -1,
                           log_sum_weight_subtree);
        z_bck = z_;
      }
      if (!valid) break;
      const double choice = uniform(max_depth_ + depth);
      ++depth;
      if (log_sum_weight_subtree > log_sum_weight || choice < std::exp(log_sum_weight_subtree - log_sum_weight)) {
        z_sample = z_propose;
      }
      log_sum_weight = log_sum_exp(log_sum_weight, log_sum_weight_subtree);
      rho = plus(rho_bck, rho_fwd);
      bool persist = criterion(p_sharp_bck_bck, p_sharp_fwd_fwd, rho);
      persist = persist && criterion(p_sharp_bck_bck, p_sharp_fwd_bck, plus(rho_bck, p_fwd_bck));
      persist = persist && criterion(p_sharp_bck_fwd, p_sharp_fwd_fwd, plus(rho_fwd, p_bck_fwd));
      if (!persist) break;
    }
    pb::NutsTransition t;
    t.accept_stat = sum_metro_prob_ / static_cast<double>(n_leapfrog_);
    t.tree_depth = depth;
    t.leapfrog_steps = n_leapfrog_;
    t.divergent = divergent_;
    t.energy = z_sample.hamiltonian();
    t.potential = z_sample.potential;
    start = z_sample;
    return t;
  }

 private:
  double uniform(std::uint64_t offset) const { return random_.uniform(block_ + offset); }

  static bool criterion(const std::vector<double>& p_sharp_minus, const std::vector<double>& p_sharp_plus,
                        const std::vector<double>& rho) {
    return dot(p_sharp_plus, rho) > 0 && dot(p_sharp_minus, rho) > 0;
  }

  bool build_tree(std::size_t depth, pb::PhasePoint& z_propose, std::vector<double>& p_sharp_beg,
                  std::vector<double>& p_sharp_end, std::vector<double>& rho, std::vector<double>& p_beg,
                  std::vector<double>& p_end, double sign, double& log_sum_weight) {
    const std::size_t m = rho.size();
    if (depth == 0) {
      pb::leapfrog(potential_, metric_, sign * step_, z_);
      ++n_leapfrog_;
      double h = z_.hamiltonian();
      if (std::isnan(h)) h = INFINITY;
      if (h - h0_ > 1000) divergent_ = true;
      log_sum_weight = log_sum_exp(log_sum_weight, h0_ - h);
      sum_metro_prob_ += h0_ - h > 0 ? 1 : std::exp(h0_ - h);
      z_propose = z_;
      p_sharp_beg = z_.velocity;
      p_sharp_end = p_sharp_beg;
      rho = plus(rho, z_.momentum);
      p_beg = z_.momentum;
      p_end = p_beg;
      return !divergent_;
    }
    double log_sum_weight_init = -INFINITY;
    std::vector<double> p_init_end(m), p_sharp_init_end(m), rho_init(m, 0.0);
    if (!build_tree(depth - 1, z_propose, p_sharp_beg, p_sharp_init_end, rho_init, p_beg, p_init_end, sign,
                    log_sum_weight_init)) {
      return false;
    }
    pb::PhasePoint z_propose_final = z_;
    double log_sum_weight_final = -INFINITY;
    std::vector<double> p_final_beg(m), p_sharp_final_beg(m), rho_final(m, 0.0);
    if (!build_tree(depth - 1, z_propose_final, p_sharp_final_beg, p_sharp_end, rho_final, p_final_beg, p_end, sign,
                    log_sum_weight_final)) {
      return false;
    }
    const double log_sum_weight_subtree = log_sum_exp(log_sum_weight_init, log_sum_weight_final);
    log_sum_weight = log_sum_exp(log_sum_weight, log_sum_weight_subtree);
    const double choice = uniform(2 * max_depth_ + merges_++);
    if (log_sum_weight_final > log_sum_weight_subtree ||
        choice < std::exp(log_sum_weight_final - log_sum_weight_subtree)) {
      z_propose = z_propose_final;
    }
    const std::vector<double> rho_subtree = plus(rho_init, rho_final);
    rho = plus(rho, rho_subtree);
    bool persist = criterion(p_sharp_beg, p_sharp_end, rho_subtree);
    persist = persist && criterion(p_sharp_beg, p_sharp_final_beg, plus(rho_init, p_final_beg));
    persist = persist && criterion(p_sharp_init_end, p_sharp_end, plus(rho_final, p_init_end));
    return persist;
  }

  const pb::BatchedPotential& potential_;
  const pb::EuclideanMetric& metric_;
  double step_;
  std::size_t max_depth_;
  const pb::CounterRandom& random_;
  std::uint64_t block_;
  pb::PhasePoint z_;
  double h0_ = 0;
  std::size_t n_leapfrog_ = 0;
  std::size_t merges_ = 0;
  double sum_metro_prob_ = 0;
  bool divergent_ = false;
};

}  // namespace

TEST(Nuts, IterativeTreeReproducesStansRecursion) {
  // Without warm-up the sampler is a fixed NUTS kernel; the recursive reference, fed the
  // same momenta and uniforms, must give the same transitions to the last bit — on the
  // banana (curved trajectories, U-turns at every level), with a step that sometimes
  // diverges, and with the tree-depth cap in play.
  const Banana banana{1.0, 2.0};
  const auto potential = banana.potential();
  DenseMatrix inverse(2, 2);
  inverse(0, 0) = 1.0, inverse(1, 1) = 4.0, inverse(0, 1) = inverse(1, 0) = 0.5;
  for (const auto& [step, depth] : std::vector<std::pair<double, std::size_t>>{{0.1, 10}, {0.9, 10}, {0.05, 4}}) {
    pb::NutsOptions options;
    options.warmup = 0;
    options.samples = 300;
    options.initial_step_size = step;
    options.max_tree_depth = depth;
    options.initial_inverse_metric = inverse;
    options.keep_draws = true;
    options.seed = 77;
    const std::vector<double> starts = {0.5, 0.1, -1, 1, 1.5, 2, -0.2, -0.4};
    const pb::NutsResult result = pb::nuts_sample(potential, starts, 2, options);
    const pb::EuclideanMetric metric(pb::MetricKind::dense, inverse);
    const std::uint64_t block = 2 * depth + (std::uint64_t{1} << depth);
    std::size_t divergent = 0, capped = 0;
    for (std::size_t c = 0; c < 4; ++c) {
      const pb::CounterRandom momenta(77, 0, pb::Purpose::nuts_momentum, c);
      const pb::CounterRandom tree(77, 0, pb::Purpose::nuts_trajectory, c);
      pb::PhasePoint point(2);
      point.position = {starts[2 * c], starts[2 * c + 1]};
      potential(point.position, 1, std::span<double>(&point.potential, 1), point.gradient);
      for (std::size_t t = 0; t < 300; ++t) {
        pb::refresh_momentum(metric, momenta, t * 2, point);
        RecursiveNuts reference(potential, metric, step, depth, tree, t * block);
        const pb::NutsTransition expected = reference.transition(point);
        const pb::NutsTransition& got = result.transitions[c * 300 + t];
        ASSERT_EQ(got.leapfrog_steps, expected.leapfrog_steps) << "step " << step << ", chain " << c << ", t " << t;
        ASSERT_EQ(got.tree_depth, expected.tree_depth);
        ASSERT_EQ(got.divergent, expected.divergent);
        ASSERT_EQ(got.accept_stat, expected.accept_stat);
        ASSERT_EQ(got.energy, expected.energy);
        ASSERT_EQ(result.draws[(c * 300 + t) * 2], point.position[0]);
        ASSERT_EQ(result.draws[(c * 300 + t) * 2 + 1], point.position[1]);
        divergent += expected.divergent ? 1 : 0;
        capped += expected.tree_depth == depth ? 1 : 0;
      }
    }
    std::cout << "[ nuts     ] step " << step << ", max depth " << depth << ": " << divergent << " divergent, "
              << capped << " capped of 1200 transitions\n";
    if (step > 0.5) EXPECT_GT(divergent, 10u);
    if (depth == 4) EXPECT_GT(capped, 10u);
  }
}

// =============================================================================================
// Lockstep and determinism

namespace {

// Wraps a potential and records the size of every call.
struct RecordingPotential {
  pb::BatchedPotential inner;
  std::shared_ptr<std::vector<std::size_t>> batches = std::make_shared<std::vector<std::size_t>>();
  pb::BatchedPotential operator()() const {
    return [inner = inner, batches = batches](std::span<const double> points, std::size_t batch,
                                              std::span<double> potentials, std::span<double> gradients) {
      batches->push_back(batch);
      inner(points, batch, potentials, gradients);
    };
  }
};

}  // namespace

TEST(Nuts, ChainsAdvanceInLockstep) {
  // No warm-up: every batched call is one leapfrog round of the chains still building their
  // trees, so iteration t costs max_c n_leapfrog(c, t) calls and Σ_c n_leapfrog(c, t) points.
  const GaussianTarget target = correlated_gaussian(3, 10, true, 21);
  const RecordingPotential recording{target.potential()};
  pb::NutsOptions options;
  options.warmup = 0;
  options.samples = 50;
  options.initial_step_size = 0.4;
  options.initial_inverse_metric = target.covariance;
  options.tracked_coordinates = 2;
  options.coordinate_name = "z";
  const pb::NutsResult result = pb::nuts_sample(recording(), overdispersed_starts(target, 4, 3), 3, options);
  ASSERT_EQ(result.diagnostics.size(), 3u);
  EXPECT_EQ(result.diagnostics[0].name, "potential");
  EXPECT_EQ(result.diagnostics[2].name, "z[1]");
  EXPECT_EQ(result.warmup_gradient_evaluations, 4);  // the starting points only
  EXPECT_TRUE(result.warmup_transitions.empty());
  std::size_t expected_calls = 1, expected_points = 4;
  for (std::size_t t = 0; t < 50; ++t) {
    std::size_t longest = 0;
    for (std::size_t c = 0; c < 4; ++c) {
      longest = std::max(longest, result.transitions[c * 50 + t].leapfrog_steps);
      expected_points += result.transitions[c * 50 + t].leapfrog_steps;
      EXPECT_EQ(result.transitions[c * 50 + t].step_size, 0.4);
    }
    expected_calls += longest;
  }
  EXPECT_EQ(recording.batches->size(), expected_calls);
  EXPECT_EQ(static_cast<std::size_t>(result.potential_calls), expected_calls);
  EXPECT_EQ(static_cast<std::size_t>(result.gradient_evaluations), expected_points);
  EXPECT_EQ(std::accumulate(recording.batches->begin(), recording.batches->end(), std::size_t{0}), expected_points);
  EXPECT_EQ(recording.batches->front(), 4u);  // the starting points, together
  EXPECT_EQ(*std::max_element(recording.batches->begin(), recording.batches->end()), 4u);
}

TEST(Nuts, SameDrawsWhateverTheBatchingAndOnRepeatedRuns) {
  const GaussianTarget target = correlated_gaussian(3, 100, true, 22);
  pb::NutsOptions options;
  options.warmup = 150;
  options.samples = 60;
  options.keep_draws = true;
  options.seed = 9;
  options.task = 4;
  const std::vector<double> starts = overdispersed_starts(target, 4, 3);
  const pb::NutsResult together = pb::nuts_sample(target.potential(), starts, 3, options);
  auto expect_same = [&](const pb::NutsResult& other, const std::string& label) {
    EXPECT_EQ(other.draws, together.draws) << label;
    EXPECT_EQ(other.step_sizes, together.step_sizes) << label;
    EXPECT_EQ(other.gradient_evaluations, together.gradient_evaluations) << label;
    ASSERT_EQ(other.transitions.size(), together.transitions.size());
    for (std::size_t k = 0; k < together.transitions.size(); ++k) {
      EXPECT_EQ(other.transitions[k].energy, together.transitions[k].energy) << label;
      EXPECT_EQ(other.transitions[k].leapfrog_steps, together.transitions[k].leapfrog_steps) << label;
    }
    for (std::size_t c = 0; c < 4; ++c)
      EXPECT_EQ(other.inverse_metrics[c].values(), together.inverse_metrics[c].values()) << label;
  };
  for (const std::size_t max_batch : {1, 3}) {
    options.max_batch = max_batch;
    const pb::NutsResult split = pb::nuts_sample(target.potential(), starts, 3, options);
    expect_same(split, "max_batch " + std::to_string(max_batch));
    EXPECT_GT(split.potential_calls, together.potential_calls);
  }
  EXPECT_EQ(pb::nuts_sample(target.potential(), starts, 3, options).potential_calls,
            pb::nuts_sample(target.potential(), starts, 3, options).potential_calls);
  options.max_batch = 0;
  expect_same(pb::nuts_sample(target.potential(), starts, 3, options), "repeated");
  options.seed += 1;
  EXPECT_NE(pb::nuts_sample(target.potential(), starts, 3, options).draws, together.draws);
  options.seed -= 1;
  options.task += 1;
  EXPECT_NE(pb::nuts_sample(target.potential(), starts, 3, options).draws, together.draws);
}

TEST(Nuts, OptionsAreValidated) {
  using pb::testing_support::expect_error;
  const GaussianTarget target = correlated_gaussian(2, 10, true, 1);
  const std::vector<double> starts = overdispersed_starts(target, 4, 2);
  auto run = [&](const pb::NutsOptions& options, std::vector<double> points = {}) {
    pb::nuts_sample(target.potential(), points.empty() ? starts : points, 2, options);
  };
  pb::NutsOptions options;
  options.chains = 3;
  expect_error([&] { run(options, std::vector<double>(6, 0.0)); }, {"at least 4 chains"});
  options = {};
  expect_error([&] { run(options, std::vector<double>(6, 0.0)); }, {"need 8 initial coordinates, got 6"});
  options.samples = 7;
  expect_error([&] { run(options); }, {"at least 8"});
  options = {};
  options.max_tree_depth = 0;
  expect_error([&] { run(options); }, {"max_tree_depth"});
  options = {};
  options.initial_step_size = 0;
  expect_error([&] { run(options); }, {"initial step size"});
  options = {};
  options.initial_inverse_metric = DenseMatrix(3, 3);
  expect_error([&] { run(options); }, {"initial inverse metric is 3x3, expected 2x2"});
  options = {};
  options.step_size_adaptation.target_acceptance = 1.0;
  expect_error([&] { run(options); }, {"target acceptance"});
  options = {};
  options.terminal_buffer = 0;
  expect_error([&] { run(options); }, {"terminal buffer"});
  options = {};
  options.max_energy_error = 0;
  expect_error([&] { run(options); }, {"max_energy_error"});
  std::vector<double> bad = starts;
  bad[3] = std::nan("");
  options = {};
  expect_error([&] { run(options, bad); }, {"initial point of chain 1"});
  expect_error([&] { pb::nuts_sample({}, starts, 2, options); }, {"needs a potential"});
}

// =============================================================================================
// Simulation-based calibration

namespace {

// Talts et al. (2018): θ ~ N(0, I₂), y from the logistic model (20 observations), NUTS on
// p(θ | y) with 4 chains × 200 draws after 200 warm-up iterations; the rank of each θ_j among
// L = 20 thinned draws (every 40th: draws 39, 79, …, 199 of each chain) is uniform on
// {0, …, 20} when the sampler is right. 21 ranks in 7 bins of 3.
std::array<std::vector<int>, 2> sbc_rank_histograms(int replicates, double energy_scale) {
  std::array<std::vector<int>, 2> histograms = {std::vector<int>(7, 0), std::vector<int>(7, 0)};
  pb::NutsOptions options;
  options.warmup = 200;
  options.samples = 200;
  options.max_tree_depth = 6;  // caps the cost of the broken sampler below; the right one needs depth ~2
  options.keep_draws = true;
  options.seed = 2024;
  for (int r = 0; r < replicates; ++r) {
    const std::vector<double> theta = {normal(7000 + r, 0), normal(7000 + r, 1)};
    const LogisticRegression model = simulate_logistic(20, theta, 8000 + 2 * r);
    std::vector<double> starts(8);
    for (std::size_t k = 0; k < 8; ++k) starts[k] = normal(9000 + r, k);
    options.task = static_cast<std::uint64_t>(r);
    const pb::NutsResult result = pb::nuts_sample(model.potential(energy_scale), starts, 2, options);
    for (std::size_t j = 0; j < 2; ++j) {
      int rank = 0;
      for (std::size_t c = 0; c < 4; ++c)
        for (std::size_t s = 39; s < 200; s += 40) rank += result.draws[(c * 200 + s) * 2 + j] < theta[j] ? 1 : 0;
      ++histograms[j][rank / 3];
    }
  }
  return histograms;
}

double chi_square(const std::vector<int>& counts) {
  const double expected = std::accumulate(counts.begin(), counts.end(), 0.0) / static_cast<double>(counts.size());
  double sum = 0;
  for (const int count : counts) sum += (count - expected) * (count - expected) / expected;
  return sum;
}

// χ² with 6 degrees of freedom at level 0.005 per parameter (0.01 for the pair, Bonferroni).
constexpr double kChiSquareCritical = 18.548;

}  // namespace

TEST(Nuts, SimulationBasedCalibration) {
  const auto histograms = sbc_rank_histograms(200, 1.0);
  for (std::size_t j = 0; j < 2; ++j) {
    EXPECT_LT(chi_square(histograms[j]), kChiSquareCritical)
        << "θ[" << j << "] ranks: " << ::testing::PrintToString(histograms[j]);
  }
}

TEST(Nuts, SimulationBasedCalibrationCatchesABrokenSampler) {
  // A wrong gradient cannot break NUTS: a leapfrog step under any force field is a
  // composition of shears (volume preserving) and reversible, so the multinomial weights
  // exp(H0 − H) still correct it exactly, only less efficiently. What breaks it is a
  // correction that does not match the target: here the weights see U/4 while the dynamics
  // follow ∇U (a potential inconsistent with its gradient). The draws come out too wide and
  // the ranks pile up in the middle; 100 replicates suffice to see it.
  const auto histograms = sbc_rank_histograms(100, 0.25);
  std::cout << "[ nuts     ] broken sampler ranks: " << ::testing::PrintToString(histograms[0]) << ", "
            << ::testing::PrintToString(histograms[1]) << ", chi-square " << chi_square(histograms[0]) << ", "
            << chi_square(histograms[1]) << "\n";
  EXPECT_GT(std::max(chi_square(histograms[0]), chi_square(histograms[1])), kChiSquareCritical);
}
