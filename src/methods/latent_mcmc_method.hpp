#pragma once
// `latent_mcmc` (DESIGN §2, method 6): posterior sampling of z | y, pushed through the
// decoder: x̂ = E[μ(z) | y], pixel std of μ(z). The sampler is pCN with parallel
// tempering (inference/pcn.hpp). A run whose chains have not mixed (split-R̂ above the
// threshold) is recorded as not converged: its mean and std are not the posterior's.

#include <cstddef>
#include <memory>

#include "methods/latent_common.hpp"

namespace priorbench {

struct LatentMcmcOptions {
  LatentOptions latent;
  std::size_t chains = 4;                     // key chains (at least 4)
  std::size_t temperatures = 4;               // key temperatures (1: plain pCN)
  std::size_t burn_in = 1000;                 // key burn_in
  std::size_t samples = 2000;                 // key samples (at least 10)
  std::size_t thinning = 1;                   // key thinning
  double hottest_inverse_temperature = 0.05;  // key hottest_inverse_temperature
  void validate(const FieldNamer& field) const;
};

std::unique_ptr<ReconstructionMethod> make_latent_mcmc_method(const LatentMcmcOptions& options,
                                                              GeneratorSource generator);

}  // namespace priorbench
