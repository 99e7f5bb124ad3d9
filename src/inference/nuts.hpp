#pragma once
// The No-U-Turn Sampler (Hoffman & Gelman 2014) in the multinomial form of Stan
// (Betancourt 2017, "A conceptual introduction to Hamiltonian Monte Carlo", App. A;
// stan/mcmc/hmc/nuts/base_nuts.hpp) for a density π(q) ∝ exp(−U(q)) on R^m, with Stan's
// windowed warm-up (nuts_adaptation.hpp). The dynamics are those of hamiltonian.hpp.
//
// One transition from q: draw p ~ N(0, M), H0 = H(q, p). Double a trajectory of leapfrog
// steps of size ε, each doubling in a uniformly random time direction, until
//   - a U-turn: for the whole trajectory and every subtree built, with ρ the sum of the
//     momenta over it and p♯ = M⁻¹p at its two ends, p♯₋·ρ ≤ 0 or p♯₊·ρ ≤ 0; when two
//     adjacent pieces merge, also for each piece extended by the first point of the other
//     (Stan's additional checks across merged subtrees, which catch U-turns that fall
//     between the pieces);
//   - a divergence: H − H0 > max_energy_error (1000) at some leaf, or a non-finite U, ∇U;
//   - or max_tree_depth doublings (2^depth − 1 leapfrog steps).
// A doubling that ends in a U-turn or divergence inside its new subtree is discarded whole.
// Every point z of the trajectory carries the weight w(z) = exp(H0 − H(z)); the draw is
// chosen by multinomial sampling in two forms: within a subtree, uniformly in proportion to
// the weights (the second half replaces the proposal with probability w₂/(w₁ + w₂)); at the
// top level biased progressively toward the new subtree (it replaces the draw with
// probability min(1, w_new/w_old)), which moves farther from q and leaves π invariant.
// The acceptance statistic of a transition is the mean of min(1, w(z)) over all its leaves;
// the step size adaptation drives it toward target_acceptance.
//
// Chains advance in lockstep: at each leapfrog round, every chain still building its tree
// moves to its next position, and all of these positions are evaluated in ONE call of the
// batched potential (at most max_batch points per call; 0 = all chains). The tree is built
// iteratively, not recursively: completed subtrees sit on a stack and merge like the carries
// of a binary counter, in the same order as Stan's recursion. A chain whose tree has
// finished waits for the others; the next iteration starts together.
//
// Randomness is counter-based: CounterRandom(seed, task, Purpose::nuts_*, stream = chain).
// Iteration t of a chain reads the momentum normals at [t·m, (t+1)·m) of nuts_momentum and the
// uniforms of its tree at the block [t·B, (t+1)·B) of nuts_trajectory, B = 2D + 2^D with
// D = max_tree_depth (direction and top-level choice per doubling, one per subtree merge);
// the k-th step-size search of a chain reads its momenta from nuts_step_size_search at
// k·2³² + trial·m. Results therefore depend on neither the batching nor the schedule.
//
// Cost: per iteration and chain, n_leapfrog evaluations of U and ∇U (2^depth − 1 when the
// tree is not cut short) and 2 products with M⁻¹ per step; per batched call, the points of
// the chains still building. Warm-up adds a step-size search (a few single steps) at the
// start and after each metric update.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/dense.hpp"
#include "diagnostics/mcmc_diagnostics.hpp"
#include "inference/hamiltonian.hpp"
#include "inference/nuts_adaptation.hpp"

namespace priorbench {

struct NutsOptions {
  std::size_t chains = 4;      // at least 4 (DESIGN §2)
  std::size_t warmup = 1000;   // iterations with adaptation, discarded
  std::size_t samples = 1000;  // kept iterations per chain
  std::size_t max_tree_depth = 10;
  double max_energy_error = 1000;                // H − H0 beyond this is a divergence
  DualAveragingParameters step_size_adaptation;  // δ = 0.8, γ = 0.05, t0 = 10, κ = 0.75
  double initial_step_size = 1;                  // start of the step-size search; the step size itself when warmup = 0

  MetricKind metric = MetricKind::dense;
  bool adapt_metric = true;
  DenseMatrix initial_inverse_metric;  // M⁻¹ at the start (m×m SPD); empty: the identity
  std::size_t initial_buffer = 75;     // Stan's windows (nuts_adaptation.hpp)
  std::size_t base_window = 25;
  std::size_t terminal_buffer = 50;

  std::size_t max_batch = 0;                   // most points per potential call; 0: all chains in one call
  bool keep_draws = false;                     // keep every chain's draws (chains × samples × m)
  std::size_t tracked_coordinates = SIZE_MAX;  // coordinates diagnosed (the first k; all by default)
  std::string coordinate_name = "q";           // diagnostics name coordinate j "q[j]"
  ConvergenceCriteria convergence;             // R̂ ≤ 1.01, bulk and tail ESS ≥ 400, no divergence
  std::uint64_t seed = 0;
  std::uint64_t task = 0;
};

// One transition of one chain, as Stan reports it.
struct NutsTransition {
  double accept_stat = 0;          // mean of min(1, exp(H0 − H)) over the leaves
  std::size_t tree_depth = 0;      // doublings kept
  std::size_t leapfrog_steps = 0;  // including those of a discarded last doubling
  bool divergent = false;
  double energy = 0;     // H at the draw
  double potential = 0;  // U at the draw
  double step_size = 0;  // ε used
};

struct NutsResult {
  std::size_t chains = 0;
  std::size_t dimension = 0;        // m
  std::size_t draws_per_chain = 0;  // = samples
  std::vector<double> draws;        // keep_draws: chains × draws_per_chain × m, chain-major

  std::vector<std::vector<double>> chain_means;  // per chain, m each
  std::vector<double> mean;                      // pooled over chains
  DenseMatrix covariance;                        // pooled, m×m, divisor (draws − 1)

  std::vector<NutsTransition> warmup_transitions;  // chains × warmup, chain-major
  std::vector<NutsTransition> transitions;         // chains × samples, chain-major
  std::vector<double> step_sizes;                  // per chain, after adaptation
  std::vector<DenseMatrix> inverse_metrics;        // per chain, after adaptation (m×m)
  std::vector<std::size_t> metric_window_ends;     // warm-up iterations after which the metric was re-estimated

  // Diagnostics of the kept draws: "potential" (U) and the tracked coordinates.
  std::vector<ChainDiagnostics> diagnostics;
  std::vector<double> e_bfmi;      // per chain, from the energies
  std::size_t divergences = 0;     // after warm-up
  std::size_t max_depth_hits = 0;  // after warm-up, transitions that stopped at max_tree_depth
  std::size_t warmup_divergences = 0;
  ConvergenceVerdict verdict;

  std::int64_t gradient_evaluations = 0;         // points at which U and ∇U were evaluated, all phases
  std::int64_t warmup_gradient_evaluations = 0;  // of which before the first kept iteration
  std::int64_t potential_calls = 0;              // batched calls
  double seconds = 0;
};

// Samples π ∝ exp(−U) from `initial_points` (chains × m, row-major), one start per chain.
NutsResult nuts_sample(const BatchedPotential& potential, std::span<const double> initial_points, std::size_t dimension,
                       const NutsOptions& options = {});

}  // namespace priorbench
