#include "diagnostics/range_distance.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <limits>
#include <numeric>
#include <sstream>

#include "core/dense.hpp"
#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/random.hpp"
#include "generative/flow_density.hpp"

namespace priorbench {
namespace {

enum Reason : int {
  converged_zero_residual = 1,
  converged_gradient = 2,
  converged_step = 3,
  converged_objective = 4,
  diverged_max_iterations = -1,
  diverged_stalled = -2,
  diverged_nan = -3,
};

std::string reason_name(int reason) {
  switch (reason) {
    case converged_zero_residual:
      return "converged_zero_residual";
    case converged_gradient:
      return "converged_gradient";
    case converged_step:
      return "converged_step";
    case converged_objective:
      return "converged_objective";
    case diverged_max_iterations:
      return "diverged_max_iterations";
    case diverged_stalled:
      return "diverged_stalled";
    case diverged_nan:
      return "diverged_nan";
    default:
      return "unknown";
  }
}

double norm(std::span<const double> v) { return std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0)); }

// The residual r = μ(z) − x† and the objective ½‖r‖² at one latent.
struct Point {
  std::vector<double> latent;
  std::vector<double> residual;
  double objective = 0;
  bool finite() const { return std::isfinite(objective); }
  double distance() const { return std::sqrt(2.0 * objective); }
};

Point evaluate(const Generator& generator, std::span<const double> image, std::vector<double> latent) {
  Point point{std::move(latent), std::vector<double>(image.size()), 0.0};
  generator.decode(point.latent, 1, point.residual);
  for (std::size_t i = 0; i < image.size(); ++i) point.residual[i] -= image[i];
  const double length = norm(point.residual);
  point.objective = 0.5 * length * length;
  return point;
}

// The step δ = −(JᵀJ + λI)⁻¹ Jᵀr in the eigenbasis of JᵀJ = Q Λ Qᵀ (q = Qᵀ Jᵀr), skipping
// eigen-directions with Λ_i + λ ≤ floor (the pseudo-inverse when λ = 0). Returns the
// decrease of ½‖r‖² that the Gauss–Newton model predicts, −(gᵀδ + ½ δᵀJᵀJδ).
double damped_step(const SymmetricEigen& eigen, std::span<const double> rotated, double lambda, double floor,
                   std::span<double> step) {
  std::vector<double> rotated_step(rotated.size(), 0.0);
  double predicted = 0;
  for (std::size_t i = 0; i < rotated.size(); ++i) {
    const double denominator = eigen.values[i] + lambda;
    if (denominator > floor) rotated_step[i] = -rotated[i] / denominator;
    predicted -= rotated[i] * rotated_step[i] + 0.5 * eigen.values[i] * rotated_step[i] * rotated_step[i];
  }
  gemv(false, 1.0, eigen.vectors, rotated_step, 0.0, step);
  return predicted;
}

// Objective values agree to this relative slack when they differ by rounding only.
constexpr double kRoundingSlack = 64 * std::numeric_limits<double>::epsilon();

// One Levenberg–Marquardt run from `initial` (rules in the header).
RangeDistanceStart minimize_from(const Generator& generator, std::span<const double> image, double image_norm,
                                 std::string kind, std::vector<double> initial, const RangeDistanceOptions& o) {
  const std::size_t m = generator.latent_dimension();
  RangeDistanceStart run;
  run.kind = std::move(kind);
  run.initial = initial;
  Point current = evaluate(generator, image, std::move(initial));
  run.initial_distance = current.distance();
  const double zero_scale = image_norm > 0 ? image_norm : 1.0;

  DenseMatrix jacobian, gauss_newton(m, m);
  std::vector<double> gradient(m), rotated(m), step(m), trial(m);
  double lambda = -1, nu = 2;
  int reason = 0;
  while (reason == 0) {
    if (!current.finite()) {
      reason = diverged_nan;
      break;
    }
    if (current.distance() <= o.zero_residual_tolerance * zero_scale) {
      reason = converged_zero_residual;
      break;
    }
    if (run.iterations >= o.max_iterations) {
      reason = diverged_max_iterations;
      break;
    }
    generator.jacobian(current.latent, jacobian);
    ++run.iterations;
    gemv(true, 1.0, jacobian, current.residual, 0.0, gradient);
    gemm(true, false, 1.0, jacobian, jacobian, 0.0, gauss_newton);
    SymmetricEigen eigen = symmetric_eigen(gauss_newton);
    for (double& value : eigen.values) value = std::max(value, 0.0);
    const double largest = eigen.values.back();
    if (norm(gradient) <= o.gradient_tolerance * std::sqrt(largest) * current.distance()) {
      reason = converged_gradient;
      break;
    }
    gemv(true, 1.0, eigen.vectors, gradient, 0.0, rotated);  // q = Qᵀ g

    // When even the undamped Gauss–Newton model predicts a decrease below
    // objective_tolerance · ½‖r‖², no further decrease can be verified in floating point:
    // take that last step unless it raises the objective beyond rounding, and stop.
    const double predicted_gauss_newton = damped_step(eigen, rotated, 0.0, 1e-12 * largest, step);
    if (predicted_gauss_newton <= o.objective_tolerance * current.objective) {
      for (std::size_t j = 0; j < m; ++j) trial[j] = current.latent[j] + step[j];
      Point candidate = evaluate(generator, image, trial);
      if (candidate.finite() && candidate.objective <= current.objective * (1.0 + kRoundingSlack)) {
        current = std::move(candidate);
      }
      reason = converged_objective;
      break;
    }

    // Raise λ until a step lowers the objective.
    if (lambda < 0) lambda = 1e-3 * largest;
    const double lambda_limit = 1e16 * largest;
    while (true) {
      const double predicted = damped_step(eigen, rotated, lambda, 0.0, step);
      for (std::size_t j = 0; j < m; ++j) trial[j] = current.latent[j] + step[j];
      Point candidate = evaluate(generator, image, trial);
      if (candidate.finite() && candidate.objective < current.objective) {
        const double decrease = current.objective - candidate.objective;
        const double rho = predicted > 0 ? decrease / predicted : 1.0;
        const double step_norm = norm(step);
        const double latent_norm = norm(current.latent);
        current = std::move(candidate);
        lambda *= std::max(1.0 / 3.0, 1.0 - std::pow(2.0 * rho - 1.0, 3));
        nu = 2;
        if (step_norm <= o.step_tolerance * (latent_norm + o.step_tolerance)) {
          reason = converged_step;
        } else if (decrease <= o.objective_tolerance * (current.objective + decrease)) {
          reason = converged_objective;
        }
        break;
      }
      lambda *= nu;
      nu *= 2;
      if (!(lambda <= lambda_limit)) {
        reason = diverged_stalled;
        break;
      }
    }
  }
  run.reason = reason;
  run.reason_name = reason_name(reason);
  run.latent = current.latent;
  run.distance = current.distance();
  return run;
}

GeneratorCounts difference(const GeneratorCounts& after, const GeneratorCounts& before) {
  return {after.decoder_passes - before.decoder_passes, after.jvp - before.jvp, after.vjp - before.vjp,
          after.jacobians - before.jacobians};
}

}  // namespace

RangeDistanceResult distance_to_range(const Generator& generator, std::span<const double> image,
                                      const RangeDistanceOptions& options) {
  const std::size_t m = generator.latent_dimension(), n = generator.image_size();
  PB_REQUIRE(image.size() == n, "distance to the range: the image has ", image.size(),
             " pixels but the generator makes images of ", n);
  PB_REQUIRE(options.max_iterations > 0 && options.prior_draws >= 0,
             "distance to the range: max_iterations must be positive and prior_draws non-negative");
  const auto start = std::chrono::steady_clock::now();
  const GeneratorCounts before = generator.counts();

  // 1. The starting points.
  std::vector<std::pair<std::string, std::vector<double>>> starts;
  if (options.zero_start) starts.emplace_back("zero", std::vector<double>(m, 0.0));
  if (options.encoder_start && generator.has_encoder()) {
    std::vector<double> mean(m), variance(m);
    generator.encode(image, mean, variance);
    starts.emplace_back("encoder", std::move(mean));
  }
  for (int draw = 0; draw < options.prior_draws; ++draw) {
    std::vector<double> latent(m);
    CounterRandom(options.seed, options.task, Purpose::range_distance_starts, static_cast<std::uint64_t>(draw))
        .fill_normal(latent, 0);
    starts.emplace_back("prior_draw_" + std::to_string(draw), std::move(latent));
  }
  for (std::size_t extra = 0; extra < options.extra_starts.size(); ++extra) {
    PB_REQUIRE(options.extra_starts[extra].size() == m, "distance to the range: extra start ", extra, " has length ",
               options.extra_starts[extra].size(), ", expected the latent dimension ", m);
    starts.emplace_back("extra_" + std::to_string(extra), options.extra_starts[extra]);
  }
  if (const FlowDensity* flow = generator.flow()) {
    std::vector<double> latent(m);
    flow->inverse(image, 1, latent);
    if (std::all_of(latent.begin(), latent.end(), [](double value) { return std::isfinite(value); })) {
      starts.assign(1, {"inverse", std::move(latent)});
    }
  }
  PB_REQUIRE(!starts.empty(), "distance to the range: no starting points (all kinds switched off)");

  // 2. One Levenberg–Marquardt run per start; the smallest distance is kept.
  RangeDistanceResult result;
  result.shape = generator.image_shape();
  result.image_norm = norm(image);
  for (auto& [kind, initial] : starts) {
    result.starts.push_back(minimize_from(generator, image, result.image_norm, kind, std::move(initial), options));
  }
  for (std::size_t i = 1; i < result.starts.size(); ++i) {
    const double candidate = result.starts[i].distance, best = result.starts[result.best_start].distance;
    if (std::isfinite(candidate) && !(candidate >= best)) result.best_start = i;
  }
  const RangeDistanceStart& best = result.starts[result.best_start];
  PB_REQUIRE(std::isfinite(best.distance),
             "distance to the range: the generator returned non-finite images from "
             "every start");
  result.distance = best.distance;
  result.relative_distance = result.image_norm > 0 ? best.distance / result.image_norm : best.distance;
  result.latent = best.latent;
  result.projection.resize(n);
  generator.decode(result.latent, 1, result.projection);
  result.converged = best.converged();
  if (!result.converged) {
    result.warnings.push_back(detail::concat("the best start (", best.kind, ") stopped with ", best.reason_name,
                                             ": the distance ", best.distance, " is an upper bound only"));
  }
  result.generator_counts = difference(generator.counts(), before);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

std::string RangeDistanceResult::summary() const {
  std::ostringstream out;
  out << std::setprecision(4);
  out << "distance to the generator's range: " << distance << " (relative " << relative_distance
      << " of ||x|| = " << image_norm << ")" << (converged ? "" : " -- UPPER BOUND, not converged") << "\n";
  out << "  starts:";
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const auto& s = starts[i];
    out << (i ? "," : "") << " " << s.kind << " " << s.distance << " (" << s.reason_name << ", " << s.iterations
        << " it)" << (i == best_start ? " *" : "");
  }
  out << "\n";
  for (const auto& warning : warnings) out << "  WARNING: " << warning << "\n";
  return out.str();
}

void RangeDistanceResult::save(hid_t group) const {
  const std::size_t m = latent.size();
  const auto count = static_cast<hsize_t>(starts.size());
  h5::write_attribute(group, "distance", distance);
  h5::write_attribute(group, "relative_distance", relative_distance);
  h5::write_attribute(group, "image_norm", image_norm);
  h5::write_attribute(group, "best_start", static_cast<std::int64_t>(best_start));
  h5::write_attribute(group, "best_start_kind", starts.at(best_start).kind);
  h5::write_attribute(group, "converged", static_cast<std::int64_t>(converged));
  h5::write_attribute(group, "decoder_passes", generator_counts.decoder_passes);
  h5::write_attribute(group, "jacobians", generator_counts.jacobians);
  h5::write_attribute(group, "seconds", seconds);
  std::string joined;
  for (const auto& warning : warnings) joined += (joined.empty() ? "" : "\n") + warning;
  h5::write_attribute(group, "warnings", joined);
  h5::write(group, "latent", latent);
  h5::write(group, "projection", projection, {static_cast<hsize_t>(shape.height), static_cast<hsize_t>(shape.width)});

  std::vector<double> distances, initial_distances, initials, latents;
  std::vector<std::int64_t> iterations, reasons;
  std::string kinds, reason_names;
  for (const auto& s : starts) {
    distances.push_back(s.distance);
    initial_distances.push_back(s.initial_distance);
    initials.insert(initials.end(), s.initial.begin(), s.initial.end());
    latents.insert(latents.end(), s.latent.begin(), s.latent.end());
    iterations.push_back(s.iterations);
    reasons.push_back(s.reason);
    kinds += (kinds.empty() ? "" : ",") + s.kind;
    reason_names += (reason_names.empty() ? "" : ",") + s.reason_name;
  }
  auto group_of_starts = h5::create_group(group, "starts");
  h5::write_attribute(group_of_starts, "kinds", kinds);
  h5::write_attribute(group_of_starts, "reasons", reason_names);
  h5::write(group_of_starts, "distance", distances);
  h5::write(group_of_starts, "initial_distance", initial_distances);
  h5::write(group_of_starts, "iterations", iterations);
  h5::write(group_of_starts, "reason_code", reasons);
  h5::write(group_of_starts, "initial", initials, {count, static_cast<hsize_t>(m)});
  h5::write(group_of_starts, "latent", latents, {count, static_cast<hsize_t>(m)});
}

}  // namespace priorbench
