#include "inference/latent_nuts.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/random.hpp"
#include "inference/latent_laplace.hpp"

namespace priorbench {
namespace {

constexpr std::size_t kDecodeChunk = 256;  // kept draws per batched decode of the image moments

// Rank 0's values on every rank.
void broadcast(MPI_Comm comm, std::span<double> values) {
  if (values.empty()) return;
  MPI_Bcast(values.data(), static_cast<int>(values.size()), MPI_DOUBLE, 0, comm);
}

// ‖L⁻¹ d‖² = dᵀ Σ_z⁻¹ d, given the Cholesky factor L of Σ_z.
double whitened_squared_distance(const DenseMatrix& factor, std::span<const double> a, std::span<const double> b) {
  std::vector<double> difference(a.size());
  for (std::size_t j = 0; j < a.size(); ++j) difference[j] = a[j] - b[j];
  std::vector<double> solved = difference;
  cholesky_solve(factor, solved);
  double sum = 0;
  for (std::size_t j = 0; j < a.size(); ++j) sum += difference[j] * solved[j];
  return sum;
}

void check_options(const LatentNutsOptions& options) {
  PB_REQUIRE(options.chains >= 4, "latent NUTS needs at least 4 chains, got ", options.chains);
  PB_REQUIRE(options.start_spread >= 0 && std::isfinite(options.start_spread),
             "latent NUTS: the start spread must be non-negative, got ", options.start_spread);
  PB_REQUIRE(options.min_mode_mass >= 0 && options.min_mode_mass <= 1,
             "latent NUTS: the minimum mode mass must be in [0, 1], got ", options.min_mode_mass);
  PB_REQUIRE(options.target_acceptance > 0 && options.target_acceptance < 1,
             "latent NUTS: the target acceptance must be in (0, 1), got ", options.target_acceptance);
}

NutsOptions engine_options(const LatentNutsOptions& options, const DenseMatrix& initial_inverse_metric, std::size_t m) {
  NutsOptions nuts;
  nuts.chains = options.chains;
  nuts.warmup = options.warmup;
  nuts.samples = options.samples;
  nuts.max_tree_depth = options.max_tree_depth;
  nuts.step_size_adaptation.target_acceptance = options.target_acceptance;
  nuts.metric = options.metric;
  nuts.initial_inverse_metric = initial_inverse_metric;
  nuts.base_window = options.base_window > 0 ? options.base_window : std::max<std::size_t>(25, 3 * m);
  nuts.max_batch = options.max_batch;
  nuts.keep_draws = true;  // decoded afterwards for the image moments
  nuts.coordinate_name = "z";
  nuts.convergence = options.convergence;
  nuts.seed = options.seed;
  nuts.task = options.task;
  return nuts;
}

// Running mean and sum of squared deviations (Welford), entrywise.
struct RunningMoments {
  std::size_t count = 0;
  std::vector<double> mean, squares;
  explicit RunningMoments(std::size_t size) : mean(size, 0.0), squares(size, 0.0) {}
  void add(std::span<const double> values) {
    ++count;
    for (std::size_t i = 0; i < mean.size(); ++i) {
      const double delta = values[i] - mean[i];
      mean[i] += delta / static_cast<double>(count);
      squares[i] += delta * (values[i] - mean[i]);
    }
  }
};

// Pixel mean and std of μ(z) over the kept draws (decoded in batches), and with `predictive`
// the std of x = μ(z) + Γ(z)^{1/2} ε: Var x_i = Var μ_i(z) + E Γ_i(z).
void push_draws_to_images(const LatentProblem& problem, const std::vector<double>& draws, bool predictive,
                          LatentNutsResult& result) {
  const std::size_t m = problem.latent_dimension(), n = problem.image_size(), count = draws.size() / m;
  RunningMoments pixels(n);
  std::vector<double> images(kDecodeChunk * n);
  for (std::size_t first = 0; first < count; first += kDecodeChunk) {
    const std::size_t size = std::min(kDecodeChunk, count - first);
    problem.generator().decode(std::span<const double>(draws).subspan(first * m, size * m), size,
                               std::span<double>(images).first(size * n));
    for (std::size_t k = 0; k < size; ++k) pixels.add(std::span<const double>(images).subspan(k * n, n));
  }
  const std::vector<double> noise =
      predictive ? mean_decoder_variance(problem.generator(), draws) : std::vector<double>(n, 0.0);
  result.image_mean = pixels.mean;
  result.image_std.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    result.image_std[i] = std::sqrt(pixels.squares[i] / static_cast<double>(count - 1) + noise[i]);
  }
  broadcast(problem.comm(), result.image_mean);
  broadcast(problem.comm(), result.image_std);
  result.mean = problem.forward().distribute_image(result.image_mean);
  result.std = problem.forward().distribute_image(result.image_std);
  result.predictive = predictive;
}

// The distinct MAP optima with their Laplace masses relative to z*'s: one latent Laplace
// (a Jacobian) at each optimum but z*, whose Σ_z is at hand. Σ_k is rank 0's on every rank,
// so every rank keeps the same optima.
std::vector<MapOptimum> weighed_optima(const LatentProblem& problem, const LatentMapResult& map,
                                       const DenseMatrix& laplace_covariance) {
  std::vector<MapOptimum> optima = distinct_map_optima(map, laplace_covariance);
  const double best = laplace_log_mass(optima.front().objective, laplace_covariance);
  for (std::size_t k = 1; k < optima.size(); ++k) {
    DenseMatrix covariance = latent_laplace(problem, optima[k].latent).latent_covariance;
    broadcast(problem.comm(), covariance.values());
    optima[k].log_relative_mass = laplace_log_mass(optima[k].objective, covariance) - best;
  }
  return optima;
}

void summarize_diagnostics(LatentNutsResult& result) {
  const NutsResult& nuts = result.nuts;
  result.max_rhat = nuts.verdict.max_rhat;
  result.min_ess_bulk = nuts.verdict.min_ess_bulk;
  result.min_ess_tail = nuts.verdict.min_ess_tail;
  result.min_e_bfmi = nuts.e_bfmi.empty() ? std::numeric_limits<double>::quiet_NaN()
                                          : *std::min_element(nuts.e_bfmi.begin(), nuts.e_bfmi.end());
  result.ess_per_gradient =
      result.min_ess_bulk / static_cast<double>(std::max<std::int64_t>(1, nuts.gradient_evaluations));
}

}  // namespace

std::vector<double> mean_decoder_variance(const Generator& generator, std::span<const double> latents) {
  const std::size_t m = generator.latent_dimension(), n = generator.image_size(), count = latents.size() / m;
  PB_REQUIRE(count > 0 && latents.size() == count * m, "mean_decoder_variance: ", latents.size(),
             " values are not a positive number of latents of length ", m);
  std::vector<double> sum(n, 0.0), variance(n);
  for (std::size_t k = 0; k < count; ++k) {
    generator.decoder_variance(latents.subspan(k * m, m), variance);
    for (std::size_t i = 0; i < n; ++i) sum[i] += variance[i];
  }
  for (double& value : sum) value /= static_cast<double>(count);
  return sum;
}

BatchedPotential latent_potential(const LatentProblem& problem) {
  return [&problem](std::span<const double> points, std::size_t batch, std::span<double> potentials,
                    std::span<double> gradients) {
    problem.objectives_and_gradients(points, batch, potentials, gradients);
    const std::size_t m = problem.latent_dimension();
    std::vector<double> packed(batch * (m + 1));
    std::copy(potentials.begin(), potentials.end(), packed.begin());
    std::copy(gradients.begin(), gradients.end(), packed.begin() + static_cast<std::ptrdiff_t>(batch));
    broadcast(problem.comm(), packed);
    std::copy_n(packed.begin(), batch, potentials.begin());
    std::copy(packed.begin() + static_cast<std::ptrdiff_t>(batch), packed.end(), gradients.begin());
  };
}

std::vector<MapOptimum> distinct_map_optima(const LatentMapResult& map, const DenseMatrix& laplace_covariance) {
  const std::size_t m = map.latent.size();
  PB_REQUIRE(laplace_covariance.rows() == m && laplace_covariance.cols() == m, "latent NUTS: Sigma_z is ",
             laplace_covariance.rows(), "x", laplace_covariance.cols(), ", expected ", m, "x", m);
  DenseMatrix factor = laplace_covariance;
  cholesky_in_place(factor, "the latent Laplace covariance Sigma_z");
  std::vector<const LatentMapStart*> accepted;
  for (const LatentMapStart& start : map.starts) {
    if (start.accepted) accepted.push_back(&start);
  }
  std::stable_sort(accepted.begin(), accepted.end(),
                   [](const LatentMapStart* a, const LatentMapStart* b) { return a->objective < b->objective; });
  std::vector<MapOptimum> optima = {MapOptimum{map.latent, map.objective, 0.0}};
  for (const LatentMapStart* start : accepted) {
    const bool known = std::any_of(optima.begin(), optima.end(), [&](const MapOptimum& optimum) {
      return whitened_squared_distance(factor, optimum.latent, start->latent) <= 1.0;
    });
    if (!known) optima.push_back(MapOptimum{start->latent, start->objective, 0.0});
  }
  return optima;
}

double laplace_log_mass(double objective, const DenseMatrix& covariance) {
  DenseMatrix factor = covariance;
  cholesky_in_place(factor, "a latent Laplace covariance");
  double log_det = 0;  // log det Σ = 2 Σ log L_jj
  for (std::size_t j = 0; j < factor.rows(); ++j) log_det += 2 * std::log(factor(j, j));
  return -objective + 0.5 * log_det;
}

LatentNutsStarts latent_nuts_starts(const std::vector<MapOptimum>& optima, const DenseMatrix& laplace_covariance,
                                    const LatentNutsOptions& options) {
  PB_REQUIRE(!optima.empty(), "latent NUTS: no MAP optimum to start the chains from");
  const std::size_t m = optima.front().latent.size();
  PB_REQUIRE(laplace_covariance.rows() == m && laplace_covariance.cols() == m, "latent NUTS: Sigma_z is ",
             laplace_covariance.rows(), "x", laplace_covariance.cols(), ", expected ", m, "x", m);
  DenseMatrix factor = laplace_covariance;
  cholesky_in_place(factor, "the latent Laplace covariance Sigma_z");
  LatentNutsStarts starts;
  const double log_threshold = std::log(options.min_mode_mass);
  for (std::size_t k = 0; k < optima.size(); ++k) {
    if (k == 0 || optima[k].log_relative_mass >= log_threshold) {
      starts.optima.push_back(optima[k].latent);
      starts.log_relative_masses.push_back(optima[k].log_relative_mass);
    } else {
      ++starts.negligible_optima;
    }
  }
  starts.points.resize(options.chains * m);
  std::vector<double> normals(m);
  for (std::size_t c = 0; c < options.chains; ++c) {
    const std::size_t k = c % starts.optima.size();
    starts.optimum_of_chain.push_back(k);
    CounterRandom(options.seed, options.task, Purpose::latent_nuts_starts, c).fill_normal(normals, 0);
    const std::span<double> point(starts.points.data() + c * m, m);
    std::copy(starts.optima[k].begin(), starts.optima[k].end(), point.begin());
    gemv(false, options.start_spread, factor, normals, 1.0, point);  // o + s L ξ
  }
  return starts;
}

LatentNutsResult latent_nuts_sample(const LatentProblem& problem, const LatentNutsOptions& options) {
  return latent_nuts_sample(problem, options, latent_potential(problem));
}

LatentNutsResult latent_nuts_sample(const LatentProblem& problem, const LatentNutsOptions& options,
                                    const BatchedPotential& potential) {
  const CostMeter meter(problem);
  check_options(options);
  const std::size_t m = problem.latent_dimension();
  LatentNutsResult result;
  result.likelihood = likelihood_name(problem.likelihood());
  result.noise_route = problem.noise_route();

  LatentMapOptions map = options.map;
  map.seed = options.seed;
  map.task = options.task;
  result.map = latent_map(problem, map);
  result.laplace_covariance = latent_laplace(problem, result.map.latent).latent_covariance;
  broadcast(problem.comm(), result.laplace_covariance.values());
  result.starts = latent_nuts_starts(weighed_optima(problem, result.map, result.laplace_covariance),
                                     result.laplace_covariance, options);

  result.nuts = nuts_sample(potential, result.starts.points, m, engine_options(options, result.laplace_covariance, m));
  push_draws_to_images(problem, result.nuts.draws, options.predictive, result);
  result.latent_mean = result.nuts.mean;
  result.latent_covariance = result.nuts.covariance;
  if (!options.keep_draws) result.nuts.draws = {};
  summarize_diagnostics(result);

  result.generator_counts = meter.generator_counts();
  result.operator_counts = meter.operator_counts();
  result.seconds = meter.seconds();
  result.ess_per_second = result.min_ess_bulk / result.seconds;
  return result;
}

}  // namespace priorbench
