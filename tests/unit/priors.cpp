// The variable-space prior builders: white τ², the empirical mean and covariance (full
// and probabilistic PCA, exact and randomized), and the HDF5 round trip of a prior.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/random.hpp"
#include "priors/variable_space_priors.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::testing_support::covariance_of;
using pb::testing_support::Dense;

namespace {

// `count` images of n pixels with a few strong directions plus small isotropic noise.
std::vector<double> synthetic_training(std::size_t count, std::size_t n) {
  const pb::CounterRandom random(3, 0, pb::Purpose::test_values);
  std::vector<double> pixels(count * n);
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      double value = 0.5 + 0.05 * random.normal(2 * (i * n + j));
      for (int c = 0; c < 3; ++c)
        value += (0.3 / (c + 1)) * random.normal(1000000 + 3 * i + c) * std::cos((c + 1.0) * j);
      pixels[i * n + j] = value;
    }
  }
  return pixels;
}

}  // namespace

TEST(WhitePrior, TauSquaredIsTheMeanSquaredPixel) {
  const std::vector<double> pixels = {0.0, 1.0, 0.5, 0.5};
  const pb::TrainingImages training{2, 2, pixels};
  EXPECT_DOUBLE_EQ(pb::mean_squared_pixel(training), (1.0 + 0.25 + 0.25) / 4.0);
  const auto prior = pb::make_white_prior(PETSC_COMM_WORLD, 5, 0.2);
  EXPECT_EQ(prior->rank(), 0u);
  EXPECT_TRUE(prior->diagonal_is_scalar());
  const Dense c0 = covariance_of(*prior);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) EXPECT_EQ(c0(i, j), i == j ? 0.2 : 0.0);
  EXPECT_THROW(pb::make_white_prior(PETSC_COMM_WORLD, 5, 0.0), pb::Error);
}

TEST(EmpiricalPrior, FullRankEqualsSampleCovariancePlusNugget) {
  const std::size_t count = 50, n = 12;
  const auto pixels = synthetic_training(count, n);
  pb::EmpiricalPriorOptions options;
  options.delta = 0.02;
  const auto prior = pb::make_empirical_prior(PETSC_COMM_WORLD, {count, n, pixels}, options);
  // Independent reference: two-pass sample covariance.
  std::vector<double> mean(n, 0.0);
  for (std::size_t i = 0; i < count; ++i)
    for (std::size_t j = 0; j < n; ++j) mean[j] += pixels[i * n + j] / count;
  const Dense c0 = covariance_of(*prior);
  double largest = 0;
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = 0; b < n; ++b) {
      double s = 0;
      for (std::size_t i = 0; i < count; ++i) s += (pixels[i * n + a] - mean[a]) * (pixels[i * n + b] - mean[b]);
      s /= (count - 1);
      if (a == b) s += options.delta * options.delta;
      largest = std::max(largest, std::abs(s));
      EXPECT_NEAR(c0(a, b), s, 1e-12 * largest + 1e-14);
    }
  }
  EXPECT_LT(pb::testing_support::max_abs_difference(pb::petsc::gather_all(prior->mean()), mean), 1e-14);
}

TEST(EmpiricalPrior, ProbabilisticPcaKeepsTheTraceAndTheLeadingSpectrum) {
  const std::size_t count = 80, n = 16, k = 3;
  const auto pixels = synthetic_training(count, n);
  pb::EmpiricalPriorOptions full_options;
  full_options.delta = 0.01;
  const Dense full = covariance_of(*pb::make_empirical_prior(PETSC_COMM_WORLD, {count, n, pixels}, full_options));
  pb::EmpiricalPriorOptions options = full_options;
  options.rank = k;
  const auto prior = pb::make_empirical_prior(PETSC_COMM_WORLD, {count, n, pixels}, options);
  const Dense ppca = covariance_of(*prior);
  double trace_full = 0, trace_ppca = 0;
  for (std::size_t j = 0; j < n; ++j) {
    trace_full += full(j, j);
    trace_ppca += ppca(j, j);
  }
  EXPECT_NEAR(trace_ppca, trace_full, 1e-12 * trace_full);
  EXPECT_EQ(prior->rank(), k);
  EXPECT_TRUE(prior->diagonal_is_scalar());

  // The randomized range finder (used above the full-covariance limit) must agree.
  options.full_covariance_limit = 4;
  const Dense randomized = covariance_of(*pb::make_empirical_prior(PETSC_COMM_WORLD, {count, n, pixels}, options));
  for (std::size_t i = 0; i < ppca.values.size(); ++i) EXPECT_NEAR(randomized.values[i], ppca.values[i], 1e-8);
}

TEST(EmpiricalPrior, RefusesTooFewImagesAndNonPositiveNugget) {
  const std::vector<double> one(4, 0.5);
  EXPECT_THROW(pb::make_empirical_prior(PETSC_COMM_WORLD, {1, 4, one}, {}), pb::Error);
  const std::vector<double> two(8, 0.5);
  pb::EmpiricalPriorOptions options;
  options.delta = 0;
  EXPECT_THROW(pb::make_empirical_prior(PETSC_COMM_WORLD, {2, 4, two}, options), pb::Error);
}

TEST(DiagonalPlusLowRankPrior, SaveAndLoadRoundTrip) {
  const std::size_t count = 30, n = 10;
  const auto pixels = synthetic_training(count, n);
  pb::EmpiricalPriorOptions options;
  options.rank = 4;
  const auto prior = pb::make_empirical_prior(PETSC_COMM_WORLD, {count, n, pixels}, options);
  const auto path = (std::filesystem::temp_directory_path() / "priorbench_prior_test.h5").string();
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  {
    pb::h5::Object file;
    pb::h5::Object group;
    if (rank == 0) {
      file = pb::h5::create_file(path, true);
      group = pb::h5::create_group(file, "prior");
    }
    prior->save(group);
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  auto file = pb::h5::open_file(path);
  auto group = pb::h5::open_group(file, "prior");
  const auto loaded = pb::load_prior(PETSC_COMM_WORLD, group, path);
  const Dense original = covariance_of(*prior);
  const Dense reloaded = covariance_of(*loaded);
  EXPECT_EQ(original.values, reloaded.values);
  EXPECT_EQ(pb::petsc::gather_all(loaded->mean()), pb::petsc::gather_all(prior->mean()));
  EXPECT_EQ(loaded->name(), "empirical");
  MPI_Barrier(PETSC_COMM_WORLD);
  if (rank == 0) std::filesystem::remove(path);
}
