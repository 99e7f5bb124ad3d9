#pragma once
// The estimators of `priorbench report` (docs/report.md states them for readers):
//
// - quantiles of type 7 (Hyndman & Fan 1996; R's default, NumPy's "linear");
// - a percentile-bootstrap confidence interval of a median;
// - the least-squares slope of log(value) against log(level) — a contraction rate — with
//   a cluster-bootstrap interval that resamples whole units (a truth with all its noise
//   levels), so correlation within a unit is kept;
// - the floor as σ → 0: the median at the smallest σ, with the terminal slope between the
//   two smallest σ levels saying whether the error has stopped falling there.
//
// Every bootstrap draw comes from CounterRandom(seed, key, Purpose::report_bootstrap,
// replicate): an interval depends only on its data, the seed and its key (a hash of what
// it describes), never on the order in which a report computes its intervals.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace priorbench::report {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Type 7: with the sorted values x_0 ≤ … ≤ x_{n−1} and h = (n − 1)p,
// Q(p) = x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋). NaN for an empty input; the values must be
// finite (callers drop NaN first). 0 ≤ p ≤ 1.
double quantile(std::span<const double> values, double probability);
double median(std::span<const double> values);

struct Quartiles {
  double q1 = kNaN;
  double median = kNaN;
  double q3 = kNaN;
  double iqr() const { return q3 - q1; }
};
Quartiles quartiles(std::span<const double> values);

// The finite entries of `values`, in order.
std::vector<double> finite_values(std::span<const double> values);

struct Interval {
  double lower = kNaN;
  double upper = kNaN;
  bool contains(double value) const { return lower <= value && value <= upper; }
  bool valid() const { return lower == lower && upper == upper; }
};

struct BootstrapOptions {
  std::size_t replicates = 2000;  // B
  double level = 0.95;            // the interval is [Q((1−level)/2), Q((1+level)/2)] of the B replicates
  std::uint64_t seed = 1;
};

// FNV-1a 64-bit of `label`: the key of one interval's random stream.
std::uint64_t stable_key(std::string_view label);

// Percentile bootstrap of the median: B resamples of the n values with replacement, the
// type-7 median of each, the type-7 quantiles of those B medians. NaN bounds for n = 0;
// n = 1 gives the degenerate interval [x, x].
Interval bootstrap_median_interval(std::span<const double> values, const BootstrapOptions& options, std::uint64_t key);

// Ordinary least squares y ≈ intercept + slope·x. NaN slope when x takes one value only.
struct LineFit {
  double slope = kNaN;
  double intercept = kNaN;
  std::size_t points = 0;
};
LineFit least_squares_line(std::span<const double> x, std::span<const double> y);

// One measurement: `value` (an error) at `level` (σ or d) for resampling unit `unit`
// (0 … units − 1; typically a truth, with all its replicates and levels).
struct Observation {
  double level = 0;
  double value = 0;
  std::size_t unit = 0;
};

// Slope of log(value) against log(level) over every observation (OLS on all points, not
// on medians), and a cluster-bootstrap percentile interval: each replicate draws `units`
// units with replacement and refits on all their points. Observations with a non-finite
// or non-positive level or value are dropped (counted in `dropped`); replicates whose
// draw covers one level only are skipped (counted in `degenerate_replicates`).
struct SlopeEstimate {
  double slope = kNaN;
  Interval interval;
  std::size_t points = 0;
  std::size_t units = 0;
  std::size_t levels = 0;
  std::size_t dropped = 0;
  std::size_t degenerate_replicates = 0;
};
SlopeEstimate log_log_slope(std::span<const Observation> observations, const BootstrapOptions& options,
                            std::uint64_t key);

// The error as σ → 0, from observations with level = σ:
// - `floor` = the type-7 median of the values at the smallest σ (σ₁). It estimates the
//   limit only if the error has stopped falling by σ₁; otherwise it is an upper bound.
// - `terminal_slope` = log(m₂/m₁) / log(σ₂/σ₁), m_i the median at the i-th smallest σ:
//   the local contraction rate at the small-σ end (≈ 0 on a floor, ≈ the rate r for an
//   error c·σ^r that is still falling).
// Both intervals come from one cluster bootstrap over units (as for the slope).
// `verdict`: flat (the interval of the terminal slope contains 0), falling (lies above 0)
// or rising (lies below 0: the error grows as σ falls). A flat verdict with a wide
// interval is a lack of evidence, not proof of a floor.
enum class FloorVerdict { flat, falling, rising, undetermined };
const char* verdict_name(FloorVerdict verdict);

struct FloorEstimate {
  double sigma_smallest = kNaN;
  double sigma_next = kNaN;
  double floor = kNaN;
  Interval floor_interval;
  double terminal_slope = kNaN;
  Interval terminal_interval;
  FloorVerdict verdict = FloorVerdict::undetermined;
  std::size_t units = 0;
};
FloorEstimate floor_as_sigma_vanishes(std::span<const Observation> observations, const BootstrapOptions& options,
                                      std::uint64_t key);

}  // namespace priorbench::report
