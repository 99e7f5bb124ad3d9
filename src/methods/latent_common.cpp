#include "methods/latent_common.hpp"

namespace priorbench {

LatentProblem make_latent_problem(const Observation& observation, std::shared_ptr<const Generator> generator,
                                  const LatentOptions& options) {
  LatentProblemOptions problem;
  problem.likelihood = options.likelihood;
  return LatentProblem(std::move(generator), observation.forward, observation.data, observation.sigma, problem);
}

LatentMapOptions latent_map_options(const LatentOptions& options, const RandomKey& random) {
  LatentMapOptions map;
  map.solver = options.map_solver;
  map.prior_draw_starts = options.map_prior_starts;
  map.seed = random.seed;
  map.task = random.task;
  return map;
}

void record_latent_map(MethodOutcome& outcome, const LatentMapResult& map, bool with_cost) {
  outcome.converged = outcome.converged && map.converged;
  if (!map.warning.empty()) outcome.warning += (outcome.warning.empty() ? "" : "; ") + map.warning;
  outcome.iterations += map.iterations;
  outcome.latent = map.latent;
  outcome.solver_reason = map.starts.empty() ? "" : map.starts[map.best_start].reason_name;
  outcome.details["latent_objective"] = map.objective;
  outcome.details["latent_misfit"] = map.misfit;
  outcome.details["latent_gradient_norm"] = map.gradient_norm;
  if (with_cost) {
    add_generator_cost(outcome, map.generator_counts, map.latent.size());
    add_operator_cost(outcome, map.operator_counts);
  }
}

}  // namespace priorbench
