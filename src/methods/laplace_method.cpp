#include "methods/laplace_method.hpp"

#include <cmath>

#include "core/error.hpp"
#include "methods/gaussian_prior_method.hpp"
#include "priors/linearized_generator_prior.hpp"

namespace priorbench {

void LaplaceOptions::validate(const FieldNamer& field) const {
  latent.validate(field);
  PB_REQUIRE(nugget >= 0 && std::isfinite(nugget), field("nugget"), " must be non-negative, got ", nugget);
  std.validate(field);
}

namespace {

class LaplaceMethod final : public ReconstructionMethod {
 public:
  LaplaceMethod(LaplaceOptions options, GeneratorSource generator)
      : options_(options), generator_(std::move(generator)) {}

 protected:
  MethodOutcome reconstruct_impl(const Observation& observation) override {
    const LatentProblem problem = make_latent_problem(observation, generator_(), options_.latent);
    require_nugget(problem.generator());
    // The prior's cost: choosing z0 (maybe a latent MAP) and the Jacobian at z0.
    const CostMeter prior_cost(problem);
    const ChosenLinearization z0 =
        choose_linearization_point(problem, options_.z0, latent_map_options(options_.latent, observation.random));
    const auto prior = make_linearized_generator_prior(observation.comm(), problem.generator(), z0.point,
                                                       options_.nugget, linearization_point_name(options_.z0));
    const GeneratorCounts generator_spent = prior_cost.generator_counts();
    const OperatorCounts operator_spent = prior_cost.operator_counts();

    const GaussianPosterior posterior(observation.forward, prior, observation.sigma,
                                      options_.std.posterior(observation.random.seed, observation.random.task));
    MethodOutcome outcome = gaussian_outcome(posterior.solve(observation.data));
    outcome.generator_route = problem.generator().route();
    if (z0.latent_map) {
      const std::string posterior_reason = outcome.solver_reason;  // the main solve's, not the MAP's
      record_latent_map(outcome, *z0.latent_map, false);
      outcome.solver_reason = posterior_reason;
    }
    add_generator_cost(outcome, generator_spent, problem.latent_dimension());
    add_operator_cost(outcome, operator_spent);
    outcome.latent = z0.point;
    outcome.prior = prior;
    outcome.details["nugget"] = options_.nugget;
    return outcome;
  }

 private:
  // A generator with Γ = 0 (a GAN) gives the rank-m prior covariance J Jᵀ, singular in
  // pixel space: the nugget is then part of the prior's definition, and no default would
  // be neutral (η² sets how far the prior lets x leave the generator's range, compared
  // with σ²), so it must be stated. Checked before the latent MAP spends anything.
  void require_nugget(const Generator& generator) const {
    PB_REQUIRE(options_.nugget > 0 || generator.decoder_variance_kind() != DecoderVariance::none,
               laplace_nugget_message());
  }

  LaplaceOptions options_;
  GeneratorSource generator_;
};

}  // namespace

std::string laplace_nugget_message() {
  return "laplace: the generator has no decoder variance (Gamma = 0, a GAN or a flow), so the prior J J^T has no "
         "room off the generator's range (a GAN's is singular); state a nugget eta^2 > 0 (study key nugget, solve "
         "--laplace-nugget)";
}

std::unique_ptr<ReconstructionMethod> make_laplace_method(const LaplaceOptions& options, GeneratorSource generator) {
  return std::make_unique<LaplaceMethod>(options, std::move(generator));
}

}  // namespace priorbench
