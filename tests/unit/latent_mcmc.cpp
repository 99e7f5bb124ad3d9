// latent_mcmc (pCN with parallel tempering) and the MCMC diagnostics:
// - the diagnostics on chains with known answers (i.i.d., AR(1), shifted chains);
// - the linear oracle (latent_oracle.hpp): posterior mean and covariance of z within a
//   few Monte Carlo standard errors of the closed form, pixel mean and std of μ(z);
// - simulation-based calibration (Talts et al. 2018): ranks of z†_0 among thinned
//   posterior draws for prior-simulated truths are uniform (chi-square test, fixed seed).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "batch_recorder.hpp"
#include "core/error.hpp"
#include "diagnostics/mcmc_diagnostics.hpp"
#include "inference/pcn.hpp"
#include "latent_oracle.hpp"

namespace pb = priorbench;
using pb::Chains;
using pb::testing_support::LinearOracle;

namespace {

double draw(std::uint64_t stream, std::uint64_t index) {
  return pb::CounterRandom(17, stream, pb::Purpose::test_values).normal(index);
}

Chains autoregressive_chains(std::size_t count, std::size_t length, double phi, double shift_per_chain = 0) {
  Chains chains(count);
  for (std::size_t c = 0; c < count; ++c) {
    double x = draw(100 + c, 0) / std::sqrt(1 - phi * phi);
    for (std::size_t i = 0; i < length; ++i) {
      x = phi * x + draw(c, i);
      chains[c].push_back(x + shift_per_chain * static_cast<double>(c));
    }
  }
  return chains;
}

TEST(McmcDiagnostics, NormalQuantileInvertsTheDistributionFunction) {
  for (const double p : {1e-10, 0.001, 0.02, 0.3, 0.5, 0.77, 0.98, 0.999999}) {
    const double x = pb::normal_quantile(p);
    EXPECT_NEAR(0.5 * std::erfc(-x / std::sqrt(2.0)), p, 1e-14 * std::max(1.0, p / (1 - p)) + 1e-15 * p) << p;
  }
  EXPECT_EQ(pb::normal_quantile(0.5), 0.0);
  EXPECT_THROW(pb::normal_quantile(1.0), pb::Error);
}

TEST(McmcDiagnostics, IndependentDrawsHaveFullEssAndUnitRhat) {
  const Chains chains = autoregressive_chains(4, 1000, 0.0);
  EXPECT_NEAR(pb::ess_mean(chains) / 4000, 1.0, 0.1);
  EXPECT_NEAR(pb::ess_bulk(chains) / 4000, 1.0, 0.1);
  EXPECT_LT(pb::rank_normalized_split_rhat(chains), 1.01);
  EXPECT_GE(pb::rank_normalized_split_rhat(chains), pb::split_rhat(chains) - 0.01);
}

TEST(McmcDiagnostics, AutoregressiveChainsHaveTheKnownIntegratedAutocorrelation) {
  const double phi = 0.8;  // τ = (1 + φ)/(1 − φ) = 9
  const Chains chains = autoregressive_chains(4, 5000, phi);
  EXPECT_NEAR(pb::ess_mean(chains) / (20000.0 / 9.0), 1.0, 0.15);
  EXPECT_LT(pb::rank_normalized_split_rhat(chains), 1.01);
  const pb::ChainDiagnostics d = pb::diagnose("x", chains);
  EXPECT_NEAR(d.sd, 1 / std::sqrt(1 - phi * phi), 0.05);
  EXPECT_NEAR(d.mcse_mean, d.sd / std::sqrt(d.ess_mean), 1e-15);
}

TEST(McmcDiagnostics, ChainsStuckApartHaveLargeRhat) {
  EXPECT_GT(pb::rank_normalized_split_rhat(autoregressive_chains(4, 500, 0.5, 1.0)), 1.1);
  // A drift within chains is caught by splitting them.
  Chains drifting = autoregressive_chains(4, 500, 0.0);
  for (auto& chain : drifting)
    for (std::size_t i = 0; i < chain.size(); ++i) chain[i] += 3.0 * static_cast<double>(i) / 500;
  EXPECT_GT(pb::split_rhat(drifting), 1.1);
  EXPECT_TRUE(std::isnan(pb::split_rhat(Chains(4, std::vector<double>(10, 1.0)))));
  EXPECT_THROW(pb::split_rhat(Chains{{1, 2, 3}, {1, 2}}), pb::Error);
}

pb::PcnOptions oracle_options() {
  pb::PcnOptions options;
  options.chains = 4;
  options.temperatures = 3;
  options.hottest_inverse_temperature = 0.1;
  options.burn_in = 500;
  options.samples = 3000;
  options.tracked_coordinates = 4;
  options.keep_draws = true;
  options.seed = 23;
  return options;
}

// The chains of one latent coordinate, or of a product of centred coordinates.
Chains coordinate_chains(const pb::PcnResult& result, std::size_t m, std::size_t i, std::size_t j = SIZE_MAX,
                         const std::vector<double>& centre = {}) {
  Chains chains(result.chains);
  for (std::size_t c = 0; c < result.chains; ++c) {
    for (std::size_t s = 0; s < result.draws_per_chain; ++s) {
      const double* z = result.draws.data() + (c * result.draws_per_chain + s) * m;
      chains[c].push_back(j == SIZE_MAX ? z[i] : (z[i] - centre[i]) * (z[j] - centre[j]));
    }
  }
  return chains;
}

void check_against_oracle(const std::string& operator_name, PetscInt data_size, pb::LatentLikelihood likelihood) {
  const bool marginal = likelihood == pb::LatentLikelihood::marginal;
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, operator_name, data_size, 3, 0.3,
                                                                 marginal ? 0.05 : 0.01);
  const auto recorder = std::make_shared<pb::testing_support::BatchRecorder>(o.generator);
  pb::LatentProblemOptions problem_options;
  problem_options.likelihood = likelihood;
  const pb::LatentProblem problem(recorder, o.forward, o.data_vector, o.sigma, problem_options);
  const auto exact = pb::testing_support::closed_latent_posterior(o, marginal);
  const pb::PcnOptions options = oracle_options();
  const pb::PcnResult result = pb::pcn_sample(problem, options);
  const std::size_t m = o.m;

  // One batched decode per step, holding every chain and temperature.
  ASSERT_EQ(recorder->batches.size(), 1 + options.burn_in + options.samples);
  for (const std::size_t batch : recorder->batches) EXPECT_EQ(batch, options.chains * options.temperatures);
  EXPECT_EQ(result.generator_counts.decoder_passes,
            static_cast<std::int64_t>((1 + options.burn_in + options.samples) * 12));

  EXPECT_FALSE(result.rhat_warning) << result.warning;
  EXPECT_LT(result.max_rhat, 1.01);
  EXPECT_EQ(result.diagnostics.size(), 1 + m);  // misfit and the 3 coordinates
  EXPECT_EQ(result.diagnostics[0].name, "misfit");
  // The step reaches the target acceptance unless it is capped near ρ = 1 (independent
  // proposals from the prior), where a hot level accepts more.
  for (std::size_t t = 0; t < result.acceptance_rates.size(); ++t) {
    if (result.step_sizes[t] < 0.9) EXPECT_NEAR(result.acceptance_rates[t], options.target_acceptance, 0.05) << t;
    EXPECT_GT(result.acceptance_rates[t], options.target_acceptance - 0.05) << t;
  }
  for (const double rate : result.swap_rates) EXPECT_GT(rate, 0.1);
  EXPECT_EQ(result.draws.size(), options.chains * options.samples * m);

  for (std::size_t i = 0; i < m; ++i) {
    const pb::ChainDiagnostics d = pb::diagnose("z", coordinate_chains(result, m, i));
    EXPECT_NEAR(d.mean, result.latent_mean[i], 1e-12);
    EXPECT_NEAR(result.latent_mean[i], exact.latent_mean[i], 4 * d.mcse_mean) << "mean of z[" << i << "]";
    EXPECT_NEAR(d.mean, result.diagnostics[1 + i].mean, 1e-12);
    for (std::size_t j = 0; j <= i; ++j) {
      const pb::ChainDiagnostics p = pb::diagnose("zz", coordinate_chains(result, m, i, j, result.latent_mean));
      EXPECT_NEAR(result.latent_covariance(i, j), exact.latent_covariance(int(i), int(j)), 4 * p.mcse_mean)
          << "covariance (" << i << ", " << j << ")";
    }
  }
  // μ is linear: the pixel moments are W (latent moments) exactly.
  using namespace pb::testing_support;
  std::vector<double> mean = multiply(o.w, result.latent_mean);
  Dense covariance(static_cast<int>(m), static_cast<int>(m));
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < m; ++j) covariance(int(i), int(j)) = result.latent_covariance(i, j);
  const Dense pushed = multiply(multiply(o.w, covariance), transpose(o.w));
  for (std::size_t k = 0; k < mean.size(); ++k) {
    EXPECT_NEAR(result.image_mean[k], mean[k] + o.b[k], 1e-12);
    EXPECT_NEAR(result.image_std[k], std::sqrt(pushed(int(k), int(k))), 1e-10);
  }
  EXPECT_EQ(pb::petsc::gather_all(result.std), result.image_std);
}

TEST(LatentMcmc, OracleMeanAndCovarianceWithinMonteCarloError) {
  check_against_oracle("inpaint", 40, pb::LatentLikelihood::seeds);
}

TEST(LatentMcmc, OracleWithTheMarginalLikelihood) {
  check_against_oracle("gaussian", 30, pb::LatentLikelihood::marginal);  // the dense noise route
}

TEST(LatentMcmc, DeterministicForAGivenSeed) {
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, "gaussian", 20, 3, 0.3);
  const auto problem = pb::testing_support::make_latent_problem(o, pb::LatentLikelihood::marginal);
  pb::PcnOptions options = oracle_options();
  options.burn_in = 50;
  options.samples = 100;
  const pb::PcnResult first = pb::pcn_sample(*problem, options);
  const pb::PcnResult again = pb::pcn_sample(*problem, options);
  EXPECT_EQ(first.draws, again.draws);
  EXPECT_EQ(first.image_std, again.image_std);
  EXPECT_EQ(first.likelihood, "marginal");
  EXPECT_EQ(first.noise_route, "dense");
  options.seed += 1;
  EXPECT_NE(pb::pcn_sample(*problem, options).draws, first.draws);
}

TEST(LatentMcmc, UnmixedChainsRaiseTheRhatWarning) {
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, "inpaint", 40, 3, 0.05);
  const auto problem = pb::testing_support::make_latent_problem(o, pb::LatentLikelihood::seeds);
  pb::PcnOptions options;
  options.temperatures = 1;
  options.burn_in = 0;  // no adaptation: the tiny step stays, chains stay near their prior draws
  options.samples = 40;
  options.initial_step = 1e-3;
  const pb::PcnResult result = pb::pcn_sample(*problem, options);
  EXPECT_TRUE(result.rhat_warning);
  EXPECT_GT(result.max_rhat, 1.01);
  EXPECT_NE(result.warning.find("split-R-hat"), std::string::npos) << result.warning;
  EXPECT_TRUE(result.swap_rates.empty());

  options.chains = 1;
  EXPECT_THROW(pb::pcn_sample(*problem, options), pb::Error);
  options.chains = 4;
  options.inverse_temperatures = {1.0, 0.5, 0.7};
  EXPECT_THROW(pb::pcn_sample(*problem, options), pb::Error);
}

// Simulation-based calibration: for z† ~ N(0, I) and y ~ p(y | z†), the rank of z†_0
// among L independent posterior draws is uniform on {0, …, L}. 200 replicates, L = 20
// (4 chains × every 80th of 400 draws, 80 ≫ the autocorrelation time ≈ 10), 21 ranks in 7 bins
// of 3; chi-square with 6 degrees of freedom at level 0.01 (critical value 16.812).
TEST(LatentMcmc, SimulationBasedCalibration) {
  int ranks = 0;
  MPI_Comm_size(PETSC_COMM_WORLD, &ranks);
  if (ranks > 1)
    GTEST_SKIP() << "a statistical check of the sampler; rank independence is tested by SameDrawsAsOneRank";
  LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, "inpaint", 40, 3, 0.3);
  const auto n = o.b.size();
  pb::PcnOptions options;
  options.chains = 4;
  options.temperatures = 2;
  options.hottest_inverse_temperature = 0.2;
  options.burn_in = 200;
  options.samples = 400;
  options.keep_draws = true;
  const int replicates = 200, bins = 7;
  std::vector<int> counts(bins, 0);
  for (int r = 0; r < replicates; ++r) {
    std::vector<double> truth(3);
    for (std::size_t j = 0; j < 3; ++j) truth[j] = draw(1000 + r, j);
    std::vector<double> image = pb::testing_support::multiply(o.w, truth);
    for (std::size_t i = 0; i < n; ++i) image[i] += o.b[i];
    std::vector<double> data = pb::testing_support::multiply(o.a, image);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] += o.sigma * draw(5000 + r, i);
    pb::petsc::set_from_global(o.data_vector, data);
    const pb::LatentProblem problem(o.generator, o.forward, o.data_vector, o.sigma);
    options.task = static_cast<std::uint64_t>(r);
    const pb::PcnResult result = pb::pcn_sample(problem, options);
    ASSERT_EQ(result.draws.size(), 4u * 400 * 3);
    int rank = 0;  // draws 79, 159, …, 399 of each chain
    for (std::size_t k = 79; k < 4 * 400; k += 80) rank += result.draws[k * 3] < truth[0] ? 1 : 0;
    ++counts[rank / 3];
  }
  const double expected = replicates / static_cast<double>(bins);
  double chi_square = 0;
  for (const int count : counts) chi_square += (count - expected) * (count - expected) / expected;
  EXPECT_LT(chi_square, 16.812) << "rank histogram: " << ::testing::PrintToString(counts);
}

}  // namespace
