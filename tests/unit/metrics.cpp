// Reconstruction metrics against hand-computed values.

#include <gtest/gtest.h>

#include <cmath>

#include "core/petsc.hpp"
#include "diagnostics/metrics.hpp"

namespace pb = priorbench;

namespace {
pb::petsc::Vector vector_of(const std::vector<double>& values) {
  auto v = pb::petsc::make_vector(PETSC_COMM_WORLD, static_cast<PetscInt>(values.size()));
  pb::petsc::set_from_global(v, values);
  return v;
}
}  // namespace

TEST(Metrics, MatchHandComputedValues) {
  const auto truth = vector_of({1.0, 0.0, 0.5, 0.5});
  const auto estimate = vector_of({0.9, 0.1, 0.5, 0.8});
  const auto std = vector_of({0.1, 0.01, 0.2, 0.1});
  const auto metrics = pb::compute_metrics(estimate, std, truth);
  const double squared_error = 0.01 + 0.01 + 0.0 + 0.09;
  EXPECT_NEAR(metrics.relative_error, std::sqrt(squared_error / 1.5), 1e-15);
  EXPECT_NEAR(metrics.psnr, 10 * std::log10(4.0 / squared_error), 1e-12);
  EXPECT_NEAR(metrics.expected_squared_error, squared_error / 4 + (0.01 + 0.0001 + 0.04 + 0.01) / 4, 1e-15);
  // Covered: |0.1| <= 0.196 yes, |0.1| <= 0.0196 no, 0 <= 0.39 yes, |0.3| <= 0.196 no.
  EXPECT_DOUBLE_EQ(metrics.coverage_95, 0.5);
  EXPECT_NEAR(metrics.mean_interval_width, 2 * pb::kNormalQuantile975 * (0.41 / 4), 1e-15);
}

TEST(Metrics, WithoutStdTheUncertaintyMetricsAreNaN) {
  const auto truth = vector_of({1.0, 2.0});
  const auto estimate = vector_of({1.0, 2.0 + 1e-3});
  const auto metrics = pb::compute_metrics(estimate, nullptr, truth);
  EXPECT_TRUE(std::isnan(metrics.coverage_95));
  EXPECT_TRUE(std::isnan(metrics.expected_squared_error));
  EXPECT_NEAR(metrics.relative_error, 1e-3 / std::sqrt(5.0), 1e-15);
}
