// Reconstruction metrics against hand-computed values and independent references: the
// interval score by hand, the Gaussian CRPS against numerical integration of its
// definition, the range/null split of the error against dense projectors, the latent
// credible level against a dense Mahalanobis distance.

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <numbers>

#include "core/petsc.hpp"
#include "core/random.hpp"
#include "diagnostics/error_split.hpp"
#include "diagnostics/metrics.hpp"
#include "operators/operator_factory.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
namespace ts = priorbench::testing_support;

namespace {
pb::petsc::Vector vector_of(const std::vector<double>& values) {
  auto v = pb::petsc::make_vector(PETSC_COMM_WORLD, static_cast<PetscInt>(values.size()));
  pb::petsc::set_from_global(v, values);
  return v;
}

// CRPS(F, x) = ∫ (F(y) − 1{y ≥ x})² dy for F = N(μ, s²), by the composite Simpson rule on
// [μ − 12s, μ + 12s] ∪ [x − 12s, x + 12s] (outside, the integrand is below 1e-30).
double crps_by_quadrature(double mu, double s, double x) {
  const double lower = std::min(mu, x) - 12 * s, upper = std::max(mu, x) + 12 * s;
  const auto integrand = [&](double y) {
    const double f = 0.5 * std::erfc(-(y - mu) / (s * std::sqrt(2.0)));
    const double step = y >= x ? 1.0 : 0.0;
    return (f - step) * (f - step);
  };
  // Split at x, where the integrand jumps, so each piece is smooth.
  const auto simpson = [&](double a, double b) {
    const int intervals = 20000;
    const double h = (b - a) / intervals;
    double sum = integrand(a + 1e-15 * (b - a)) + integrand(b - 1e-15 * (b - a));
    for (int i = 1; i < intervals; ++i) sum += integrand(a + i * h) * (i % 2 == 1 ? 4 : 2);
    return sum * h / 3;
  };
  return simpson(lower, x) + simpson(x, upper);
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
  EXPECT_EQ(metrics.coverage_95, metrics.intervals[2].coverage);
}

TEST(Metrics, CoverageWidthAndIntervalScoreAtEachLevelByHand) {
  // Errors |x̂ − x†| = 0.1, 0.1, 0, 0.3 with std 0.1, 0.01, 0.2, 0.1; z = Φ⁻¹((1 + L)/2).
  const auto truth = vector_of({1.0, 0.0, 0.5, 0.5});
  const auto estimate = vector_of({0.9, 0.1, 0.5, 0.8});
  const auto std = vector_of({0.1, 0.01, 0.2, 0.1});
  const auto metrics = pb::compute_metrics(estimate, std, truth);
  const double errors[] = {0.1, 0.1, 0.0, 0.3}, stds[] = {0.1, 0.01, 0.2, 0.1};
  const double z[] = {0.6744897501960817, 1.6448536269514722, 1.959963984540054};  // scipy.stats.norm.ppf
  for (std::size_t k = 0; k < 3; ++k) {
    const double alpha = 1 - pb::kCredibleLevels[k];
    double covered = 0, width = 0, score = 0;
    for (int j = 0; j < 4; ++j) {
      const double half = z[k] * stds[j];
      covered += errors[j] <= half ? 1 : 0;
      width += 2 * half;
      // IS = (u − l) + (2/α)·(distance of x† outside [l, u]).
      score += 2 * half + (2 / alpha) * std::max(errors[j] - half, 0.0);
    }
    EXPECT_DOUBLE_EQ(metrics.intervals[k].coverage, covered / 4) << k;
    EXPECT_NEAR(metrics.intervals[k].mean_width, width / 4, 1e-15) << k;
    EXPECT_NEAR(metrics.intervals[k].interval_score, score / 4, 1e-14) << k;
  }
  // At 50 %: z·std = 0.067, 0.0067, 0.135, 0.067: only pixel 3 is covered.
  EXPECT_DOUBLE_EQ(metrics.intervals[0].coverage, 0.25);
  // A pixel with x† = x̂ + 0.5 and std 0.1 at 95 %: width 0.392, miss 0.304 charged 40×.
  const auto far = pb::compute_metrics(vector_of({0.0}), vector_of({0.1}), vector_of({0.5}));
  EXPECT_NEAR(far.intervals[2].interval_score, 0.392 + 40 * (0.5 - 0.196), 1e-3);
}

TEST(Metrics, GaussianCrpsMatchesNumericalIntegrationOfItsDefinition) {
  const std::vector<double> mu = {0.3, 0.0, 1.0, 0.5}, s = {0.1, 0.02, 0.5, 0.05}, x = {0.35, 0.2, 1.0, -0.5};
  double reference = 0;
  for (std::size_t j = 0; j < mu.size(); ++j) reference += crps_by_quadrature(mu[j], s[j], x[j]) / 4;
  const auto metrics = pb::compute_metrics(vector_of(mu), vector_of(s), vector_of(x));
  EXPECT_NEAR(metrics.crps, reference, 1e-10);
  // s → 0: the CRPS of a point mass is the absolute error.
  const auto point = pb::compute_metrics(vector_of({0.2}), vector_of({0.0}), vector_of({0.5}));
  EXPECT_NEAR(point.crps, 0.3, 1e-15);
}

TEST(Metrics, WithoutStdTheUncertaintyMetricsAreNaN) {
  const auto truth = vector_of({1.0, 2.0});
  const auto estimate = vector_of({1.0, 2.0 + 1e-3});
  const auto metrics = pb::compute_metrics(estimate, nullptr, truth);
  EXPECT_TRUE(std::isnan(metrics.coverage_95));
  EXPECT_TRUE(std::isnan(metrics.expected_squared_error));
  EXPECT_TRUE(std::isnan(metrics.crps));
  for (const auto& level : metrics.intervals) EXPECT_TRUE(std::isnan(level.interval_score));
  EXPECT_NEAR(metrics.relative_error, 1e-3 / std::sqrt(5.0), 1e-15);
}

namespace {

// ‖P_R e‖ and ‖P_N e‖ from the dense projector Aᵀ(AAᵀ)⁻¹A of a full-row-rank A.
std::pair<double, double> dense_split(const ts::Dense& a, const std::vector<double>& e) {
  const ts::Dense at = ts::transpose(a);
  const ts::Dense projector = ts::multiply(at, ts::multiply(ts::spd_inverse(ts::multiply(a, at)), a));
  const std::vector<double> range = ts::multiply(projector, e);
  double range_norm = 0, null_norm = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    range_norm += range[i] * range[i];
    null_norm += (e[i] - range[i]) * (e[i] - range[i]);
  }
  return {std::sqrt(range_norm), std::sqrt(null_norm)};
}

std::vector<double> random_values(std::size_t count, std::uint64_t key) {
  const pb::CounterRandom random(3, key, pb::Purpose::test_values);
  std::vector<double> values(count);
  for (std::size_t i = 0; i < count; ++i) values[i] = random.normal(i);
  return values;
}

}  // namespace

TEST(ErrorSplit, CgOnAAtMatchesTheDenseProjectorAndRecordsItsReason) {
  // A 5 × 12 matrix with correlated rows (A Aᵀ not diagonal): the CG route.
  ts::Dense a(5, 12);
  const auto entries = random_values(60, 1);
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 12; ++j) a(i, j) = entries[static_cast<std::size_t>(i * 12 + j)] + (j < 3 ? 1.0 : 0.0);
  }
  const auto forward = std::make_shared<ts::DenseForwardOperator>(PETSC_COMM_WORLD, a);
  const pb::RangeProjector projector(forward);
  ASSERT_EQ(projector.route(), pb::ProjectionRoute::krylov);
  const auto truth_values = random_values(12, 2), estimate_values = random_values(12, 3);
  const auto truth = vector_of(truth_values), estimate = vector_of(estimate_values);
  const auto split = pb::split_error(projector, estimate, truth);
  std::vector<double> e(12);
  double truth_norm = 0;
  for (std::size_t i = 0; i < 12; ++i) {
    e[i] = estimate_values[i] - truth_values[i];
    truth_norm += truth_values[i] * truth_values[i];
  }
  truth_norm = std::sqrt(truth_norm);
  const auto [range, null] = dense_split(a, e);
  EXPECT_NEAR(split.range_error, range / truth_norm, 1e-8);
  EXPECT_NEAR(split.null_error, null / truth_norm, 1e-8);
  EXPECT_TRUE(split.record.converged()) << split.record.reason_name;
  EXPECT_GT(split.record.reason, 0);
  EXPECT_GE(split.record.iterations, 1);
  EXPECT_LE(split.record.iterations, 10);  // ≤ 5 in exact arithmetic (5 distinct eigenvalues)
  // Pythagoras: the parts are orthogonal.
  double whole = 0;
  for (const double v : e) whole += v * v;
  EXPECT_NEAR(std::hypot(split.range_error, split.null_error), std::sqrt(whole) / truth_norm, 1e-8);

  // An error in null(A) (A e = 0): zero range part, the solve converges at once.
  auto in_null = pb::petsc::copy_of(estimate);
  auto range_part = pb::petsc::make_vector_like(estimate);
  projector.project(in_null, range_part);
  PB_PETSC(VecAXPY(in_null, -1.0, range_part));  // (I − P_R) x lies in null(A)
  auto shifted = pb::petsc::copy_of(truth);
  PB_PETSC(VecAXPY(shifted, 1.0, in_null));
  const auto split_null = pb::split_error(projector, shifted, truth);
  EXPECT_LT(split_null.range_error, 1e-9);
  EXPECT_TRUE(split_null.record.converged());
}

TEST(ErrorSplit, ARankDeficientAAtStillGivesTheProjector) {
  // Rows 0 and 1 repeated (d = 6, rank 4): A Aᵀ is singular but A e lies in its range, so
  // CG converges and Aᵀu is P_R e; the dense reference uses the four independent rows.
  ts::Dense a(6, 9), independent(4, 9);
  const auto entries = random_values(36, 4);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 9; ++j) independent(i, j) = entries[static_cast<std::size_t>(i * 9 + j)];
  }
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 9; ++j) a(i, j) = independent(i < 4 ? i : i - 4, j);
  }
  const auto forward = std::make_shared<ts::DenseForwardOperator>(PETSC_COMM_WORLD, a);
  const pb::RangeProjector projector(forward);
  const auto truth_values = random_values(9, 5), estimate_values = random_values(9, 6);
  const auto split = pb::split_error(projector, vector_of(estimate_values), vector_of(truth_values));
  std::vector<double> e(9);
  double truth_norm = 0;
  for (std::size_t i = 0; i < 9; ++i) {
    e[i] = estimate_values[i] - truth_values[i];
    truth_norm += truth_values[i] * truth_values[i];
  }
  const auto [range, null] = dense_split(independent, e);
  EXPECT_NEAR(split.range_error, range / std::sqrt(truth_norm), 1e-8);
  EXPECT_NEAR(split.null_error, null / std::sqrt(truth_norm), 1e-8);
  EXPECT_TRUE(split.record.converged()) << split.record.reason_name;
}

TEST(ErrorSplit, ExactRoutesForMasksAndInjectiveOperators) {
  // Inpaint (A Aᵀ = I on the observed pixels): the range part is the error on the observed
  // pixels, the null part the error on the others; no solve.
  const pb::ImageShape shape{4, 4};
  pb::OperatorSpec spec;
  spec.name = "inpaint";
  spec.data_size = 7;
  spec.seed = 11;
  const auto inpaint = pb::make_operator(PETSC_COMM_WORLD, shape, spec);
  const pb::RangeProjector masks(inpaint);
  EXPECT_EQ(masks.route(), pb::ProjectionRoute::diagonal_gram);
  const auto truth_values = random_values(16, 7), estimate_values = random_values(16, 8);
  const auto pattern = inpaint->sampling_pattern();
  double seen = 0, unseen = 0, truth_norm = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    const double e = estimate_values[i] - truth_values[i];
    (pattern[i] > 0 ? seen : unseen) += e * e;
    truth_norm += truth_values[i] * truth_values[i];
  }
  const auto split = pb::split_error(masks, vector_of(estimate_values), vector_of(truth_values));
  EXPECT_NEAR(split.range_error, std::sqrt(seen / truth_norm), 1e-14);
  EXPECT_NEAR(split.null_error, std::sqrt(unseen / truth_norm), 1e-14);
  EXPECT_EQ(split.record.iterations, 0);
  EXPECT_EQ(split.record.reason, 0);
  EXPECT_EQ(split.record.reason_name, "exact");

  // A Gaussian matrix with d ≥ n is injective: no null part. With d < n it is not.
  spec.name = "gaussian";
  spec.data_size = 20;
  const auto tall = pb::make_operator(PETSC_COMM_WORLD, shape, spec);
  const pb::RangeProjector injective(tall);
  EXPECT_EQ(injective.route(), pb::ProjectionRoute::injective);
  const auto whole = pb::split_error(injective, vector_of(estimate_values), vector_of(truth_values));
  EXPECT_NEAR(whole.range_error, std::sqrt((seen + unseen) / truth_norm), 1e-14);
  EXPECT_EQ(whole.null_error, 0.0);
  spec.data_size = 10;
  const auto wide = pb::make_operator(PETSC_COMM_WORLD, shape, spec);
  const pb::RangeProjector krylov(wide);
  EXPECT_EQ(krylov.route(), pb::ProjectionRoute::krylov);
  const auto split_wide = pb::split_error(krylov, vector_of(estimate_values), vector_of(truth_values));
  std::vector<double> e(16);
  for (std::size_t i = 0; i < 16; ++i) e[i] = estimate_values[i] - truth_values[i];
  const auto [range, null] = dense_split(ts::dense_of(*wide), e);
  EXPECT_NEAR(split_wide.range_error, range / std::sqrt(truth_norm), 1e-8);
  EXPECT_NEAR(split_wide.null_error, null / std::sqrt(truth_norm), 1e-8);
}

TEST(ErrorSplit, BlurIsInjectiveUnlessItsKernelMakesItNumericallySingular) {
  // σ_min/σ_max of the 1-D Toeplitz matrix on 28 points (numpy.linalg.svd): 0.0871 at
  // width 0.8, 3.48e-5 at 1.5, 7.16e-9 at 3. A = K ⊗ K is numerically injective when the
  // squared ratio exceeds n·ε = 784 · 2.2e-16 = 1.7e-13: at 0.8 and 1.5, not at 3.
  pb::OperatorSpec spec;
  spec.name = "blur";
  for (const auto& [width, injective] : {std::pair{0.8, true}, {1.5, true}, {3.0, false}}) {
    spec.blur_width = width;
    EXPECT_EQ(pb::make_operator(PETSC_COMM_WORLD, {28, 28}, spec)->injective(), injective) << width;
  }
  // Injective: the whole error is in the range; no solve.
  spec.blur_width = 0.8;
  const auto sharp = pb::make_operator(PETSC_COMM_WORLD, {8, 8}, spec);
  const pb::RangeProjector exact(sharp);
  EXPECT_EQ(exact.route(), pb::ProjectionRoute::injective);
  const auto split = pb::split_error(exact, vector_of(random_values(64, 9)), vector_of(random_values(64, 10)));
  EXPECT_EQ(split.null_error, 0.0);
  // Not injective: CG on A Aᵀ (condition ≈ 1e33) stops at its iteration cap, and says so.
  spec.blur_width = 3.0;
  const auto wide = pb::make_operator(PETSC_COMM_WORLD, {28, 28}, spec);
  pb::RangeProjectorOptions capped;
  capped.max_iterations = 30;
  const pb::RangeProjector krylov(wide, capped);
  EXPECT_EQ(krylov.route(), pb::ProjectionRoute::krylov);
  const auto approximate =
      pb::split_error(krylov, vector_of(random_values(784, 11)), vector_of(random_values(784, 12)));
  EXPECT_FALSE(approximate.record.converged());
  EXPECT_EQ(approximate.record.reason_name, "KSP_DIVERGED_ITS");
  EXPECT_EQ(approximate.record.iterations, 30);
}

TEST(LatentCredibleLevel, IsTheChiSquareProbabilityOfTheMahalanobisDistance) {
  // Σ = diag(4, 1), ẑ − z† = (2, 1): d² = 1 + 1 = 2, F_{χ²₂}(2) = 1 − e^{−1}.
  pb::DenseMatrix diagonal(2, 2);
  diagonal(0, 0) = 4;
  diagonal(1, 1) = 1;
  EXPECT_NEAR(pb::latent_credible_level(std::vector<double>{2, 1}, diagonal, std::vector<double>{0, 0}),
              1 - std::exp(-1.0), 1e-14);
  // A correlated 3 × 3 Σ against the test-side inverse; F_{χ²₃}(d²) from SciPy at d² = 3.
  ts::Dense sigma(3, 3);
  const double values[3][3] = {{2.0, 0.6, -0.3}, {0.6, 1.5, 0.2}, {-0.3, 0.2, 0.8}};
  pb::DenseMatrix covariance(3, 3);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      sigma(i, j) = values[i][j];
      covariance(static_cast<std::size_t>(i), static_cast<std::size_t>(j)) = values[i][j];
    }
  }
  const std::vector<double> mean = {0.4, -1.1, 0.7}, truth = {0.1, 0.2, -0.3};
  std::vector<double> difference(3);
  for (int i = 0; i < 3; ++i) difference[static_cast<std::size_t>(i)] = mean[i] - truth[i];
  const auto solved = ts::multiply(ts::spd_inverse(sigma), difference);
  double squared = 0;
  for (int i = 0; i < 3; ++i) squared += difference[static_cast<std::size_t>(i)] * solved[static_cast<std::size_t>(i)];
  // Scale the truth so that d² = 3 exactly: then the level is scipy.stats.chi2.cdf(3, 3).
  const double factor = std::sqrt(3 / squared);
  std::vector<double> scaled_truth(3);
  for (int i = 0; i < 3; ++i) scaled_truth[static_cast<std::size_t>(i)] = mean[i] - factor * difference[i];
  EXPECT_NEAR(pb::latent_credible_level(mean, covariance, scaled_truth), 0.6083748237289109, 1e-13);
}
