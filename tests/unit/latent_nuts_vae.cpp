// latent_mcmc's NUTS on the shipped VAE (models/fmnist-vae-mlp-m16.pt, m = 16) at σ = 0.1:
// Fashion-MNIST test image 0, inpainting with d = 392, the seeds' likelihood. The sampler's
// posterior mean and variance of every latent coordinate agree, within Monte Carlo error, with
// an independent reference: self-normalized importance sampling from the Laplace proposal
// N(z*, c² Σ_z) (c = 1.2, wider than the posterior so the weights have no heavy tail),
//   E f ≈ Σ w_k f(z_k) / Σ w_k,   w_k = exp(−U(z_k)) / q(z_k),
// with standard errors by the delta method, Var ≈ Σ w_k² (f(z_k) − E f)² / (Σ w_k)², and an
// effective sample size (Σ w)² / Σ w² of at least 10,000. The reference needs only U, never its
// gradient or the sampler. Serial only (about a minute): the 2-rank tests use small problems.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <iostream>

#include "core/random.hpp"
#include "data/image_source.hpp"
#include "diagnostics/mcmc_diagnostics.hpp"
#include "generative/torch/torch_generator.hpp"
#include "inference/latent_laplace.hpp"
#include "inference/latent_map.hpp"
#include "inference/latent_nuts.hpp"
#include "methods/observation.hpp"
#include "operators/operator_factory.hpp"

namespace pb = priorbench;

namespace {

constexpr double kSigma = 0.1;
constexpr std::size_t kProposalDraws = 120000;
constexpr std::size_t kBatch = 500;
constexpr double kProposalScale = 1.2;

std::string model_path() {
  return (std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "models" /
          "fmnist-vae-mlp-m16.pt")
      .string();
}

struct Moments {
  std::vector<double> mean, variance;
  std::vector<double> mean_error, variance_error;  // standard errors
  double effective_draws = 0;
};

// Importance sampling from N(z*, c² Σ_z): z = z* + c L ξ, log q(z) = −½‖ξ‖² + const.
Moments importance_sampling_reference(const pb::LatentProblem& problem, std::span<const double> map,
                                      const pb::DenseMatrix& covariance) {
  const std::size_t m = map.size();
  pb::DenseMatrix factor = covariance;
  pb::cholesky_in_place(factor, "Sigma_z");
  std::vector<double> latents(kProposalDraws * m), log_weights(kProposalDraws);
  const pb::CounterRandom random(11, 0, pb::Purpose::test_values);
  std::vector<double> xi(m), misfits(kBatch);
  for (std::size_t k = 0; k < kProposalDraws; ++k) {
    random.fill_normal(xi, k * m);
    const std::span<double> z(latents.data() + k * m, m);
    std::copy(map.begin(), map.end(), z.begin());
    pb::gemv(false, kProposalScale, factor, xi, 1.0, z);
    double prior = 0, proposal = 0;
    for (std::size_t j = 0; j < m; ++j) {
      prior += 0.5 * z[j] * z[j];
      proposal += 0.5 * xi[j] * xi[j];
    }
    log_weights[k] = proposal - prior;  // − ½‖z‖² − log q(z), up to a constant; Φ added below
  }
  for (std::size_t first = 0; first < kProposalDraws; first += kBatch) {
    problem.misfits(std::span<const double>(latents).subspan(first * m, kBatch * m), kBatch, misfits);
    for (std::size_t k = 0; k < kBatch; ++k) log_weights[first + k] -= misfits[k];
  }
  const double largest = *std::max_element(log_weights.begin(), log_weights.end());
  std::vector<double> weights(kProposalDraws);
  double sum = 0, squares = 0;
  for (std::size_t k = 0; k < kProposalDraws; ++k) {
    weights[k] = std::exp(log_weights[k] - largest);
    sum += weights[k];
    squares += weights[k] * weights[k];
  }
  Moments moments;
  moments.effective_draws = sum * sum / squares;
  // E f and its delta-method standard error for f = z_j and f = (z_j − E z_j)².
  const auto estimate = [&](auto&& f, double& value, double& error) {
    value = 0;
    for (std::size_t k = 0; k < kProposalDraws; ++k) value += weights[k] * f(k);
    value /= sum;
    double spread = 0;
    for (std::size_t k = 0; k < kProposalDraws; ++k) spread += weights[k] * weights[k] * std::pow(f(k) - value, 2);
    error = std::sqrt(spread) / sum;
  };
  moments.mean.resize(m);
  moments.variance.resize(m);
  moments.mean_error.resize(m);
  moments.variance_error.resize(m);
  for (std::size_t j = 0; j < m; ++j) {
    estimate([&](std::size_t k) { return latents[k * m + j]; }, moments.mean[j], moments.mean_error[j]);
    const double centre = moments.mean[j];
    estimate([&](std::size_t k) { return std::pow(latents[k * m + j] - centre, 2); }, moments.variance[j],
             moments.variance_error[j]);
  }
  return moments;
}

pb::Chains coordinate_chains(const pb::NutsResult& nuts, std::size_t j, double centre, bool squared) {
  pb::Chains chains(nuts.chains);
  for (std::size_t c = 0; c < nuts.chains; ++c) {
    for (std::size_t s = 0; s < nuts.draws_per_chain; ++s) {
      const double z = nuts.draws[(c * nuts.draws_per_chain + s) * nuts.dimension + j];
      chains[c].push_back(squared ? (z - centre) * (z - centre) : z);
    }
  }
  return chains;
}

TEST(LatentNutsOnTheShippedVae, MeanAndVarianceOfEveryLatentAgreeWithImportanceSampling) {
  const auto generator = std::make_shared<pb::TorchGenerator>(model_path());
  const pb::data::ImageSelection image = pb::data::load_image("fashion-mnist:test:0");
  pb::OperatorSpec spec;
  spec.name = "inpaint";
  spec.data_size = 392;
  spec.seed = 20240601;
  const auto forward = pb::make_operator(PETSC_COMM_SELF, image.shape, spec);
  const pb::Observation observation = pb::simulate_observation(forward, image.shape, image.pixels, kSigma, {1, 0});
  const pb::LatentProblem problem(generator, forward, observation.data, kSigma);

  pb::LatentNutsOptions options;  // the defaults of latent_mcmc
  options.keep_draws = true;
  options.seed = 1;
  const pb::LatentNutsResult result = pb::latent_nuts_sample(problem, options);
  ASSERT_TRUE(result.nuts.verdict.converged) << result.nuts.verdict.reason;
  const std::size_t m = result.latent_mean.size();
  ASSERT_EQ(m, 16u);

  const Moments reference = importance_sampling_reference(problem, result.map.latent, result.laplace_covariance);
  std::cout << "[ vae      ] NUTS " << result.seconds << " s, " << result.nuts.gradient_evaluations
            << " gradients, smallest bulk ESS " << result.min_ess_bulk << "; importance sampling ESS "
            << reference.effective_draws << " of " << kProposalDraws << "\n";
  ASSERT_GE(reference.effective_draws, 10000.0) << "the Laplace proposal is too far from the posterior";

  int laplace_misses = 0;
  for (std::size_t j = 0; j < m; ++j) {
    const pb::ChainDiagnostics mean = pb::diagnose("z", coordinate_chains(result.nuts, j, 0, false));
    const pb::ChainDiagnostics square =
        pb::diagnose("zz", coordinate_chains(result.nuts, j, result.latent_mean[j], true));
    EXPECT_NEAR(result.latent_mean[j], reference.mean[j], 4 * std::hypot(mean.mcse_mean, reference.mean_error[j]))
        << "mean of z[" << j << "]";
    EXPECT_NEAR(result.latent_covariance(j, j), reference.variance[j],
                4 * std::hypot(square.mcse_mean, reference.variance_error[j]))
        << "variance of z[" << j << "]";
    // The same tolerances applied to the Laplace approximation (z*, diag Σ_z) in its place.
    laplace_misses +=
        std::abs(result.map.latent[j] - reference.mean[j]) > 4 * std::hypot(mean.mcse_mean, reference.mean_error[j])
            ? 1
            : 0;
    laplace_misses += std::abs(result.laplace_covariance(j, j) - reference.variance[j]) >
                              4 * std::hypot(square.mcse_mean, reference.variance_error[j])
                          ? 1
                          : 0;
  }
  // The check has teeth: the posterior is not Gaussian here, and the Laplace approximation
  // misses the reference where the sampler does not.
  std::cout << "[ vae      ] the Laplace approximation misses " << laplace_misses << " of " << 2 * m
            << " moments at these tolerances\n";
  EXPECT_GT(laplace_misses, 0);
}

}  // namespace
