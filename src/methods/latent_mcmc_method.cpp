#include "methods/latent_mcmc_method.hpp"

#include <cmath>

#include "core/error.hpp"
#include "inference/pcn.hpp"

namespace priorbench {

void LatentMcmcOptions::validate(const FieldNamer& field) const {
  latent.validate(field);
  PB_REQUIRE(chains >= 4, field("chains"), " must be at least 4, got ", chains);
  PB_REQUIRE(temperatures >= 1, field("temperatures"), " must be at least 1, got ", temperatures);
  PB_REQUIRE(samples >= 10, field("samples"), " must be at least 10, got ", samples);
  PB_REQUIRE(thinning >= 1, field("thinning"), " must be at least 1, got ", thinning);
  PB_REQUIRE(hottest_inverse_temperature > 0 && hottest_inverse_temperature <= 1, field("hottest_inverse_temperature"),
             " must be in (0, 1], got ", hottest_inverse_temperature);
}

namespace {

class LatentMcmcMethod final : public ReconstructionMethod {
 public:
  LatentMcmcMethod(LatentMcmcOptions options, GeneratorSource generator)
      : options_(options), generator_(std::move(generator)) {}

 protected:
  MethodOutcome reconstruct_impl(const Observation& observation) override {
    const LatentProblem problem = make_latent_problem(observation, generator_(), options_.latent);
    const PcnOptions pcn = pcn_options(observation.random);
    PcnResult result = pcn_sample(problem, pcn);
    MethodOutcome outcome;
    outcome.mean = std::move(result.mean);
    outcome.generator_route = problem.generator().route();
    outcome.std = std::move(result.std);
    outcome.std_exact = false;
    outcome.std_method = "mcmc";
    outcome.latent = result.latent_mean;
    outcome.iterations = static_cast<std::int64_t>(result.chains * (pcn.burn_in + pcn.samples));
    outcome.warning = result.warning;
    // A sampler's convergence criterion is its R̂: chains that have not mixed give a mean
    // and std that are not the posterior's, so the run is flagged like a failed solve.
    outcome.converged = !result.rhat_warning;
    outcome.solver_reason = result.rhat_warning ? "RHAT_ABOVE_THRESHOLD" : "RHAT_OK";
    outcome.details["max_rhat"] = result.max_rhat;
    outcome.details["min_ess_bulk"] = result.min_ess_bulk;
    outcome.details["cold_acceptance"] = result.acceptance_rates.empty() ? 0.0 : result.acceptance_rates.front();
    add_generator_cost(outcome, result.generator_counts, result.latent_mean.size());
    add_operator_cost(outcome, result.operator_counts);
    return outcome;
  }

 private:
  PcnOptions pcn_options(const RandomKey& random) const {
    PcnOptions pcn;
    pcn.chains = options_.chains;
    pcn.temperatures = options_.temperatures;
    pcn.burn_in = options_.burn_in;
    pcn.samples = options_.samples;
    pcn.thinning = options_.thinning;
    pcn.hottest_inverse_temperature = options_.hottest_inverse_temperature;
    pcn.seed = random.seed;
    pcn.task = random.task;
    return pcn;
  }

  LatentMcmcOptions options_;
  GeneratorSource generator_;
};

}  // namespace

std::unique_ptr<ReconstructionMethod> make_latent_mcmc_method(const LatentMcmcOptions& options,
                                                              GeneratorSource generator) {
  return std::make_unique<LatentMcmcMethod>(options, std::move(generator));
}

}  // namespace priorbench
