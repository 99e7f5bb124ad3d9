#pragma once
// `latent_mcmc` (DESIGN §2, method 6): preconditioned Crank–Nicolson in latent space with
// parallel tempering, after Holden, Pereyra & Zygalakis (2022), for the posterior
// π(z) ∝ exp(−Φ(z)) N(z; 0, I) (Φ of latent_problem.hpp).
//
// - `chains` independent ladders, each with one state per inverse temperature
//   1 = β_0 > β_1 > … (target ∝ exp(−β_t Φ(z)) N(z; 0, I)); only the cold states (β = 1)
//   are posterior draws. The ladder is geometric down to hottest_inverse_temperature
//   unless given explicitly.
// - Move: z' = √(1 − ρ_t²) z + ρ_t ξ, ξ ~ N(0, I), accepted with probability
//   min(1, exp(−β_t (Φ(z') − Φ(z)))) — the prior cancels because pCN is reversible with
//   respect to it. All chains and temperatures of a step are decoded in ONE batched call.
// - Swap: after every move, adjacent pairs (t, t+1) with t ≡ step (mod 2) (deterministic
//   even–odd scheme) swap states with probability min(1, exp((β_t − β_{t+1})(Φ_t − Φ_{t+1}))).
// - Step: ρ_t starts at initial_step and is adapted during burn-in only, per temperature,
//   by Robbins–Monro on log ρ_t toward target_acceptance (gain (k+1)^−0.6, ρ ∈ [1e-4, 1]),
//   from the acceptance pooled over chains; it is frozen afterwards, so the kept draws
//   come from a fixed Markov kernel.
// - Randomness: CounterRandom(seed, task, Purpose::pcn_initial / pcn_proposals,
//   stream = chain); each step of a chain reads a fixed block of counter positions, so
//   results depend on neither the rank count nor the schedule.
// - Kept draws: the cold state of every chain at post-burn-in steps 0, thinning, 2·thinning,
//   …; the posterior mean and pixel std of μ(z), the latent mean and covariance, and the
//   traces of the diagnostics are computed from them.
// - Diagnostics per chain-level summary (the misfit Φ and the first tracked_coordinates
//   latent coordinates): rank-normalized split-R̂, bulk ESS and ESS of the mean
//   (mcmc_diagnostics.hpp). rhat_warning is set when any R̂ exceeds rhat_threshold (or is
//   not finite), with a message in `warning`.

#include <cstdint>
#include <string>
#include <vector>

#include "core/dense.hpp"
#include "core/petsc.hpp"
#include "diagnostics/mcmc_diagnostics.hpp"
#include "inference/latent_problem.hpp"
#include "operators/linear_operator.hpp"

namespace priorbench {

struct PcnOptions {
  std::size_t chains = 4;
  std::size_t temperatures = 4;               // ladder length; 1 is plain pCN
  double hottest_inverse_temperature = 0.05;  // β of the hottest level of the geometric ladder
  std::vector<double> inverse_temperatures;   // explicit ladder, starting with 1, decreasing
  std::size_t burn_in = 1000;                 // steps with adaptation, discarded
  std::size_t samples = 2000;                 // steps after burn-in
  std::size_t thinning = 1;                   // keep every thinning-th post-burn-in state
  double initial_step = 0.2;                  // ρ
  double target_acceptance = 0.25;
  std::size_t tracked_coordinates = 4;  // latent coordinates traced for ESS and R̂
  bool keep_draws = false;              // keep the cold chains' latent draws in the result
  std::vector<double> initial_latent;   // empty: independent prior draws per chain and level
  double rhat_threshold = 1.01;
  std::uint64_t seed = 0;
  std::uint64_t task = 0;
};

struct PcnResult {
  std::vector<double> image_mean;  // posterior mean of μ(z), on every rank
  std::vector<double> image_std;   // posterior pixel std of μ(z), on every rank
  petsc::Vector mean;              // the same two in the operator's domain layout
  petsc::Vector std;
  std::vector<double> latent_mean;
  DenseMatrix latent_covariance;  // m×m, divisor (draws − 1)

  std::string likelihood;
  std::string noise_route;
  std::size_t chains = 0;
  std::size_t draws_per_chain = 0;             // kept (thinned) cold draws per chain
  std::vector<double> inverse_temperatures;    // the ladder used
  std::vector<double> step_sizes;              // final ρ per temperature
  std::vector<double> acceptance_rates;        // per temperature, after burn-in, pooled over chains
  std::vector<double> chain_acceptance_rates;  // cold level, per chain, after burn-in
  std::vector<double> swap_rates;              // per adjacent pair (t, t+1), after burn-in
  std::vector<ChainDiagnostics> diagnostics;   // misfit, z[0], z[1], ...
  double max_rhat = 0;
  double min_ess_bulk = 0;
  bool rhat_warning = false;
  std::string warning;
  std::vector<double> draws;  // keep_draws: chains × draws_per_chain × m (chain-major)

  GeneratorCounts generator_counts;
  OperatorCounts operator_counts;
  double seconds = 0;
};

PcnResult pcn_sample(const LatentProblem& problem, const PcnOptions& options = {});

// The ladder the options describe: explicit, or β_t = β_min^{t/(T−1)}.
std::vector<double> inverse_temperature_ladder(const PcnOptions& options);

}  // namespace priorbench
