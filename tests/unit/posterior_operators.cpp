// Every forward operator with both training-set priors (white, empirical): the posterior
// mean and pixel std of GaussianPosterior match a dense closed-form solve in the precision
// form (the test's own Cholesky) to a relative 1e-8, and CG needs at most 2 iterations
// where the Woodbury preconditioner is exact (identity, inpaint).

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/hdf5.hpp"
#include "core/random.hpp"
#include "inference/gaussian_posterior.hpp"
#include "operators/matrix_operator.hpp"
#include "operators/operator_factory.hpp"
#include "priors/variable_space_priors.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::testing_support::covariance_of;
using pb::testing_support::Dense;

namespace {

constexpr pb::ImageShape kShape{12, 10};

std::vector<double> training_pixels(std::size_t count, std::size_t n) {
  const pb::CounterRandom random(11, 0, pb::Purpose::test_values);
  std::vector<double> pixels(count * n);
  for (std::size_t i = 0; i < count; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      const double smooth =
          std::sin(0.3 * j + random.normal(7 * i)) + 0.5 * std::cos(0.11 * j * random.normal(7 * i + 1));
      pixels[i * n + j] = 0.5 + 0.2 * smooth + 0.05 * random.normal(1000000 + i * n + j);
    }
  return pixels;
}

// A sparse matrix file: each row averages a few scattered pixels.
std::string write_matrix_file(PetscInt n) {
  const auto path = (std::filesystem::temp_directory_path() / "priorbench_posterior_matrix.h5").string();
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0) {
    pb::CsrMatrix csr;
    csr.rows = n / 2;
    csr.cols = n;
    csr.indptr.push_back(0);
    for (std::int64_t i = 0; i < csr.rows; ++i) {
      for (std::int64_t c = 0; c < 3; ++c) {
        csr.indices.push_back((i * 7 + c * 13) % n);
        csr.data.push_back(1.0 / (c + 1));
      }
      csr.indptr.push_back(static_cast<std::int64_t>(csr.indices.size()));
    }
    auto file = pb::h5::create_file(path, true);
    pb::write_csr(file, csr);
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  return path;
}

struct Case {
  std::string label;
  pb::OperatorSpec spec;
  bool exact_preconditioner;
};

std::vector<Case> cases(const std::string& matrix_file) {
  auto spec = [](std::string name, PetscInt d) {
    pb::OperatorSpec s;
    s.name = std::move(name);
    s.data_size = d;
    s.seed = 5;
    return s;
  };
  pb::OperatorSpec blur = spec("blur", 0);
  blur.blur_width = 1.3;
  pb::OperatorSpec lines = spec("fourier", 40);
  lines.fourier_mask = "lines";
  pb::OperatorSpec matrix = spec("matrix", 0);
  matrix.matrix_file = matrix_file;
  return {{"identity", spec("identity", 0), true},
          {"inpaint", spec("inpaint", 60), true},
          {"blur", blur, false},
          {"fourier", spec("fourier", 60), false},
          {"fourier-lines", lines, false},
          {"gaussian", spec("gaussian", 45), false},
          {"matrix", matrix, false}};
}

void check_against_dense(const pb::ForwardOperator& forward_ref, std::shared_ptr<pb::ForwardOperator> forward,
                         std::shared_ptr<const pb::DiagonalPlusLowRankPrior> prior, double sigma, bool exact,
                         const std::string& label) {
  using namespace pb::testing_support;
  const Dense a = dense_of(forward_ref);
  const Dense c0 = covariance_of(*prior);
  const auto m0 = pb::petsc::gather_all(prior->mean());
  std::vector<double> y(static_cast<std::size_t>(a.rows));
  const pb::CounterRandom random(17, 0, pb::Purpose::test_values);
  const auto truth_mean = m0;
  std::vector<double> clean = multiply(a, truth_mean);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = clean[i] + 0.3 * random.normal(i);

  const Dense c0_inverse = spd_inverse(c0);
  Dense precision = multiply(transpose(a), a);
  for (std::size_t i = 0; i < precision.values.size(); ++i)
    precision.values[i] = precision.values[i] / (sigma * sigma) + c0_inverse.values[i];
  const Dense covariance = spd_inverse(precision);
  std::vector<double> rhs = multiply(c0_inverse, m0);
  const auto aty = multiply(transpose(a), y);
  for (std::size_t j = 0; j < rhs.size(); ++j) rhs[j] += aty[j] / (sigma * sigma);
  const auto reference_mean = multiply(covariance, rhs);
  std::vector<double> reference_std;
  for (int j = 0; j < covariance.rows; ++j) reference_std.push_back(std::sqrt(covariance(j, j)));

  pb::GaussianPosterior posterior(forward, prior, sigma);
  auto data = forward->make_range_vector();
  pb::petsc::set_from_global(data, y);
  const auto result = posterior.solve(data);
  const auto mean = pb::petsc::gather_all(result.mean);
  const auto std = pb::petsc::gather_all(result.std);
  EXPECT_TRUE(result.std_exact) << label;
  EXPECT_LE(max_abs_difference(mean, reference_mean), 1e-8 * max_abs(reference_mean)) << label;
  EXPECT_LE(max_abs_difference(std, reference_std), 1e-8 * max_abs(reference_std)) << label;
  // On one rank the dense data-space solve (no iterations) is taken where the prior's rank
  // reaches d, or where A D Aᵀ is not diagonal (Woodbury only preconditions; these problems
  // are far below the dense flop limit); otherwise CG with the exact Woodbury preconditioner.
  int ranks = 1;
  MPI_Comm_size(forward->comm(), &ranks);
  const bool dense = ranks == 1 && (prior->rank() >= static_cast<std::size_t>(forward->rows()) ||
                                    !forward->gram_is_diagonal(prior->diagonal_is_scalar()));
  EXPECT_EQ(result.data_solver, dense ? "dense" : "krylov") << label;
  if (dense) {
    EXPECT_EQ(result.std_method, "dense") << label;
    EXPECT_EQ(result.mean_solve.iterations, 0) << label;
  } else if (exact) {
    EXPECT_EQ(result.std_method, "woodbury") << label;
    EXPECT_LE(result.mean_solve.iterations, 2) << label;
  }
}

}  // namespace

TEST(PosteriorWithEveryOperator, WhiteAndEmpiricalMatchTheDenseClosedForm) {
  const std::string matrix_file = write_matrix_file(kShape.size());
  const std::size_t count = 400;
  const auto pixels = training_pixels(count, static_cast<std::size_t>(kShape.size()));
  const pb::TrainingImages training{count, static_cast<std::size_t>(kShape.size()), pixels};
  const std::vector<std::shared_ptr<const pb::DiagonalPlusLowRankPrior>> priors = {
      pb::make_white_prior(PETSC_COMM_WORLD, kShape.size(), pb::mean_squared_pixel(training)),
      pb::make_empirical_prior(PETSC_COMM_WORLD, training, {})};
  for (const auto& c : cases(matrix_file)) {
    const auto forward = pb::make_operator(PETSC_COMM_WORLD, kShape, c.spec);
    for (const auto& prior : priors) {
      for (const double sigma : {0.1, 0.01}) {
        check_against_dense(*forward, forward, prior, sigma, c.exact_preconditioner,
                            c.label + " / " + prior->name() + " / sigma " + std::to_string(sigma));
      }
    }
  }
}

TEST(PosteriorWithEveryOperator, InpaintingAFullSizeImage) {
  const pb::ImageShape shape{28, 28};
  const std::size_t count = 900;
  const auto pixels = training_pixels(count, 784);
  const auto prior = pb::make_empirical_prior(PETSC_COMM_WORLD, {count, 784, pixels}, {});
  pb::OperatorSpec spec;
  spec.name = "inpaint";
  spec.data_size = 392;
  const auto forward = pb::make_operator(PETSC_COMM_WORLD, shape, spec);
  check_against_dense(*forward, forward, prior, 0.01, true, "inpaint 28x28 empirical");
}
