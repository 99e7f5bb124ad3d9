#include "methods/latent_laplace_method.hpp"

#include "inference/latent_laplace.hpp"

namespace priorbench {
namespace {

class LatentLaplaceMethod final : public ReconstructionMethod {
 public:
  LatentLaplaceMethod(LatentLaplaceMethodOptions options, GeneratorSource generator)
      : options_(options), generator_(std::move(generator)) {}

 protected:
  MethodOutcome reconstruct_impl(const Observation& observation) override {
    const LatentProblem problem = make_latent_problem(observation, generator_(), options_.latent);
    const LatentMapResult map = latent_map(problem, latent_map_options(options_.latent, observation.random));
    LatentLaplaceResult laplace = latent_laplace(problem, map.latent);
    MethodOutcome outcome;
    record_latent_map(outcome, map);
    outcome.generator_route = problem.generator().route();
    outcome.mean = std::move(laplace.mean);
    outcome.std = std::move(laplace.std);
    outcome.std_exact = true;  // exact for the Gauss–Newton covariance it reports
    outcome.std_method = "gauss-newton";
    outcome.latent_covariance = std::move(laplace.latent_covariance);
    add_generator_cost(outcome, laplace.generator_counts, laplace.latent.size());
    add_operator_cost(outcome, laplace.operator_counts);
    return outcome;
  }

 private:
  LatentLaplaceMethodOptions options_;
  GeneratorSource generator_;
};

}  // namespace

std::unique_ptr<ReconstructionMethod> make_latent_laplace_method(const LatentLaplaceMethodOptions& options,
                                                                 GeneratorSource generator) {
  return std::make_unique<LatentLaplaceMethod>(options, std::move(generator));
}

}  // namespace priorbench
