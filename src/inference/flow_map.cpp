#include "inference/flow_map.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "generative/flow_density.hpp"

namespace priorbench {
namespace {

const FlowDensity& flow_of(const LatentProblem& problem) {
  const FlowDensity* flow = problem.generator().flow();
  PB_REQUIRE(flow != nullptr, "flow_map and flow_laplace need a normalizing flow (a model of kind 'flow', ",
             "docs/model-format.md); this generator is not one: ", problem.generator().description());
  return *flow;
}

double squared_norm(std::span<const double> values) {
  return std::inner_product(values.begin(), values.end(), values.begin(), 0.0);
}

MapStarts starting_points(const LatentProblem& problem, const LatentMapOptions& options) {
  const std::size_t n = problem.latent_dimension();
  MapStarts starts;
  if (options.zero_start) starts.emplace_back("zero", std::vector<double>(n, 0.0));
  // The data's own image, clamped to [0.02, 0.98]: inside the support of any flow (a logit
  // flow's is a box around [0, 1]) and a plausible image where Aᵀy is not one.
  std::vector<double> image = problem.adjoint_image(), latent(n);
  for (double& value : image) value = std::clamp(value, 0.02, 0.98);
  flow_of(problem).inverse(image, 1, latent);
  if (std::all_of(latent.begin(), latent.end(), [](double value) { return std::isfinite(value); })) {
    starts.emplace_back("adjoint", std::move(latent));
  }
  append_drawn_starts(options, n, starts);
  return starts;
}

// The Gauss–Newton model of F at z: that of Φ + ½‖z‖² (H = M̃ᵀM̃ + I) with the exact value
// and gradient of the −ℓ term, whose curvature the model leaves out (the trust region
// absorbs it; ℓ is bounded for the centred pre-processing).
GaussNewtonModel flow_gauss_newton_model(const LatentProblem& problem, std::span<const double> latent) {
  GaussNewtonModel model = problem.gauss_newton_model(latent);
  const std::size_t n = problem.latent_dimension();
  std::vector<double> image(n), minus_log_det_gradient(n);
  double log_det = 0;
  flow_of(problem).decode_and_log_det_gradient(
      latent, 1, image,
      [](std::span<const double>, std::span<double> cotangent) { std::fill(cotangent.begin(), cotangent.end(), 0.0); },
      minus_log_det_gradient, std::span<double>(&log_det, 1));
  model.objective -= log_det;
  for (std::size_t j = 0; j < n; ++j) model.gradient[j] += minus_log_det_gradient[j];
  return model;
}

void flow_objectives(const LatentProblem& problem, std::span<const double> latents, std::size_t count,
                     std::span<double> out) {
  std::vector<double> images(count * problem.image_size()), log_dets(count);
  problem.misfits(latents, count, out, images);
  flow_of(problem).log_det_inverse(images, count, log_dets);
  const std::size_t n = problem.latent_dimension();
  for (std::size_t k = 0; k < count; ++k) out[k] += 0.5 * squared_norm(latents.subspan(k * n, n)) - log_dets[k];
}

}  // namespace

LatentMapOptions default_flow_map_options() {
  LatentMapOptions options;
  options.solver = LatentMapSolver::levenberg_marquardt;
  options.options_prefix = "flow_map_";
  options.encoder_start = false;
  options.prior_draw_starts = 0;
  options.max_iterations = 10000;
  return options;
}

double flow_objective_and_gradient(const LatentProblem& problem, std::span<const double> latent,
                                   std::span<double> gradient, double* log_det) {
  const std::size_t n = problem.latent_dimension();
  std::vector<double> image(n);
  double misfit = 0, log_determinant = 0;
  flow_of(problem).decode_and_log_det_gradient(
      latent, 1, image,
      [&](std::span<const double> x, std::span<double> cotangent) {
        misfit = problem.misfit_and_cotangent(x, cotangent);
      },
      gradient, std::span<double>(&log_determinant, 1));
  for (std::size_t j = 0; j < n; ++j) gradient[j] += latent[j];
  if (log_det != nullptr) *log_det = log_determinant;
  return misfit + 0.5 * squared_norm(latent) - log_determinant;
}

LatentMapResult flow_map(const LatentProblem& problem, const LatentMapOptions& options) {
  flow_of(problem);
  const CostMeter meter(problem);
  LatentMapResult result;
  result.likelihood = likelihood_name(problem.likelihood());
  result.noise_route = problem.noise_route();
  const ObjectiveAndGradient objective = [&](std::span<const double> latent, std::span<double> gradient) {
    return flow_objective_and_gradient(problem, latent, gradient);
  };
  auto starts = starting_points(problem, options);
  PB_REQUIRE(!starts.empty(), "flow_map has no starting point (zero_start off, no prior draws, no extra starts, ",
             "and the adjoint image's inverse is not finite)");
  if (options.solver == LatentMapSolver::levenberg_marquardt) {
    const GaussNewtonModels models = [&](std::span<const double> at, std::size_t count) {
      std::vector<GaussNewtonModel> out;
      for (std::size_t k = 0; k < count; ++k) {
        out.push_back(
            flow_gauss_newton_model(problem, at.subspan(k * problem.latent_dimension(), problem.latent_dimension())));
      }
      return out;
    };
    const BatchedObjectives objectives = [&](std::span<const double> at, std::size_t count, std::span<double> out) {
      flow_objectives(problem, at, count, out);
    };
    result.starts = minimize_with_levenberg_marquardt(problem.comm(), problem.latent_dimension(), models, objectives,
                                                      options, std::move(starts));
  } else {
    for (auto& [kind, initial] : starts) {
      result.starts.push_back(minimize_with_tao(problem.comm(), objective, options, kind, std::move(initial)));
    }
  }
  keep_best_start(result, options, "the flow MAP");

  std::vector<double> gradient(result.latent.size());
  double log_det = 0;
  result.objective = flow_objective_and_gradient(problem, result.latent, gradient, &log_det);
  result.image.resize(problem.image_size());
  problem.generator().decode(result.latent, 1, result.image);
  result.prior_term = 0.5 * squared_norm(result.latent) - log_det;
  result.misfit = result.objective - result.prior_term;
  result.estimate = problem.forward().distribute_image(result.image);
  result.generator_counts = meter.generator_counts();
  result.operator_counts = meter.operator_counts();
  result.seconds = meter.seconds();
  return result;
}

}  // namespace priorbench
