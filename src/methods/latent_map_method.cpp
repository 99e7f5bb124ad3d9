#include "methods/latent_map_method.hpp"

namespace priorbench {
namespace {

class LatentMapMethod final : public ReconstructionMethod {
 public:
  LatentMapMethod(LatentMapMethodOptions options, GeneratorSource generator)
      : options_(options), generator_(std::move(generator)) {}

 protected:
  MethodOutcome reconstruct_impl(const Observation& observation) override {
    const LatentProblem problem = make_latent_problem(observation, generator_(), options_.latent);
    LatentMapResult map = latent_map(problem, latent_map_options(options_.latent, observation.random));
    MethodOutcome outcome;
    outcome.mean = std::move(map.estimate);
    outcome.generator_route = problem.generator().route();
    record_latent_map(outcome, map);
    return outcome;
  }

 private:
  LatentMapMethodOptions options_;
  GeneratorSource generator_;
};

}  // namespace

std::unique_ptr<ReconstructionMethod> make_latent_map_method(const LatentMapMethodOptions& options,
                                                             GeneratorSource generator) {
  return std::make_unique<LatentMapMethod>(options, std::move(generator));
}

}  // namespace priorbench
