#include "study/generator_methods.hpp"

#include <limits>

#include "core/error.hpp"
#include "generative/generator.hpp"
#include "inference/gaussian_posterior.hpp"
#include "inference/latent_laplace.hpp"
#include "inference/latent_map.hpp"
#include "inference/latent_problem.hpp"
#include "inference/pcn.hpp"
#include "priors/linearized_generator_prior.hpp"
#include "study/method_options.hpp"

namespace priorbench {
namespace {

// Options every generator method shares.
struct LatentSettings {
  LatentProblemOptions problem;
  LatentMapOptions map;
};

LatentSettings latent_settings(MethodOptions& options) {
  LatentSettings settings;
  const std::string likelihood = options.text("likelihood", "seeds");
  PB_REQUIRE(likelihood == "seeds" || likelihood == "marginal", options.where("likelihood"),
             " must be 'seeds' or 'marginal', got '", likelihood, "'");
  settings.problem.likelihood = parse_likelihood(likelihood);
  settings.map.prior_draw_starts =
      static_cast<int>(options.count("map_prior_starts", 2, std::numeric_limits<int>::max()));
  return settings;
}

// Decoder work in item-passes: decodes per item, one per JVP and VJP, and m per full
// Jacobian (one batched forward-mode pass over m copies of z).
void add_counts(MethodOutcome& outcome, const GeneratorCounts& generator, const OperatorCounts& forward,
                std::size_t latent_dimension) {
  outcome.decoder_passes += generator.decoder_passes + generator.jvp + generator.vjp +
                            generator.jacobians * static_cast<std::int64_t>(latent_dimension);
  outcome.forward_applications += forward.forward;
  outcome.adjoint_applications += forward.adjoint;
}

class GeneratorMethod : public StudyMethod {
 public:
  GeneratorMethod(std::function<std::shared_ptr<const Generator>()> generator, LatentSettings settings)
      : generator_(std::move(generator)), settings_(std::move(settings)) {}

  MethodOutcome run(const TaskProblem& task) final {
    const LatentProblem problem(generator_(), task.forward, task.data, task.sigma, settings_.problem);
    LatentMapOptions map = settings_.map;
    map.seed = task.seed;
    map.task = static_cast<std::uint64_t>(task.task ? task.task->id : 0);
    return run(problem, map, task);
  }

 protected:
  virtual MethodOutcome run(const LatentProblem& problem, const LatentMapOptions& map, const TaskProblem& task) = 0;

 private:
  std::function<std::shared_ptr<const Generator>()> generator_;
  LatentSettings settings_;
};

void take_map(MethodOutcome& outcome, const LatentMapResult& map, bool with_counts = true) {
  outcome.converged = outcome.converged && map.converged;
  if (!map.warning.empty()) outcome.warning += (outcome.warning.empty() ? "" : "; ") + map.warning;
  outcome.iterations += map.iterations;
  outcome.latent = map.latent;
  outcome.solver_reason = map.starts.empty() ? "" : map.starts[map.best_start].reason_name;
  outcome.details["latent_objective"] = map.objective;
  outcome.details["latent_misfit"] = map.misfit;
  outcome.details["latent_gradient_norm"] = map.gradient_norm;
  if (with_counts) add_counts(outcome, map.generator_counts, map.operator_counts, map.latent.size());
}

class LatentMapMethod final : public GeneratorMethod {
 public:
  using GeneratorMethod::GeneratorMethod;

 protected:
  MethodOutcome run(const LatentProblem& problem, const LatentMapOptions& options, const TaskProblem&) override {
    LatentMapResult map = latent_map(problem, options);
    MethodOutcome outcome;
    outcome.mean = std::move(map.estimate);
    take_map(outcome, map);
    return outcome;
  }
};

class LatentLaplaceMethod final : public GeneratorMethod {
 public:
  using GeneratorMethod::GeneratorMethod;

 protected:
  MethodOutcome run(const LatentProblem& problem, const LatentMapOptions& options, const TaskProblem&) override {
    const LatentMapResult map = latent_map(problem, options);
    LatentLaplaceResult laplace = latent_laplace(problem, map.latent);
    MethodOutcome outcome;
    take_map(outcome, map);
    outcome.mean = std::move(laplace.mean);
    outcome.std = std::move(laplace.std);
    outcome.std_exact = true;  // exact for the Gauss–Newton covariance it reports
    outcome.std_method = "gauss-newton";
    add_counts(outcome, laplace.generator_counts, laplace.operator_counts, laplace.latent.size());
    return outcome;
  }
};

class LatentMcmcMethod final : public GeneratorMethod {
 public:
  LatentMcmcMethod(std::function<std::shared_ptr<const Generator>()> generator, LatentSettings settings, PcnOptions pcn)
      : GeneratorMethod(std::move(generator), std::move(settings)), pcn_(std::move(pcn)) {}

 protected:
  MethodOutcome run(const LatentProblem& problem, const LatentMapOptions& map, const TaskProblem&) override {
    PcnOptions options = pcn_;
    options.seed = map.seed;
    options.task = map.task;
    PcnResult result = pcn_sample(problem, options);
    MethodOutcome outcome;
    outcome.mean = std::move(result.mean);
    outcome.std = std::move(result.std);
    outcome.std_exact = false;
    outcome.std_method = "mcmc";
    outcome.latent = result.latent_mean;
    outcome.iterations = static_cast<std::int64_t>(result.chains * (options.burn_in + options.samples));
    outcome.warning = result.warning;
    // A sampler's convergence criterion is its R̂: chains that have not mixed give a mean
    // and std that are not the posterior's, so the run is flagged like a failed solve.
    outcome.converged = !result.rhat_warning;
    outcome.solver_reason = result.rhat_warning ? "RHAT_ABOVE_THRESHOLD" : "RHAT_OK";
    outcome.details["max_rhat"] = result.max_rhat;
    outcome.details["min_ess_bulk"] = result.min_ess_bulk;
    outcome.details["cold_acceptance"] = result.acceptance_rates.empty() ? 0.0 : result.acceptance_rates.front();
    add_counts(outcome, result.generator_counts, result.operator_counts, result.latent_mean.size());
    return outcome;
  }

 private:
  PcnOptions pcn_;
};

class LaplaceMethod final : public GeneratorMethod {
 public:
  LaplaceMethod(std::function<std::shared_ptr<const Generator>()> generator, LatentSettings settings,
                LinearizedPriorOptions prior, PosteriorOptions posterior)
      : GeneratorMethod(std::move(generator), std::move(settings)),
        prior_(std::move(prior)),
        posterior_(std::move(posterior)) {}

 protected:
  MethodOutcome run(const LatentProblem& problem, const LatentMapOptions& map, const TaskProblem& task) override {
    LinearizedPriorOptions options = prior_;
    options.latent_map = map;
    // The prior's cost (the z0 MAP and the Jacobian at z0), from the generator's counters.
    const GeneratorCounts before = problem.generator().counts();
    const OperatorCounts operator_before = problem.forward().forward().counts();
    const LinearizedPrior linearized = make_laplace_prior(problem, options);
    GeneratorCounts spent = problem.generator().counts();
    spent.decoder_passes -= before.decoder_passes;
    spent.jvp -= before.jvp;
    spent.vjp -= before.vjp;
    spent.jacobians -= before.jacobians;
    OperatorCounts operator_spent = problem.forward().forward().counts();
    operator_spent.forward -= operator_before.forward;
    operator_spent.adjoint -= operator_before.adjoint;
    PosteriorOptions posterior = posterior_;
    posterior.seed = map.seed;
    posterior.task = map.task;
    GaussianPosterior solver(task.forward, linearized.prior, task.sigma, posterior);
    MethodOutcome solved = gaussian_outcome(solver.solve(task.data));
    if (linearized.latent_map) {
      const std::string posterior_reason = solved.solver_reason;  // the main solve's, not the MAP's
      take_map(solved, *linearized.latent_map, false);
      solved.solver_reason = posterior_reason;
    }
    add_counts(solved, spent, operator_spent, problem.latent_dimension());
    solved.latent = linearized.linearization_point;
    solved.prior = linearized.prior;
    solved.details["nugget"] = options.nugget;
    return solved;
  }

 private:
  LinearizedPriorOptions prior_;
  PosteriorOptions posterior_;
};

PcnOptions pcn_options(MethodOptions& options) {
  PcnOptions pcn;
  pcn.chains = options.count("chains", pcn.chains);
  pcn.temperatures = options.count("temperatures", pcn.temperatures);
  pcn.burn_in = options.count("burn_in", pcn.burn_in);
  pcn.samples = options.count("samples", pcn.samples);
  pcn.thinning = options.count("thinning", pcn.thinning);
  pcn.hottest_inverse_temperature = options.number("hottest_inverse_temperature", pcn.hottest_inverse_temperature);
  PB_REQUIRE(pcn.chains >= 4, options.where("chains"), " must be at least 4, got ", pcn.chains);
  PB_REQUIRE(pcn.samples >= 10, options.where("samples"), " must be at least 10, got ", pcn.samples);
  return pcn;
}

}  // namespace

std::unique_ptr<StudyMethod> make_generator_method(const MethodSpec& spec, const StudySpec& study,
                                                   const StudyResources& resources) {
  MethodOptions options(spec, study);
  LatentSettings settings = latent_settings(options);
  std::unique_ptr<StudyMethod> method;
  if (spec.name == "latent_map") {
    method = std::make_unique<LatentMapMethod>(resources.generator, settings);
  } else if (spec.name == "latent_laplace") {
    method = std::make_unique<LatentLaplaceMethod>(resources.generator, settings);
  } else if (spec.name == "latent_mcmc") {
    method = std::make_unique<LatentMcmcMethod>(resources.generator, settings, pcn_options(options));
  } else {
    LinearizedPriorOptions prior;
    prior.linearization = options.text("z0", "latent_map");
    const auto& valid = linearization_names();
    PB_REQUIRE(std::find(valid.begin(), valid.end(), prior.linearization) != valid.end(), options.where("z0"),
               " must be zero, latent_map or encoder, got '", prior.linearization, "'");
    prior.nugget = options.number("nugget", 0.0);
    PB_REQUIRE(prior.nugget >= 0, options.where("nugget"), " must be non-negative, got ", prior.nugget);
    const PosteriorOptions posterior = posterior_options(options);
    method = std::make_unique<LaplaceMethod>(resources.generator, settings, prior, posterior);
  }
  options.refuse_unknown();
  return method;
}

}  // namespace priorbench
