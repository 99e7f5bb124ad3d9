#include "methods/flow_map_method.hpp"

#include "core/error.hpp"
#include "inference/flow_map.hpp"

namespace priorbench {

void FlowOptions::validate(const FieldNamer& field) const {
  PB_REQUIRE(map_prior_starts >= 0 && map_prior_starts <= kMaxMapPriorStarts, field("map_prior_starts"),
             " must be in [0, ", kMaxMapPriorStarts, "], got ", map_prior_starts);
}

LatentMapOptions FlowOptions::map_options(const RandomKey& random) const {
  LatentMapOptions options = default_flow_map_options();
  options.solver = map_solver;
  options.prior_draw_starts = map_prior_starts;
  options.seed = random.seed;
  options.task = random.task;
  return options;
}

LatentProblem make_flow_problem(const Observation& observation, std::shared_ptr<const Generator> generator,
                                const std::string& method) {
  PB_REQUIRE(generator->flow() != nullptr, method, ": needs a normalizing flow (a model of kind 'flow'); ",
             generator->description(), " is not one");
  return LatentProblem(std::move(generator), observation.forward, observation.data, observation.sigma);
}

namespace {

class FlowMapMethod final : public ReconstructionMethod {
 public:
  FlowMapMethod(FlowMapMethodOptions options, GeneratorSource generator)
      : options_(options), generator_(std::move(generator)) {}

 protected:
  MethodOutcome reconstruct_impl(const Observation& observation) override {
    const LatentProblem problem = make_flow_problem(observation, generator_(), "flow_map");
    LatentMapResult map = flow_map(problem, options_.flow.map_options(observation.random));
    MethodOutcome outcome;
    outcome.mean = std::move(map.estimate);
    outcome.generator_route = problem.generator().route();
    record_latent_map(outcome, map);
    outcome.details["flow_log_prior"] = -map.prior_term;
    return outcome;
  }

 private:
  FlowMapMethodOptions options_;
  GeneratorSource generator_;
};

}  // namespace

std::unique_ptr<ReconstructionMethod> make_flow_map_method(const FlowMapMethodOptions& options,
                                                           GeneratorSource generator) {
  return std::make_unique<FlowMapMethod>(options, std::move(generator));
}

}  // namespace priorbench
