#pragma once
// What the generator-based methods (laplace, latent_map, latent_laplace, latent_mcmc)
// share: the latent problem of an observation, the latent MAP's options for it, and how a
// latent MAP result is recorded in an outcome.

#include <memory>

#include "inference/latent_map.hpp"
#include "inference/latent_problem.hpp"
#include "methods/method.hpp"
#include "methods/method_options.hpp"

namespace priorbench {

LatentProblem make_latent_problem(const Observation& observation, std::shared_ptr<const Generator> generator,
                                  const LatentOptions& options);

// The latent MAP's options: starts as `options` says, draws keyed by the observation.
LatentMapOptions latent_map_options(const LatentOptions& options, const RandomKey& random);

// z*, its objective, the kept start's reason and (with `with_cost`) its cost; the
// outcome is not converged when no start was accepted.
void record_latent_map(MethodOutcome& outcome, const LatentMapResult& map, bool with_cost = true);

// A method given its generator lazily (loaded on first use by the resources).
using GeneratorSource = std::function<std::shared_ptr<const Generator>()>;

}  // namespace priorbench
