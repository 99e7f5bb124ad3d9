#include "report/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "core/error.hpp"
#include "core/random.hpp"
#include "core/special_functions.hpp"

namespace priorbench::report {
namespace {

// Type-7 quantile of `values`, reordering them (nth_element: O(n), no full sort).
double quantile_in_place(std::vector<double>& values, double probability) {
  if (values.empty()) return kNaN;
  const double h = static_cast<double>(values.size() - 1) * probability;
  const auto below = static_cast<std::size_t>(std::floor(h));
  const double fraction = h - static_cast<double>(below);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(below), values.end());
  const double lower = values[below];
  if (fraction == 0 || below + 1 >= values.size()) return lower;
  const double upper = *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(below) + 1, values.end());
  return lower + fraction * (upper - lower);
}

Interval percentile_interval(std::vector<double> replicates, double level) {
  if (replicates.empty()) return {};
  const double tail = (1 - level) / 2;
  const double lower = quantile_in_place(replicates, tail);
  const double upper = quantile_in_place(replicates, 1 - tail);
  return {lower, upper};
}

void require_options(const BootstrapOptions& options) {
  PB_REQUIRE(options.replicates >= 1, "the bootstrap needs at least one replicate, got ", options.replicates);
  PB_REQUIRE(options.level > 0 && options.level < 1, "the confidence level must lie in (0, 1), got ", options.level);
}

// Draw i of bootstrap replicate b: a uniform index in [0, count). Each 64-bit word of
// the generator gives two draws (its 32-bit halves, scaled by multiply-shift: bias below
// count/2³², negligible for any sample here).
class ResampleIndex {
 public:
  ResampleIndex(const BootstrapOptions& options, std::uint64_t key, std::uint64_t replicate)
      : random_(options.seed, key, Purpose::report_bootstrap, replicate) {}
  std::size_t operator()(std::size_t draw, std::size_t count) {
    const std::uint64_t word_index = draw / 2;
    if (word_index != cached_index_) {
      cached_word_ = random_.bits(word_index);
      cached_index_ = word_index;
    }
    const std::uint64_t half = draw % 2 == 0 ? (cached_word_ & 0xffffffffu) : (cached_word_ >> 32);
    return static_cast<std::size_t>((half * static_cast<std::uint64_t>(count)) >> 32);
  }

 private:
  CounterRandom random_;
  std::uint64_t cached_index_ = ~std::uint64_t{0};
  std::uint64_t cached_word_ = 0;
};

// Sums for a least-squares line, so a bootstrap replicate refits from per-unit sums.
struct LineSums {
  double n = 0, x = 0, y = 0, xx = 0, xy = 0;
  void add(double xi, double yi) {
    n += 1;
    x += xi;
    y += yi;
    xx += xi * xi;
    xy += xi * yi;
  }
  void add(const LineSums& other) {
    n += other.n;
    x += other.x;
    y += other.y;
    xx += other.xx;
    xy += other.xy;
  }
  double slope() const {
    const double sxx = xx - x * x / n;
    // Relative test: the x values of one unit may be equal up to rounding.
    if (n < 2 || !(sxx > 1e-12 * std::max(1.0, xx))) return kNaN;
    return (xy - x * y / n) / sxx;
  }
};

bool usable(const Observation& o) {
  return std::isfinite(o.level) && std::isfinite(o.value) && o.level > 0 && o.value > 0;
}

std::size_t count_units(std::span<const Observation> observations) {
  std::size_t units = 0;
  for (const auto& o : observations) units = std::max(units, o.unit + 1);
  return units;
}

// Per-unit line sums of the usable observations, and what log_log_slope reports of them.
struct UnitLines {
  std::map<std::size_t, LineSums> by_unit;
  std::size_t points = 0, levels = 0, dropped = 0;
};

UnitLines unit_lines(std::span<const Observation> observations) {
  UnitLines lines;
  std::vector<double> levels;
  for (const auto& o : observations) {
    if (!usable(o)) {
      ++lines.dropped;
      continue;
    }
    lines.by_unit[o.unit].add(std::log(o.level), std::log(o.value));
    levels.push_back(o.level);
    ++lines.points;
  }
  std::sort(levels.begin(), levels.end());
  lines.levels = static_cast<std::size_t>(std::unique(levels.begin(), levels.end()) - levels.begin());
  return lines;
}

// The slope of the pooled sums of `units`, weighted by how often each was drawn.
double pooled_slope(const std::vector<LineSums>& units, const std::vector<std::size_t>& draws) {
  LineSums pooled;
  for (const std::size_t u : draws) pooled.add(units[u]);
  return pooled.slope();
}

// A statistic of units (e.g. a slope, or a difference of two slopes), bootstrapped by
// drawing units with replacement and jackknifed by leaving one out; returns the BCa
// interval around statistic(all units). `statistic` takes the drawn unit indices.
template <class Statistic>
void cluster_bca(std::size_t unit_count, const Statistic& statistic, const BootstrapOptions& options, std::uint64_t key,
                 SlopeEstimate& estimate) {
  std::vector<std::size_t> draws(unit_count);
  std::iota(draws.begin(), draws.end(), std::size_t{0});
  estimate.slope = statistic(draws);
  if (!std::isfinite(estimate.slope)) return;
  std::vector<double> replicates;
  replicates.reserve(options.replicates);
  for (std::size_t b = 0; b < options.replicates; ++b) {
    ResampleIndex index(options, key, b);
    for (std::size_t i = 0; i < unit_count; ++i) draws[i] = index(i, unit_count);
    const double value = statistic(draws);
    if (std::isfinite(value)) {
      replicates.push_back(value);
    } else {
      ++estimate.degenerate_replicates;
    }
  }
  std::vector<double> jackknife;
  for (std::size_t left_out = 0; left_out < unit_count && unit_count >= 3; ++left_out) {
    draws.clear();
    for (std::size_t u = 0; u < unit_count; ++u) {
      if (u != left_out) draws.push_back(u);
    }
    const double value = statistic(draws);
    if (std::isfinite(value)) jackknife.push_back(value);
  }
  const BcaInterval bca = bca_interval(estimate.slope, replicates, jackknife, options.level);
  estimate.interval = bca.interval;
  estimate.percentile_interval = bca.percentile;
  estimate.bias_correction = bca.bias_correction;
  estimate.acceleration = bca.acceleration;
}

// Exact null distribution of the signed-rank statistic V for n untied ranks: the number of
// subsets of {1, …, n} with each sum w (all 2ⁿ ≤ 2⁴⁹ counts are exact in a double).
std::vector<double> signed_rank_counts(std::size_t n) {
  std::vector<double> counts(n * (n + 1) / 2 + 1, 0.0);
  counts[0] = 1;
  std::size_t top = 0;
  for (std::size_t rank = 1; rank <= n; ++rank) {
    top += rank;
    for (std::size_t w = top; w >= rank; --w) counts[w] += counts[w - rank];
  }
  return counts;
}

// Midranks (1-based) of `values`, and Σ(t³ − t) over groups of t tied values.
std::pair<std::vector<double>, double> midranks(std::span<const double> values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  double ties = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    const double rank = 0.5 * static_cast<double>(i + j) + 1;
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    const double t = static_cast<double>(j - i + 1);
    ties += t * t * t - t;
    i = j + 1;
  }
  return {std::move(ranks), ties};
}

}  // namespace

double quantile(std::span<const double> values, double probability) {
  PB_REQUIRE(probability >= 0 && probability <= 1, "quantile probability must lie in [0, 1], got ", probability);
  std::vector<double> copy(values.begin(), values.end());
  return quantile_in_place(copy, probability);
}

double median(std::span<const double> values) { return quantile(values, 0.5); }

Quartiles quartiles(std::span<const double> values) {
  return {quantile(values, 0.25), quantile(values, 0.5), quantile(values, 0.75)};
}

std::vector<double> finite_values(std::span<const double> values) {
  std::vector<double> finite;
  finite.reserve(values.size());
  for (const double v : values) {
    if (std::isfinite(v)) finite.push_back(v);
  }
  return finite;
}

const char* verdict_name(FloorVerdict verdict) {
  switch (verdict) {
    case FloorVerdict::flat:
      return "flat";
    case FloorVerdict::falling:
      return "falling";
    case FloorVerdict::rising:
      return "rising";
    case FloorVerdict::undetermined:
      return "undetermined";
  }
  return "undetermined";
}

Interval bootstrap_median_interval(std::span<const double> values, const BootstrapOptions& options, std::uint64_t key) {
  require_options(options);
  const std::size_t n = values.size();
  if (n == 0) return {};
  std::vector<double> medians(options.replicates);
  std::vector<double> resample(n);
  for (std::size_t b = 0; b < options.replicates; ++b) {
    ResampleIndex index(options, key, b);
    for (std::size_t i = 0; i < n; ++i) resample[i] = values[index(i, n)];
    medians[b] = quantile_in_place(resample, 0.5);
  }
  return percentile_interval(std::move(medians), options.level);
}

LineFit least_squares_line(std::span<const double> x, std::span<const double> y) {
  PB_REQUIRE(x.size() == y.size(), "least squares: ", x.size(), " x values but ", y.size(), " y values");
  LineSums sums;
  for (std::size_t i = 0; i < x.size(); ++i) sums.add(x[i], y[i]);
  LineFit fit;
  fit.points = x.size();
  fit.slope = sums.slope();
  if (std::isfinite(fit.slope)) fit.intercept = (sums.y - fit.slope * sums.x) / sums.n;
  return fit;
}

QuantileInterval order_statistic_interval(std::span<const double> values, double probability, double level) {
  PB_REQUIRE(probability > 0 && probability < 1, "quantile interval: probability must lie in (0, 1), got ",
             probability);
  PB_REQUIRE(level > 0 && level < 1, "quantile interval: level must lie in (0, 1), got ", level);
  QuantileInterval result;
  result.count = values.size();
  const std::size_t n = values.size();
  if (n == 0) return result;
  // cdf[k] = P(B ≤ k), B ~ Binomial(n, p).
  std::vector<double> cdf(n + 1);
  for (std::size_t k = 0; k <= n; ++k) cdf[k] = special::binomial_cdf(k, n, probability);
  const double tail = (1 - level) / 2;
  // Largest l with P(B ≤ l − 1) ≤ tail; smallest u with P(B ≥ u) = 1 − P(B ≤ u − 1) ≤ tail.
  std::size_t lower = 0;
  while (lower < n && cdf[lower] <= tail) ++lower;
  std::size_t upper = n + 1;
  while (upper > 1 && 1 - cdf[upper - 2] <= tail) --upper;
  if (lower < 1 || upper > n || lower >= upper) return result;
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  result.lower_rank = lower;
  result.upper_rank = upper;
  result.interval = {sorted[lower - 1], sorted[upper - 1]};
  result.coverage = cdf[upper - 1] - cdf[lower - 1];
  return result;
}

std::size_t minimum_units(double probability, double level) {
  PB_REQUIRE(probability > 0 && probability < 1 && level > 0 && level < 1,
             "minimum units: probability and level must lie in (0, 1)");
  const double tail = (1 - level) / 2;
  // Both extreme ranks must be usable: (1 − p)ⁿ ≤ tail and pⁿ ≤ tail.
  const double worst = std::max(probability, 1 - probability);
  return static_cast<std::size_t>(std::ceil(std::log(tail) / std::log(worst) - 1e-12));
}

BcaInterval bca_interval(double estimate, std::span<const double> replicates, std::span<const double> jackknife,
                         double level) {
  PB_REQUIRE(level > 0 && level < 1, "BCa: the level must lie in (0, 1), got ", level);
  BcaInterval result;
  std::vector<double> sorted = finite_values(replicates);
  if (sorted.empty() || !std::isfinite(estimate)) return result;
  std::sort(sorted.begin(), sorted.end());
  const double count = static_cast<double>(sorted.size());
  const auto below = std::lower_bound(sorted.begin(), sorted.end(), estimate) - sorted.begin();
  const auto not_above = std::upper_bound(sorted.begin(), sorted.end(), estimate) - sorted.begin();
  double proportion = (static_cast<double>(below) + 0.5 * static_cast<double>(not_above - below)) / count;
  proportion = std::clamp(proportion, 0.5 / count, 1 - 0.5 / count);
  const double z0 = special::normal_quantile(proportion);

  double acceleration = 0;
  if (jackknife.size() >= 3) {
    const double mean =
        std::accumulate(jackknife.begin(), jackknife.end(), 0.0) / static_cast<double>(jackknife.size());
    double squares = 0, cubes = 0;
    for (const double value : jackknife) {
      const double deviation = mean - value;
      squares += deviation * deviation;
      cubes += deviation * deviation * deviation;
    }
    if (squares > 0) acceleration = cubes / (6 * std::pow(squares, 1.5));
  }
  const auto adjusted = [&](double z) {
    const double shifted = z0 + z;
    const double denominator = 1 - acceleration * shifted;
    if (!(denominator > 0)) return shifted > 0 ? 1.0 : 0.0;
    return special::normal_cdf(z0 + shifted / denominator);
  };
  const double tail = (1 - level) / 2;
  result.bias_correction = z0;
  result.acceleration = acceleration;
  result.interval = {quantile_in_place(sorted, adjusted(special::normal_quantile(tail))),
                     quantile_in_place(sorted, adjusted(special::normal_quantile(1 - tail)))};
  result.percentile = {quantile_in_place(sorted, tail), quantile_in_place(sorted, 1 - tail)};
  return result;
}

SlopeEstimate log_log_slope(std::span<const Observation> observations, const BootstrapOptions& options,
                            std::uint64_t key) {
  require_options(options);
  SlopeEstimate estimate;
  const UnitLines lines = unit_lines(observations);
  estimate.points = lines.points;
  estimate.levels = lines.levels;
  estimate.dropped = lines.dropped;
  estimate.units = lines.by_unit.size();
  std::vector<LineSums> units;
  for (const auto& [unit, sums] : lines.by_unit) units.push_back(sums);
  cluster_bca(
      units.size(), [&](const std::vector<std::size_t>& draws) { return pooled_slope(units, draws); }, options, key,
      estimate);
  return estimate;
}

SlopeEstimate log_log_slope_difference(std::span<const Observation> a, std::span<const Observation> b,
                                       const BootstrapOptions& options, std::uint64_t key) {
  require_options(options);
  SlopeEstimate estimate;
  const UnitLines lines_a = unit_lines(a), lines_b = unit_lines(b);
  estimate.points = lines_a.points + lines_b.points;
  estimate.levels = std::min(lines_a.levels, lines_b.levels);
  estimate.dropped = lines_a.dropped + lines_b.dropped;
  // Units measured for both methods; a unit seen by one only cannot be paired.
  std::vector<LineSums> units_a, units_b;
  for (const auto& [unit, sums] : lines_a.by_unit) {
    const auto other = lines_b.by_unit.find(unit);
    if (other == lines_b.by_unit.end()) continue;
    units_a.push_back(sums);
    units_b.push_back(other->second);
  }
  estimate.units = units_a.size();
  cluster_bca(
      units_a.size(),
      [&](const std::vector<std::size_t>& draws) {
        return pooled_slope(units_a, draws) - pooled_slope(units_b, draws);
      },
      options, key, estimate);
  return estimate;
}

FloorEstimate floor_as_sigma_vanishes(std::span<const Observation> observations, const BootstrapOptions& options,
                                      std::uint64_t key) {
  require_options(options);
  FloorEstimate estimate;
  std::vector<double> levels;
  for (const auto& o : observations) {
    if (std::isfinite(o.level) && o.level > 0 && std::isfinite(o.value)) levels.push_back(o.level);
  }
  if (levels.empty()) return estimate;
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  estimate.sigma_smallest = levels[0];
  const bool two_levels = levels.size() >= 2;
  if (two_levels) estimate.sigma_next = levels[1];

  // Per unit: the mean of its values (its replicates) at σ₁ and at σ₂; NaN where it has none.
  const std::size_t unit_count = count_units(observations);
  std::vector<double> sum1(unit_count, 0), sum2(unit_count, 0), count1(unit_count, 0), count2(unit_count, 0);
  for (const auto& o : observations) {
    if (!std::isfinite(o.value) || !std::isfinite(o.level)) continue;
    if (o.level == estimate.sigma_smallest) {
      sum1[o.unit] += o.value;
      count1[o.unit] += 1;
    } else if (two_levels && o.level == estimate.sigma_next) {
      sum2[o.unit] += o.value;
      count2[o.unit] += 1;
    }
  }
  std::vector<std::size_t> units;  // units seen at σ₁ or σ₂
  std::vector<double> at_smallest(unit_count, kNaN), at_next(unit_count, kNaN);
  for (std::size_t u = 0; u < unit_count; ++u) {
    if (count1[u] > 0) at_smallest[u] = sum1[u] / count1[u];
    if (count2[u] > 0) at_next[u] = sum2[u] / count2[u];
    if (count1[u] > 0 || count2[u] > 0) units.push_back(u);
  }
  estimate.units = units.size();
  const double log_ratio = two_levels ? std::log(estimate.sigma_next / estimate.sigma_smallest) : kNaN;
  const auto terminal = [&](double m1, double m2) {
    return (two_levels && m1 > 0 && m2 > 0) ? std::log(m2 / m1) / log_ratio : kNaN;
  };
  std::vector<double> smallest = finite_values(at_smallest), next = finite_values(at_next);
  estimate.floor_interval = order_statistic_interval(smallest, 0.5, options.level).interval;
  estimate.floor = quantile_in_place(smallest, 0.5);
  estimate.terminal_slope = terminal(estimate.floor, quantile_in_place(next, 0.5));
  if (!std::isfinite(estimate.terminal_slope)) return estimate;

  std::vector<double> slopes;
  slopes.reserve(options.replicates);
  for (std::size_t b = 0; b < options.replicates; ++b) {
    ResampleIndex index(options, key, b);
    smallest.clear();
    next.clear();
    for (std::size_t i = 0; i < units.size(); ++i) {
      const std::size_t u = units[index(i, units.size())];
      if (std::isfinite(at_smallest[u])) smallest.push_back(at_smallest[u]);
      if (std::isfinite(at_next[u])) next.push_back(at_next[u]);
    }
    if (smallest.empty() || next.empty()) continue;
    const double slope = terminal(quantile_in_place(smallest, 0.5), quantile_in_place(next, 0.5));
    if (std::isfinite(slope)) slopes.push_back(slope);
  }
  estimate.terminal_interval = percentile_interval(std::move(slopes), options.level);
  const Interval& t = estimate.terminal_interval;
  if (t.valid()) {
    estimate.verdict = t.lower > 0 ? FloorVerdict::falling : t.upper < 0 ? FloorVerdict::rising : FloorVerdict::flat;
  }
  return estimate;
}

double sign_test_p(std::size_t positive, std::size_t negative) {
  const std::size_t n = positive + negative;
  if (n == 0) return 1;
  const std::size_t fewer = std::min(positive, negative);
  return std::min(1.0, 2 * special::binomial_cdf(fewer, n, 0.5));
}

SignedRankTest wilcoxon_signed_rank(std::span<const double> differences) {
  SignedRankTest test;
  std::vector<double> nonzero;
  bool zeros = false;
  for (const double d : differences) {
    if (!std::isfinite(d)) continue;
    if (d == 0) {
      zeros = true;
    } else {
      nonzero.push_back(d);
    }
  }
  const std::size_t n = nonzero.size();
  test.nonzero = n;
  if (n == 0) return test;
  std::vector<double> magnitudes(n);
  for (std::size_t i = 0; i < n; ++i) magnitudes[i] = std::abs(nonzero[i]);
  const auto [ranks, ties] = midranks(magnitudes);
  double v = 0;
  for (std::size_t i = 0; i < n; ++i) v += nonzero[i] > 0 ? ranks[i] : 0.0;
  test.statistic = v;
  const double nn = static_cast<double>(n);
  const double centre = nn * (nn + 1) / 4;
  test.exact = n < 50 && ties == 0 && !zeros;
  if (test.exact) {
    const std::vector<double> counts = signed_rank_counts(n);
    const double total = std::ldexp(1.0, static_cast<int>(n));
    const auto w = static_cast<std::size_t>(std::llround(v));
    double tail = 0;  // P(V ≥ v) above the centre, P(V ≤ v) below it
    if (v > centre) {
      for (std::size_t k = w; k < counts.size(); ++k) tail += counts[k];
    } else {
      for (std::size_t k = 0; k <= w; ++k) tail += counts[k];
    }
    test.p_value = std::min(1.0, 2 * tail / total);
    return test;
  }
  const double sd = std::sqrt(nn * (nn + 1) * (2 * nn + 1) / 24 - ties / 48);
  const double shift = v - centre;
  const double correction = shift > 0 ? 0.5 : shift < 0 ? -0.5 : 0.0;
  const double z = (shift - correction) / sd;
  test.p_value = std::min(1.0, 2 * std::min(special::normal_cdf(z), special::normal_cdf(-z)));
  return test;
}

PairedComparison compare_paired(std::span<const double> a, std::span<const double> b) {
  PB_REQUIRE(a.size() == b.size(), "paired comparison: ", a.size(), " values against ", b.size());
  PairedComparison comparison;
  std::vector<double> differences;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = a[i] - b[i];
    if (!std::isfinite(d)) continue;
    differences.push_back(d);
    comparison.wins += d < 0 ? 1 : 0;
    comparison.ties += d == 0 ? 1 : 0;
    comparison.losses += d > 0 ? 1 : 0;
  }
  comparison.pairs = differences.size();
  comparison.median_difference = median(differences);
  comparison.sign_p = sign_test_p(comparison.losses, comparison.wins);
  comparison.signed_rank = wilcoxon_signed_rank(differences);
  return comparison;
}

std::vector<double> holm_adjust(std::span<const double> p_values) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < p_values.size(); ++i) {
    if (std::isfinite(p_values[i])) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p_values[a] < p_values[b]; });
  std::vector<double> adjusted(p_values.size(), kNaN);
  const double m = static_cast<double>(order.size());
  double running = 0;
  for (std::size_t j = 0; j < order.size(); ++j) {
    running = std::max(running, std::min(1.0, (m - static_cast<double>(j)) * p_values[order[j]]));
    adjusted[order[j]] = running;
  }
  return adjusted;
}

}  // namespace priorbench::report
