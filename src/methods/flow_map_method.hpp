#pragma once
// `flow_map` (issue 15): the pixel-space MAP under a normalizing-flow prior with its exact
// density (inference/flow_map.hpp): x̂ = x* = f(z*). No uncertainty. Needs a model of kind
// "flow".

#include <memory>

#include "methods/latent_common.hpp"

namespace priorbench {

// Options of the flow methods (keys map_solver, map_prior_starts). A flow has Γ = 0: its
// likelihood is σ² I.
struct FlowOptions {
  LatentMapSolver map_solver = LatentMapSolver::levenberg_marquardt;  // lm | lbfgs
  int map_prior_starts = 0;  // prior draws z ~ N(0, I) among flow_map's starts, besides zero and adjoint
  void validate(const FieldNamer& field) const;
  LatentMapOptions map_options(const RandomKey& random) const;
};

struct FlowMapMethodOptions {
  FlowOptions flow;
  void validate(const FieldNamer& field) const { flow.validate(field); }
};

std::unique_ptr<ReconstructionMethod> make_flow_map_method(const FlowMapMethodOptions& options,
                                                           GeneratorSource generator);

// The latent problem of a flow method (seeds likelihood), refused naming the model when the
// generator is not a flow.
LatentProblem make_flow_problem(const Observation& observation, std::shared_ptr<const Generator> generator,
                                const std::string& method);

}  // namespace priorbench
