#include "methods/flow_laplace_method.hpp"

#include "core/memory_budget.hpp"
#include "inference/flow_map.hpp"
#include "inference/latent_laplace.hpp"
#include "inference/low_rank_laplace.hpp"

namespace priorbench {
namespace {

void record_dense(MethodOutcome& outcome, LatentLaplaceResult laplace) {
  outcome.mean = std::move(laplace.mean);
  outcome.std = std::move(laplace.std);
  outcome.std_exact = true;  // exact for the Gauss–Newton covariance it reports
  outcome.std_method = "gauss-newton";
  add_generator_cost(outcome, laplace.generator_counts, laplace.latent.size());
  add_operator_cost(outcome, laplace.operator_counts);
}

// The eigenvalues say how much was left out: λ_k ≪ 1 means the discarded directions
// barely move the variance.
void record_low_rank(MethodOutcome& outcome, LowRankLaplaceResult laplace, std::size_t data_size) {
  const std::size_t rank = laplace.eigenvalues.size();
  outcome.mean = std::move(laplace.mean);
  outcome.std = std::move(laplace.std);
  outcome.std_exact = rank >= data_size;  // the misfit Hessian of a flow has rank d
  outcome.std_method = "gauss-newton-low-rank";
  outcome.details["laplace_rank"] = static_cast<double>(rank);
  outcome.details["laplace_largest_eigenvalue"] = laplace.eigenvalues.front();
  outcome.details["laplace_smallest_eigenvalue"] = laplace.eigenvalues.back();
  outcome.details["laplace_svd_iterations"] = static_cast<double>(laplace.svd_iterations);
  add_generator_cost(outcome, laplace.generator_counts, laplace.image.size());
  add_operator_cost(outcome, laplace.operator_counts);
}

class FlowLaplaceMethod final : public ReconstructionMethod {
 public:
  FlowLaplaceMethod(FlowLaplaceMethodOptions options, GeneratorSource generator)
      : options_(options), generator_(std::move(generator)) {}

 protected:
  MethodOutcome reconstruct_impl(const Observation& observation) override {
    const LatentProblem problem = make_flow_problem(observation, generator_(), "flow_laplace");
    const std::uint64_t n = problem.image_size();
    if (options_.rank == 0) {
      require_memory({3, n, n}, sizeof(double), "flow_laplace: the dense n x n Jacobian and Gauss-Newton factors");
    } else {
      require_memory({n, n + 2 * options_.rank}, sizeof(double),
                     "flow_laplace: the n x n Jacobian and the rank-k directions");
    }
    const LatentMapResult map = flow_map(problem, options_.flow.map_options(observation.random));
    MethodOutcome outcome;
    record_latent_map(outcome, map);
    outcome.details["flow_log_prior"] = -map.prior_term;
    outcome.generator_route = problem.generator().route();
    if (options_.rank == 0) {
      record_dense(outcome, latent_laplace(problem, map.latent));
    } else {
      record_low_rank(outcome, low_rank_laplace(problem, map.latent, {.rank = options_.rank}), problem.data_size());
    }
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
