#include "diagnostics/metrics.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "core/error.hpp"
#include "core/petsc.hpp"
#include "core/special_functions.hpp"

namespace priorbench {
namespace {

constexpr std::size_t kLevels = kCredibleLevels.size();

// Φ⁻¹((1 + L)/2) for each level.
const std::array<double, kLevels>& interval_quantiles() {
  static const std::array<double, kLevels> z = [] {
    std::array<double, kLevels> values{};
    for (std::size_t k = 0; k < kLevels; ++k) values[k] = special::normal_quantile((1 + kCredibleLevels[k]) / 2);
    return values;
  }();
  return z;
}

// CRPS of N(mean, s²) at x (Gneiting & Raftery 2007, eq. 5).
double gaussian_crps(double mean, double s, double x) {
  if (!(s > 0)) return std::abs(x - mean);
  const double w = (x - mean) / s;
  const double density = std::exp(-0.5 * w * w) / std::sqrt(2 * std::numbers::pi);
  return s * (w * (2 * special::normal_cdf(w) - 1) + 2 * density - 1 / std::sqrt(std::numbers::pi));
}

// Local sums: squared error, squared truth, variance, std, CRPS, then per level covered
// pixels and interval score.
constexpr std::size_t kSums = 5 + 2 * kLevels;

}  // namespace

ReconstructionMetrics compute_metrics(Vec estimate, Vec std, Vec truth) {
  PetscInt n = 0;
  PB_PETSC(VecGetSize(truth, &n));
  std::array<double, kSums> sums{};
  const auto& z = interval_quantiles();
  {
    petsc::ReadView x(estimate), t(truth);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double error = x[i] - t[i];
      sums[0] += error * error;
      sums[1] += t[i] * t[i];
    }
    if (std != nullptr) {
      petsc::ReadView s(std);
      for (std::size_t i = 0; i < x.size(); ++i) {
        sums[2] += s[i] * s[i];
        sums[3] += s[i];
        sums[4] += gaussian_crps(x[i], s[i], t[i]);
        for (std::size_t k = 0; k < kLevels; ++k) {
          const double alpha = 1 - kCredibleLevels[k];
          const double lower = x[i] - z[k] * s[i], upper = x[i] + z[k] * s[i];
          sums[5 + k] += std::abs(x[i] - t[i]) <= z[k] * s[i] ? 1.0 : 0.0;
          sums[5 + kLevels + k] +=
              (upper - lower) + (2 / alpha) * std::max(lower - t[i], 0.0) + (2 / alpha) * std::max(t[i] - upper, 0.0);
        }
      }
    }
  }
  MPI_Allreduce(MPI_IN_PLACE, sums.data(), static_cast<int>(kSums), MPI_DOUBLE, MPI_SUM, petsc::comm_of(truth));
  const double count = static_cast<double>(n);
  const double mse = sums[0] / count;
  ReconstructionMetrics metrics;
  metrics.relative_error = std::sqrt(sums[0]) / std::sqrt(sums[1]);
  metrics.psnr = 10.0 * std::log10(1.0 / mse);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  metrics.expected_squared_error = std != nullptr ? mse + sums[2] / count : nan;
  if (std != nullptr) {
    for (std::size_t k = 0; k < kLevels; ++k) {
      metrics.intervals[k] = {sums[5 + k] / count, 2.0 * z[k] * sums[3] / count, sums[5 + kLevels + k] / count};
    }
    metrics.crps = sums[4] / count;
  }
  metrics.coverage_95 = metrics.intervals[2].coverage;
  metrics.mean_interval_width = metrics.intervals[2].mean_width;
  return metrics;
}

double latent_credible_level(std::span<const double> mean, const DenseMatrix& covariance,
                             std::span<const double> truth) {
  const std::size_t m = mean.size();
  PB_REQUIRE(truth.size() == m && covariance.rows() == m && covariance.cols() == m,
             "latent credible level: mean of size ", m, ", truth of size ", truth.size(), ", covariance ",
             covariance.rows(), "x", covariance.cols());
  DenseMatrix factor = covariance;
  cholesky_in_place(factor, "the latent covariance");
  std::vector<double> difference(m), solved(m);
  for (std::size_t i = 0; i < m; ++i) difference[i] = mean[i] - truth[i];
  solved = difference;
  cholesky_solve(factor, solved);
  double squared = 0;
  for (std::size_t i = 0; i < m; ++i) squared += difference[i] * solved[i];
  return special::chi_square_cdf(squared, static_cast<double>(m));
}

}  // namespace priorbench
