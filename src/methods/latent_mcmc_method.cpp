#include "methods/latent_mcmc_method.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "core/memory_budget.hpp"
#include "inference/latent_nuts.hpp"
#include "inference/pcn.hpp"

namespace priorbench {

const std::vector<std::string>& latent_sampler_names() {
  static const std::vector<std::string> names = {"nuts", "pcn"};
  return names;
}

void LatentMcmcOptions::validate(const FieldNamer& field) const {
  latent.validate(field);
  PB_REQUIRE(chains >= 4 && chains <= kMaxChains, field("chains"), " must be in [4, ", kMaxChains, "], got ", chains);
  const auto require_iterations = [&field](const char* key, std::size_t value, std::size_t least) {
    PB_REQUIRE(value >= least && value <= kMaxIterations, field(key), " must be in [", least, ", ", kMaxIterations,
               "] (the limit of iterations per chain), got ", value);
  };
  if (sampler == LatentSampler::nuts) {
    require_iterations("warmup", nuts.warmup, 0);
    require_iterations("samples", nuts.samples, 10);
    require_iterations("base_window", nuts.base_window, 0);
    PB_REQUIRE(nuts.max_tree_depth >= 1 && nuts.max_tree_depth <= 20, field("max_tree_depth"),
               " must be in [1, 20], got ", nuts.max_tree_depth);
    PB_REQUIRE(nuts.target_acceptance > 0 && nuts.target_acceptance < 1, field("target_acceptance"),
               " must be in (0, 1), got ", nuts.target_acceptance);
    PB_REQUIRE(nuts.start_spread >= 0 && std::isfinite(nuts.start_spread), field("start_spread"),
               " must be non-negative, got ", nuts.start_spread);
  } else {
    PB_REQUIRE(pcn.temperatures >= 1 && pcn.temperatures <= kMaxTemperatures, field("temperatures"), " must be in [1, ",
               kMaxTemperatures, "], got ", pcn.temperatures);
    require_iterations("burn_in", pcn.burn_in, 0);
    require_iterations("samples", pcn.samples, 10);
    require_iterations("thinning", pcn.thinning, 1);
    PB_REQUIRE(pcn.hottest_inverse_temperature > 0 && pcn.hottest_inverse_temperature <= 1,
               field("hottest_inverse_temperature"), " must be in (0, 1], got ", pcn.hottest_inverse_temperature);
  }
}

namespace {

// "NUTS_CONVERGED", or the failed checks of the contract, e.g. "NUTS_RHAT+ESS_TAIL".
std::string nuts_reason(const ConvergenceVerdict& verdict, const ConvergenceCriteria& criteria) {
  if (verdict.converged) return "NUTS_CONVERGED";
  std::vector<std::string> failed;
  if (!(verdict.max_rhat <= criteria.max_rhat)) failed.emplace_back("RHAT");
  if (!(verdict.min_ess_bulk >= criteria.min_ess_bulk)) failed.emplace_back("ESS_BULK");
  if (!(verdict.min_ess_tail >= criteria.min_ess_tail)) failed.emplace_back("ESS_TAIL");
  if (verdict.divergences > criteria.max_divergences) failed.emplace_back("DIVERGENCES");
  std::string reason = "NUTS";
  for (std::size_t k = 0; k < failed.size(); ++k) reason += (k == 0 ? "_" : "+") + failed[k];
  return reason;
}

// What to change when the contract failed, after the verdict's account of what failed.
std::string nuts_warning(const LatentNutsResult& result, const ConvergenceCriteria& criteria) {
  const ConvergenceVerdict& verdict = result.nuts.verdict;
  std::string warning = "NUTS did not meet the convergence contract: " + verdict.reason;
  if (verdict.divergences > criteria.max_divergences) {
    warning +=
        "; divergent transitions mean the step is too large for the posterior's curvature somewhere: raise "
        "target_acceptance (e.g. 0.95)";
  }
  if (!(verdict.max_rhat <= criteria.max_rhat)) {
    warning += result.starts.optima.size() > 1
                   ? "; the chains started around " + std::to_string(result.starts.optima.size()) +
                         " distinct MAP optima and disagree: the posterior may be multimodal (sampler = \"pcn\" "
                         "with temperatures swaps between modes)"
                   : "; the chains disagree: run longer (warmup, samples)";
  } else if (!(verdict.min_ess_bulk >= criteria.min_ess_bulk) || !(verdict.min_ess_tail >= criteria.min_ess_tail)) {
    warning += "; too few effective draws: raise samples";
  }
  return warning;
}

double mean_step_size(const NutsResult& nuts) {
  if (nuts.step_sizes.empty()) return 0.0;
  return std::accumulate(nuts.step_sizes.begin(), nuts.step_sizes.end(), 0.0) /
         static_cast<double>(nuts.step_sizes.size());
}

class LatentMcmcMethod final : public ReconstructionMethod {
 public:
  LatentMcmcMethod(LatentMcmcOptions options, GeneratorSource generator)
      : options_(options), generator_(std::move(generator)) {}

 protected:
  MethodOutcome reconstruct_impl(const Observation& observation) override {
    const LatentProblem problem = make_latent_problem(observation, generator_(), options_.latent);
    require_draw_memory(problem.generator().latent_dimension());
    MethodOutcome outcome = options_.sampler == LatentSampler::nuts ? sample_by_nuts(problem, observation.random)
                                                                    : sample_by_pcn(problem, observation.random);
    outcome.std_exact = false;
    outcome.std_method = options_.predictive ? "mcmc-predictive" : "mcmc";
    outcome.details["predictive"] = options_.predictive ? 1.0 : 0.0;
    return outcome;
  }

 private:
  // Every kept draw of every chain is held (for R̂ and ESS): chains x samples x m values.
  void require_draw_memory(std::size_t m) const {
    const std::size_t samples = options_.sampler == LatentSampler::nuts ? options_.nuts.samples : options_.pcn.samples;
    require_memory({options_.chains, samples, m}, sizeof(double),
                   "latent_mcmc: " + std::to_string(options_.chains) + " chains x " + std::to_string(samples) +
                       " samples x latent_dim " + std::to_string(m) + " draws");
  }

  MethodOutcome sample_by_nuts(const LatentProblem& problem, const RandomKey& random) const {
    const LatentNutsOptions options = nuts_options(random);
    LatentNutsResult result = latent_nuts_sample(problem, options);
    const NutsResult& nuts = result.nuts;
    MethodOutcome outcome;
    outcome.mean = std::move(result.mean);
    outcome.generator_route = problem.generator().route();
    outcome.std = std::move(result.std);
    outcome.latent = result.latent_mean;
    outcome.iterations = static_cast<std::int64_t>(options.chains * (options.warmup + options.samples));
    outcome.converged = nuts.verdict.converged;
    outcome.solver_reason = nuts_reason(nuts.verdict, options.convergence);
    if (!nuts.verdict.converged) outcome.warning = nuts_warning(result, options.convergence);
    if (!result.map.warning.empty()) {
      outcome.warning += (outcome.warning.empty() ? "" : "; ") + std::string("latent MAP start: ") + result.map.warning;
    }
    auto& details = outcome.details;
    details["max_rhat"] = result.max_rhat;
    details["min_ess_bulk"] = result.min_ess_bulk;
    details["min_ess_tail"] = result.min_ess_tail;
    details["divergences"] = static_cast<double>(nuts.divergences);
    details["warmup_divergences"] = static_cast<double>(nuts.warmup_divergences);
    details["tree_depth_hits"] = static_cast<double>(nuts.max_depth_hits);
    details["min_e_bfmi"] = result.min_e_bfmi;
    details["ess_per_second"] = result.ess_per_second;
    details["ess_per_gradient"] = result.ess_per_gradient;
    details["gradient_evaluations"] = static_cast<double>(nuts.gradient_evaluations);
    details["warmup_gradient_evaluations"] = static_cast<double>(nuts.warmup_gradient_evaluations);
    details["step_size"] = mean_step_size(nuts);
    details["start_optima"] = static_cast<double>(result.starts.optima.size());
    details["negligible_optima"] = static_cast<double>(result.starts.negligible_optima);
    details["latent_objective"] = result.map.objective;
    add_generator_cost(outcome, result.generator_counts, result.latent_mean.size());
    add_operator_cost(outcome, result.operator_counts);
    return outcome;
  }

  MethodOutcome sample_by_pcn(const LatentProblem& problem, const RandomKey& random) const {
    PcnOptions pcn = pcn_options(random);
    pcn.keep_draws = options_.predictive;  // for E Γ(z); the draws themselves do not change
    PcnResult result = pcn_sample(problem, pcn);
    MethodOutcome outcome;
    if (options_.predictive) add_decoder_variance(problem, result);
    outcome.mean = std::move(result.mean);
    outcome.std = std::move(result.std);
    outcome.latent = result.latent_mean;
    outcome.iterations = static_cast<std::int64_t>(result.chains * (pcn.burn_in + pcn.samples));
    outcome.warning = result.warning;
    // A sampler's convergence criterion is its R̂: chains that have not mixed give a mean
    // and std that are not the posterior's, so the run is flagged like a failed solve.
    outcome.converged = !result.rhat_warning;
    outcome.solver_reason = result.rhat_warning ? "RHAT_ABOVE_THRESHOLD" : "RHAT_OK";
    double min_ess_tail = result.diagnostics.empty() ? 0.0 : result.diagnostics.front().ess_tail;
    for (const ChainDiagnostics& d : result.diagnostics) min_ess_tail = std::min(min_ess_tail, d.ess_tail);
    outcome.details["max_rhat"] = result.max_rhat;
    outcome.details["min_ess_bulk"] = result.min_ess_bulk;
    outcome.details["min_ess_tail"] = min_ess_tail;
    outcome.details["ess_per_second"] = result.min_ess_bulk / result.seconds;
    outcome.details["cold_acceptance"] = result.acceptance_rates.empty() ? 0.0 : result.acceptance_rates.front();
    add_generator_cost(outcome, result.generator_counts, result.latent_mean.size());
    add_operator_cost(outcome, result.operator_counts);
    return outcome;
  }

  // std² + E Γ(z) over the cold draws: the predictive std of x = μ(z) + Γ^{1/2} ε.
  static void add_decoder_variance(const LatentProblem& problem, PcnResult& result) {
    const std::vector<double> noise = mean_decoder_variance(problem.generator(), result.draws);
    for (std::size_t i = 0; i < noise.size(); ++i) {
      result.image_std[i] = std::sqrt(result.image_std[i] * result.image_std[i] + noise[i]);
    }
    result.std = problem.forward().distribute_image(result.image_std);
  }

  LatentNutsOptions nuts_options(const RandomKey& random) const {
    const LatentNutsSettings& s = options_.nuts;
    LatentNutsOptions nuts;
    nuts.chains = options_.chains;
    nuts.warmup = s.warmup;
    nuts.samples = s.samples;
    nuts.max_tree_depth = s.max_tree_depth;
    nuts.target_acceptance = s.target_acceptance;
    nuts.metric = s.metric;
    nuts.base_window = s.base_window;
    nuts.start_spread = s.start_spread;
    nuts.predictive = options_.predictive;
    nuts.map.prior_draw_starts = options_.latent.map_prior_starts;
    nuts.seed = random.seed;
    nuts.task = random.task;
    return nuts;
  }

  PcnOptions pcn_options(const RandomKey& random) const {
    const LatentPcnSettings& s = options_.pcn;
    PcnOptions pcn;
    pcn.chains = options_.chains;
    pcn.temperatures = s.temperatures;
    pcn.burn_in = s.burn_in;
    pcn.samples = s.samples;
    pcn.thinning = s.thinning;
    pcn.hottest_inverse_temperature = s.hottest_inverse_temperature;
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
