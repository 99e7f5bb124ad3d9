#include "methods/gaussian_prior_method.hpp"

namespace priorbench {

GaussianPriorMethod::GaussianPriorMethod(PriorBuilder builder, GaussianStdOptions std)
    : builder_(std::move(builder)), std_(std) {}

MethodOutcome GaussianPriorMethod::reconstruct_impl(const Observation& observation) {
  if (!prior_ || prior_comm_ != observation.comm()) {
    prior_ = builder_(observation);
    prior_comm_ = observation.comm();
  }
  const GaussianPosterior posterior(observation.forward, prior_, observation.sigma,
                                    std_.posterior(observation.random.seed, observation.random.task));
  MethodOutcome outcome = gaussian_outcome(posterior.solve(observation.data));
  outcome.prior = prior_;
  return outcome;
}

MethodOutcome gaussian_outcome(PosteriorResult result) {
  MethodOutcome outcome;
  outcome.mean = std::move(result.mean);
  outcome.std = std::move(result.std);
  outcome.std_exact = result.std_exact;
  outcome.std_method = result.std_method;
  outcome.solver_reason = result.mean_solve.reason_name;
  outcome.iterations = result.mean_solve.iterations + result.sample_iterations;
  outcome.forward_applications = result.forward_applications;
  outcome.adjoint_applications = result.adjoint_applications;
  outcome.details["ksp_residual_norm"] = result.mean_solve.residual_norm;
  outcome.details["std_samples"] = result.std_samples;
  return outcome;
}

}  // namespace priorbench
