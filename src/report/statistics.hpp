#pragma once
// The estimators and tests of `priorbench report` (docs/report.md states them for readers):
//
// - quantiles of type 7 (Hyndman & Fan 1996; R's default, NumPy's "linear");
// - distribution-free confidence intervals of quantiles from order statistics (exact
//   binomial), which say "too few units" when no pair of order statistics reaches the level;
// - the least-squares slope of log(value) against log(level) — a contraction rate — with a
//   BCa interval from a cluster bootstrap that resamples whole units (a truth with all its
//   noise replicates and levels), so correlation within a unit is kept;
// - the floor as σ → 0: the median over units at the smallest σ, with the terminal slope
//   between the two smallest σ levels saying whether the error has stopped falling there;
// - paired comparisons: win counts, the sign test and the Wilcoxon signed-rank test (exact
//   for small samples, as R's wilcox.test), and Holm's step-down adjustment.
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

#include "core/random.hpp"

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

// --- Distribution-free intervals of quantiles ----------------------------------------

// For n i.i.d. values from a continuous distribution with p-quantile ξ, the number B of
// values below ξ is Binomial(n, p), so for 1-based ranks l < u
//   P(x₍l₎ ≤ ξ ≤ x₍u₎) = P(l ≤ B ≤ u − 1),
// whatever the distribution. Equal tails: l is the largest rank with P(B ≤ l − 1) ≤ (1 − L)/2
// and u the smallest with P(B ≥ u) ≤ (1 − L)/2, so the exact coverage is at least L. When
// even l = 1 or u = n fails ((1 − p)ⁿ or pⁿ above (1 − L)/2) no interval of order
// statistics reaches the level: the interval is left undefined ("too few units"; for the
// median at 95 % that is n ≤ 5).
struct QuantileInterval {
  Interval interval;           // [x₍l₎, x₍u₎]; NaN bounds with too few units
  std::size_t lower_rank = 0;  // l (1-based), 0 when undefined
  std::size_t upper_rank = 0;  // u
  double coverage = kNaN;      // the exact P(l ≤ B ≤ u − 1), at least the level
  std::size_t count = 0;       // n
  bool too_few_units() const { return !interval.valid(); }
};
QuantileInterval order_statistic_interval(std::span<const double> values, double probability, double level);
// The smallest n at which order_statistic_interval reaches `level` for `probability`.
std::size_t minimum_units(double probability, double level);

// --- Bootstrap ---------------------------------------------------------------------

struct BootstrapOptions {
  std::size_t replicates = 2000;  // B
  double level = 0.95;            // confidence level L of every interval
  std::uint64_t seed = 1;
};

// FNV-1a 64-bit of `label` (core/random.hpp): the key of one interval's random stream.
using priorbench::stable_key;

// Percentile bootstrap of the median: B resamples of the n values with replacement, the
// type-7 median of each, the type-7 quantiles of those B medians. NaN bounds for n = 0;
// n = 1 gives the degenerate interval [x, x]. (The tables use order_statistic_interval;
// this is kept for comparison in the tests.)
Interval bootstrap_median_interval(std::span<const double> values, const BootstrapOptions& options, std::uint64_t key);

// BCa interval (Efron 1987; Efron & Tibshirani 1993, §14.3) from B bootstrap replicates
// θ*_b of an estimate θ̂ and its jackknife values θ₍ᵢ₎ (leave one unit out):
//   z₀ = Φ⁻¹(#{θ*_b < θ̂}/B + ½ #{θ*_b = θ̂}/B)                 bias correction
//   a  = Σ (θ̄ − θ₍ᵢ₎)³ / (6 [Σ (θ̄ − θ₍ᵢ₎)²]^{3/2})             acceleration
//   αⱼ = Φ(z₀ + (z₀ + zⱼ)/(1 − a (z₀ + zⱼ))),  z₁,₂ = Φ⁻¹((1 ∓ L)/2)
// and the interval [Q(α₁), Q(α₂)] of the replicates (type 7). The proportion in z₀ is
// clamped to [1/(2B), 1 − 1/(2B)] so z₀ stays finite; a = 0 when the jackknife values
// are all equal (or fewer than 3). With z₀ = a = 0 it is the percentile interval.
struct BcaInterval {
  Interval interval;
  Interval percentile;            // [Q((1 − L)/2), Q((1 + L)/2)] of the same replicates
  double bias_correction = kNaN;  // z₀
  double acceleration = kNaN;     // a
};
BcaInterval bca_interval(double estimate, std::span<const double> replicates, std::span<const double> jackknife,
                         double level);

// --- Slopes --------------------------------------------------------------------------

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
// on medians), with a BCa interval from a cluster bootstrap: each replicate draws `units`
// units with replacement and refits on all their points; the jackknife leaves one unit
// out. Observations with a non-finite or non-positive level or value are dropped (counted
// in `dropped`); replicates whose draw covers one level only are skipped (counted in
// `degenerate_replicates`).
struct SlopeEstimate {
  double slope = kNaN;
  Interval interval;             // BCa
  Interval percentile_interval;  // the plain percentile interval of the same replicates
  double bias_correction = kNaN;
  double acceleration = kNaN;
  std::size_t points = 0;
  std::size_t units = 0;
  std::size_t levels = 0;
  std::size_t dropped = 0;
  std::size_t degenerate_replicates = 0;
};
SlopeEstimate log_log_slope(std::span<const Observation> observations, const BootstrapOptions& options,
                            std::uint64_t key);

// slope(a) − slope(b) for two methods measured on the same units (a paired design): the
// bootstrap draws units once for both, so what the units share cancels. BCa interval.
SlopeEstimate log_log_slope_difference(std::span<const Observation> a, std::span<const Observation> b,
                                       const BootstrapOptions& options, std::uint64_t key);

// The error as σ → 0, from observations with level = σ. A unit's value at a level is the
// mean of its observations there (its noise replicates):
// - `floor` = the type-7 median over units of their values at the smallest σ (σ₁), with a
//   distribution-free order-statistic interval (too few units: NaN bounds). It estimates
//   the limit only if the error has stopped falling by σ₁; otherwise it is an upper bound.
// - `terminal_slope` = log(m₂/m₁) / log(σ₂/σ₁), m_i the median over units at the i-th
//   smallest σ: the local contraction rate at the small-σ end (≈ 0 on a floor, ≈ the rate
//   r for an error c·σ^r that is still falling), with a percentile interval from a cluster
//   bootstrap over units (a ratio of medians: the jackknife, and so BCa, is unreliable).
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

// --- Paired comparisons --------------------------------------------------------------

// Two-sided exact sign test: 2·min(P(B ≤ k), P(B ≥ k)), B ~ Binomial(n, ½), k positive of
// n = positive + negative non-zero differences (capped at 1; 1 when n = 0).
double sign_test_p(std::size_t positive, std::size_t negative);

// Wilcoxon signed-rank test of differences, as R's wilcox.test(paired = TRUE): zero
// differences are dropped; V = the sum of the (mid)ranks of |dᵢ| over positive dᵢ; exact
// two-sided p-value from the null distribution of V when n < 50 and there are no ties and
// no zeros, else the normal approximation with the tie correction of the variance,
// n(n+1)(2n+1)/24 − Σ(t³ − t)/48, and a continuity correction of ½.
struct SignedRankTest {
  std::size_t nonzero = 0;
  double statistic = kNaN;  // V
  double p_value = kNaN;    // NaN when no difference is non-zero
  bool exact = false;
};
SignedRankTest wilcoxon_signed_rank(std::span<const double> differences);

// A paired comparison of method a against method b over units, lower being better: the
// differences dᵢ = aᵢ − bᵢ (non-finite pairs dropped), a's wins (dᵢ < 0), ties and
// losses, the median difference, and both tests.
struct PairedComparison {
  std::size_t pairs = 0;
  std::size_t wins = 0;
  std::size_t ties = 0;
  std::size_t losses = 0;
  double median_difference = kNaN;
  double sign_p = kNaN;
  SignedRankTest signed_rank;
};
PairedComparison compare_paired(std::span<const double> a, std::span<const double> b);

// Holm's step-down adjustment of m p-values (NaN entries stay NaN and do not count in m):
// with p₍₁₎ ≤ … ≤ p₍ₘ₎, adjusted p₍ᵢ₎ = max over j ≤ i of min(1, (m − j + 1) p₍ⱼ₎).
std::vector<double> holm_adjust(std::span<const double> p_values);

}  // namespace priorbench::report
