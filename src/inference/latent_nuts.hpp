#pragma once
// `latent_mcmc` by NUTS (DESIGN §2, method 6): draws from the latent posterior
//   π(z | y) ∝ exp(−U(z)),   U(z) = Φ(z) + ½‖z‖²,   ∇U(z) = J(z)ᵀ Aᵀ Σ⁻¹ (A μ(z) − y) + z
// (Φ and Σ of latent_problem.hpp), by the multinomial NUTS engine of nuts.hpp, pushed through
// the decoder: the posterior mean E[μ(z) | y] and pixel standard deviations of μ(z), or with
// `predictive` those of x = μ(z) + Γ(z)^{1/2} ε, whose variance is Var μ_i(z) + E Γ_i(z) by the
// law of total variance (computed so from the draws; no ε is drawn).
//
// Start. The latent Laplace approximation at the MAP makes the target near-isotropic:
//   1. the latent MAP z* from its usual starts (latent_map.hpp);
//   2. Σ_z = (Mᵀ Σ⁻¹ M + I)⁻¹ at z* (latent_laplace.hpp), the initial inverse metric;
//   3. chain c starts at o_(c mod K) + s L ξ_c, L Lᵀ = Σ_z, ξ_c ~ N(0, I), s = start_spread (2):
//      over-dispersed by s posterior standard deviations around the K distinct accepted MAP
//      optima o_0 = z*, o_1, … (best objective first; two optima are the same when
//      ‖L⁻¹(o_a − o_b)‖ ≤ 1, i.e. within one posterior standard deviation) that hold a
//      non-negligible share of the posterior. A multimodal posterior whose modes the MAP
//      starts found then shows in R̂ instead of being hidden.
//      An optimum's share is its Laplace mass exp(−U(o_k)) det(Σ_k)^{1/2} (Σ_k the latent
//      Laplace covariance at o_k; one more Jacobian per candidate) relative to z*'s. An optimum
//      below min_mode_mass (10⁻³) of z*'s gets no chain: a local minimum of the misfit whose
//      U is, e.g., 388 above z*'s (measured on an MRI slice at σ = 0.01) carries e^-388 of the
//      mass, and chains started there stay there, so R̂ would report a multimodality the
//      posterior does not have. A mode of mass fraction p moves the posterior mean by at most
//      p times its distance from the rest: below 10⁻³ that is under the Monte Carlo error of
//      the default run (≈ 0.03 posterior standard deviations) unless the mode lies more than
//      30 standard deviations away. Dropped optima are counted (`negligible_optima`).
//
// Warm-up: Stan's windows (nuts_adaptation.hpp) with the first slow window base_window long.
// Stan's 25 draws estimate an m×m covariance badly when m > 24 and would replace the good
// Laplace metric by a rank-deficient one (docs/methods.md, "initial metric"); the default
// base_window = 0 means max(25, 3m).
//
// Tracked quantities, judged by the engine's contract (R̂ ≤ 1.01 bulk and tail, bulk and
// tail ESS ≥ 400, no divergence after warm-up): U and every latent coordinate z_j. U is
// Stan's lp__, the quantity that mixes slowest when a chain has not found the typical set's
// radial extent; the coordinates cover every direction of the posterior (m is small: 16 for
// the Fashion-MNIST VAEs) and the latent mean is an output. Pixels are not tracked: they are
// functions μ(z) of the coordinates, and thousands of R̂ checks at 1.01 would fail by chance.
//
// Determinism: every random number is counter-based (nuts.hpp; the start perturbations from
// CounterRandom(seed, task, Purpose::latent_nuts_starts, stream = chain)). Every rank runs
// the same replicated computation; U, ∇U, the starts and Σ_z are broadcast from rank 0, so
// every decision is the same on every rank, and the results do not depend on the rank count
// beyond the rounding of A's distributed products.
//
// Cost: the latent MAP and one Jacobian (latent_laplace), then per leapfrog round ONE batched
// decode of the chains still building their trees plus one A, Aᵀ and VJP per chain
// (LatentProblem::objectives_and_gradients), then one batched decode of the kept draws.

#include <cstdint>
#include <string>
#include <vector>

#include "core/dense.hpp"
#include "core/petsc.hpp"
#include "diagnostics/mcmc_diagnostics.hpp"
#include "inference/latent_map.hpp"
#include "inference/latent_problem.hpp"
#include "inference/nuts.hpp"

namespace priorbench {

struct LatentNutsOptions {
  std::size_t chains = 4;           // at least 4
  std::size_t warmup = 300;         // adapted iterations, discarded (docs/methods.md: measured defaults)
  std::size_t samples = 500;        // kept iterations per chain
  std::size_t max_tree_depth = 10;  // at most 2^depth − 1 leapfrog steps per iteration
  double target_acceptance = 0.8;   // δ of the step-size dual averaging
  MetricKind metric = MetricKind::dense;
  std::size_t base_window = 0;  // first slow warm-up window; 0: max(25, 3m)
  double start_spread = 2;      // s: starts at o + s L ξ
  double min_mode_mass = 1e-3;  // MAP optima of smaller Laplace mass relative to z*'s get no chain
  bool predictive = false;      // pixel std of x = μ(z) + Γ^{1/2} ε instead of μ(z)
  bool keep_draws = false;      // keep the latent draws (chains × samples × m) in the result
  LatentMapOptions map;         // the latent MAP's starts (its seed and task are the two below)
  ConvergenceCriteria convergence;
  std::size_t max_batch = 0;  // most latents per decoder call; 0: all chains of a round
  std::uint64_t seed = 0;
  std::uint64_t task = 0;
};

// A distinct accepted MAP optimum and its Laplace mass relative to z*'s (step 3 above).
struct MapOptimum {
  std::vector<double> latent;
  double objective = 0;          // U(o_k)
  double log_relative_mass = 0;  // log of exp(−U(o_k)) det(Σ_k)^{1/2} / (exp(−U(z*)) det(Σ_z)^{1/2}); 0 for z*
};

// Where the chains start (step 3 above).
struct LatentNutsStarts {
  std::vector<double> points;                 // chains × m, row-major
  std::vector<std::vector<double>> optima;    // the distinct MAP optima that got chains, best first
  std::vector<double> log_relative_masses;    // per entry of `optima`
  std::vector<std::size_t> optimum_of_chain;  // index into `optima` per chain
  std::size_t negligible_optima = 0;          // distinct optima below min_mode_mass, given no chain
};

struct LatentNutsResult {
  std::vector<double> image_mean;  // E[μ(z) | y], on every rank
  std::vector<double> image_std;   // pixel std of μ(z), or of x with `predictive`, on every rank
  petsc::Vector mean;              // the same two in the operator's domain layout
  petsc::Vector std;
  bool predictive = false;
  std::vector<double> latent_mean;
  DenseMatrix latent_covariance;  // m×m, divisor (draws − 1)

  LatentMapResult map;             // the latent MAP the start was built from
  DenseMatrix laplace_covariance;  // Σ_z at z*, the initial inverse metric
  LatentNutsStarts starts;
  NutsResult nuts;  // draws (keep_draws), transitions, step sizes, metrics, diagnostics, verdict

  // Summaries of nuts.diagnostics over the tracked quantities (U, z_0 … z_{m−1}).
  double max_rhat = 0;
  double min_ess_bulk = 0;
  double min_ess_tail = 0;
  double min_e_bfmi = 0;        // over chains
  double ess_per_second = 0;    // min_ess_bulk / seconds (the whole call: MAP, Laplace, warm-up, draws)
  double ess_per_gradient = 0;  // min_ess_bulk / nuts.gradient_evaluations (warm-up included)

  std::string likelihood;
  std::string noise_route;
  GeneratorCounts generator_counts;  // spent by this call, MAP included
  OperatorCounts operator_counts;
  double seconds = 0;
};

LatentNutsResult latent_nuts_sample(const LatentProblem& problem, const LatentNutsOptions& options = {});
// The same, with NUTS driven by `potential` instead of latent_potential(problem) (the MAP and
// Σ_z still come from `problem`): a tempered target, or — in the tests — a sampler whose
// energies disagree with its gradients, which calibration must reject.
LatentNutsResult latent_nuts_sample(const LatentProblem& problem, const LatentNutsOptions& options,
                                    const BatchedPotential& potential);

// The distinct accepted optima of a latent MAP result, z* first, then by objective; optima
// within one posterior standard deviation (Σ_z at z*) of a better one are dropped. Their
// log_relative_mass is left 0: latent_nuts_sample fills it in from the Laplace covariance at each.
std::vector<MapOptimum> distinct_map_optima(const LatentMapResult& map, const DenseMatrix& laplace_covariance);

// log of the Laplace mass exp(−U) det(Σ)^{1/2} of a mode with objective U and covariance Σ
// (the common factor (2π)^{m/2} left out).
double laplace_log_mass(double objective, const DenseMatrix& covariance);

// Step 3 from the optima (distinct_map_optima with their masses) and Σ_z at z* (the same on
// every rank given the same inputs): chains go round the optima of relative mass at least
// options.min_mode_mass.
LatentNutsStarts latent_nuts_starts(const std::vector<MapOptimum>& optima, const DenseMatrix& laplace_covariance,
                                    const LatentNutsOptions& options);

// E Γ(z) over latents (count × m, row-major): the decoder-noise term of the predictive pixel
// variance Var x_i = Var μ_i(z) + E Γ_i(z) (one decoder-variance evaluation per latent).
std::vector<double> mean_decoder_variance(const Generator& generator, std::span<const double> latents);

// U and ∇U of the latent posterior as the NUTS engine wants them: a batch in one call of
// LatentProblem::objectives_and_gradients, the numbers broadcast from rank 0.
BatchedPotential latent_potential(const LatentProblem& problem);

}  // namespace priorbench
