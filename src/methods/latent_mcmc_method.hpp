#pragma once
// `latent_mcmc` (DESIGN §2, method 6): posterior sampling of z | y, pushed through the
// decoder: x̂ = E[μ(z) | y] and the pixel std of μ(z) (or, with `predictive`, of
// x = μ(z) + Γ^{1/2} ε; recorded in std_method).
//
// Two samplers (key `sampler`):
//   nuts  (default) NUTS started at the latent MAP with the Laplace covariance as its metric
//         (inference/latent_nuts.hpp). Converged = the engine's contract: R̂ ≤ 1.01 (bulk
//         and tail) and bulk and tail ESS ≥ 400 over U and every latent coordinate, and no
//         divergence after warm-up; solver_reason and warning say which check failed.
//   pcn   pCN with parallel tempering (inference/pcn.hpp), for comparison and for multimodal
//         targets; converged when every split-R̂ is at most 1.01.
// Each sampler has its own keys; the study file accepts only those of the sampler chosen.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "inference/hamiltonian.hpp"
#include "methods/latent_common.hpp"

namespace priorbench {

enum class LatentSampler { nuts, pcn };

// "nuts", "pcn" (enum order).
const std::vector<std::string>& latent_sampler_names();

// Keys of sampler = "nuts"; defaults measured on studies/quickstart.toml (docs/methods.md).
struct LatentNutsSettings {
  std::size_t warmup = 300;               // key warmup (adapted iterations, discarded)
  std::size_t samples = 500;              // key samples (kept iterations per chain, at least 10)
  std::size_t max_tree_depth = 10;        // key max_tree_depth
  double target_acceptance = 0.8;         // key target_acceptance
  MetricKind metric = MetricKind::dense;  // key metric
  std::size_t base_window = 0;            // key base_window (0: max(25, 3m))
  double start_spread = 2;                // key start_spread (starts z* + s L ξ)
};

// Keys of sampler = "pcn" (the pCN defaults as before NUTS became the default).
struct LatentPcnSettings {
  std::size_t temperatures = 4;               // key temperatures (1: plain pCN)
  std::size_t burn_in = 1000;                 // key burn_in
  std::size_t samples = 2000;                 // key samples (at least 10)
  std::size_t thinning = 1;                   // key thinning
  double hottest_inverse_temperature = 0.05;  // key hottest_inverse_temperature
};

struct LatentMcmcOptions {
  LatentOptions latent;
  LatentSampler sampler = LatentSampler::nuts;  // key sampler
  std::size_t chains = 4;                       // key chains (at least 4)
  bool predictive = false;                      // key predictive
  LatentNutsSettings nuts;
  LatentPcnSettings pcn;
  void validate(const FieldNamer& field) const;
};

std::unique_ptr<ReconstructionMethod> make_latent_mcmc_method(const LatentMcmcOptions& options,
                                                              GeneratorSource generator);

}  // namespace priorbench
