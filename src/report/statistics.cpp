#include "report/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.hpp"
#include "core/random.hpp"

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

std::uint64_t stable_key(std::string_view label) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : label) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
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

SlopeEstimate log_log_slope(std::span<const Observation> observations, const BootstrapOptions& options,
                            std::uint64_t key) {
  require_options(options);
  SlopeEstimate estimate;
  std::map<std::size_t, LineSums> by_unit;  // only units with usable points
  std::vector<double> levels;
  LineSums all;
  for (const auto& o : observations) {
    if (!usable(o)) {
      ++estimate.dropped;
      continue;
    }
    const double x = std::log(o.level), y = std::log(o.value);
    by_unit[o.unit].add(x, y);
    all.add(x, y);
    levels.push_back(o.level);
  }
  std::sort(levels.begin(), levels.end());
  estimate.levels = static_cast<std::size_t>(std::unique(levels.begin(), levels.end()) - levels.begin());
  estimate.points = static_cast<std::size_t>(all.n);
  estimate.units = by_unit.size();
  estimate.slope = all.slope();
  if (!std::isfinite(estimate.slope)) return estimate;

  std::vector<LineSums> units;
  for (const auto& [unit, sums] : by_unit) units.push_back(sums);
  std::vector<double> slopes;
  slopes.reserve(options.replicates);
  for (std::size_t b = 0; b < options.replicates; ++b) {
    ResampleIndex index(options, key, b);
    LineSums resampled;
    for (std::size_t i = 0; i < units.size(); ++i) resampled.add(units[index(i, units.size())]);
    const double slope = resampled.slope();
    if (std::isfinite(slope)) {
      slopes.push_back(slope);
    } else {
      ++estimate.degenerate_replicates;
    }
  }
  estimate.interval = percentile_interval(std::move(slopes), options.level);
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

  // Per unit: its values at σ₁ and at σ₂.
  const std::size_t unit_count = count_units(observations);
  std::vector<std::vector<double>> at_smallest(unit_count), at_next(unit_count);
  std::vector<double> smallest, next;
  for (const auto& o : observations) {
    if (!std::isfinite(o.value) || !std::isfinite(o.level)) continue;
    if (o.level == estimate.sigma_smallest) {
      at_smallest[o.unit].push_back(o.value);
      smallest.push_back(o.value);
    } else if (two_levels && o.level == estimate.sigma_next) {
      at_next[o.unit].push_back(o.value);
      next.push_back(o.value);
    }
  }
  std::vector<std::size_t> units;  // units seen at σ₁ or σ₂
  for (std::size_t u = 0; u < unit_count; ++u) {
    if (!at_smallest[u].empty() || !at_next[u].empty()) units.push_back(u);
  }
  estimate.units = units.size();
  const double log_ratio = two_levels ? std::log(estimate.sigma_next / estimate.sigma_smallest) : kNaN;
  const auto terminal = [&](double m1, double m2) {
    return (two_levels && m1 > 0 && m2 > 0) ? std::log(m2 / m1) / log_ratio : kNaN;
  };
  estimate.floor = quantile_in_place(smallest, 0.5);
  estimate.terminal_slope = terminal(estimate.floor, quantile_in_place(next, 0.5));

  std::vector<double> floors, slopes;
  floors.reserve(options.replicates);
  slopes.reserve(options.replicates);
  for (std::size_t b = 0; b < options.replicates; ++b) {
    ResampleIndex index(options, key, b);
    smallest.clear();
    next.clear();
    for (std::size_t i = 0; i < units.size(); ++i) {
      const std::size_t u = units[index(i, units.size())];
      smallest.insert(smallest.end(), at_smallest[u].begin(), at_smallest[u].end());
      next.insert(next.end(), at_next[u].begin(), at_next[u].end());
    }
    if (smallest.empty()) continue;
    const double m1 = quantile_in_place(smallest, 0.5);
    floors.push_back(m1);
    const double slope = next.empty() ? kNaN : terminal(m1, quantile_in_place(next, 0.5));
    if (std::isfinite(slope)) slopes.push_back(slope);
  }
  estimate.floor_interval = percentile_interval(std::move(floors), options.level);
  if (std::isfinite(estimate.terminal_slope)) {
    estimate.terminal_interval = percentile_interval(std::move(slopes), options.level);
    const Interval& t = estimate.terminal_interval;
    if (t.valid()) {
      estimate.verdict = t.lower > 0 ? FloorVerdict::falling : t.upper < 0 ? FloorVerdict::rising : FloorVerdict::flat;
    }
  }
  return estimate;
}

}  // namespace priorbench::report
