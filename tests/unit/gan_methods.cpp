// The generator-based methods on a GAN (Γ = 0; DESIGN §2 item 7) through the one method
// interface, each against a reference computed here without the method's own machinery:
// a tiny GAN generator as `priorbench train --kind gan` builds it (m = 3, n = 20), a dense
// Gaussian forward operator (d = 12), its Jacobian by central finite differences of decode.
//
//   laplace        needs a nugget: refused without one before any decoder work; with one,
//                  the posterior equals the dense Gaussian solve with C0 = J Jᵀ + η² I
//   latent_map     z* is a stationary point: the finite-difference gradient of
//                  ½‖y − A μ(z)‖²/σ² + ½‖z‖² vanishes there
//   latent_laplace the pixel std equals sqrt diag(J Σ Jᵀ), Σ = (MᵀM/σ² + I)⁻¹, M = A J(z*)
//   latent_mcmc    the posterior mean of μ(z) equals the one by quadrature on a grid in
//                  the three latent dimensions, within 5 Monte Carlo standard errors

#include <gtest/gtest.h>

#include <cmath>

#include "core/random.hpp"
#include "generative/torch/gan_model.hpp"
#include "generative/torch/generator_loader.hpp"
#include "methods/method_factory.hpp"
#include "methods/observation.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::testing_support::Dense;
using pb::testing_support::expect_error;

namespace {

constexpr std::size_t kM = 3, kN = 20, kD = 12;
constexpr double kSigma = 0.05;

const pb::testing_support::TempDir& temp() {
  static const pb::testing_support::TempDir directory("priorbench_gan_methods");
  return directory;
}

std::shared_ptr<const pb::Generator> tiny_gan() {
  static const std::shared_ptr<const pb::Generator> generator = [] {
    pb::GanModelOptions options;
    options.architecture = pb::VaeArchitecture::mlp;
    options.hidden = {10};
    options.latent_dim = kM;
    options.shape = {4, 5};
    const auto path = temp().file("tiny_gan.pt");
    pb::save_untrained_gan(options, 21, path);
    return pb::load_generator(path);
  }();
  return generator;
}

std::vector<double> normals(std::size_t count, std::uint64_t stream, double scale = 1.0) {
  std::vector<double> values(count);
  pb::CounterRandom(5, stream, pb::Purpose::test_values).fill_normal(values, 0);
  for (double& value : values) value *= scale;
  return values;
}

std::vector<double> decode(const std::vector<double>& z) {
  std::vector<double> x(kN);
  tiny_gan()->decode(z, 1, x);
  return x;
}

// J (n × m) by central differences of decode: independent of the JVP/VJP code.
Dense finite_difference_jacobian(const std::vector<double>& z) {
  const double h = 1e-5;
  Dense jacobian(static_cast<int>(kN), static_cast<int>(kM));
  for (std::size_t j = 0; j < kM; ++j) {
    auto plus = z, minus = z;
    plus[j] += h;
    minus[j] -= h;
    const auto a = decode(plus), b = decode(minus);
    for (std::size_t i = 0; i < kN; ++i) jacobian(static_cast<int>(i), static_cast<int>(j)) = (a[i] - b[i]) / (2 * h);
  }
  return jacobian;
}

struct Problem {
  std::shared_ptr<const pb::testing_support::DenseForwardOperator> forward;
  pb::Observation observation;
  std::vector<double> y;
};

// y = A x† + σ ε with x† = μ(z†) + a small off-range part. Made once and never destroyed:
// its PETSc vectors must not outlive PetscFinalize in a static destructor.
const Problem& problem() {
  static const Problem* p = [] {
    Dense a(static_cast<int>(kD), static_cast<int>(kN));
    a.values = normals(kD * kN, 1, 1.0 / std::sqrt(static_cast<double>(kD)));
    auto forward = std::make_shared<pb::testing_support::DenseForwardOperator>(PETSC_COMM_WORLD, a);
    auto truth = decode(normals(kM, 2, 0.8));
    const auto off_range = normals(kN, 3, 0.01);
    for (std::size_t i = 0; i < kN; ++i) truth[i] += off_range[i];
    auto* result = new Problem{forward, pb::simulate_observation(forward, {4, 5}, truth, kSigma, {7, 0}), {}};
    result->y = pb::petsc::gather_all(result->observation.data);
    return result;
  }();
  return *p;
}

// ½‖y − A μ(z)‖²/σ² + ½‖z‖².
double objective(const std::vector<double>& z) {
  const auto ax = pb::testing_support::multiply(problem().forward->matrix(), decode(z));
  double value = 0;
  for (std::size_t i = 0; i < kD; ++i) value += 0.5 * std::pow(problem().y[i] - ax[i], 2) / (kSigma * kSigma);
  for (const double zj : z) value += 0.5 * zj * zj;
  return value;
}

pb::MethodOutcome run(const pb::MethodOptions& options) {
  pb::MethodResources resources;
  resources.generator = [] { return tiny_gan(); };
  return pb::make_method(options, resources)->reconstruct(problem().observation);
}

double relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  return pb::testing_support::max_abs_difference(a, b) / pb::testing_support::max_abs(b);
}

}  // namespace

TEST(GanMethods, LaplaceWithoutANuggetIsRefusedBeforeAnyWork) {
  pb::LaplaceOptions options;  // nugget 0, z0 = latent_map
  problem();                   // its truth is decoded once, before the count
  const auto before = tiny_gan()->counts();
  expect_error([&] { run(options); }, {"laplace: the generator has no decoder variance (Gamma = 0, a GAN or a flow)",
                                       "state a nugget eta^2 > 0"});
  EXPECT_EQ(tiny_gan()->counts().decoder_passes, before.decoder_passes) << "no latent MAP before the refusal";
}

// z0 = 0: the prior is N(μ(0), J Jᵀ + η² I); its posterior by the data-space formulas,
// dense, with A and J from outside the method.
TEST(GanMethods, LaplaceWithANuggetIsTheDenseGaussianPosterior) {
  const double nugget = 0.004;
  pb::LaplaceOptions options;
  options.z0 = pb::LinearizationPoint::zero;
  options.nugget = nugget;
  const auto outcome = run(options);
  EXPECT_EQ(outcome.details.at("nugget"), nugget);

  const std::vector<double> zero(kM, 0.0);
  const Dense j = finite_difference_jacobian(zero);
  Dense c0 = pb::testing_support::multiply(j, pb::testing_support::transpose(j));
  for (int i = 0; i < static_cast<int>(kN); ++i) c0(i, i) += nugget;
  const Dense& a = problem().forward->matrix();
  const Dense c0_at = pb::testing_support::multiply(c0, pb::testing_support::transpose(a));
  Dense k = pb::testing_support::multiply(a, c0_at);
  for (int i = 0; i < static_cast<int>(kD); ++i) k(i, i) += kSigma * kSigma;
  const Dense gain = pb::testing_support::multiply(c0_at, pb::testing_support::spd_inverse(k));
  const auto m0 = decode(zero);
  auto residual = problem().y;
  const auto am0 = pb::testing_support::multiply(a, m0);
  for (std::size_t i = 0; i < kD; ++i) residual[i] -= am0[i];
  auto mean = pb::testing_support::multiply(gain, residual);
  for (std::size_t i = 0; i < kN; ++i) mean[i] += m0[i];
  const Dense covariance =
      pb::testing_support::multiply(gain, pb::testing_support::transpose(c0_at));  // C0 Aᵀ K⁻¹ A C0
  std::vector<double> std(kN);
  for (int i = 0; i < static_cast<int>(kN); ++i) std[i] = std::sqrt(c0(i, i) - covariance(i, i));

  // Finite differences carry an error of about h² = 1e-10 relative; the solve is exact.
  EXPECT_LT(relative_difference(pb::petsc::gather_all(outcome.mean), mean), 1e-8);
  EXPECT_LT(relative_difference(pb::petsc::gather_all(outcome.std), std), 1e-7);
  // A nugget 100 times larger lets x leave the range: the posterior std grows.
  options.nugget = 100 * nugget;
  const auto wide = pb::petsc::gather_all(run(options).std);
  for (std::size_t i = 0; i < kN; ++i) EXPECT_GT(wide[i], std[i]);
}

TEST(GanMethods, LatentMapIsAStationaryPointOfTheLatentObjective) {
  pb::LatentMapMethodOptions options;
  const auto outcome = run(options);
  EXPECT_TRUE(outcome.converged) << outcome.warning;
  const auto z = outcome.latent;
  ASSERT_EQ(z.size(), kM);
  EXPECT_LT(relative_difference(pb::petsc::gather_all(outcome.mean), decode(z)), 1e-14) << "x̂ = μ(z*)";
  const double h = 1e-5;
  double gradient_norm = 0, scale = 0;
  for (std::size_t j = 0; j < kM; ++j) {
    auto plus = z, minus = z;
    plus[j] += h;
    minus[j] -= h;
    gradient_norm += std::pow((objective(plus) - objective(minus)) / (2 * h), 2);
    // The scale: the same derivative at the origin, where nothing is stationary.
    std::vector<double> origin_plus(kM, 0.0), origin_minus(kM, 0.0);
    origin_plus[j] = h;
    origin_minus[j] = -h;
    scale += std::pow((objective(origin_plus) - objective(origin_minus)) / (2 * h), 2);
  }
  EXPECT_GT(std::sqrt(scale), 1.0);
  EXPECT_LT(std::sqrt(gradient_norm), 1e-5 * std::sqrt(scale));
  EXPECT_NEAR(outcome.details.at("latent_objective"), objective(z), 1e-10 * objective(z));
}

TEST(GanMethods, LatentLaplaceStdIsTheLinearizedGaussNewtonCovariance) {
  pb::LatentLaplaceMethodOptions options;
  const auto outcome = run(options);
  const auto z = outcome.latent;
  const Dense j = finite_difference_jacobian(z);
  const Dense m = pb::testing_support::multiply(problem().forward->matrix(), j);
  Dense precision = pb::testing_support::multiply(pb::testing_support::transpose(m), m);
  for (int r = 0; r < static_cast<int>(kM); ++r) {
    for (int c = 0; c < static_cast<int>(kM); ++c) precision(r, c) /= kSigma * kSigma;
    precision(r, r) += 1;
  }
  const Dense sigma = pb::testing_support::spd_inverse(precision);
  const Dense pixel =
      pb::testing_support::multiply(pb::testing_support::multiply(j, sigma), pb::testing_support::transpose(j));
  std::vector<double> std(kN);
  for (int i = 0; i < static_cast<int>(kN); ++i) std[i] = std::sqrt(pixel(i, i));
  EXPECT_LT(relative_difference(pb::petsc::gather_all(outcome.std), std), 1e-7);
}

// p(z | y) ∝ exp(−objective(z)) on a grid of 41³ points over ±6 latent-Laplace standard
// deviations about z*: the posterior mean and std of μ(z) by quadrature.
TEST(GanMethods, LatentMcmcMatchesQuadrature) {
  const auto laplace = run(pb::LatentLaplaceMethodOptions{});
  const auto centre = laplace.latent;
  ASSERT_EQ(laplace.latent_covariance.rows(), kM);
  const int points = 41;
  std::vector<double> half_width(kM);
  for (std::size_t j = 0; j < kM; ++j) half_width[j] = 6 * std::sqrt(laplace.latent_covariance(j, j));
  const double minimum = objective(centre);
  std::vector<double> mean(kN, 0.0), second(kN, 0.0), z(kM);
  double total = 0;
  for (int a = 0; a < points; ++a) {
    for (int b = 0; b < points; ++b) {
      for (int c = 0; c < points; ++c) {
        const int index[3] = {a, b, c};
        for (std::size_t j = 0; j < kM; ++j) {
          z[j] = centre[j] + half_width[j] * (2.0 * index[j] / (points - 1) - 1.0);
        }
        const double weight = std::exp(minimum - objective(z));
        const auto x = decode(z);
        for (std::size_t i = 0; i < kN; ++i) {
          mean[i] += weight * x[i];
          second[i] += weight * x[i] * x[i];
        }
        total += weight;
      }
    }
  }
  std::vector<double> std(kN);
  for (std::size_t i = 0; i < kN; ++i) {
    mean[i] /= total;
    std[i] = std::sqrt(std::max(0.0, second[i] / total - mean[i] * mean[i]));
  }

  pb::LatentMcmcOptions options;  // NUTS, 4 chains
  const auto outcome = run(options);
  EXPECT_TRUE(outcome.converged) << outcome.warning;
  EXPECT_EQ(outcome.details.at("divergences"), 0.0);
  const double ess = outcome.details.at("min_ess_bulk");
  ASSERT_GT(ess, 100.0);
  const auto sampled = pb::petsc::gather_all(outcome.mean);
  const auto sampled_std = pb::petsc::gather_all(outcome.std);
  for (std::size_t i = 0; i < kN; ++i) {
    EXPECT_NEAR(sampled[i], mean[i], 5 * std[i] / std::sqrt(ess)) << "pixel " << i;
    EXPECT_NEAR(sampled_std[i], std[i], 0.2 * std[i]) << "pixel " << i;
  }
}
