// latent_mcmc by NUTS (inference/latent_nuts.hpp) and the method around it:
// - LatentProblem::objectives_and_gradients: one batched decode, the same numbers as the
//   single-latent objective and gradient, whatever the batching;
// - the starts: distinct accepted MAP optima, best first, perturbed by s L ξ;
// - the linear oracle (latent_oracle.hpp): posterior mean and covariance of z within 4 Monte
//   Carlo standard errors of the closed form, both likelihoods; the pixel moments of μ(z) and
//   the predictive std;
// - simulation-based calibration (Talts et al. 2018) with a nonlinear decoder, and a sampler
//   whose energies disagree with its gradients rejected by the same test;
// - the method's outcome: converged by the contract, its reason, warning and details; pCN
//   still selectable with its numbers unchanged.
// The shipped VAE against an importance-sampling reference is in latent_nuts_vae.cpp.

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <iostream>
#include <numeric>

#include "batch_recorder.hpp"
#include "core/error.hpp"
#include "diagnostics/mcmc_diagnostics.hpp"
#include "inference/latent_nuts.hpp"
#include "inference/pcn.hpp"
#include "latent_oracle.hpp"
#include "methods/latent_mcmc_method.hpp"
#include "tanh_generator.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::Chains;
using pb::LatentLikelihood;
using pb::testing_support::expect_error;
using pb::testing_support::LinearOracle;

namespace {

double draw(std::uint64_t stream, std::uint64_t index) {
  return pb::CounterRandom(41, stream, pb::Purpose::test_values).normal(index);
}

// μ(z) = tanh(W z) + b with W = 4 × the oracle's weights: well into the nonlinearity.
std::shared_ptr<pb::testing_support::TanhGenerator> tanh_generator(const LinearOracle& o) {
  pb::DenseMatrix weights(o.b.size(), o.m);
  for (std::size_t i = 0; i < o.b.size(); ++i)
    for (std::size_t j = 0; j < o.m; ++j) weights(i, j) = 4 * o.w(int(i), int(j));
  return std::make_shared<pb::testing_support::TanhGenerator>(o.shape, weights, o.b);
}

// ---------------------------------------------------------------------------------------------
// The batched objective and gradient

TEST(LatentProblem, BatchedObjectivesAndGradientsEqualTheSingleCalls) {
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, "gaussian", 30, 3, 0.2);
  const auto recorder = std::make_shared<pb::testing_support::BatchRecorder>(tanh_generator(o));
  for (const auto likelihood : {LatentLikelihood::seeds, LatentLikelihood::marginal}) {
    pb::LatentProblemOptions options;
    options.likelihood = likelihood;
    const pb::LatentProblem problem(recorder, o.forward, o.data_vector, o.sigma, options);
    const std::size_t batch = 5, m = 3;
    std::vector<double> latents(batch * m);
    for (std::size_t k = 0; k < latents.size(); ++k) latents[k] = draw(1, k);
    std::vector<double> values(batch), gradients(batch * m);
    recorder->batches.clear();
    problem.objectives_and_gradients(latents, batch, values, gradients);
    EXPECT_EQ(recorder->batches, std::vector<std::size_t>{batch});  // one decode for the whole batch
    for (std::size_t b = 0; b < batch; ++b) {
      std::vector<double> gradient(m);
      const double value = problem.objective_and_gradient(std::span(latents).subspan(b * m, m), gradient);
      EXPECT_NEAR(values[b], value, 1e-12 * std::abs(value)) << b;
      for (std::size_t j = 0; j < m; ++j)
        EXPECT_NEAR(gradients[b * m + j], gradient[j], 1e-12 * (1 + std::abs(gradient[j])));
    }
    // A batch of one gives the same numbers as the item inside a larger batch.
    std::vector<double> value(1), gradient(m);
    problem.objectives_and_gradients(std::span(latents).subspan(2 * m, m), 1, value, gradient);
    EXPECT_EQ(value[0], values[2]);
    EXPECT_TRUE(std::equal(gradient.begin(), gradient.end(), gradients.begin() + 2 * m));
  }
  const pb::LatentProblem problem(recorder, o.forward, o.data_vector, o.sigma);
  std::vector<double> values(2), gradients(5);
  expect_error([&] { problem.objectives_and_gradients(std::vector<double>(6), 2, values, gradients); },
               {"objectives_and_gradients", "length 3"});
}

// ---------------------------------------------------------------------------------------------
// The starts

pb::LatentMapStart map_start(std::vector<double> latent, double objective, bool accepted) {
  pb::LatentMapStart start;
  start.latent = std::move(latent);
  start.objective = objective;
  start.accepted = accepted;
  return start;
}

TEST(LatentNuts, StartsAroundTheDistinctAcceptedOptimaBestFirst) {
  pb::DenseMatrix covariance(2, 2);  // Σ_z: standard deviations 0.1 and 0.2, correlation 0.5
  covariance(0, 0) = 0.01;
  covariance(1, 1) = 0.04;
  covariance(0, 1) = covariance(1, 0) = 0.01;
  pb::LatentMapResult map;
  map.latent = {1.0, 2.0};
  map.objective = 5.0;
  map.starts = {map_start({1.5, 2.0}, 7.0, true),    // 5 standard deviations away: a second optimum
                map_start({1.0, 2.0}, 5.0, true),    // z* itself
                map_start({-3.0, 0.0}, 1.0, false),  // best objective but not accepted
                map_start({1.05, 2.02}, 5.1, true),  // within one standard deviation of z*
                map_start({0.0, 0.0}, 6.0, true)};   // a third optimum, better than the first
  pb::LatentNutsOptions options;
  options.chains = 5;
  options.seed = 3;
  options.task = 9;
  const std::vector<pb::MapOptimum> optima = pb::distinct_map_optima(map, covariance);
  ASSERT_EQ(optima.size(), 3u);
  EXPECT_EQ(optima[1].objective, 6.0);
  EXPECT_EQ(optima[2].objective, 7.0);
  const pb::LatentNutsStarts starts = pb::latent_nuts_starts(optima, covariance, options);
  ASSERT_EQ(starts.optima.size(), 3u);
  EXPECT_EQ(starts.negligible_optima, 0u);
  EXPECT_EQ(starts.optima[0], map.latent);
  EXPECT_EQ(starts.optima[1], (std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(starts.optima[2], (std::vector<double>{1.5, 2.0}));
  EXPECT_EQ(starts.optimum_of_chain, (std::vector<std::size_t>{0, 1, 2, 0, 1}));
  // Each start is o + 2 L ξ_c, L = chol(Σ_z) = [[0.1, 0], [0.1, √0.03]], ξ_c from the chain's stream.
  for (std::size_t c = 0; c < 5; ++c) {
    const pb::CounterRandom random(3, 9, pb::Purpose::latent_nuts_starts, c);
    const double xi0 = random.normal(0), xi1 = random.normal(1);
    const auto& o = starts.optima[starts.optimum_of_chain[c]];
    EXPECT_NEAR(starts.points[2 * c], o[0] + 2 * 0.1 * xi0, 1e-14) << c;
    EXPECT_NEAR(starts.points[2 * c + 1], o[1] + 2 * (0.1 * xi0 + std::sqrt(0.03) * xi1), 1e-14) << c;
  }
  options.start_spread = 0;
  EXPECT_EQ(std::vector<double>(pb::latent_nuts_starts(optima, covariance, options).points).size(), 10u);
  EXPECT_EQ(pb::latent_nuts_starts(optima, covariance, options).points[2], 0.0);
}

TEST(LatentNuts, OptimaOfNegligibleLaplaceMassGetNoChain) {
  pb::DenseMatrix covariance(2, 2);
  covariance(0, 0) = 0.01;
  covariance(1, 1) = 0.04;
  std::vector<pb::MapOptimum> optima = {{{1.0, 2.0}, 5.0, 0.0},
                                        {{0.0, 0.0}, 9.0, std::log(2e-3)},      // kept: above 10⁻³
                                        {{1.5, 2.0}, 400.0, -395.0},            // a local minimum of no mass
                                        {{3.0, 3.0}, 11.0, std::log(0.5e-3)}};  // just below 10⁻³
  pb::LatentNutsOptions options;
  options.chains = 4;
  const pb::LatentNutsStarts starts = pb::latent_nuts_starts(optima, covariance, options);
  ASSERT_EQ(starts.optima.size(), 2u);
  EXPECT_EQ(starts.optima[1], optima[1].latent);
  EXPECT_EQ(starts.log_relative_masses, (std::vector<double>{0.0, std::log(2e-3)}));
  EXPECT_EQ(starts.negligible_optima, 2u);
  EXPECT_EQ(starts.optimum_of_chain, (std::vector<std::size_t>{0, 1, 0, 1}));
  options.min_mode_mass = 0;  // every distinct optimum gets chains
  EXPECT_EQ(pb::latent_nuts_starts(optima, covariance, options).optima.size(), 4u);
}

// For a Gaussian mode the Laplace mass is exact: ∫ exp(−c − ½ (z − a)ᵀ Σ⁻¹ (z − a)) dz =
// exp(−c) (2π)^{m/2} det(Σ)^{1/2}, and laplace_log_mass leaves out the (2π)^{m/2}.
TEST(LatentNuts, LaplaceLogMassIsTheGaussianNormalizer) {
  pb::DenseMatrix covariance(2, 2);  // det = 0.01 · 0.04 − 0.01² = 3e-4
  covariance(0, 0) = 0.01;
  covariance(1, 1) = 0.04;
  covariance(0, 1) = covariance(1, 0) = 0.01;
  EXPECT_NEAR(pb::laplace_log_mass(7.5, covariance), -7.5 + 0.5 * std::log(3e-4), 1e-13);
}

// ---------------------------------------------------------------------------------------------
// The linear oracle

// The chains of a function of the draws.
template <class F>
Chains chains_of(const pb::NutsResult& nuts, F&& f) {
  Chains chains(nuts.chains);
  const std::size_t m = nuts.dimension;
  for (std::size_t c = 0; c < nuts.chains; ++c) {
    for (std::size_t s = 0; s < nuts.draws_per_chain; ++s) {
      chains[c].push_back(f(std::span<const double>(nuts.draws).subspan((c * nuts.draws_per_chain + s) * m, m)));
    }
  }
  return chains;
}

pb::LatentNutsOptions oracle_options() {
  pb::LatentNutsOptions options;
  options.keep_draws = true;
  options.seed = 23;
  return options;
}

void check_against_oracle(const std::string& operator_name, PetscInt data_size, LatentLikelihood likelihood) {
  const bool marginal = likelihood == LatentLikelihood::marginal;
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, operator_name, data_size, 3, 0.3,
                                                                 marginal ? 0.05 : 0.01);
  const auto recorder = std::make_shared<pb::testing_support::BatchRecorder>(o.generator);
  pb::LatentProblemOptions problem_options;
  problem_options.likelihood = likelihood;
  const pb::LatentProblem problem(recorder, o.forward, o.data_vector, o.sigma, problem_options);
  const auto exact = pb::testing_support::closed_latent_posterior(o, marginal);
  pb::LatentNutsOptions options = oracle_options();
  const pb::LatentNutsResult result = pb::latent_nuts_sample(problem, options);
  const pb::NutsResult& nuts = result.nuts;
  const std::size_t m = o.m;

  EXPECT_TRUE(nuts.verdict.converged) << nuts.verdict.reason;
  EXPECT_EQ(nuts.diagnostics.size(), 1 + m);  // U and every coordinate
  EXPECT_EQ(nuts.diagnostics[0].name, "potential");
  EXPECT_EQ(nuts.diagnostics[3].name, "z[2]");
  EXPECT_EQ(result.likelihood, marginal ? "marginal" : "seeds");
  // The initial metric is Σ_z of the Laplace approximation — exact for a linear decoder.
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < m; ++j)
      EXPECT_NEAR(result.laplace_covariance(i, j), exact.latent_covariance(int(i), int(j)), 1e-10);

  for (std::size_t i = 0; i < m; ++i) {
    const pb::ChainDiagnostics d = pb::diagnose("z", chains_of(nuts, [i](auto z) { return z[i]; }));
    EXPECT_NEAR(result.latent_mean[i], exact.latent_mean[i], 4 * d.mcse_mean) << "mean of z[" << i << "]";
    for (std::size_t j = 0; j <= i; ++j) {
      const auto& mean = result.latent_mean;
      const pb::ChainDiagnostics p =
          pb::diagnose("zz", chains_of(nuts, [&](auto z) { return (z[i] - mean[i]) * (z[j] - mean[j]); }));
      EXPECT_NEAR(result.latent_covariance(i, j), exact.latent_covariance(int(i), int(j)), 4 * p.mcse_mean)
          << "covariance (" << i << ", " << j << ")";
    }
  }
  // μ is linear: the pixel moments are W (latent moments) + b, up to rounding.
  using namespace pb::testing_support;
  const std::vector<double> mean = multiply(o.w, result.latent_mean);
  Dense covariance(static_cast<int>(m), static_cast<int>(m));
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < m; ++j) covariance(int(i), int(j)) = result.latent_covariance(i, j);
  const Dense pushed = multiply(multiply(o.w, covariance), transpose(o.w));
  for (std::size_t k = 0; k < mean.size(); ++k) {
    EXPECT_NEAR(result.image_mean[k], mean[k] + o.b[k], 1e-12);
    EXPECT_NEAR(result.image_std[k], std::sqrt(pushed(int(k), int(k))), 1e-10);
  }
  EXPECT_EQ(pb::petsc::gather_all(result.std), result.image_std);
  EXPECT_FALSE(result.predictive);

  // The kept draws are decoded after the chains in batches of 256; every decode before holds
  // at most the chains of one leapfrog round (or the latent MAP's and Laplace's one latent).
  const std::size_t kept = options.chains * options.samples, batches = (kept + 255) / 256;
  ASSERT_GT(recorder->batches.size(), batches);
  const auto decoding = recorder->batches.end() - static_cast<std::ptrdiff_t>(batches);
  EXPECT_EQ(std::accumulate(decoding, recorder->batches.end(), std::size_t{0}), kept);
  EXPECT_EQ(*decoding, 256u);
  for (auto batch = recorder->batches.begin(); batch != decoding; ++batch) EXPECT_LE(*batch, options.chains);

  // The predictive std adds E Γ = γ² to every pixel variance.
  options.predictive = true;
  const pb::LatentNutsResult predictive = pb::latent_nuts_sample(problem, options);
  EXPECT_TRUE(predictive.predictive);
  EXPECT_EQ(predictive.image_mean, result.image_mean);
  for (std::size_t k = 0; k < mean.size(); ++k) {
    EXPECT_NEAR(predictive.image_std[k] * predictive.image_std[k], result.image_std[k] * result.image_std[k] + o.gamma2,
                1e-12);
  }
}

TEST(LatentNuts, OracleMeanAndCovarianceWithinMonteCarloError) {
  check_against_oracle("inpaint", 40, LatentLikelihood::seeds);
}

TEST(LatentNuts, OracleWithTheMarginalLikelihood) {
  check_against_oracle("gaussian", 30, LatentLikelihood::marginal);  // the dense noise route
}

TEST(LatentNuts, DeterministicForAGivenSeed) {
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, "gaussian", 20, 3, 0.3);
  const auto problem = pb::testing_support::make_latent_problem(o, LatentLikelihood::marginal);
  pb::LatentNutsOptions options = oracle_options();
  options.warmup = 100;
  options.samples = 50;
  const pb::LatentNutsResult first = pb::latent_nuts_sample(*problem, options);
  const pb::LatentNutsResult again = pb::latent_nuts_sample(*problem, options);
  EXPECT_EQ(first.nuts.draws, again.nuts.draws);
  EXPECT_EQ(first.image_std, again.image_std);
  options.max_batch = 1;  // one latent per decoder call: the same draws
  EXPECT_EQ(pb::latent_nuts_sample(*problem, options).nuts.draws, first.nuts.draws);
  options.seed += 1;
  EXPECT_NE(pb::latent_nuts_sample(*problem, options).nuts.draws, first.nuts.draws);
}

// ---------------------------------------------------------------------------------------------
// Simulation-based calibration with a nonlinear decoder

// z† ~ N(0, I₂), x† = tanh(W z†) + b, y = A x† + σε (inpaint, d = 40, σ = 0.3); the whole
// pipeline (latent MAP, Laplace metric, starts, NUTS with 150 warm-up and 200 kept iterations
// per chain); the rank of z†_j among L = 20 thinned draws (every 40th: draws 39, 79, …, 199 of
// each chain) is uniform on {0, …, 20} for a correct sampler; 21 ranks in 7 bins of 3.
// `stray_slope` ≠ 0 breaks the sampler: its energies are U(z) + slope·z₀ while its dynamics
// follow ∇U, so it samples ∝ exp(−U − slope·z₀), the posterior tilted toward negative z₀.
std::array<std::vector<int>, 2> sbc_rank_histograms(int replicates, double stray_slope) {
  LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, "inpaint", 40, 2, 0.3);
  const auto generator = tanh_generator(o);
  const std::size_t n = o.b.size();
  pb::LatentNutsOptions options;
  options.warmup = 150;
  options.samples = 200;
  options.max_tree_depth = 5;  // caps the cost of the broken sampler below; the right one needs depth ~2
  options.keep_draws = true;
  options.seed = 2025;
  std::array<std::vector<int>, 2> histograms = {std::vector<int>(7, 0), std::vector<int>(7, 0)};
  for (int r = 0; r < replicates; ++r) {
    const std::vector<double> truth = {draw(1000 + r, 0), draw(1000 + r, 1)};
    std::vector<double> image(n);
    generator->decode(truth, 1, image);
    std::vector<double> data = pb::testing_support::multiply(o.a, image);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] += o.sigma * draw(5000 + r, i);
    pb::petsc::set_from_global(o.data_vector, data);
    const pb::LatentProblem problem(generator, o.forward, o.data_vector, o.sigma);
    options.task = static_cast<std::uint64_t>(r);
    const pb::BatchedPotential exact = pb::latent_potential(problem);
    const pb::BatchedPotential potential = [&](std::span<const double> points, std::size_t batch,
                                               std::span<double> potentials, std::span<double> gradients) {
      exact(points, batch, potentials, gradients);
      for (std::size_t b = 0; b < batch; ++b) potentials[b] += stray_slope * points[b * 2];
    };
    const pb::LatentNutsResult result = pb::latent_nuts_sample(problem, options, potential);
    for (std::size_t j = 0; j < 2; ++j) {
      int rank = 0;
      for (std::size_t c = 0; c < 4; ++c)
        for (std::size_t s = 39; s < 200; s += 40) rank += result.nuts.draws[(c * 200 + s) * 2 + j] < truth[j] ? 1 : 0;
      ++histograms[j][rank / 3];
    }
  }
  return histograms;
}

double chi_square(const std::vector<int>& counts) {
  const double expected = std::accumulate(counts.begin(), counts.end(), 0.0) / static_cast<double>(counts.size());
  double sum = 0;
  for (const int count : counts) sum += (count - expected) * (count - expected) / expected;
  return sum;
}

// χ² with 6 degrees of freedom at level 0.005 per coordinate (0.01 for the pair, Bonferroni).
constexpr double kChiSquareCritical = 18.548;

bool single_rank() {
  int ranks = 0;
  MPI_Comm_size(PETSC_COMM_WORLD, &ranks);
  return ranks == 1;
}

TEST(LatentNuts, SimulationBasedCalibrationWithANonlinearDecoder) {
  if (!single_rank()) GTEST_SKIP() << "a statistical check of the sampler; rank independence is tested separately";
  const auto histograms = sbc_rank_histograms(200, 0.0);
  for (std::size_t j = 0; j < 2; ++j) {
    EXPECT_LT(chi_square(histograms[j]), kChiSquareCritical)
        << "z[" << j << "] ranks: " << ::testing::PrintToString(histograms[j]);
  }
}

TEST(LatentNuts, SimulationBasedCalibrationRejectsASamplerWithInconsistentEnergies) {
  if (!single_rank()) GTEST_SKIP() << "a statistical check of the sampler";
  // A wrong gradient could not fail it (docs/methods.md: a leapfrog step under any force is
  // volume preserving and reversible, and the multinomial weights correct it exactly). An
  // energy that disagrees with the gradient can: weights exp(H0 − H) from U + 5 z₀ while the
  // dynamics follow ∇U make NUTS sample the tilted density exp(−U − 5 z₀), about half a
  // posterior standard deviation of z₀ lower, and the ranks of z†₀ pile up in the upper bins.
  const auto histograms = sbc_rank_histograms(100, 5.0);
  std::cout << "[ latent   ] broken sampler ranks: " << ::testing::PrintToString(histograms[0]) << ", "
            << ::testing::PrintToString(histograms[1]) << ", chi-square " << chi_square(histograms[0]) << ", "
            << chi_square(histograms[1]) << "\n";
  EXPECT_GT(std::max(chi_square(histograms[0]), chi_square(histograms[1])), kChiSquareCritical);
}

// ---------------------------------------------------------------------------------------------
// The method

pb::MethodOutcome run_method(const pb::LatentMcmcOptions& options, const LinearOracle& o) {
  const auto method = pb::make_latent_mcmc_method(options, [&o] { return o.generator; });
  pb::Observation observation;
  observation.forward = o.forward;
  observation.shape = o.shape;
  observation.data = pb::petsc::copy_of(o.data_vector);
  observation.sigma = o.sigma;
  observation.random = {23, 4};
  return method->reconstruct(observation);
}

TEST(LatentMcmcMethod, NutsIsTheDefaultAndReportsItsVerdict) {
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, "inpaint", 40, 3, 0.3);
  const pb::LatentMcmcOptions defaults;
  EXPECT_EQ(defaults.sampler, pb::LatentSampler::nuts);
  const pb::MethodOutcome outcome = run_method(defaults, o);
  EXPECT_TRUE(outcome.converged) << outcome.warning;
  EXPECT_EQ(outcome.solver_reason, "NUTS_CONVERGED");
  EXPECT_EQ(outcome.std_method, "mcmc");
  EXPECT_EQ(outcome.latent.size(), 3u);
  EXPECT_EQ(outcome.iterations, static_cast<std::int64_t>(4 * (defaults.nuts.warmup + defaults.nuts.samples)));
  const auto& d = outcome.details;
  for (const char* key : {"max_rhat", "min_ess_bulk", "min_ess_tail", "divergences", "tree_depth_hits", "min_e_bfmi",
                          "ess_per_second", "ess_per_gradient", "gradient_evaluations", "predictive"}) {
    EXPECT_EQ(d.count(key), 1u) << key;
  }
  EXPECT_LE(d.at("max_rhat"), 1.01);
  EXPECT_GE(d.at("min_ess_bulk"), 400);
  EXPECT_GE(d.at("min_ess_tail"), 400);
  EXPECT_EQ(d.at("divergences"), 0);
  EXPECT_EQ(d.at("predictive"), 0);
  EXPECT_GT(d.at("min_e_bfmi"), 0.3);
  EXPECT_NEAR(d.at("ess_per_gradient"), d.at("min_ess_bulk") / d.at("gradient_evaluations"), 1e-12);
  EXPECT_GT(d.at("ess_per_second"), 0);
  EXPECT_GT(outcome.decoder_passes, d.at("gradient_evaluations"));

  pb::LatentMcmcOptions predictive = defaults;
  predictive.predictive = true;
  const pb::MethodOutcome with_noise = run_method(predictive, o);
  EXPECT_EQ(with_noise.std_method, "mcmc-predictive");
  EXPECT_EQ(with_noise.details.at("predictive"), 1);
}

TEST(LatentMcmcMethod, AShortRunIsNotConvergedAndSaysWhy) {
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, "inpaint", 40, 3, 0.3);
  pb::LatentMcmcOptions options;
  options.nuts.warmup = 30;
  options.nuts.samples = 20;  // 80 draws cannot give 400 effective ones
  const pb::MethodOutcome outcome = run_method(options, o);
  EXPECT_FALSE(outcome.converged);
  EXPECT_NE(outcome.solver_reason.find("ESS_BULK"), std::string::npos) << outcome.solver_reason;
  EXPECT_NE(outcome.warning.find("bulk ESS"), std::string::npos) << outcome.warning;
  EXPECT_NE(outcome.warning.find("run longer"), std::string::npos) << outcome.warning;
  EXPECT_LT(outcome.details.at("min_ess_bulk"), 400);
}

TEST(LatentMcmcMethod, PcnIsStillSelectableWithItsNumbers) {
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, "inpaint", 40, 3, 0.3);
  pb::LatentMcmcOptions options;
  options.sampler = pb::LatentSampler::pcn;
  options.pcn.burn_in = 100;
  options.pcn.samples = 200;
  const pb::MethodOutcome outcome = run_method(options, o);
  pb::PcnOptions direct;
  direct.burn_in = 100;
  direct.samples = 200;
  direct.seed = 23;
  direct.task = 4;
  const pb::PcnResult reference =
      pb::pcn_sample(*pb::testing_support::make_latent_problem(o, LatentLikelihood::seeds), direct);
  EXPECT_EQ(pb::petsc::gather_all(outcome.mean), reference.image_mean);
  EXPECT_EQ(pb::petsc::gather_all(outcome.std), reference.image_std);
  EXPECT_EQ(outcome.details.at("max_rhat"), reference.max_rhat);
  EXPECT_EQ(outcome.solver_reason, reference.rhat_warning ? "RHAT_ABOVE_THRESHOLD" : "RHAT_OK");
  EXPECT_EQ(outcome.std_method, "mcmc");

  options.predictive = true;  // adds γ² to every pixel variance, the draws unchanged
  const std::vector<double> predictive = pb::petsc::gather_all(run_method(options, o).std);
  for (std::size_t k = 0; k < predictive.size(); ++k) {
    EXPECT_NEAR(predictive[k] * predictive[k], reference.image_std[k] * reference.image_std[k] + o.gamma2, 1e-12);
  }
}

TEST(LatentMcmcMethod, OptionsAreValidatedByName) {
  const auto field = [](const std::string& key) { return "--" + key; };
  pb::LatentMcmcOptions options;
  options.nuts.target_acceptance = 1.0;
  expect_error([&] { options.validate(field); }, {"--target_acceptance must be in (0, 1), got 1"});
  options = {};
  options.nuts.samples = 5;
  expect_error([&] { options.validate(field); },
               {"--samples must be in [10, 10000000] (the limit of iterations per chain), got 5"});
  options = {};
  options.nuts.max_tree_depth = 0;
  expect_error([&] { options.validate(field); }, {"--max_tree_depth must be in [1, 20], got 0"});
  options = {};
  options.sampler = pb::LatentSampler::pcn;
  options.nuts.samples = 5;  // not the sampler's: ignored
  EXPECT_NO_THROW(options.validate(field));
  options.pcn.thinning = 0;
  expect_error([&] { options.validate(field); },
               {"--thinning must be in [1, 10000000] (the limit of iterations per chain), got 0"});
}

}  // namespace
