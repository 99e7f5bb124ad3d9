#include "diagnostics/mcmc_diagnostics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "core/special_functions.hpp"

namespace priorbench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::size_t check_shape(const Chains& chains, std::size_t minimum_length) {
  PB_REQUIRE(!chains.empty(), "MCMC diagnostics need at least one chain");
  const std::size_t length = chains.front().size();
  for (const auto& chain : chains) {
    PB_REQUIRE(chain.size() == length, "MCMC diagnostics need chains of equal length, got ", length, " and ",
               chain.size());
  }
  PB_REQUIRE(length >= minimum_length, "MCMC diagnostics need at least ", minimum_length, " draws per chain, got ",
             length);
  return length;
}

double mean_of(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double variance_of(const std::vector<double>& values) {  // divisor size − 1
  const double mean = mean_of(values);
  double sum = 0;
  for (double value : values) sum += (value - mean) * (value - mean);
  return sum / static_cast<double>(values.size() - 1);
}

Chains fold(const Chains& chains) {
  std::vector<double> pooled;
  for (const auto& chain : chains) pooled.insert(pooled.end(), chain.begin(), chain.end());
  std::sort(pooled.begin(), pooled.end());
  const std::size_t s = pooled.size();
  const double median = s % 2 == 1 ? pooled[s / 2] : 0.5 * (pooled[s / 2 - 1] + pooled[s / 2]);
  Chains folded = chains;
  for (auto& chain : folded) {
    for (double& value : chain) value = std::abs(value - median);
  }
  return folded;
}

}  // namespace

Chains split_chains(const Chains& chains) {
  const std::size_t length = check_shape(chains, 2);
  const std::size_t half = length / 2;
  Chains halves;
  for (const auto& chain : chains) {
    halves.emplace_back(chain.begin(), chain.begin() + static_cast<std::ptrdiff_t>(half));
    halves.emplace_back(chain.end() - static_cast<std::ptrdiff_t>(half), chain.end());
  }
  return halves;
}

Chains rank_normalize(const Chains& chains) {
  const std::size_t length = check_shape(chains, 1);
  const std::size_t total = length * chains.size();
  std::vector<std::pair<double, std::size_t>> order(total);
  for (std::size_t c = 0; c < chains.size(); ++c) {
    for (std::size_t i = 0; i < length; ++i) order[c * length + i] = {chains[c][i], c * length + i};
  }
  std::sort(order.begin(), order.end());
  std::vector<double> ranks(total);
  for (std::size_t first = 0; first < total;) {  // ties share their average rank
    std::size_t last = first;
    while (last + 1 < total && order[last + 1].first == order[first].first) ++last;
    const double rank = 0.5 * static_cast<double>(first + last) + 1.0;
    for (std::size_t k = first; k <= last; ++k) ranks[order[k].second] = rank;
    first = last + 1;
  }
  Chains normalized = chains;
  for (std::size_t c = 0; c < chains.size(); ++c) {
    for (std::size_t i = 0; i < length; ++i) {
      normalized[c][i] = normal_quantile((ranks[c * length + i] - 0.375) / (static_cast<double>(total) + 0.25));
    }
  }
  return normalized;
}

// The one implementation in core/special_functions, with this function's contract: p in
// (0, 1), since rank normalization never asks for the infinite quantiles.
double normal_quantile(double p) {
  PB_REQUIRE(p > 0 && p < 1, "normal_quantile needs p in (0, 1), got ", p);
  return special::normal_quantile(p);
}

double potential_scale_reduction(const Chains& chains) {
  const std::size_t length = check_shape(chains, 2);
  PB_REQUIRE(chains.size() >= 2, "R-hat needs at least two chains");
  std::vector<double> means, variances;
  for (const auto& chain : chains) {
    means.push_back(mean_of(chain));
    variances.push_back(variance_of(chain));
  }
  const double within = mean_of(variances);
  if (!(within > 0)) return kNaN;
  const double n = static_cast<double>(length);
  const double pooled = (n - 1) / n * within + variance_of(means);
  return std::sqrt(pooled / within);
}

// Stan's multi-chain ESS (posterior::ess_basic without splitting).
double effective_sample_size(const Chains& chains) {
  const std::size_t length = check_shape(chains, 4);
  const std::size_t count = chains.size();
  const double n = static_cast<double>(length);
  std::vector<double> means;
  for (const auto& chain : chains) means.push_back(mean_of(chain));
  auto mean_autocovariance = [&](std::size_t lag) {  // mean over chains of acov_c(lag), divisor N
    double sum = 0;
    for (std::size_t c = 0; c < count; ++c) {
      const auto& x = chains[c];
      double chain_sum = 0;
      for (std::size_t i = 0; i + lag < length; ++i) chain_sum += (x[i] - means[c]) * (x[i + lag] - means[c]);
      sum += chain_sum / n;
    }
    return sum / static_cast<double>(count);
  };
  const double within = mean_autocovariance(0) * n / (n - 1);
  double pooled = within * (n - 1) / n;
  if (count > 1) pooled += variance_of(means);
  if (!(pooled > 0)) return kNaN;
  auto rho = [&](std::size_t lag) { return 1.0 - (within - mean_autocovariance(lag)) / pooled; };

  std::vector<double> rho_hat(length, 0.0);
  rho_hat[0] = 1.0;
  double rho_even = 1.0, rho_odd = rho(1);
  rho_hat[1] = rho_odd;
  std::size_t t = 0;
  while (t + 5 < length && std::isfinite(rho_even + rho_odd) && rho_even + rho_odd > 0) {
    t += 2;
    rho_even = rho(t);
    rho_odd = rho(t + 1);
    if (rho_even + rho_odd >= 0) {
      rho_hat[t] = rho_even;
      rho_hat[t + 1] = rho_odd;
    }
  }
  const std::size_t max_t = t;
  if (rho_even > 0) rho_hat[max_t] = rho_even;
  for (t = 2; t + 2 <= max_t; t += 2) {  // Geyer's initial monotone sequence
    if (rho_hat[t] + rho_hat[t + 1] > rho_hat[t - 2] + rho_hat[t - 1]) {
      rho_hat[t] = rho_hat[t + 1] = 0.5 * (rho_hat[t - 2] + rho_hat[t - 1]);
    }
  }
  const double draws = n * static_cast<double>(count);
  double tau = -1.0 + rho_hat[max_t];
  for (std::size_t lag = 0; lag < max_t; ++lag) tau += 2 * rho_hat[lag];
  tau = std::max(tau, 1.0 / std::log10(draws));
  return draws / tau;
}

double split_rhat(const Chains& chains) { return potential_scale_reduction(split_chains(chains)); }

double rhat_bulk(const Chains& chains) { return potential_scale_reduction(rank_normalize(split_chains(chains))); }

double rhat_tail(const Chains& chains) { return potential_scale_reduction(rank_normalize(split_chains(fold(chains)))); }

double rank_normalized_split_rhat(const Chains& chains) {
  const double bulk = rhat_bulk(chains);
  const double tail = rhat_tail(chains);
  if (!std::isfinite(bulk) || !std::isfinite(tail)) return kNaN;
  return std::max(bulk, tail);
}

double pooled_quantile(const Chains& chains, double probability) {
  check_shape(chains, 1);
  PB_REQUIRE(probability >= 0 && probability <= 1, "a quantile needs a probability in [0, 1], got ", probability);
  std::vector<double> pooled;
  for (const auto& chain : chains) pooled.insert(pooled.end(), chain.begin(), chain.end());
  std::sort(pooled.begin(), pooled.end());
  const double position = probability * static_cast<double>(pooled.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, pooled.size() - 1);
  return pooled[below] + (position - static_cast<double>(below)) * (pooled[above] - pooled[below]);
}

double ess_quantile(const Chains& chains, double probability) {
  const double threshold = pooled_quantile(chains, probability);
  Chains indicators = chains;
  for (auto& chain : indicators) {
    for (double& value : chain) value = value <= threshold ? 1.0 : 0.0;
  }
  return effective_sample_size(split_chains(indicators));
}

double ess_tail(const Chains& chains) {
  const double lower = ess_quantile(chains, 0.05);
  const double upper = ess_quantile(chains, 0.95);
  if (!std::isfinite(lower) || !std::isfinite(upper)) return kNaN;
  return std::min(lower, upper);
}

double e_bfmi(const std::vector<double>& energies) {
  PB_REQUIRE(energies.size() >= 2, "E-BFMI needs at least 2 energies, got ", energies.size());
  const double mean = mean_of(energies);
  double jumps = 0, spread = 0;
  for (std::size_t n = 0; n < energies.size(); ++n) {
    spread += (energies[n] - mean) * (energies[n] - mean);
    if (n > 0) jumps += (energies[n] - energies[n - 1]) * (energies[n] - energies[n - 1]);
  }
  return spread > 0 ? jumps / spread : kNaN;
}

double ess_mean(const Chains& chains) { return effective_sample_size(split_chains(chains)); }

double ess_bulk(const Chains& chains) { return effective_sample_size(rank_normalize(split_chains(chains))); }

ChainDiagnostics diagnose(const std::string& name, const Chains& chains) {
  check_shape(chains, 8);
  ChainDiagnostics result;
  result.name = name;
  std::vector<double> pooled;
  for (const auto& chain : chains) pooled.insert(pooled.end(), chain.begin(), chain.end());
  result.mean = mean_of(pooled);
  result.sd = std::sqrt(variance_of(pooled));
  result.ess_mean = ess_mean(chains);
  result.ess_bulk = ess_bulk(chains);
  result.rhat_bulk = rhat_bulk(chains);
  result.rhat_tail = rhat_tail(chains);
  result.rhat = std::isfinite(result.rhat_bulk) && std::isfinite(result.rhat_tail)
                    ? std::max(result.rhat_bulk, result.rhat_tail)
                    : kNaN;
  result.mcse_mean = result.sd / std::sqrt(result.ess_mean);
  result.ess_tail = ess_tail(chains);
  return result;
}

namespace {

std::string rounded(double value, int digits) {
  std::ostringstream out;
  out.precision(digits);
  out << value;
  return out.str();
}

// `value` > `threshold` to 3 significant digits, or as many more (up to 8) as it takes for the
// printed value to exceed the threshold: "1.0102", not "1.01", above 1.01.
std::string above(double value, double threshold) {
  int digits = 3;
  while (digits < 8 && std::stod(rounded(value, digits)) <= threshold) ++digits;
  return rounded(value, digits);
}

// The worst value of one diagnostic over the quantities and the quantity it belongs to;
// a non-finite value is worse than any finite one.
struct Worst {
  double value = 0;
  std::string where;
  bool found = false;
  void consider(double candidate, const std::string& quantity, bool larger_is_worse) {
    const bool worse = !found || (std::isfinite(value) && (!std::isfinite(candidate) ||
                                                           (larger_is_worse ? candidate > value : candidate < value)));
    if (!worse) return;
    value = candidate;
    where = quantity;
    found = true;
  }
};

}  // namespace

ConvergenceVerdict convergence_verdict(const std::vector<ChainDiagnostics>& quantities, std::size_t divergences,
                                       const ConvergenceCriteria& criteria) {
  PB_REQUIRE(!quantities.empty(), "a convergence verdict needs at least one tracked quantity");
  Worst rhat, bulk, tail;
  for (const ChainDiagnostics& q : quantities) {
    rhat.consider(q.rhat_bulk, q.name + " bulk", true);
    rhat.consider(q.rhat_tail, q.name + " tail", true);
    bulk.consider(q.ess_bulk, q.name, false);
    tail.consider(q.ess_tail, q.name, false);
  }
  ConvergenceVerdict verdict;
  verdict.max_rhat = std::isfinite(rhat.value) ? rhat.value : kNaN;
  verdict.min_ess_bulk = bulk.value;
  verdict.min_ess_tail = tail.value;
  verdict.divergences = divergences;

  std::vector<std::string> failures;
  if (!std::isfinite(rhat.value)) {
    failures.push_back("R̂ not finite (" + rhat.where + ")");
  } else if (rhat.value > criteria.max_rhat) {
    failures.push_back("R̂ " + above(rhat.value, criteria.max_rhat) + " > " + rounded(criteria.max_rhat, 3) + " (" +
                       rhat.where + ")");
  }
  auto check_ess = [&](const Worst& worst, const std::string& label, double minimum) {
    if (!std::isfinite(worst.value)) {
      failures.push_back(label + " not finite (" + worst.where + ")");
    } else if (worst.value < minimum) {
      failures.push_back(label + " " + rounded(std::floor(worst.value), 10) + " < " + rounded(minimum, 10) + " (" +
                         worst.where + ")");
    }
  };
  check_ess(bulk, "bulk ESS", criteria.min_ess_bulk);
  check_ess(tail, "tail ESS", criteria.min_ess_tail);
  if (divergences > criteria.max_divergences) {
    failures.push_back(std::to_string(divergences) + (divergences == 1 ? " divergence" : " divergences"));
  }
  verdict.converged = failures.empty();
  for (std::size_t k = 0; k < failures.size(); ++k) verdict.reason += (k > 0 ? "; " : "") + failures[k];
  return verdict;
}

}  // namespace priorbench
