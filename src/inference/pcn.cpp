#include "inference/pcn.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "core/random.hpp"

namespace priorbench {
namespace {

// Running mean and sum of squared deviations (Welford), entrywise.
struct RunningMoments {
  std::size_t count = 0;
  std::vector<double> mean;
  std::vector<double> squares;
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

// One state of a ladder: latent, misfit Φ and decoded image μ(z).
struct State {
  std::vector<double> latent;
  double misfit = 0;
  std::vector<double> image;
};

void check_options(const PcnOptions& options, const std::vector<double>& ladder, std::size_t m) {
  PB_REQUIRE(options.chains >= 2, "latent_mcmc needs at least 2 chains (for R-hat), got ", options.chains);
  PB_REQUIRE(options.thinning >= 1, "latent_mcmc: thinning must be at least 1");
  PB_REQUIRE(options.samples / options.thinning >= 8, "latent_mcmc keeps ", options.samples / options.thinning,
             " draws per chain (samples / thinning); the diagnostics need at least 8");
  PB_REQUIRE(options.initial_step > 0 && options.initial_step <= 1, "latent_mcmc: the pCN step must be in (0, 1], got ",
             options.initial_step);
  PB_REQUIRE(options.target_acceptance > 0 && options.target_acceptance < 1,
             "latent_mcmc: the target acceptance must be in (0, 1), got ", options.target_acceptance);
  PB_REQUIRE(ladder.front() == 1.0, "latent_mcmc: the inverse-temperature ladder must start at 1");
  for (std::size_t t = 1; t < ladder.size(); ++t) {
    PB_REQUIRE(ladder[t] > 0 && ladder[t] < ladder[t - 1],
               "latent_mcmc: inverse temperatures must decrease and stay positive, got ", ladder[t], " after ",
               ladder[t - 1]);
  }
  PB_REQUIRE(options.initial_latent.empty() || options.initial_latent.size() == m,
             "latent_mcmc: the initial latent has length ", options.initial_latent.size(), ", expected ", m);
}

}  // namespace

std::vector<double> inverse_temperature_ladder(const PcnOptions& options) {
  if (!options.inverse_temperatures.empty()) return options.inverse_temperatures;
  PB_REQUIRE(options.temperatures >= 1, "latent_mcmc needs at least one temperature");
  PB_REQUIRE(options.hottest_inverse_temperature > 0 && options.hottest_inverse_temperature <= 1,
             "latent_mcmc: the hottest inverse temperature must be in (0, 1], got ",
             options.hottest_inverse_temperature);
  std::vector<double> ladder(options.temperatures, 1.0);
  for (std::size_t t = 1; t < ladder.size(); ++t) {
    ladder[t] = std::pow(options.hottest_inverse_temperature,
                         static_cast<double>(t) / static_cast<double>(options.temperatures - 1));
  }
  return ladder;
}

PcnResult pcn_sample(const LatentProblem& problem, const PcnOptions& options) {
  const CostMeter meter(problem);
  const std::size_t m = problem.latent_dimension(), n = problem.image_size();
  const std::vector<double> beta = inverse_temperature_ladder(options);
  check_options(options, beta, m);
  const std::size_t chains = options.chains, levels = beta.size(), batch = chains * levels;
  const std::size_t steps = options.burn_in + options.samples;
  const std::size_t block = levels * (m + 1) + levels;  // counter positions per step and chain
  const std::size_t tracked = std::min(options.tracked_coordinates, m);

  std::vector<CounterRandom> proposal_random, initial_random;
  for (std::size_t c = 0; c < chains; ++c) {
    proposal_random.emplace_back(options.seed, options.task, Purpose::pcn_proposals, c);
    initial_random.emplace_back(options.seed, options.task, Purpose::pcn_initial, c);
  }

  // Initial states (index c * levels + t), decoded in one batch.
  std::vector<double> latents(batch * m), misfits(batch), images(batch * n);
  for (std::size_t c = 0; c < chains; ++c) {
    for (std::size_t t = 0; t < levels; ++t) {
      std::span<double> z(latents.data() + (c * levels + t) * m, m);
      if (options.initial_latent.empty()) {
        initial_random[c].fill_normal(z, t * m);
      } else {
        std::copy(options.initial_latent.begin(), options.initial_latent.end(), z.begin());
      }
    }
  }
  problem.misfits(latents, batch, misfits, images);
  std::vector<State> states(batch);
  for (std::size_t k = 0; k < batch; ++k) {
    states[k].latent.assign(latents.begin() + k * m, latents.begin() + (k + 1) * m);
    states[k].misfit = misfits[k];
    states[k].image.assign(images.begin() + k * n, images.begin() + (k + 1) * n);
  }

  std::vector<double> log_step(levels, std::log(options.initial_step));
  std::vector<std::size_t> accepted(batch, 0), swaps_accepted(levels, 0), swaps_tried(levels, 0);
  RunningMoments pixel_moments(n), latent_moments(m);
  DenseMatrix latent_squares(m, m);  // Welford co-moments of the latents
  const std::size_t draws_per_chain = (options.samples + options.thinning - 1) / options.thinning;
  std::vector<Chains> traces(1 + tracked, Chains(chains));
  PcnResult result;

  for (std::size_t step = 0; step < steps; ++step) {
    const bool sampling = step >= options.burn_in;
    // 1. pCN proposals for every chain and level, decoded together.
    for (std::size_t c = 0; c < chains; ++c) {
      for (std::size_t t = 0; t < levels; ++t) {
        const std::size_t k = c * levels + t;
        const double rho = std::exp(log_step[t]), keep = std::sqrt(std::max(0.0, 1 - rho * rho));
        std::span<double> proposal(latents.data() + k * m, m);
        proposal_random[c].fill_normal(proposal, step * block + t * (m + 1));
        for (std::size_t j = 0; j < m; ++j) proposal[j] = keep * states[k].latent[j] + rho * proposal[j];
      }
    }
    problem.misfits(latents, batch, misfits, images);

    // 2. Metropolis–Hastings on the tempered likelihood ratio.
    std::vector<double> level_acceptance(levels, 0.0);
    for (std::size_t c = 0; c < chains; ++c) {
      for (std::size_t t = 0; t < levels; ++t) {
        const std::size_t k = c * levels + t;
        const double log_ratio = -beta[t] * (misfits[k] - states[k].misfit);
        const double u = proposal_random[c].uniform(step * block + t * (m + 1) + m);
        if (std::isfinite(misfits[k]) && std::log(u) < log_ratio) {
          std::copy(latents.begin() + k * m, latents.begin() + (k + 1) * m, states[k].latent.begin());
          std::copy(images.begin() + k * n, images.begin() + (k + 1) * n, states[k].image.begin());
          states[k].misfit = misfits[k];
          level_acceptance[t] += 1.0 / static_cast<double>(chains);
          if (sampling) ++accepted[k];
        }
      }
    }

    // 3. Swaps between adjacent levels, even or odd pairs by step parity.
    for (std::size_t t = step % 2; t + 1 < levels; t += 2) {
      for (std::size_t c = 0; c < chains; ++c) {
        State& colder = states[c * levels + t];
        State& hotter = states[c * levels + t + 1];
        const double log_ratio = (beta[t] - beta[t + 1]) * (colder.misfit - hotter.misfit);
        const double u = proposal_random[c].uniform(step * block + levels * (m + 1) + t);
        const bool swap = std::log(u) < log_ratio;
        if (swap) std::swap(colder, hotter);
        if (sampling) {
          ++swaps_tried[t];
          swaps_accepted[t] += swap ? 1 : 0;
        }
      }
    }

    // 4. Adaptation (burn-in only) or recording of the cold states.
    if (!sampling) {
      const double gain = std::pow(static_cast<double>(step + 1), -0.6);
      for (std::size_t t = 0; t < levels; ++t) {
        log_step[t] =
            std::clamp(log_step[t] + gain * (level_acceptance[t] - options.target_acceptance), std::log(1e-4), 0.0);
      }
    } else if ((step - options.burn_in) % options.thinning == 0) {
      for (std::size_t c = 0; c < chains; ++c) {
        const State& cold = states[c * levels];
        pixel_moments.add(cold.image);
        std::vector<double> delta(m);
        for (std::size_t j = 0; j < m; ++j) delta[j] = cold.latent[j] - latent_moments.mean[j];
        latent_moments.add(cold.latent);
        for (std::size_t j = 0; j < m; ++j) {
          for (std::size_t i = 0; i < m; ++i) {
            latent_squares(i, j) += delta[i] * (cold.latent[j] - latent_moments.mean[j]);
          }
        }
        traces[0][c].push_back(cold.misfit);
        for (std::size_t j = 0; j < tracked; ++j) traces[1 + j][c].push_back(cold.latent[j]);
        if (options.keep_draws) result.draws.insert(result.draws.end(), cold.latent.begin(), cold.latent.end());
      }
    }
  }

  if (options.keep_draws) {  // recorded step-major; reorder to chain-major
    std::vector<double> reordered(result.draws.size());
    for (std::size_t s = 0; s < draws_per_chain; ++s) {
      for (std::size_t c = 0; c < chains; ++c) {
        std::copy_n(result.draws.begin() + (s * chains + c) * m, m, reordered.begin() + (c * draws_per_chain + s) * m);
      }
    }
    result.draws = std::move(reordered);
  }

  const double kept = static_cast<double>(pixel_moments.count);
  result.image_mean = pixel_moments.mean;
  result.image_std.resize(n);
  for (std::size_t i = 0; i < n; ++i) result.image_std[i] = std::sqrt(pixel_moments.squares[i] / (kept - 1));
  result.mean = problem.forward().distribute_image(result.image_mean);
  result.std = problem.forward().distribute_image(result.image_std);
  result.latent_mean = latent_moments.mean;
  result.latent_covariance = latent_squares;
  for (double& value : result.latent_covariance.values()) value /= kept - 1;

  result.likelihood = likelihood_name(problem.likelihood());
  result.noise_route = problem.noise_route();
  result.chains = chains;
  result.draws_per_chain = draws_per_chain;
  result.inverse_temperatures = beta;
  for (std::size_t t = 0; t < levels; ++t) {
    result.step_sizes.push_back(std::exp(log_step[t]));
    std::size_t level_accepted = 0;
    for (std::size_t c = 0; c < chains; ++c) level_accepted += accepted[c * levels + t];
    result.acceptance_rates.push_back(static_cast<double>(level_accepted) /
                                      static_cast<double>(chains * options.samples));
    if (t + 1 < levels) {
      result.swap_rates.push_back(
          swaps_tried[t] > 0 ? static_cast<double>(swaps_accepted[t]) / static_cast<double>(swaps_tried[t]) : 0.0);
    }
  }
  for (std::size_t c = 0; c < chains; ++c) {
    result.chain_acceptance_rates.push_back(static_cast<double>(accepted[c * levels]) /
                                            static_cast<double>(options.samples));
  }

  std::ostringstream warning;
  for (std::size_t s = 0; s < traces.size(); ++s) {
    const std::string name = s == 0 ? "misfit" : "z[" + std::to_string(s - 1) + "]";
    result.diagnostics.push_back(diagnose(name, traces[s]));
    const ChainDiagnostics& d = result.diagnostics.back();
    if (s == 0 || d.rhat > result.max_rhat || !std::isfinite(d.rhat)) result.max_rhat = d.rhat;
    if (s == 0 || d.ess_bulk < result.min_ess_bulk) result.min_ess_bulk = d.ess_bulk;
    if (!(d.rhat <= options.rhat_threshold)) {
      result.rhat_warning = true;
      warning << "split-R-hat of " << name << " is " << d.rhat << " > " << options.rhat_threshold << "; ";
    }
  }
  if (result.rhat_warning) {
    warning << "the chains have not mixed: run longer (samples, burn_in) or add temperatures";
    result.warning = warning.str();
  }
  result.generator_counts = meter.generator_counts();
  result.operator_counts = meter.operator_counts();
  result.seconds = meter.seconds();
  return result;
}

}  // namespace priorbench
