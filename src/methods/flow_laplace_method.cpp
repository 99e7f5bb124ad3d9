#include "methods/flow_laplace_method.hpp"

#include "core/memory_budget.hpp"
#include "inference/flow_map.hpp"
#include "inference/latent_laplace.hpp"

namespace priorbench {
namespace {

class FlowLaplaceMethod final : public ReconstructionMethod {
 public:
  FlowLaplaceMethod(FlowLaplaceMethodOptions options, GeneratorSource generator)
      : options_(options), generator_(std::move(generator)) {}

 protected:
  MethodOutcome reconstruct_impl(const Observation& observation) override {
    const LatentProblem problem = make_flow_problem(observation, generator_(), "flow_laplace");
    const std::uint64_t n = problem.image_size();
    require_memory({3, n, n}, sizeof(double), "flow_laplace: the dense n x n Jacobian and Gauss-Newton factors");
    const LatentMapResult map = flow_map(problem, options_.flow.map_options(observation.random));
    LatentLaplaceResult laplace = latent_laplace(problem, map.latent);
    MethodOutcome outcome;
    record_latent_map(outcome, map);
    outcome.details["flow_log_prior"] = -map.prior_term;
    outcome.generator_route = problem.generator().route();
    outcome.mean = std::move(laplace.mean);
    outcome.std = std::move(laplace.std);
    outcome.std_exact = true;  // exact for the Gauss–Newton covariance it reports
    outcome.std_method = "gauss-newton";
    add_generator_cost(outcome, laplace.generator_counts, laplace.latent.size());
    add_operator_cost(outcome, laplace.operator_counts);
    return outcome;
  }

 private:
  FlowLaplaceMethodOptions options_;
  GeneratorSource generator_;
};

}  // namespace

std::unique_ptr<ReconstructionMethod> make_flow_laplace_method(const FlowLaplaceMethodOptions& options,
                                                               GeneratorSource generator) {
  return std::make_unique<FlowLaplaceMethod>(options, std::move(generator));
}

}  // namespace priorbench
