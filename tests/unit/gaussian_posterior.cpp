// GaussianPosterior against an independent dense reference: the precision form
//   Cov = (C0⁻¹ + AᵀA/σ²)⁻¹,  mean = Cov (C0⁻¹ m0 + Aᵀ y/σ²),
// computed here with the test's own Cholesky, while the code under test uses the
// data-space form with Krylov solves. Operators are explicit matrices so every std route
// (woodbury, dense, samples) can be driven on purpose.

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/random.hpp"
#include "inference/gaussian_posterior.hpp"
#include "priors/diagonal_low_rank_prior.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::testing_support::Dense;
using pb::testing_support::DenseForwardOperator;

namespace {

struct Problem {
  Dense a;
  std::vector<double> mean;
  std::vector<double> diagonal;
  std::vector<double> factor;  // row-major n×k
  std::size_t k = 0;
  double sigma = 0.05;
  std::vector<double> data;
};

double draw(std::uint64_t stream, std::uint64_t index) {
  return pb::CounterRandom(42, stream, pb::Purpose::test_values).normal(index);
}

Problem make_problem(Dense a, std::size_t k, bool scalar_diagonal, double sigma) {
  Problem p;
  const int n = a.cols;
  p.a = std::move(a);
  p.k = k;
  p.sigma = sigma;
  for (int j = 0; j < n; ++j) {
    p.mean.push_back(0.3 + 0.1 * draw(1, j));
    p.diagonal.push_back(scalar_diagonal ? 0.04 : 0.02 + 0.03 * std::abs(draw(2, j)));
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(n) * k; ++i) p.factor.push_back(0.15 * draw(3, i));
  for (int i = 0; i < p.a.rows; ++i) p.data.push_back(draw(4, i));
  return p;
}

Dense prior_covariance(const Problem& p) {
  const int n = p.a.cols;
  Dense c0(n, n);
  for (int i = 0; i < n; ++i) {
    c0(i, i) += p.diagonal[i];
    for (int j = 0; j < n; ++j)
      for (std::size_t c = 0; c < p.k; ++c) c0(i, j) += p.factor[i * p.k + c] * p.factor[j * p.k + c];
  }
  return c0;
}

struct Reference {
  std::vector<double> mean;
  std::vector<double> std;
  Dense covariance;
};

Reference dense_reference(const Problem& p) {
  using namespace pb::testing_support;
  const Dense c0_inverse = spd_inverse(prior_covariance(p));
  Dense precision = multiply(transpose(p.a), p.a);
  for (double& value : precision.values) value /= p.sigma * p.sigma;
  for (std::size_t i = 0; i < precision.values.size(); ++i) precision.values[i] += c0_inverse.values[i];
  const Dense covariance = spd_inverse(precision);
  std::vector<double> rhs = multiply(c0_inverse, p.mean);
  const std::vector<double> aty = multiply(transpose(p.a), p.data);
  for (std::size_t j = 0; j < rhs.size(); ++j) rhs[j] += aty[j] / (p.sigma * p.sigma);
  Reference reference{multiply(covariance, rhs), {}, covariance};
  for (int j = 0; j < covariance.rows; ++j) reference.std.push_back(std::sqrt(covariance(j, j)));
  return reference;
}

std::shared_ptr<pb::DiagonalPlusLowRankPrior> make_prior(const Problem& p) {
  const auto n = static_cast<PetscInt>(p.mean.size());
  auto mean = pb::petsc::make_vector(PETSC_COMM_WORLD, n);
  auto diagonal = pb::petsc::make_vector(PETSC_COMM_WORLD, n);
  pb::petsc::set_from_global(mean, p.mean);
  pb::petsc::set_from_global(diagonal, p.diagonal);
  const auto [begin, end] = pb::petsc::ownership(mean);
  return std::make_shared<pb::DiagonalPlusLowRankPrior>("test", std::move(mean), std::move(diagonal),
                                                        pb::local_rows_of(p.factor, p.k, begin, end));
}

struct Outcome {
  std::vector<double> mean;
  std::vector<double> std;
  pb::PosteriorResult result;
};

Outcome solve(const Problem& p, pb::PosteriorOptions options) {
  auto forward = std::make_shared<DenseForwardOperator>(PETSC_COMM_WORLD, p.a);
  pb::GaussianPosterior posterior(forward, make_prior(p), p.sigma, options);
  auto data = forward->make_range_vector();
  pb::petsc::set_from_global(data, p.data);
  Outcome outcome{{}, {}, posterior.solve(data)};
  outcome.mean = pb::petsc::gather_all(outcome.result.mean);
  if (outcome.result.std) outcome.std = pb::petsc::gather_all(outcome.result.std);
  return outcome;
}

Dense identity(int n) {
  Dense a(n, n);
  for (int i = 0; i < n; ++i) a(i, i) = 1.0;
  return a;
}

Dense selection(int n, const std::vector<int>& rows) {
  Dense a(static_cast<int>(rows.size()), n);
  for (std::size_t i = 0; i < rows.size(); ++i) a(static_cast<int>(i), rows[i]) = 1.0;
  return a;
}

Dense gaussian_matrix(int d, int n) {
  Dense a(d, n);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < n; ++j) a(i, j) = draw(5, static_cast<std::uint64_t>(i * n + j)) / std::sqrt(double(d));
  return a;
}

void expect_relative(const std::vector<double>& actual, const std::vector<double>& expected, double tolerance) {
  ASSERT_EQ(actual.size(), expected.size());
  const double scale = pb::testing_support::max_abs(expected);
  EXPECT_LE(pb::testing_support::max_abs_difference(actual, expected), tolerance * scale);
}

}  // namespace

TEST(GaussianPosterior, IdentityWithLowRankPriorIsExactInOneOrTwoIterations) {
  const Problem p = make_problem(identity(40), 5, true, 0.05);
  const Reference reference = dense_reference(p);
  const Outcome outcome = solve(p, {});
  EXPECT_EQ(outcome.result.std_method, "woodbury");
  EXPECT_TRUE(outcome.result.std_exact);
  EXPECT_LE(outcome.result.mean_solve.iterations, 2);
  EXPECT_GT(outcome.result.mean_solve.reason, 0);
  expect_relative(outcome.mean, reference.mean, 1e-8);
  expect_relative(outcome.std, reference.std, 1e-8);
}

TEST(GaussianPosterior, SelectionWithNonScalarDiagonalIsExactInOneOrTwoIterations) {
  const Problem p = make_problem(selection(40, {0, 3, 4, 9, 17, 18, 22, 30, 31, 39}), 6, false, 0.01);
  const Reference reference = dense_reference(p);
  const Outcome outcome = solve(p, {});
  EXPECT_EQ(outcome.result.std_method, "woodbury");
  EXPECT_LE(outcome.result.mean_solve.iterations, 2);
  expect_relative(outcome.mean, reference.mean, 1e-8);
  expect_relative(outcome.std, reference.std, 1e-8);
}

TEST(GaussianPosterior, DenseOperatorUsesTheDenseExactRoute) {
  const Problem p = make_problem(gaussian_matrix(25, 40), 4, true, 0.02);
  const Reference reference = dense_reference(p);
  const Outcome outcome = solve(p, {});
  EXPECT_EQ(outcome.result.std_method, "dense");
  EXPECT_TRUE(outcome.result.std_exact);
  expect_relative(outcome.mean, reference.mean, 1e-8);
  expect_relative(outcome.std, reference.std, 1e-8);
}

TEST(GaussianPosterior, WhitePriorWithoutLowRankPart) {
  const Problem p = make_problem(gaussian_matrix(30, 30), 0, true, 0.1);
  const Reference reference = dense_reference(p);
  const Outcome outcome = solve(p, {});
  expect_relative(outcome.mean, reference.mean, 1e-8);
  expect_relative(outcome.std, reference.std, 1e-8);
}

TEST(GaussianPosterior, SampledStdAgreesWithinMonteCarloError) {
  const Problem p = make_problem(gaussian_matrix(20, 30), 3, true, 0.05);
  const Reference reference = dense_reference(p);
  pb::PosteriorOptions options;
  options.variance = pb::VarianceRoute::samples;
  options.std_samples = 800;
  options.seed = 9;
  const Outcome outcome = solve(p, options);
  EXPECT_FALSE(outcome.result.std_exact);
  EXPECT_EQ(outcome.result.std_samples, 800);
  EXPECT_EQ(outcome.result.sample_solves, 800);
  expect_relative(outcome.mean, reference.mean, 1e-8);
  // The variance estimate (known mean) has relative standard error sqrt(2/N); allow 5 of them.
  const double bound = 5.0 * std::sqrt(2.0 / options.std_samples);
  for (std::size_t j = 0; j < reference.std.size(); ++j) {
    const double ratio = outcome.std[j] * outcome.std[j] / (reference.std[j] * reference.std[j]);
    EXPECT_NEAR(ratio, 1.0, bound) << "pixel " << j;
  }
}

TEST(GaussianPosterior, WoodburyRouteIsRefusedWhereItWouldBeWrong) {
  const Problem p = make_problem(gaussian_matrix(20, 30), 3, true, 0.05);
  pb::PosteriorOptions options;
  options.variance = pb::VarianceRoute::woodbury;
  EXPECT_THROW(solve(p, options), pb::Error);
}

TEST(GaussianPosterior, NonConvergenceIsAnErrorNotASilentResult) {
  const Problem p = make_problem(gaussian_matrix(30, 40), 4, true, 0.001);
  pb::PosteriorOptions options;
  options.data_solver = pb::DataSolver::krylov;  // automatic would take the exact dense route here
  options.max_iterations = 1;
  options.relative_tolerance = 1e-14;
  options.variance = pb::VarianceRoute::none;
  try {
    solve(p, options);
    FAIL() << "a solve stopped by the iteration limit must throw";
  } catch (const pb::Error& error) {
    EXPECT_NE(std::string(error.what()).find("KSP_DIVERGED_ITS"), std::string::npos) << error.what();
  }
}

TEST(GaussianPosterior, BadInputsAreRefused) {
  const Problem p = make_problem(identity(10), 1, true, 0.05);
  auto forward = std::make_shared<DenseForwardOperator>(PETSC_COMM_WORLD, p.a);
  EXPECT_THROW(pb::GaussianPosterior(forward, make_prior(p), 0.0), pb::Error);
  EXPECT_THROW(pb::GaussianPosterior(forward, make_prior(p), -1.0), pb::Error);
  pb::PosteriorOptions options;
  options.variance = pb::VarianceRoute::samples;
  options.std_samples = 1;
  EXPECT_THROW(pb::GaussianPosterior(forward, make_prior(p), 0.1, options), pb::Error);
  const Problem wrong_size = make_problem(identity(12), 1, true, 0.05);
  EXPECT_THROW(pb::GaussianPosterior(forward, make_prior(wrong_size), 0.1), pb::Error);
}

// The hIPPYlib-style pieces against the dense reference: Cov v for unit vectors (columns of
// the covariance), the pointwise variance by every exact route, and exact draws whose
// sample mean and variance match within Monte Carlo error.
TEST(GaussianPosterior, CovarianceActionVarianceRoutesAndDrawsMatchTheDenseReference) {
  const Problem p = make_problem(gaussian_matrix(20, 30), 3, false, 0.05);
  const Reference reference = dense_reference(p);
  auto forward = std::make_shared<DenseForwardOperator>(PETSC_COMM_WORLD, p.a);
  pb::PosteriorOptions options;
  options.relative_tolerance = 1e-12;
  const pb::GaussianPosterior posterior(forward, make_prior(p), p.sigma, options);
  auto data = forward->make_range_vector();
  pb::petsc::set_from_global(data, p.data);
  const int n = p.a.cols;

  auto unit = forward->make_domain_vector();
  auto column = forward->make_domain_vector();
  for (const int j : {0, 7, 29}) {
    std::vector<double> e(n, 0.0);
    e[j] = 1.0;
    pb::petsc::set_from_global(unit, e);
    const pb::SolveRecord record = posterior.apply_covariance(unit, column);
    EXPECT_GT(record.reason, 0);
    std::vector<double> expected(n);
    for (int i = 0; i < n; ++i) expected[i] = reference.covariance(i, j);
    expect_relative(pb::petsc::gather_all(column), expected, 1e-8);
  }

  pb::SolveRecord record;
  const auto mean = posterior.mean(data, record);
  expect_relative(pb::petsc::gather_all(mean), reference.mean, 1e-8);
  EXPECT_EQ(posterior.resolved_route(pb::VarianceRoute::automatic), pb::VarianceRoute::dense);
  pb::PosteriorResult cost;
  auto variance = posterior.pointwise_variance(pb::VarianceRoute::dense, data, mean, cost);
  std::vector<double> expected_variance(n);
  for (int j = 0; j < n; ++j) expected_variance[j] = reference.covariance(j, j);
  expect_relative(pb::petsc::gather_all(variance), expected_variance, 1e-8);
  EXPECT_FALSE(posterior.pointwise_variance(pb::VarianceRoute::none, data, mean, cost));

  const int draws = 2000;
  std::vector<double> sum(n, 0.0), sum_squares(n, 0.0);
  auto sample = forward->make_domain_vector();
  for (int s = 0; s < draws; ++s) {
    posterior.sample(data, pb::CounterRandom(3, 0, pb::Purpose::posterior_samples, s), sample);
    const auto values = pb::petsc::gather_all(sample);
    for (int j = 0; j < n; ++j) {
      sum[j] += values[j];
      sum_squares[j] += values[j] * values[j];
    }
  }
  for (int j = 0; j < n; ++j) {
    const double sd = std::sqrt(reference.covariance(j, j));
    const double sample_mean = sum[j] / draws;
    const double sample_variance = sum_squares[j] / draws - sample_mean * sample_mean;
    EXPECT_NEAR(sample_mean, reference.mean[j], 4.0 * sd / std::sqrt(draws)) << "pixel " << j;
    EXPECT_NEAR(sample_variance / (sd * sd), 1.0, 4.0 * std::sqrt(2.0 / draws)) << "pixel " << j;
  }
}

TEST(GaussianPosterior, CostIsCountedAsADifferenceNotByResettingTheOperator) {
  const Problem p = make_problem(gaussian_matrix(20, 30), 3, true, 0.05);
  auto forward = std::make_shared<DenseForwardOperator>(PETSC_COMM_WORLD, p.a);
  auto data = forward->make_range_vector();
  pb::petsc::set_from_global(data, p.data);
  auto image = forward->make_domain_vector();
  forward->apply(image, data);  // someone else's applications, counted before the posterior exists
  pb::petsc::set_from_global(data, p.data);
  const pb::OperatorCounts before = forward->counts();
  pb::PosteriorOptions options;
  options.variance = pb::VarianceRoute::none;
  const pb::GaussianPosterior posterior(forward, make_prior(p), p.sigma, options);
  const pb::PosteriorResult result = posterior.solve(data);
  EXPECT_EQ(forward->counts().forward, before.forward + result.forward_applications);
  EXPECT_EQ(forward->counts().adjoint, before.adjoint + result.adjoint_applications);
  EXPECT_GE(before.forward, 1);
}

// The dense data-space route (K formed and factored) where the prior's rank k ≥ d: chosen by
// itself, exact against the dense reference, equal to the Krylov route to its tolerance, and
// for an operator that selects pixels (inpaint: A C0 by gathering rows) as for any other.
TEST(GaussianPosterior, DenseDataSpaceRouteIsExactWhereTheRankExceedsTheDataOrTheGramIsNotDiagonal) {
  int ranks = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &ranks);
  if (ranks > 1) {  // the dense route is for one rank: at two the Krylov route serves, as exact
    const Problem p = make_problem(gaussian_matrix(10, 30), 12, false, 0.05);
    const Outcome outcome = solve(p, {});
    EXPECT_EQ(outcome.result.data_solver, "krylov");
    expect_relative(outcome.mean, dense_reference(p).mean, 1e-8);
    return;
  }
  for (const bool select : {false, true}) {
    SCOPED_TRACE(select ? "selection" : "gaussian");
    const Problem p = select ? make_problem(selection(30, {1, 4, 5, 9, 12, 17, 20, 28}), 12, false, 0.05)
                             : make_problem(gaussian_matrix(10, 30), 12, false, 0.05);
    const Reference reference = dense_reference(p);
    pb::PosteriorOptions options;
    options.relative_tolerance = 1e-13;
    const Outcome automatic = solve(p, options);
    EXPECT_EQ(automatic.result.data_solver, "dense");
    EXPECT_EQ(automatic.result.std_method, "dense");
    EXPECT_TRUE(automatic.result.std_exact);
    EXPECT_EQ(automatic.result.mean_solve.reason_name, "DENSE_CHOLESKY");
    EXPECT_LT(automatic.result.mean_solve.residual_norm, 1e-12);
    expect_relative(automatic.mean, reference.mean, 1e-12);
    expect_relative(automatic.std, reference.std, 1e-12);
    // n + d applications: A C0 and A C0 Aᵀ, then the residual, the gain and nothing else.
    EXPECT_EQ(automatic.result.forward_applications, 30 + p.a.rows + 1);

    options.data_solver = pb::DataSolver::krylov;
    options.variance = pb::VarianceRoute::dense;
    const Outcome krylov = solve(p, options);
    EXPECT_EQ(krylov.result.data_solver, "krylov");
    expect_relative(automatic.mean, krylov.mean, 1e-10);
    expect_relative(automatic.std, krylov.std, 1e-10);
  }
  // Below the rank (k < d), Krylov stays where A D Aᵀ is diagonal (its preconditioner is then
  // exact) ...
  const Outcome selected = solve(make_problem(selection(30, {1, 4, 5, 9, 12, 17, 20, 28}), 3, false, 0.05), {});
  EXPECT_EQ(selected.result.data_solver, "krylov");
  // ... and where it is not, the dense route is taken within dense_flop_limit, exact:
  const Problem p = make_problem(gaussian_matrix(20, 30), 3, false, 0.05);
  const Reference reference = dense_reference(p);
  const Outcome low_rank = solve(p, {});
  EXPECT_EQ(low_rank.result.data_solver, "dense");
  expect_relative(low_rank.mean, reference.mean, 1e-12);
  expect_relative(low_rank.std, reference.std, 1e-12);
  // Without a dense std, the flop limit decides ...
  pb::PosteriorOptions small_limit;  // d·n·(d + n) + d³/3 = 20·30·50 + 8000/3 > 30000
  small_limit.variance = pb::VarianceRoute::none;
  small_limit.dense_flop_limit = 30000;
  EXPECT_EQ(solve(p, small_limit).result.data_solver, "krylov");
  small_limit.dense_flop_limit = 32700;
  EXPECT_EQ(solve(p, small_limit).result.data_solver, "dense");
  // ... and where the std is formed densely anyway (its K factored), the mean uses that factor.
  small_limit.dense_flop_limit = 30000;
  small_limit.variance = pb::VarianceRoute::automatic;
  const Outcome over_limit = solve(p, small_limit);
  EXPECT_EQ(over_limit.result.data_solver, "dense");
  EXPECT_EQ(over_limit.result.std_method, "dense");
  expect_relative(over_limit.mean, reference.mean, 1e-12);
  expect_relative(over_limit.std, reference.std, 1e-12);
  small_limit.dense_limit = 599;  // n·d = 600: the std would be sampled, the flop limit decides again
  EXPECT_EQ(solve(p, small_limit).result.data_solver, "krylov");
}
