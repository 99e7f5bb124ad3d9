// MRI sizes (n up to 256² = 65,536), the operator fourier variable-density at
// acceleration R = 4 throughout:
// - the conv VAE architecture scales with the image (a 256² model of a few MB);
// - the batched Jacobian in memory-bounded chunks equals the whole batch;
// - all six methods at 64² against independent references: with a linear decoder the
//   dense Gaussian posterior (formed here with BLAS/LAPACK, never by the structured
//   solver) and the closed-form latent posterior; with a conv VAE the optimality
//   conditions of each estimate and the Gauss–Newton covariance from a Jacobian computed
//   by another route;
// - white, empirical and laplace at 256² peak below 1 GB (one n×n matrix would be 34 GB).

#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>

#include "core/error.hpp"
#include "core/random.hpp"
#include "generative/linear_generator.hpp"
#include "generative/torch/torch_generator.hpp"
#include "generative/torch/vae_model.hpp"
#include "methods/method_factory.hpp"
#include "operators/operator_factory.hpp"
#include "priors/diagonal_low_rank_prior.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
namespace fs = std::filesystem;

namespace {

const MPI_Comm self = PETSC_COMM_SELF;

using priorbench::testing_support::TempDir;

const TempDir& temp() {
  static const TempDir directory("priorbench_mri_scale");
  return directory;
}

pb::VaeModelOptions conv_options(pb::ImageShape shape, std::size_t latent_dim) {
  pb::VaeModelOptions options;
  options.architecture = pb::VaeArchitecture::conv;
  options.shape = shape;
  options.latent_dim = latent_dim;
  return options;
}

// An untrained conv VAE (float64 parameters) with the default channels, written once.
std::string conv_model(PetscInt side, std::size_t latent_dim) {
  const auto path = temp().file("conv" + std::to_string(side) + "_m" + std::to_string(latent_dim) + ".pt");
  if (!fs::exists(path)) pb::save_untrained_vae(conv_options({side, side}, latent_dim), 3, path);
  return path;
}

std::shared_ptr<pb::ForwardOperator> fourier_r4(pb::ImageShape shape) {
  pb::OperatorSpec spec;
  spec.name = "fourier";
  spec.acceleration = 4;
  spec.seed = 9;
  return pb::make_operator(self, shape, spec);
}

std::vector<double> normals(std::size_t count, std::uint64_t stream) {
  std::vector<double> values(count);
  pb::CounterRandom(31, 0, pb::Purpose::test_values, stream).fill_normal(values, 0);
  return values;
}

double norm(std::span<const double> v) { return std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0)); }

double max_abs_difference(std::span<const double> a, std::span<const double> b) {
  double largest = 0;
  for (std::size_t i = 0; i < a.size(); ++i) largest = std::max(largest, std::abs(a[i] - b[i]));
  return largest;
}

double max_abs(std::span<const double> a) {
  double largest = 0;
  for (const double v : a) largest = std::max(largest, std::abs(v));
  return largest;
}

// ---------------------------------------------------------------- operator on plain vectors

std::vector<double> apply_operator(const pb::ForwardOperator& op, std::span<const double> x, bool transpose = false) {
  auto in = transpose ? op.make_range_vector() : op.make_domain_vector();
  auto out = transpose ? op.make_domain_vector() : op.make_range_vector();
  pb::petsc::set_from_global(in, x);
  if (transpose) {
    op.apply_transpose(in, out);
  } else {
    op.apply(in, out);
  }
  return pb::petsc::gather_all(out);
}

// A as a dense d×n matrix (column j = A e_j).
pb::DenseMatrix dense_matrix_of(const pb::ForwardOperator& op) {
  const auto a = pb::testing_support::dense_of(op);
  pb::DenseMatrix dense(static_cast<std::size_t>(a.rows), static_cast<std::size_t>(a.cols));
  for (int i = 0; i < a.rows; ++i)
    for (int j = 0; j < a.cols; ++j) dense(i, j) = a(i, j);
  return dense;
}

// ---------------------------------------------------------------- references

struct GaussianPrior {  // N(mean, diag(diagonal) + W Wᵀ), full vectors
  std::vector<double> mean;
  std::vector<double> diagonal;
  pb::DenseMatrix w;  // n×k
};

GaussianPrior prior_of(const pb::DiagonalPlusLowRankPrior& prior) {
  return {pb::petsc::gather_all(prior.mean()), pb::petsc::gather_all(prior.diagonal()), prior.factor_local_rows()};
}

struct Moments {
  std::vector<double> mean;
  std::vector<double> std;
};

// The posterior of y = A x + σ ε under `prior`, formed densely: B = C0 Aᵀ (n×d),
// K = A B + σ² I = L Lᵀ (d×d), x̂ = m0 + B K⁻¹ (y − A m0), Var = diag C0 − ‖L⁻¹ B_jᵀ‖².
// No Woodbury identity, no Krylov solver: only GEMM and Cholesky.
Moments dense_posterior(const pb::DenseMatrix& a, const GaussianPrior& prior, double sigma, std::span<const double> y) {
  const std::size_t d = a.rows(), n = a.cols(), k = prior.w.cols();
  pb::DenseMatrix aw(d, k), b(n, d), kernel(d, d);
  if (k > 0) {
    pb::gemm(false, false, 1.0, a, prior.w, 0.0, aw);
    pb::gemm(false, true, 1.0, prior.w, aw, 0.0, b);
  }
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < n; ++j) b(j, i) += prior.diagonal[j] * a(i, j);
  pb::gemm(false, false, 1.0, a, b, 0.0, kernel);
  for (std::size_t i = 0; i < d; ++i) kernel(i, i) += sigma * sigma;
  pb::cholesky_in_place(kernel, "K");
  std::vector<double> residual(y.begin(), y.end());
  pb::gemv(false, -1.0, a, prior.mean, 1.0, residual);
  pb::cholesky_solve(kernel, residual);
  Moments result{prior.mean, std::vector<double>(n)};
  pb::gemv(false, 1.0, b, residual, 1.0, result.mean);
  pb::right_solve_lower_transpose(kernel, b);
  for (std::size_t j = 0; j < n; ++j) {
    double variance = prior.diagonal[j];
    for (std::size_t c = 0; c < k; ++c) variance += prior.w(j, c) * prior.w(j, c);
    for (std::size_t i = 0; i < d; ++i) variance -= b(j, i) * b(j, i);
    result.std[j] = std::sqrt(std::max(variance, 0.0));
  }
  return result;
}

// P = (A J)ᵀ (A J)/σ² + I, the Gauss–Newton latent precision of the seeds likelihood.
pb::testing_support::Dense latent_precision(const pb::ForwardOperator& op, const pb::DenseMatrix& jacobian,
                                            double sigma) {
  const int m = static_cast<int>(jacobian.cols());
  std::vector<std::vector<double>> sensitivity;
  for (int j = 0; j < m; ++j) sensitivity.push_back(apply_operator(op, jacobian.column(static_cast<std::size_t>(j))));
  pb::testing_support::Dense precision(m, m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j)
      precision(i, j) = std::inner_product(sensitivity[i].begin(), sensitivity[i].end(), sensitivity[j].begin(), 0.0) /
                            (sigma * sigma) +
                        (i == j ? 1.0 : 0.0);
  return precision;
}

// sqrt diag(J P⁻¹ Jᵀ).
std::vector<double> pushed_std(const pb::DenseMatrix& jacobian, const pb::testing_support::Dense& precision) {
  const auto covariance = pb::testing_support::spd_inverse(precision);
  std::vector<double> std(jacobian.rows());
  for (std::size_t i = 0; i < jacobian.rows(); ++i) {
    double variance = 0;
    for (int a = 0; a < precision.rows; ++a)
      for (int b = 0; b < precision.rows; ++b) variance += jacobian(i, a) * covariance(a, b) * jacobian(i, b);
    std[i] = std::sqrt(variance);
  }
  return std;
}

// ‖Aᵀ(A x − y)/σ² + C0⁻¹(x − m0)‖ / ‖Aᵀ(A x − y)/σ²‖: zero at the posterior mean. C0⁻¹ by
// the Woodbury identity in pixel space, (D + W Wᵀ)⁻¹ = D⁻¹ − D⁻¹ W (I + Wᵀ D⁻¹ W)⁻¹ Wᵀ D⁻¹,
// with the tests' own k×k inverse.
double optimality_residual(const pb::ForwardOperator& op, const GaussianPrior& prior, double sigma,
                           std::span<const double> y, std::span<const double> x) {
  const std::size_t n = x.size(), k = prior.w.cols();
  std::vector<double> misfit = apply_operator(op, x);
  for (std::size_t i = 0; i < misfit.size(); ++i) misfit[i] = (misfit[i] - y[i]) / (sigma * sigma);
  const std::vector<double> likelihood = apply_operator(op, misfit, true);
  std::vector<double> scaled(n);
  for (std::size_t j = 0; j < n; ++j) scaled[j] = (x[j] - prior.mean[j]) / prior.diagonal[j];
  pb::testing_support::Dense capacitance(static_cast<int>(k), static_cast<int>(k));
  std::vector<double> projected(k, 0.0);
  for (std::size_t a = 0; a < k; ++a) {
    for (std::size_t j = 0; j < n; ++j) projected[a] += prior.w(j, a) * scaled[j];
    for (std::size_t b = 0; b < k; ++b) {
      double sum = a == b ? 1.0 : 0.0;
      for (std::size_t j = 0; j < n; ++j) sum += prior.w(j, a) * prior.w(j, b) / prior.diagonal[j];
      capacitance(static_cast<int>(a), static_cast<int>(b)) = sum;
    }
  }
  const auto coefficients =
      k > 0 ? pb::testing_support::multiply(pb::testing_support::spd_inverse(capacitance), projected)
            : std::vector<double>{};
  std::vector<double> gradient(n);
  for (std::size_t j = 0; j < n; ++j) {
    double correction = 0;
    for (std::size_t a = 0; a < k; ++a) correction += prior.w(j, a) * coefficients[a];
    gradient[j] = likelihood[j] + scaled[j] - correction / prior.diagonal[j];
  }
  return norm(gradient) / norm(likelihood);
}

// ---------------------------------------------------------------- running the methods

struct MethodProblem {
  pb::ImageShape shape;
  std::shared_ptr<const pb::Generator> generator;
  std::shared_ptr<pb::ForwardOperator> forward;
  std::vector<double> truth;
  std::vector<double> data;
  pb::petsc::Vector data_vector;
  double sigma = 0;
  std::vector<double> training_pixels;
  pb::TrainingImages training;
};

// y = A x† + σ ε; `training_count` training images μ(z) + 0.05 ξ, z ~ N(0, I).
void simulate(MethodProblem& p, std::size_t training_count) {
  p.data = apply_operator(*p.forward, p.truth);
  const auto noise = normals(p.data.size(), 1);
  for (std::size_t i = 0; i < p.data.size(); ++i) p.data[i] += p.sigma * noise[i];
  p.data_vector = p.forward->make_range_vector();
  pb::petsc::set_from_global(p.data_vector, p.data);
  const std::size_t m = p.generator->latent_dimension(), n = p.generator->image_size();
  p.training_pixels.resize(training_count * n);
  p.generator->decode(normals(training_count * m, 2), training_count, p.training_pixels);
  const auto jitter = normals(training_count * n, 3);
  for (std::size_t i = 0; i < p.training_pixels.size(); ++i) p.training_pixels[i] += 0.05 * jitter[i];
  p.training = {training_count, n, p.training_pixels};
}

// The method as a study builds it (its typed options), on the observation (p.data, p.sigma).
pb::MethodOutcome run_method(MethodProblem& p, const pb::MethodOptions& options) {
  const pb::MethodResources resources{[&p] { return p.training; }, [&p] { return p.generator; }};
  const auto method = pb::make_method(options, resources);
  const pb::Observation observation{
      p.forward, pb::petsc::copy_of(p.data_vector), p.sigma, pb::NoiseModel::white_gaussian, {5, 0}, p.shape};
  return method->reconstruct(observation);
}

pb::MethodOptions empirical_rank(std::size_t rank) {
  pb::EmpiricalOptions options;
  options.prior.rank = rank;
  return options;
}

pb::MethodOptions laplace_at(pb::LinearizationPoint z0) {
  pb::LaplaceOptions options;
  options.z0 = z0;
  return options;
}

// latent_mcmc with pCN (as these tests were written for it; NUTS has its own tests).
pb::MethodOptions pcn_steps(std::size_t burn_in, std::size_t samples) {
  pb::LatentMcmcOptions options;
  options.sampler = pb::LatentSampler::pcn;
  options.pcn.burn_in = burn_in;
  options.pcn.samples = samples;
  return options;
}

std::vector<double> full(Vec vector) { return pb::petsc::gather_all(vector); }

double mean_squared(std::span<const double> values) {
  return std::inner_product(values.begin(), values.end(), values.begin(), 0.0) / static_cast<double>(values.size());
}

// ---------------------------------------------------------------- memory

// Hands freed heap back to the system, then resets VmHWM to the current RSS (Linux ≥ 4.0);
// false when the kernel refuses.
bool reset_peak_memory() {
  malloc_trim(0);
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.close();
  return !clear.fail();
}

double status_mib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  }
  return 0;
}

}  // namespace

// ================================================================ the conv architecture

TEST(MriScale, ConvArchitectureAddsStrideTwoLayersForLargerImages) {
  using Channels = std::vector<std::size_t>;
  EXPECT_EQ(pb::conv_channels(conv_options({28, 28}, 16)), (Channels{32, 64}));
  EXPECT_EQ(pb::conv_channels(conv_options({8, 8}, 16)), (Channels{32, 64}));
  EXPECT_EQ(pb::conv_channels(conv_options({32, 32}, 16)), (Channels{16, 32, 64}));
  EXPECT_EQ(pb::conv_channels(conv_options({64, 64}, 16)), (Channels{8, 16, 32, 64}));
  EXPECT_EQ(pb::conv_channels(conv_options({128, 128}, 16)), (Channels{8, 8, 16, 32, 64}));
  EXPECT_EQ(pb::conv_channels(conv_options({256, 256}, 16)), (Channels{8, 8, 8, 16, 32, 64}));
  EXPECT_EQ(pb::conv_channels(conv_options({256, 96}, 16)), (Channels{8, 8, 16, 32, 64}));  // down to 8×3
  auto custom = conv_options({48, 48}, 4);
  custom.channels = {4, 8, 8};
  EXPECT_EQ(pb::conv_channels(custom), custom.channels);

  // A 256² model stays small (float64 here: twice the float32 file `train` writes).
  const pb::TorchGenerator generator(conv_model(256, 16));
  EXPECT_LT(fs::file_size(conv_model(256, 16)), 10'000'000u);
  EXPECT_NE(generator.description().find("conv 8,8,8,16,32,64 (4x4, stride 2)"), std::string::npos)
      << generator.description();
  std::vector<double> image(generator.image_size());
  generator.decode(normals(16, 4), 1, image);
  for (const double v : image) ASSERT_TRUE(v > 0 && v < 1);

  const auto path = temp().file("custom.pt");
  pb::save_untrained_vae(custom, 1, path);
  EXPECT_NE(pb::TorchGenerator(path).description().find("conv 4,8,8 (4x4"), std::string::npos);
  custom.channels = {4, 8, 8, 8, 8};
  try {
    pb::validate(custom);
    ADD_FAILURE() << "48x48 is not divisible by 32";
  } catch (const pb::Error& error) {
    EXPECT_NE(std::string(error.what()).find("with 5 stride-2 layers needs image sides divisible by 32, got 48x48"),
              std::string::npos)
        << error.what();
  }
}

// ================================================================ the chunked Jacobian

TEST(MriScale, ChunkedJacobianEqualsTheWholeBatch) {
  const std::string path = conv_model(64, 8);
  const std::vector<double> z = normals(8, 5);
  const pb::TorchGenerator reference_generator(path);
  pb::DenseMatrix reference;
  reference_generator.jacobian(z, reference, pb::JacobianMethod::forward_columns);
  EXPECT_EQ(reference_generator.jacobian_chunk_size(), 8u);  // the default budget holds all 8 directions
  const std::size_t per_direction = reference_generator.jacobian_bytes_per_direction();
  EXPECT_GT(per_direction, 64u * 64u * 8u);  // at least the output and its tangent

  for (const std::size_t budget : {std::size_t{1}, 3 * per_direction, std::size_t{1} << 30}) {
    SCOPED_TRACE(testing::Message() << "budget " << budget);
    const pb::TorchGenerator generator(path, {.jacobian_memory = budget});
    pb::DenseMatrix jacobian;
    generator.jacobian(z, jacobian);  // the first call measures
    EXPECT_LE(max_abs_difference(jacobian.values(), reference.values()), 1e-12 * max_abs(reference.values()));
    generator.jacobian(z, jacobian);
    EXPECT_LE(max_abs_difference(jacobian.values(), reference.values()), 1e-12 * max_abs(reference.values()));
    EXPECT_EQ(generator.counts().jacobians, 2);
    EXPECT_EQ(generator.jacobian_chunk_size(), std::clamp<std::size_t>(budget / per_direction, 1, 8));
    EXPECT_EQ(generator.jacobian_bytes_per_direction(), per_direction);
  }
}

// ================================================================ the six methods at 64²

TEST(MriScale, SixMethodsAt64MatchTheLinearDecoderOracle) {
  MethodProblem p;
  p.shape = {64, 64};
  const std::size_t n = 4096, m = 4;
  const double gamma2 = 0.01;
  pb::DenseMatrix w(n, m);
  std::vector<double> b(n);
  const auto w_values = normals(n * m, 6), b_values = normals(n, 7);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < m; ++j) w(i, j) = 0.02 * w_values[i * m + j];
    b[i] = 0.5 + 0.1 * b_values[i];
  }
  p.generator = std::make_shared<pb::LinearGenerator>(p.shape, w, b, gamma2);
  p.forward = fourier_r4(p.shape);
  ASSERT_EQ(p.forward->rows(), 1024);
  p.sigma = 0.05;
  const auto z_truth = normals(m, 8);
  p.truth.resize(n);
  p.generator->decode(z_truth, 1, p.truth);
  simulate(p, 200);
  const pb::DenseMatrix a = dense_matrix_of(*p.forward);

  const auto expect_close = [](std::span<const double> got, std::span<const double> want, double tolerance,
                               const char* what) {
    EXPECT_LE(max_abs_difference(got, want), tolerance * max_abs(want)) << what;
  };

  // white: N(0, τ² I), τ² the mean squared training pixel.
  const auto white = run_method(p, pb::WhiteOptions{});
  const double tau2 = mean_squared(p.training_pixels);
  const auto white_reference = dense_posterior(
      a, {std::vector<double>(n, 0.0), std::vector<double>(n, tau2), pb::DenseMatrix(n, 0)}, p.sigma, p.data);
  EXPECT_EQ(white.std_method, "woodbury");
  expect_close(full(white.mean), white_reference.mean, 1e-9, "white mean");
  expect_close(full(white.std), white_reference.std, 1e-9, "white std");

  // empirical (rank 8): the solve with the prior it built.
  const auto empirical = run_method(p, empirical_rank(8));
  const auto empirical_reference = dense_posterior(a, prior_of(*empirical.prior), p.sigma, p.data);
  expect_close(full(empirical.mean), empirical_reference.mean, 1e-9, "empirical mean");
  expect_close(full(empirical.std), empirical_reference.std, 1e-9, "empirical std");

  // laplace: for a linear decoder the exact marginal N(b, W Wᵀ + γ² I) at any z0.
  const auto laplace_reference = dense_posterior(a, {b, std::vector<double>(n, gamma2), w}, p.sigma, p.data);
  for (const auto z0 : {pb::LinearizationPoint::zero, pb::LinearizationPoint::latent_map}) {
    SCOPED_TRACE(pb::linearization_point_name(z0));
    const auto laplace = run_method(p, laplace_at(z0));
    EXPECT_EQ(laplace.std_method, "woodbury");
    expect_close(full(laplace.mean), laplace_reference.mean, 1e-9, "laplace mean");
    expect_close(full(laplace.std), laplace_reference.std, 1e-9, "laplace std");
  }

  // Latent methods: z | y ~ N(P⁻¹ Mᵀ (y − A b)/σ², P⁻¹), P = MᵀM/σ² + I, M = A W.
  const auto precision = latent_precision(*p.forward, w, p.sigma);
  const auto covariance = pb::testing_support::spd_inverse(precision);
  std::vector<double> residual = apply_operator(*p.forward, b), projection(m, 0.0);
  for (std::size_t i = 0; i < residual.size(); ++i) residual[i] = (p.data[i] - residual[i]) / (p.sigma * p.sigma);
  const auto pulled = apply_operator(*p.forward, residual, true);
  for (std::size_t j = 0; j < m; ++j)
    projection[j] = std::inner_product(pulled.begin(), pulled.end(), w.column(j).begin(), 0.0);
  const auto latent_mean = pb::testing_support::multiply(covariance, projection);
  std::vector<double> image_mean(n);
  p.generator->decode(latent_mean, 1, image_mean);
  const auto image_std = pushed_std(w, precision);

  const auto map = run_method(p, pb::LatentMapMethodOptions{});
  EXPECT_TRUE(map.converged);
  expect_close(map.latent, latent_mean, 1e-6, "latent MAP");
  expect_close(full(map.mean), image_mean, 1e-6, "latent MAP image");

  const auto latent_laplace = run_method(p, pb::LatentLaplaceMethodOptions{});
  expect_close(full(latent_laplace.mean), image_mean, 1e-6, "latent_laplace mean");
  expect_close(full(latent_laplace.std), image_std, 1e-9, "latent_laplace std");

  // latent_mcmc: the latent mean within 5 Monte Carlo standard errors (from the bulk ESS).
  const auto mcmc = run_method(p, pcn_steps(300, 600));
  const double ess = mcmc.details.at("min_ess_bulk");
  EXPECT_GT(ess, 50);
  for (std::size_t j = 0; j < m; ++j) {
    EXPECT_NEAR(mcmc.latent[j], latent_mean[j], 5 * std::sqrt(covariance(int(j), int(j)) / ess)) << "z[" << j << "]";
  }
}

TEST(MriScale, SixMethodsAt64WithAConvVaeSatisfyTheirOptimalityConditions) {
  MethodProblem p;
  p.shape = {64, 64};
  const std::size_t m = 8, n = 4096;
  const auto generator = std::make_shared<pb::TorchGenerator>(conv_model(64, m));
  p.generator = generator;
  p.forward = fourier_r4(p.shape);
  p.sigma = 0.02;
  p.truth.resize(n);
  generator->decode(normals(m, 9), 1, p.truth);  // on the generator's range
  simulate(p, 100);

  // white, empirical and laplace: x̂ is the posterior mean of each one's Gaussian prior.
  for (const auto& [name, options] : std::vector<std::pair<std::string, pb::MethodOptions>>{
           {"white", pb::WhiteOptions{}},
           {"empirical", empirical_rank(16)},
           {"laplace", laplace_at(pb::LinearizationPoint::latent_map)}}) {
    SCOPED_TRACE(name);
    const auto outcome = run_method(p, options);
    EXPECT_TRUE(outcome.converged);
    EXPECT_EQ(outcome.std_method, "woodbury");
    EXPECT_LE(optimality_residual(*p.forward, prior_of(*outcome.prior), p.sigma, p.data, full(outcome.mean)), 1e-7);
    if (name == "laplace") {  // its factor is J(z0), here checked against m separate JVP passes
      pb::DenseMatrix jacobian;
      generator->jacobian(outcome.latent, jacobian, pb::JacobianMethod::forward_columns);
      const auto& factor = outcome.prior->factor_local_rows();
      EXPECT_LE(max_abs_difference(factor.values(), jacobian.values()), 1e-12 * max_abs(jacobian.values()));
    }
  }

  // latent_map: z* − J(z*)ᵀ Aᵀ (y − A μ(z*))/σ² = 0.
  const auto map = run_method(p, pb::LatentMapMethodOptions{});
  EXPECT_TRUE(map.converged);
  pb::DenseMatrix jacobian;
  generator->jacobian(map.latent, jacobian, pb::JacobianMethod::forward_columns);
  std::vector<double> image(n);
  generator->decode(map.latent, 1, image);
  EXPECT_LE(max_abs_difference(full(map.mean), image), 1e-14);
  std::vector<double> residual = apply_operator(*p.forward, image);
  for (std::size_t i = 0; i < residual.size(); ++i) residual[i] = (p.data[i] - residual[i]) / (p.sigma * p.sigma);
  const auto pulled = apply_operator(*p.forward, residual, true);
  std::vector<double> gradient(m), likelihood_gradient(m);
  for (std::size_t j = 0; j < m; ++j) {
    likelihood_gradient[j] = std::inner_product(pulled.begin(), pulled.end(), jacobian.column(j).begin(), 0.0);
    gradient[j] = map.latent[j] - likelihood_gradient[j];
  }
  EXPECT_LE(norm(gradient), 1e-5 * std::max(1.0, norm(likelihood_gradient)));

  // latent_laplace: std² = diag(J P⁻¹ Jᵀ) at z*, with J by m separate JVP passes.
  const auto latent_laplace = run_method(p, pb::LatentLaplaceMethodOptions{});
  EXPECT_LE(max_abs_difference(latent_laplace.latent, map.latent), 1e-12);
  const auto want = pushed_std(jacobian, latent_precision(*p.forward, jacobian, p.sigma));
  EXPECT_LE(max_abs_difference(full(latent_laplace.std), want), 1e-9 * max_abs(want));

  // latent_mcmc: a short run ends with finite moments and moving chains.
  const auto mcmc = run_method(p, pcn_steps(200, 400));
  for (const double v : full(mcmc.mean)) ASSERT_TRUE(std::isfinite(v));
  for (const double v : full(mcmc.std)) ASSERT_TRUE(std::isfinite(v) && v >= 0);
  EXPECT_GT(mcmc.details.at("cold_acceptance"), 0.05);
}

// ================================================================ 256²: no n×n anywhere

TEST(MriScale, GaussianPosteriorMethodsAt256StayFarBelowOneGigabyte) {
  MethodProblem p;
  p.shape = {256, 256};
  const std::size_t m = 16, n = 65536;
  const auto generator = std::make_shared<pb::TorchGenerator>(conv_model(256, m));
  p.generator = generator;
  p.forward = fourier_r4(p.shape);
  ASSERT_EQ(p.forward->rows(), 16384);
  p.sigma = 0.02;
  p.truth.resize(n);
  generator->decode(normals(m, 10), 1, p.truth);
  simulate(p, 20);

  const bool reset = reset_peak_memory();
  const double start_mib = status_mib("VmRSS");
  for (const auto& [name, options] :
       std::vector<std::pair<std::string, pb::MethodOptions>>{{"white", pb::WhiteOptions{}},
                                                              {"empirical", empirical_rank(16)},
                                                              {"laplace", laplace_at(pb::LinearizationPoint::zero)}}) {
    SCOPED_TRACE(name);
    const auto outcome = run_method(p, options);
    EXPECT_EQ(outcome.std_method, "woodbury");
    EXPECT_TRUE(outcome.std_exact);
    EXPECT_LE(outcome.iterations, 2);
    for (const double v : full(outcome.std)) ASSERT_TRUE(std::isfinite(v) && v > 0);
  }
  const double peak_mib = status_mib("VmHWM");
  std::cout << "peak RSS " << peak_mib << " MiB (" << start_mib << " MiB before; reset " << reset << ")\n";
  EXPECT_LT(peak_mib, 1024.0) << "one n x n matrix is 32768 MiB, one n x d matrix 8192 MiB";
  if (reset) EXPECT_LT(peak_mib - start_mib, 512.0);
}
