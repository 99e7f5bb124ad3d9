// The report's estimators against closed forms, hand computations and SciPy 1.10 / R
// reference values, its intervals against their nominal coverage on synthetic data (fixed
// seeds: the test is deterministic), the results reader's errors, the analysis counts,
// and the tables of a file written before the uncertainty metrics existed.

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/random.hpp"
#include "core/special_functions.hpp"
#include "report/analysis.hpp"
#include "report/results_reader.hpp"
#include "report/statistics.hpp"
#include "report/tables.hpp"

namespace pb = priorbench;
namespace rp = priorbench::report;

namespace {

rp::BootstrapOptions options(std::size_t replicates = 2000, std::uint64_t seed = 1) { return {replicates, 0.95, seed}; }

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const pb::Error& error) {
    return error.what();
  }
  return "(no error)";
}

}  // namespace

TEST(ReportStatistics, Type7QuantilesOfSmallArrays) {
  // Hand computation: h = (n − 1)p, interpolate between the order statistics around h.
  const std::vector<double> four = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(rp::quantile(four, 0.25), 1.75);  // h = 0.75: 1 + 0.75·(2 − 1)
  EXPECT_DOUBLE_EQ(rp::median(four), 2.5);
  EXPECT_DOUBLE_EQ(rp::quantile(four, 0.75), 3.25);
  EXPECT_DOUBLE_EQ(rp::quantile(four, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(rp::quantile(four, 1.0), 4.0);
  // R: quantile(c(1, 2, 3, 4, 10)) gives 2, 3, 4 at the quartiles.
  const auto q = rp::quartiles(std::vector<double>{10, 1, 4, 2, 3});
  EXPECT_DOUBLE_EQ(q.q1, 2.0);
  EXPECT_DOUBLE_EQ(q.median, 3.0);
  EXPECT_DOUBLE_EQ(q.q3, 4.0);
  EXPECT_DOUBLE_EQ(q.iqr(), 2.0);
  // R: quantile(c(0.5, 7, 2), 0.9) = 2 + 0.8·(7 − 2) = 6.
  EXPECT_DOUBLE_EQ(rp::quantile(std::vector<double>{0.5, 7, 2}, 0.9), 6.0);
  EXPECT_DOUBLE_EQ(rp::median(std::vector<double>{42}), 42.0);
  EXPECT_TRUE(std::isnan(rp::median(std::vector<double>{})));
  EXPECT_EQ(rp::finite_values(std::vector<double>{1, NAN, 2, INFINITY}), (std::vector<double>{1, 2}));
  EXPECT_NE(error_of([] { rp::quantile(std::vector<double>{1}, 1.5); }).find("[0, 1]"), std::string::npos);
}

TEST(ReportStatistics, StableKeyIsFnv1a) {
  EXPECT_EQ(rp::stable_key(""), 14695981039346656037ull);
  EXPECT_EQ(rp::stable_key("a"), 0xaf63dc4c8601ec8cull);
}

TEST(ReportStatistics, LeastSquaresLineIsExactOnALine) {
  const std::vector<double> x = {-1, 0, 2, 5};
  std::vector<double> y;
  for (const double xi : x) y.push_back(3 - 2 * xi);
  const auto fit = rp::least_squares_line(x, y);
  EXPECT_NEAR(fit.slope, -2, 1e-14);
  EXPECT_NEAR(fit.intercept, 3, 1e-14);
  EXPECT_TRUE(std::isnan(rp::least_squares_line(std::vector<double>{1, 1}, std::vector<double>{0, 2}).slope));
  // Hand computation: x = 0, 1, 2; y = 0, 2, 1 → slope = Sxy/Sxx = 1/2, intercept = 1 − 1/2.
  const auto noisy = rp::least_squares_line(std::vector<double>{0, 1, 2}, std::vector<double>{0, 2, 1});
  EXPECT_DOUBLE_EQ(noisy.slope, 0.5);
  EXPECT_DOUBLE_EQ(noisy.intercept, 0.5);
}

TEST(ReportStatistics, SlopeOfAnExactPowerLawIsTheExponent) {
  // error = c_u · σ^1.5 for units with different constants: every resample is exact too.
  std::vector<rp::Observation> observations;
  for (std::size_t unit = 0; unit < 7; ++unit) {
    for (const double sigma : {0.1, 0.03, 0.01, 0.003, 0.001}) {
      observations.push_back({sigma, (1.0 + unit) * std::pow(sigma, 1.5), unit});
    }
  }
  // A non-positive and a NaN value are dropped, not fitted.
  observations.push_back({0.01, 0.0, 3});
  observations.push_back({0.01, NAN, 4});
  const auto estimate = rp::log_log_slope(observations, options(), 11);
  // Every unit has every level, so the unit constants are orthogonal to log σ and the
  // pooled fit, like every resampled one, is exact.
  EXPECT_NEAR(estimate.slope, 1.5, 1e-12);
  EXPECT_NEAR(estimate.interval.lower, 1.5, 1e-12);
  EXPECT_NEAR(estimate.interval.upper, 1.5, 1e-12);
  EXPECT_EQ(estimate.points, 35u);
  EXPECT_EQ(estimate.units, 7u);
  EXPECT_EQ(estimate.levels, 5u);
  EXPECT_EQ(estimate.dropped, 2u);
  // In d: error ∝ d^(−1/2).
  std::vector<rp::Observation> in_d;
  for (std::size_t unit = 0; unit < 5; ++unit) {
    for (const double d : {98.0, 196.0, 392.0, 784.0}) in_d.push_back({d, 0.3 / std::sqrt(d), unit});
  }
  EXPECT_NEAR(rp::log_log_slope(in_d, options(), 12).slope, -0.5, 1e-12);
  // One level only: no slope.
  const std::vector<rp::Observation> one_level = {{0.1, 1, 0}, {0.1, 2, 1}};
  EXPECT_TRUE(std::isnan(rp::log_log_slope(one_level, options(), 13).slope));
}

TEST(ReportStatistics, BootstrapIsDeterministicAndKeyed) {
  std::vector<double> values;
  const pb::CounterRandom random(5, 0, pb::Purpose::test_values);
  for (int i = 0; i < 31; ++i) values.push_back(random.normal(static_cast<std::uint64_t>(i)));
  const auto a = rp::bootstrap_median_interval(values, options(), 7);
  const auto b = rp::bootstrap_median_interval(values, options(), 7);
  EXPECT_EQ(a.lower, b.lower);
  EXPECT_EQ(a.upper, b.upper);
  // Bounds of a median's interval are order statistics, often the same for other draws;
  // a slope's are continuous, so they show that the key and the seed select the draws.
  std::vector<rp::Observation> observations;
  for (std::size_t unit = 0; unit < 8; ++unit) {
    for (const double sigma : {0.1, 0.01, 0.001}) {
      observations.push_back({sigma, sigma * std::exp(0.1 * random.normal(100 + observations.size())), unit});
    }
  }
  const auto slope = rp::log_log_slope(observations, options(), 7);
  EXPECT_EQ(slope.interval.lower, rp::log_log_slope(observations, options(), 7).interval.lower);
  EXPECT_NE(slope.interval.lower, rp::log_log_slope(observations, options(), 8).interval.lower);
  EXPECT_NE(slope.interval.lower, rp::log_log_slope(observations, options(2000, 2), 7).interval.lower);
  EXPECT_LT(a.lower, rp::median(values));
  EXPECT_GT(a.upper, rp::median(values));
  // Percentile bounds are order statistics of bootstrap medians: values of the sample (n odd).
  EXPECT_NE(std::find(values.begin(), values.end(), a.lower), values.end());
  const auto single = rp::bootstrap_median_interval(std::vector<double>{3.5}, options(), 1);
  EXPECT_EQ(single.lower, 3.5);
  EXPECT_EQ(single.upper, 3.5);
  EXPECT_FALSE(rp::bootstrap_median_interval(std::vector<double>{}, options(), 1).valid());
  EXPECT_NE(error_of([] {
              rp::bootstrap_median_interval(std::vector<double>{1}, {0, 0.95, 1}, 1);
            }).find("at least one replicate"),
            std::string::npos);
}

TEST(ReportStatistics, MedianIntervalCoversAtRoughlyTheNominalRate) {
  // 400 samples of n = 41 from a lognormal (median 1); each interval should contain 1 in
  // about 95 % of samples. Binomial sd at 95 %: 1.1 %; the percentile bootstrap of a
  // median is slightly conservative at this n, so allow [0.90, 0.99].
  const std::size_t trials = 400, n = 41;
  std::size_t covered = 0;
  for (std::size_t trial = 0; trial < trials; ++trial) {
    const pb::CounterRandom random(2024, trial, pb::Purpose::test_values);
    std::vector<double> values(n);
    for (std::size_t i = 0; i < n; ++i) values[i] = std::exp(random.normal(i));
    covered += rp::bootstrap_median_interval(values, options(1000), trial).contains(1.0) ? 1 : 0;
  }
  const double rate = static_cast<double>(covered) / trials;
  std::cout << "median interval: coverage " << rate << " of " << trials << " (nominal 0.95)\n";
  EXPECT_GT(rate, 0.90) << "coverage " << rate;
  EXPECT_LT(rate, 0.99) << "coverage " << rate;
}

TEST(ReportStatistics, SlopeIntervalCoversAtRoughlyTheNominalRate) {
  // log e = log c_u + r log σ + ε: unit effects c_u (lognormal, sd 0.3) and task noise
  // (sd 0.2); 20 units × 5 σ levels × 2 replicates. The cluster bootstrap should contain
  // r = 0.8 in about 95 % of 300 data sets; with 20 clusters it undercovers slightly.
  const double rate = 0.8;
  const std::size_t trials = 300, units = 20;
  std::size_t covered = 0;
  for (std::size_t trial = 0; trial < trials; ++trial) {
    const pb::CounterRandom random(77, trial, pb::Purpose::test_values);
    std::uint64_t draw = 0;
    std::vector<rp::Observation> observations;
    for (std::size_t unit = 0; unit < units; ++unit) {
      const double effect = 0.3 * random.normal(draw++);
      for (const double sigma : {0.1, 0.03, 0.01, 0.003, 0.001}) {
        for (int replicate = 0; replicate < 2; ++replicate) {
          const double noise = 0.2 * random.normal(draw++);
          observations.push_back({sigma, std::exp(effect + rate * std::log(sigma) + noise), unit});
        }
      }
    }
    covered += rp::log_log_slope(observations, options(500), trial).interval.contains(rate) ? 1 : 0;
  }
  const double coverage = static_cast<double>(covered) / trials;
  std::cout << "slope interval: coverage " << coverage << " of " << trials << " (nominal 0.95)\n";
  EXPECT_GT(coverage, 0.88) << "coverage " << coverage;
  EXPECT_LT(coverage, 0.99) << "coverage " << coverage;
}

TEST(ReportStatistics, FloorAndTerminalSlopeOfExactCurves) {
  const std::vector<double> sigmas = {0.1, 0.01, 0.001, 0.0001};
  const auto curve = [&](const std::function<double(double)>& error) {
    std::vector<rp::Observation> observations;
    for (std::size_t unit = 0; unit < 6; ++unit) {
      for (const double sigma : sigmas) observations.push_back({sigma, error(sigma), unit});
    }
    return rp::floor_as_sigma_vanishes(observations, options(), 3);
  };
  // floor + c σ: the median at the smallest σ, and the exact two-point slope.
  const auto floored = curve([](double s) { return 0.2 + 0.5 * s; });
  EXPECT_DOUBLE_EQ(floored.sigma_smallest, 1e-4);
  EXPECT_DOUBLE_EQ(floored.sigma_next, 1e-3);
  EXPECT_NEAR(floored.floor, 0.2 + 0.5e-4, 1e-15);
  EXPECT_NEAR(floored.floor_interval.lower, floored.floor, 1e-15);
  EXPECT_NEAR(floored.terminal_slope, std::log((0.2 + 0.5e-3) / (0.2 + 0.5e-4)) / std::log(10.0), 1e-12);
  EXPECT_EQ(floored.units, 6u);
  // A pure power law keeps falling at its rate.
  const auto power = curve([](double s) { return 3 * s * s; });
  EXPECT_NEAR(power.terminal_slope, 2, 1e-12);
  EXPECT_EQ(power.verdict, rp::FloorVerdict::falling);
  // A constant is flat; an error that grows as σ falls is rising.
  EXPECT_EQ(curve([](double) { return 0.3; }).verdict, rp::FloorVerdict::flat);
  EXPECT_EQ(curve([](double s) { return 0.1 / std::sqrt(s); }).verdict, rp::FloorVerdict::rising);
  // One σ level: a floor, but no terminal slope.
  const std::vector<rp::Observation> one = {{0.1, 0.5, 0}, {0.1, 0.7, 1}, {0.1, 0.6, 2}};
  const auto single = rp::floor_as_sigma_vanishes(one, options(), 4);
  EXPECT_DOUBLE_EQ(single.floor, 0.6);
  EXPECT_TRUE(std::isnan(single.terminal_slope));
  EXPECT_EQ(single.verdict, rp::FloorVerdict::undetermined);
}

TEST(ReportStatistics, FloorIntervalOnNoisyData) {
  // floor_u + 0.5 σ + noise, floors spread around 0.2: the median at the smallest σ and
  // its interval bracket the population median 0.2 + 0.5·1e-3.
  std::vector<rp::Observation> observations;
  const pb::CounterRandom random(9, 0, pb::Purpose::test_values);
  std::uint64_t draw = 0;
  for (std::size_t unit = 0; unit < 40; ++unit) {
    const double floor = 0.2 * std::exp(0.05 * random.normal(draw++));
    for (const double sigma : {0.1, 0.01, 0.001}) {
      observations.push_back({sigma, floor + 0.5 * sigma + 0.001 * random.normal(draw++), unit});
    }
  }
  const auto estimate = rp::floor_as_sigma_vanishes(observations, options(), 5);
  EXPECT_TRUE(estimate.floor_interval.contains(0.2005))
      << estimate.floor_interval.lower << " " << estimate.floor_interval.upper;
  EXPECT_NEAR(estimate.floor, 0.2005, 0.01);
  EXPECT_LT(std::abs(estimate.terminal_slope), 0.05);
}

TEST(ReportStatistics, OrderStatisticIntervalsAreTheExactBinomialOnes) {
  // Ranks and exact coverage P(l ≤ B ≤ u − 1), B ~ Binomial(n, p), computed with
  // scipy.stats.binom; the classic table value for the median of 10 is [x(2), x(9)].
  struct Case {
    std::size_t n;
    double p;
    std::size_t lower, upper;
    double coverage;
  };
  const Case cases[] = {{10, 0.5, 2, 9, 0.978515625},
                        {100, 0.5, 40, 61, 0.9647997997822952},
                        {50, 0.9, 41, 50, 0.9703082890880885},
                        {13, 0.25, 1, 7, 0.9519525915384293},
                        {6, 0.5, 1, 6, 0.96875},
                        {41, 0.5, 14, 28, 0.9724668441704125}};
  for (const auto& c : cases) {
    std::vector<double> values;  // n, n − 1, …, 1: the i-th order statistic is i
    for (std::size_t i = c.n; i >= 1; --i) values.push_back(static_cast<double>(i));
    const auto interval = rp::order_statistic_interval(values, c.p, 0.95);
    EXPECT_EQ(interval.lower_rank, c.lower) << c.n << " " << c.p;
    EXPECT_EQ(interval.upper_rank, c.upper) << c.n << " " << c.p;
    EXPECT_DOUBLE_EQ(interval.interval.lower, static_cast<double>(c.lower));
    EXPECT_DOUBLE_EQ(interval.interval.upper, static_cast<double>(c.upper));
    EXPECT_NEAR(interval.coverage, c.coverage, 1e-12) << c.n << " " << c.p;
    EXPECT_FALSE(interval.too_few_units());
  }
  // Too few units: the median of 5 (best possible [min, max] covers 1 − 2/32 = 0.9375) and
  // the lower quartile of 12 ((3/4)¹² = 0.032 > 0.025).
  EXPECT_TRUE(rp::order_statistic_interval(std::vector<double>{1, 2, 3, 4, 5}, 0.5, 0.95).too_few_units());
  EXPECT_TRUE(rp::order_statistic_interval(std::vector<double>(12, 1.0), 0.25, 0.95).too_few_units());
  EXPECT_FALSE(rp::order_statistic_interval(std::vector<double>{1, 2, 3, 4, 5}, 0.5, 0.9).too_few_units());
  EXPECT_EQ(rp::minimum_units(0.5, 0.95), 6u);
  EXPECT_EQ(rp::minimum_units(0.25, 0.95), 13u);
  EXPECT_EQ(rp::minimum_units(0.9, 0.95), 36u);  // 0.9³⁵ = 0.02503 > 0.025 ≥ 0.9³⁶
  EXPECT_EQ(rp::order_statistic_interval(std::vector<double>{}, 0.5, 0.95).count, 0u);
}

TEST(ReportStatistics, OrderStatisticIntervalCoversAtItsExactRate) {
  // Exponential samples of n = 11 (population median ln 2): the interval [x(2), x(10)]
  // covers with probability exactly 1 − 2·12/2048; 4000 samples, binomial sd 0.0017.
  const std::size_t trials = 4000, n = 11;
  std::size_t covered = 0;
  double coverage = 0;
  for (std::size_t trial = 0; trial < trials; ++trial) {
    const pb::CounterRandom random(31, trial, pb::Purpose::test_values);
    std::vector<double> values(n);
    for (std::size_t i = 0; i < n; ++i) values[i] = -std::log(random.uniform(i));
    const auto interval = rp::order_statistic_interval(values, 0.5, 0.95);
    covered += interval.interval.contains(std::log(2.0)) ? 1 : 0;
    coverage = interval.coverage;
  }
  EXPECT_NEAR(coverage, 1 - 24.0 / 2048, 1e-14);
  const double rate = static_cast<double>(covered) / trials;
  std::cout << "order-statistic interval: coverage " << rate << " of " << trials << " (exact " << coverage << ")\n";
  EXPECT_NEAR(rate, coverage, 0.0055);
}

TEST(ReportStatistics, BcaOnAShiftedNormalBootstrapDistributionIsTheBiasCorrectedInterval) {
  // Replicates at the quantiles of N(θ̂ + b, s²): z₀ = Φ⁻¹(P(θ* < θ̂)) = −b/s, and with a = 0
  // the BCa interval is θ̂ + b + s(2z₀ ± z₀.₉₇₅) = θ̂ − b ± 1.96 s (Efron & Tibshirani §14.3).
  const double estimate = 2.0, bias = 0.1, scale = 0.5;
  const std::size_t count = 100000;
  std::vector<double> replicates(count);
  for (std::size_t k = 0; k < count; ++k) {
    replicates[k] = estimate + bias + scale * pb::special::normal_quantile((static_cast<double>(k) + 0.5) / count);
  }
  const std::vector<double> equal_jackknife(5, 1.0);
  const auto bca = rp::bca_interval(estimate, replicates, equal_jackknife, 0.95);
  const double z = pb::special::normal_quantile(0.975);
  // The grid stands for the continuous distribution up to a shift of O(1/B) in probability:
  // 1e-3·s in value where the density is not too small.
  EXPECT_NEAR(bca.bias_correction, -bias / scale, 1e-4);
  EXPECT_EQ(bca.acceleration, 0.0);
  EXPECT_NEAR(bca.interval.lower, estimate - bias - z * scale, 1e-3 * scale);
  EXPECT_NEAR(bca.interval.upper, estimate - bias + z * scale, 1e-3 * scale);
  EXPECT_NEAR(bca.percentile.lower, estimate + bias - z * scale, 1e-3 * scale);
  EXPECT_NEAR(bca.percentile.upper, estimate + bias + z * scale, 1e-3 * scale);
  // And exactly: the type-7 quantiles of the replicates at Φ(2z₀ ∓ z), z₀ as computed.
  const double z0_used = bca.bias_correction;
  EXPECT_NEAR(bca.interval.lower, rp::quantile(replicates, pb::special::normal_cdf(2 * z0_used - z)), 1e-12);
  EXPECT_NEAR(bca.interval.upper, rp::quantile(replicates, pb::special::normal_cdf(2 * z0_used + z)), 1e-12);

  // The acceleration from jackknife values {1, 2, 4}, by hand: mean 7/3, deviations
  // θ̄ − θ₍ᵢ₎ = 4/3, 1/3, −5/3; Σd³ = −60/27, Σd² = 42/9; a = Σd³ / (6 (Σd²)^{3/2}). The
  // endpoints then follow the BCa formula on the same normal grid.
  const std::vector<double> jackknife = {1, 2, 4};
  const double a = (-60.0 / 27) / (6 * std::pow(42.0 / 9, 1.5));
  const auto accelerated = rp::bca_interval(estimate, replicates, jackknife, 0.95);
  EXPECT_NEAR(accelerated.acceleration, a, 1e-15);
  for (const auto& [sign, bound] : {std::pair{-1.0, accelerated.interval.lower}, {1.0, accelerated.interval.upper}}) {
    const double w = z0_used + sign * z;
    const double alpha = pb::special::normal_cdf(z0_used + w / (1 - a * w));
    EXPECT_NEAR(bound, rp::quantile(replicates, alpha), 1e-12);
    EXPECT_NEAR(bound, estimate + bias + scale * pb::special::normal_quantile(alpha), 1e-3 * scale);
  }
  // Replicates all on one side of θ̂: z₀ stays finite (proportion clamped to 1/(2B)).
  const auto one_sided = rp::bca_interval(0.0, std::vector<double>{1, 2, 3, 4}, {}, 0.9);
  EXPECT_NEAR(one_sided.bias_correction, pb::special::normal_quantile(1.0 / 8), 1e-15);
  EXPECT_TRUE(one_sided.interval.valid());
}

TEST(ReportStatistics, BcaMatchesScipysImplementationOnTheSameReplicates) {
  // SciPy 1.10's own BCa step, scipy.stats._resampling._bca_interval(data, np.mean, -1,
  // 0.025, theta_hat_b, 1), given these 15 values and these 200 replicates (scipy's z₀
  // counts θ*_b < θ̂ strictly; no replicate equals θ̂ here), returns α₁ = 0.008286153599071821,
  // α₂ = 0.9316012092766522, a = 0.02035758410531226, and np.percentile of the replicates
  // there: [5.516846867176966, 6.1096427377137665].
  std::vector<double> x;
  for (int i = 0; i < 15; ++i) x.push_back(0.3 * i + (i % 3 == 0 ? 0.7 : 0.0) + 0.05 * i * i);
  const double mean = std::accumulate(x.begin(), x.end(), 0.0) / 15;
  std::vector<double> replicates, jackknife;
  for (int b = 1; b <= 200; ++b) replicates.push_back(mean + 0.3 * std::sin(b) + 0.1);
  for (const double xi : x) jackknife.push_back((15 * mean - xi) / 14);
  const auto bca = rp::bca_interval(mean, replicates, jackknife, 0.95);
  EXPECT_NEAR(bca.acceleration, 0.02035758410531226, 1e-15);
  EXPECT_NEAR(bca.interval.lower, 5.516846867176966, 1e-12);
  EXPECT_NEAR(bca.interval.upper, 6.1096427377137665, 1e-12);
}

TEST(ReportStatistics, SlopeDifferenceOfPairedPowerLaws) {
  // Method a: c_u σ¹; method b: c_u' σ^0.2, on the same 8 units: the pooled slopes are
  // exact, so is every resampled difference, and the interval collapses on 0.8.
  std::vector<rp::Observation> a, b;
  for (std::size_t unit = 0; unit < 8; ++unit) {
    for (const double sigma : {0.1, 0.01, 0.001}) {
      a.push_back({sigma, (1.0 + unit) * sigma, unit});
      b.push_back({sigma, (2.0 + 0.5 * unit) * std::pow(sigma, 0.2), unit});
    }
  }
  b.push_back({0.01, 0.3, 9});  // a unit of b only: not paired, left out
  const auto difference = rp::log_log_slope_difference(a, b, options(500), 21);
  EXPECT_NEAR(difference.slope, 0.8, 1e-12);
  EXPECT_NEAR(difference.interval.lower, 0.8, 1e-12);
  EXPECT_NEAR(difference.interval.upper, 0.8, 1e-12);
  EXPECT_EQ(difference.units, 8u);
}

TEST(ReportStatistics, SignTestAndWilcoxonSignedRankMatchR) {
  // Sign test: 9 of 10 one way, two-sided 2·P(B ≤ 1) = 22/1024.
  EXPECT_NEAR(rp::sign_test_p(9, 1), 22.0 / 1024, 1e-15);
  EXPECT_NEAR(rp::sign_test_p(1, 9), 22.0 / 1024, 1e-15);
  EXPECT_EQ(rp::sign_test_p(5, 5), 1.0);
  EXPECT_EQ(rp::sign_test_p(0, 0), 1.0);
  // R's wilcox.test(x, y, paired = TRUE), Hollander & Wolfe's depression data: V = 40,
  // p-value = 0.03906 (exact: 2·10/512).
  const std::vector<double> x = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
  const std::vector<double> y = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
  std::vector<double> d;
  for (std::size_t i = 0; i < x.size(); ++i) d.push_back(x[i] - y[i]);
  const auto exact = rp::wilcoxon_signed_rank(d);
  EXPECT_TRUE(exact.exact);
  EXPECT_DOUBLE_EQ(exact.statistic, 40);
  EXPECT_NEAR(exact.p_value, 20.0 / 512, 1e-15);
  // Ties and a zero: normal approximation with tie and continuity corrections (scipy.stats
  // .wilcoxon(d, zero_method="wilcox", correction=True, mode="approx") = 0.041076902906488105).
  const std::vector<double> tied = {0.5, -1.2, 2.0, 2.0, 0.0, 3.1, -0.5, 1.7, 4.4, 0.8, -2.0, 1.1, 2.6, 0.9, 0.3};
  const auto approximate = rp::wilcoxon_signed_rank(tied);
  EXPECT_FALSE(approximate.exact);
  EXPECT_EQ(approximate.nonzero, 14u);
  EXPECT_DOUBLE_EQ(approximate.statistic, 85.5);
  EXPECT_NEAR(approximate.p_value, 0.041076902906488105, 1e-14);
  // n = 60 ≥ 50, no ties: normal approximation (scipy: 0.0012463155916098455, V = 1354);
  // n = 30: exact (scipy mode="exact": 0.03272089920938015, V = 336).
  std::vector<double> sixty, thirty;
  for (int i = 1; i <= 60; ++i) sixty.push_back(std::sin(i) + 0.3);
  for (int i = 1; i <= 30; ++i) thirty.push_back(std::sin(i) + 0.3);
  const auto large = rp::wilcoxon_signed_rank(sixty);
  EXPECT_FALSE(large.exact);
  EXPECT_DOUBLE_EQ(large.statistic, 1354);
  EXPECT_NEAR(large.p_value, 0.0012463155916098455, 1e-14);
  const auto small = rp::wilcoxon_signed_rank(thirty);
  EXPECT_TRUE(small.exact);
  EXPECT_DOUBLE_EQ(small.statistic, 336);
  EXPECT_NEAR(small.p_value, 0.03272089920938015, 1e-14);
  EXPECT_TRUE(std::isnan(rp::wilcoxon_signed_rank(std::vector<double>{0, 0}).p_value));
}

TEST(ReportStatistics, ExactSignedRankPValueAgreesWithEnumeratingAllSignPatterns) {
  // An independent reference: under H0 every one of the 2¹² sign patterns of |d| is equally
  // likely; count those with V at least as far from n(n+1)/4 on the observed side.
  const pb::CounterRandom random(12, 0, pb::Purpose::test_values);
  std::vector<double> d(12);
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = random.normal(i) + 0.6;
  const auto test = rp::wilcoxon_signed_rank(d);
  ASSERT_TRUE(test.exact);
  std::vector<std::size_t> order(d.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return std::abs(d[a]) < std::abs(d[b]); });
  std::vector<double> rank(d.size());
  for (std::size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<double>(r + 1);
  const double centre = 12.0 * 13 / 4;
  std::size_t as_extreme = 0;
  for (std::uint32_t pattern = 0; pattern < (1u << 12); ++pattern) {
    double v = 0;
    for (std::size_t i = 0; i < d.size(); ++i) v += (pattern >> i) & 1u ? rank[i] : 0.0;
    as_extreme += (test.statistic > centre ? v >= test.statistic : v <= test.statistic) ? 1 : 0;
  }
  EXPECT_NEAR(test.p_value, std::min(1.0, 2.0 * as_extreme / 4096), 1e-15);
}

TEST(ReportStatistics, PairedComparisonCountsAndHolmMatchR) {
  const std::vector<double> a = {1, 2, 3, 4, NAN, 6}, b = {2, 2, 1, 5, 1, 7};
  const auto comparison = rp::compare_paired(a, b);
  EXPECT_EQ(comparison.pairs, 5u);
  EXPECT_EQ(comparison.wins, 3u);  // a lower: 1 < 2, 4 < 5, 6 < 7
  EXPECT_EQ(comparison.ties, 1u);
  EXPECT_EQ(comparison.losses, 1u);
  EXPECT_DOUBLE_EQ(comparison.median_difference, -1.0);  // of −1, 0, 2, −1, −1
  EXPECT_NEAR(comparison.sign_p, 2 * 5.0 / 16, 1e-15);   // 1 of 4 non-zero: 2·P(B ≤ 1), B ~ Bin(4, ½)
  // R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") = 0.05 0.08 0.09 0.09 0.09; NaN kept.
  const auto holm = rp::holm_adjust(std::vector<double>{0.03, NAN, 0.01, 0.05, 0.02, 0.04});
  const std::vector<double> expected = {0.09, NAN, 0.05, 0.09, 0.08, 0.09};
  for (std::size_t i = 0; i < holm.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(holm[i]));
    } else {
      EXPECT_NEAR(holm[i], expected[i], 1e-15) << i;
    }
  }
}

namespace {

// A minimal results file in the documented layout: 4 tasks (3 done), 2 methods.
struct ResultsFileFixture {
  std::string path;
  explicit ResultsFileFixture(const std::string& name)
      : path((std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".h5")).string()) {}
  ~ResultsFileFixture() { std::filesystem::remove(path); }

  void write(const std::function<void(hid_t)>& customize = {}) const {
    auto file = pb::h5::create_file(path, true);
    pb::h5::write_attribute(file, "format", "priorbench-study-1");
    pb::h5::write_attribute(file, "study_name", "tiny");
    pb::h5::write_attribute(file, "height", std::int64_t{2});
    pb::h5::write_attribute(file, "width", std::int64_t{2});
    auto methods = pb::h5::create_group(file, "methods");
    pb::h5::write_attribute(methods, "labels", "white,latent_map");
    auto white = pb::h5::create_group(methods, "white");
    pb::h5::write_attribute(white, "name", "white");
    auto tasks = pb::h5::create_group(file, "tasks");
    const std::vector<std::int64_t> kind = {0, 0, 1, 1}, number = {0, 1, 0, 1}, test_index = {3, 8, -1, -1},
                                    size = {10, 10, 10, 10}, replicate = {0, 0, 0, 0}, done = {1, 1, 1, 0},
                                    rank = {0, 1, 0, -1};
    const std::vector<double> sigma = {0.1, 0.1, 0.01, 0.01}, seconds = {1, 1, 1, NAN}, norm = {2, 2, 2, 2},
                              distance = {0.5, 0.1, 0, 0};
    pb::h5::write(tasks, "truth_kind", kind);
    pb::h5::write(tasks, "truth_number", number);
    pb::h5::write(tasks, "test_index", test_index);
    pb::h5::write(tasks, "data_size", size);
    pb::h5::write(tasks, "replicate", replicate);
    pb::h5::write(tasks, "done", done);
    pb::h5::write(tasks, "rank", rank);
    pb::h5::write(tasks, "sigma", sigma);
    pb::h5::write(tasks, "seconds", seconds);
    pb::h5::write(tasks, "truth_norm", norm);
    pb::h5::write(tasks, "range_distance", distance);
    auto metrics = pb::h5::create_group(file, "metrics");
    const std::vector<double> error = {0.1, 0.3, 0.2, 0.4, 0.05, 0.06, NAN, NAN};
    const std::vector<double> converged = {1, 0, 1, 1, 1, 1, NAN, NAN};
    pb::h5::write(metrics, "relative_error", error, {4, 2});
    pb::h5::write(metrics, "converged", converged, {4, 2});
    auto saved = pb::h5::create_group(file, "reconstructions");
    pb::h5::write(saved, "task", std::vector<std::int64_t>{0});
    pb::h5::write(saved, "truth", std::vector<double>(4, 0.5), {1, 2, 2});
    pb::h5::write(saved, "backprojection", std::vector<double>(4, 0.25), {1, 2, 2});
    pb::h5::write(saved, "mean", std::vector<double>(8, 0.4), {1, 2, 2, 2});
    pb::h5::write(saved, "std", std::vector<double>(8, 0.1), {1, 2, 2, 2});
    if (customize) customize(file);
  }
};

}  // namespace

TEST(ReportReader, ReadsTheDocumentedLayout) {
  ResultsFileFixture fixture("report-reader-ok");
  fixture.write();
  const auto results = rp::read_results(fixture.path);
  EXPECT_EQ(results.study_name, "tiny");
  EXPECT_EQ(results.methods, (std::vector<std::string>{"white", "latent_map"}));
  EXPECT_EQ(results.method_kinds, (std::vector<std::string>{"white", ""}));
  EXPECT_EQ(results.truth_kind_names, (std::vector<std::string>{"test", "generated", "generated_noisy"}));
  EXPECT_EQ(results.tasks.size(), 4u);
  EXPECT_EQ(results.done_count(), 3u);
  EXPECT_EQ(results.pending_count(), 1u);
  EXPECT_EQ(results.tasks.test_index[1], 8);
  EXPECT_DOUBLE_EQ(results.metric("relative_error").at(1, 1), 0.4);
  EXPECT_EQ(results.reconstructions.size(), 1u);
  EXPECT_EQ(results.reconstructions.mean.size(), 8u);
  EXPECT_NE(error_of([&] { results.metric("psnr"); }).find(fixture.path + ":/metrics/psnr does not exist"),
            std::string::npos);
}

TEST(ReportReader, RefusesOtherFormatsAndNamesMissingObjects) {
  ResultsFileFixture fixture("report-reader-bad");
  fixture.write([](hid_t file) { pb::h5::write_attribute(file, "format", "priorbench-solve-1"); });
  EXPECT_NE(error_of([&] { rp::read_results(fixture.path); }).find("format 'priorbench-solve-1' is not"),
            std::string::npos);

  fixture.write([](hid_t file) { H5Adelete(file, "format"); });
  EXPECT_NE(error_of([&] { rp::read_results(fixture.path); }).find("has no 'format' attribute"), std::string::npos);

  fixture.write([](hid_t file) { H5Ldelete(file, "tasks/sigma", H5P_DEFAULT); });
  const std::string missing = error_of([&] { rp::read_results(fixture.path); });
  EXPECT_NE(missing.find(fixture.path + ":/tasks/sigma does not exist"), std::string::npos) << missing;

  fixture.write([](hid_t file) { H5Ldelete(file, "tasks/done", H5P_DEFAULT); });
  EXPECT_NE(error_of([&] { rp::read_results(fixture.path); }).find(fixture.path + ":/tasks/done"), std::string::npos);

  fixture.write([](hid_t file) {
    auto metrics = pb::h5::open_group(file, "metrics");
    pb::h5::write(metrics, "psnr", std::vector<double>(4, 1.0), {4, 1});
  });
  const std::string shape = error_of([&] { rp::read_results(fixture.path); });
  EXPECT_NE(shape.find(fixture.path + ":/metrics/psnr has shape [4, 1]; expected [4, 2]"), std::string::npos) << shape;

  fixture.write([](hid_t file) { H5Ldelete(file, "metrics/relative_error", H5P_DEFAULT); });
  EXPECT_NE(error_of([&] { rp::read_results(fixture.path); }).find(fixture.path + ":/metrics/relative_error"),
            std::string::npos);

  fixture.write([](hid_t file) {
    auto tasks = pb::h5::open_group(file, "tasks");
    H5Ldelete(tasks, "truth_kind", H5P_DEFAULT);
    pb::h5::write(tasks, "truth_kind", std::vector<std::int64_t>{0, 7, 1, 1});
  });
  EXPECT_NE(error_of([&] { rp::read_results(fixture.path); }).find("truth_kind[1] = 7 is not a known truth kind"),
            std::string::npos);

  EXPECT_NE(error_of([] { rp::read_results("/nonexistent/results.h5"); }).find("does not exist"), std::string::npos);
}

TEST(ReportAnalysis, CountsPendingAndNonConvergedRunsAndSummarizesDoneTasksOnly) {
  ResultsFileFixture fixture("report-analysis");
  fixture.write();
  const auto results = rp::read_results(fixture.path);
  rp::AnalysisOptions analysis_options;
  analysis_options.bootstrap = options(200);
  const auto analysis = rp::analyze(results, analysis_options);
  EXPECT_EQ(analysis.task_count, 4u);
  EXPECT_EQ(analysis.done_count, 3u);
  EXPECT_EQ(analysis.method_runs, 6u);
  ASSERT_EQ(analysis.nonconverged.size(), 1u);
  EXPECT_EQ(analysis.nonconverged[0].task, 0);
  EXPECT_EQ(analysis.nonconverged[0].method, 1u);
  EXPECT_EQ(analysis.sigmas, (std::vector<double>{0.1, 0.01}));
  // white, test, σ = 0.1: tasks 0 and 1 → median of 0.1 and 0.2.
  const auto* cell = analysis.cell(0, 0, 10, 0.1);
  ASSERT_NE(cell, nullptr);
  EXPECT_EQ(cell->tasks, 2u);
  EXPECT_DOUBLE_EQ(cell->metrics.at("relative_error").quartiles.median, 0.15);
  EXPECT_EQ(analysis.cell(1, 0, 10, 0.1)->nonconverged, 1u);
  // The pending task (generated, σ = 0.01, truth 1) is not counted.
  EXPECT_EQ(analysis.cell(0, 1, 10, 0.01)->tasks, 1u);
  // Relative distance to the range for test truths: median of 0.5/2 and 0.1/2.
  for (const auto& rate : analysis.sigma_rates) {
    if (rate.truth_kind == 0) EXPECT_DOUBLE_EQ(rate.relative_range_distance, 0.15);
    EXPECT_EQ(rate.unit_kind, "truth-replicate");
  }
  const std::string overview = rp::overview_markdown(analysis);
  EXPECT_NE(overview.find("3 done and 1 pending"), std::string::npos) << overview;
  EXPECT_NE(overview.find("WARNING: 1 of 6 method runs did not converge"), std::string::npos) << overview;
  EXPECT_NE(rp::compact_markdown(analysis).find("†"), std::string::npos);
  EXPECT_NE(rp::nonconverged_csv(analysis).find("0,latent_map,test,0,10,0.1,0,0.3"), std::string::npos);
  EXPECT_NE(rp::compact_latex(analysis).find("latent\\_map"), std::string::npos);
  // One replicate per truth: the coverage table says why it has no coverage across replicates.
  EXPECT_FALSE(analysis.replicated);
  EXPECT_NE(rp::coverage_markdown(analysis).find("one noise replicate per truth and cell"), std::string::npos);
}

TEST(ReportAnalysis, SummarizesTheMixingOfTheSamplerRunsOfDoneTasks) {
  ResultsFileFixture fixture("report-mixing");
  fixture.write([](hid_t file) {
    auto metrics = pb::h5::open_group(file, "metrics");
    // Method 1 is the sampler (white has no R̂): R̂ 1.005, ∞ (a chain that never moved),
    // 1.3 on the done tasks; task 3 is pending and its 9.0 must not count.
    pb::h5::write(metrics, "max_rhat", std::vector<double>{NAN, 1.005, NAN, INFINITY, NAN, 1.3, NAN, 9.0}, {4, 2});
    pb::h5::write(metrics, "min_ess_bulk", std::vector<double>{NAN, 900, NAN, 3, NAN, 40, NAN, 1}, {4, 2});
  });
  const auto results = rp::read_results(fixture.path);  // the analysis points into it
  const auto analysis = rp::analyze(results, {});
  EXPECT_EQ(analysis.mixing.runs, 3u);
  EXPECT_EQ(analysis.mixing.above_threshold, 2u);
  EXPECT_DOUBLE_EQ(analysis.mixing.largest_rhat, 1.3);        // the largest finite R̂
  EXPECT_DOUBLE_EQ(analysis.mixing.max_rhat.median, 1.1525);  // of the finite 1.005 and 1.3
  EXPECT_DOUBLE_EQ(analysis.mixing.min_ess_bulk.median, 40);
  const std::string overview = rp::overview_markdown(analysis);
  EXPECT_NE(overview.find("2 of 3 sampler runs have a split-R̂ above 1.01"), std::string::npos) << overview;
  EXPECT_NE(overview.find("up to 1.3;"), std::string::npos) << overview;

  fixture.write();  // a file from before R̂ was recorded: no mixing line
  const auto old_results = rp::read_results(fixture.path);
  const auto old = rp::analyze(old_results, {});
  EXPECT_EQ(old.mixing.runs, 0u);
  EXPECT_EQ(rp::overview_markdown(old).find("Mixing"), std::string::npos);
}

TEST(ReportAnalysis, RefusesAFileWithNoDoneTask) {
  ResultsFileFixture fixture("report-none-done");
  fixture.write([](hid_t file) {
    auto tasks = pb::h5::open_group(file, "tasks");
    H5Ldelete(tasks, "done", H5P_DEFAULT);
    pb::h5::write(tasks, "done", std::vector<std::int64_t>{0, 0, 0, 0});
  });
  const auto results = rp::read_results(fixture.path);
  EXPECT_NE(error_of([&] { rp::analyze(results, {}); }).find("no task is done yet (0 of 4)"), std::string::npos);
}

namespace {

// A results file with noise replicates: kinds test and generated, one d, σ = 0.1 with
// truths 0–6 and σ = 0.01 with truths 0–2 (too few for a 95 % interval of a median), two
// replicates each; methods "laplace" (kind laplace) and "latent" (kind latent_laplace).
// Metric values are set by `value(metric, method, kind, truth, sigma_index, replicate)`.
struct ReplicatedFile {
  std::string path;
  std::vector<std::int64_t> kind, truth, replicate;
  std::vector<double> sigma;
  explicit ReplicatedFile(const std::string& name)
      : path((std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".h5")).string()) {
    for (std::int64_t k = 0; k < 2; ++k) {
      for (int s = 0; s < 2; ++s) {
        for (std::int64_t t = 0; t < (s == 0 ? 7 : 3); ++t) {
          for (std::int64_t r = 0; r < 2; ++r) {
            kind.push_back(k);
            truth.push_back(t);
            replicate.push_back(r);
            sigma.push_back(s == 0 ? 0.1 : 0.01);
          }
        }
      }
    }
  }
  ~ReplicatedFile() { std::filesystem::remove(path); }
  std::size_t tasks() const { return kind.size(); }

  void write(
      const std::vector<std::string>& metrics,
      const std::function<double(const std::string&, int, std::int64_t, std::int64_t, double, std::int64_t)>& value,
      const std::function<void(hid_t)>& customize = {}) const {
    auto file = pb::h5::create_file(path, true);
    pb::h5::write_attribute(file, "format", "priorbench-study-1");
    pb::h5::write_attribute(file, "height", std::int64_t{2});
    pb::h5::write_attribute(file, "width", std::int64_t{2});
    pb::h5::write_attribute(file, "git_version", "abc1234-dirty");
    auto methods = pb::h5::create_group(file, "methods");
    pb::h5::write_attribute(methods, "labels", "laplace,latent");
    pb::h5::write_attribute(pb::h5::create_group(methods, "laplace"), "name", "laplace");
    pb::h5::write_attribute(pb::h5::create_group(methods, "latent"), "name", "latent_laplace");
    auto group = pb::h5::create_group(file, "tasks");
    const std::size_t t = tasks();
    pb::h5::write(group, "truth_kind", kind);
    pb::h5::write(group, "truth_number", truth);
    pb::h5::write(group, "test_index", truth);
    pb::h5::write(group, "data_size", std::vector<std::int64_t>(t, 4));
    pb::h5::write(group, "replicate", replicate);
    pb::h5::write(group, "done", std::vector<std::int64_t>(t, 1));
    pb::h5::write(group, "rank", std::vector<std::int64_t>(t, 0));
    pb::h5::write(group, "sigma", sigma);
    pb::h5::write(group, "seconds", std::vector<double>(t, 1.0));
    pb::h5::write(group, "truth_norm", std::vector<double>(t, 1.0));
    pb::h5::write(group, "range_distance", std::vector<double>(t, NAN));
    auto metric_group = pb::h5::create_group(file, "metrics");
    for (const auto& metric : metrics) {
      std::vector<double> values;
      for (std::size_t i = 0; i < t; ++i) {
        for (int m = 0; m < 2; ++m) values.push_back(value(metric, m, kind[i], truth[i], sigma[i], replicate[i]));
      }
      pb::h5::write(metric_group, metric, values, {t, 2});
    }
    if (customize) customize(file);
  }
};

rp::AnalysisOptions fast_analysis() {
  rp::AnalysisOptions analysis;
  analysis.bootstrap = options(200);
  return analysis;
}

}  // namespace

TEST(ReportAnalysis, CellMediansAreOverTruthsWithTheirReplicatesAveraged) {
  ReplicatedFile file("report-replicates");
  // laplace: error 0.1·(truth + 1) + 0.01·replicate; latent: twice that.
  file.write({"relative_error"}, [](const std::string&, int m, std::int64_t, std::int64_t t, double, std::int64_t r) {
    return (m + 1) * (0.1 * static_cast<double>(t + 1) + 0.01 * static_cast<double>(r));
  });
  const auto results = rp::read_results(file.path);
  const auto analysis = rp::analyze(results, fast_analysis());
  EXPECT_TRUE(analysis.replicated);
  const auto* cell = analysis.cell(0, 0, 4, 0.1);
  ASSERT_NE(cell, nullptr);
  EXPECT_EQ(cell->tasks, 14u);
  EXPECT_EQ(cell->truths, 7u);
  const auto& error = cell->metrics.at("relative_error");
  EXPECT_EQ(error.count, 14u);
  EXPECT_EQ(error.units, 7u);
  // Truth means 0.105, 0.205, …, 0.705: median 0.405, type-7 quartiles 0.255 and 0.555.
  EXPECT_NEAR(error.quartiles.median, 0.405, 1e-15);
  EXPECT_NEAR(error.quartiles.q1, 0.255, 1e-15);
  EXPECT_NEAR(error.quartiles.q3, 0.555, 1e-15);
  // n = 7: [x(1), x(7)] with coverage 1 − 2/128.
  EXPECT_NEAR(error.median_interval.interval.lower, 0.105, 1e-15);
  EXPECT_NEAR(error.median_interval.interval.upper, 0.705, 1e-15);
  EXPECT_NEAR(error.median_interval.coverage, 1 - 2.0 / 128, 1e-15);
  // Over the 14 tasks: 0.1, 0.11, 0.2, 0.21, …: type-7 median of the 14 = (0.4 + 0.41)/2.
  EXPECT_NEAR(error.task_quartiles.median, 0.405, 1e-15);
  // σ = 0.01 has 3 truths: no 95 % interval.
  const auto& few = analysis.cell(0, 0, 4, 0.01)->metrics.at("relative_error");
  EXPECT_EQ(few.units, 3u);
  EXPECT_TRUE(few.median_interval.too_few_units());
  EXPECT_NE(rp::compact_markdown(analysis).find("0.205 (too few units)"), std::string::npos)
      << rp::compact_markdown(analysis);
  EXPECT_NE(rp::summary_csv(analysis).find(",too_few_units,"), std::string::npos);

  // Paired: latent's truth means are twice laplace's, so laplace is best and wins on all 7
  // truths: exact Wilcoxon p = 2/2⁷; Holm over the 4 comparisons of the table (2 kinds ×
  // 2 σ; the σ = 0.01 cells have 3 truths, p = 2/2³ = 0.25): 4·p₍₁₎, then 2·0.25.
  const auto* row = analysis.comparison("relative_error", 1, 0, 4, 0.1);
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->best, 0u);
  EXPECT_EQ(row->comparison.pairs, 7u);
  EXPECT_EQ(row->comparison.losses, 7u);
  EXPECT_NEAR(row->comparison.signed_rank.p_value, 2.0 / 128, 1e-15);
  EXPECT_TRUE(row->comparison.signed_rank.exact);
  EXPECT_NEAR(row->holm_p, 4 * 2.0 / 128, 1e-15);  // smallest of 0.0156, 0.0156, 0.25, 0.25
  EXPECT_NEAR(analysis.comparison("relative_error", 1, 0, 4, 0.01)->holm_p, 0.5, 1e-15);
  EXPECT_EQ(analysis.comparison("relative_error", 0, 0, 4, 0.1), nullptr);  // the best is not compared with itself
  EXPECT_NE(rp::paired_csv(analysis).find("relative_error,test,4,0.1,latent,laplace,7,0,0,7,"), std::string::npos)
      << rp::paired_csv(analysis);
}

TEST(ReportAnalysis, CoverageAcrossReplicatesAndLatentCoverage) {
  ReplicatedFile file("report-coverage");
  // Pixel coverage of laplace: 0.9 + 0.01·truth in replicate 0, 0.96 + 0.01·truth in 1;
  // latent credible level of the latent method: 0.3 in replicate 0, 0.97 in 1 (generated).
  file.write({"relative_error", "coverage_95", "latent_credible_level"},
             [](const std::string& metric, int m, std::int64_t k, std::int64_t t, double, std::int64_t r) {
               if (metric == "relative_error") return 0.1;
               if (metric == "coverage_95") return m == 0 ? (r == 0 ? 0.9 : 0.96) + 0.01 * static_cast<double>(t) : NAN;
               return m == 1 && k == 1 ? (r == 0 ? 0.3 : 0.97) : NAN;
             });
  const auto results = rp::read_results(file.path);
  const auto analysis = rp::analyze(results, fast_analysis());
  const auto& coverage = analysis.cell(0, 0, 4, 0.1)->replicate_coverage;
  ASSERT_TRUE(coverage.available());
  EXPECT_EQ(coverage.truths, 7u);
  EXPECT_DOUBLE_EQ(coverage.replicates, 2);
  EXPECT_NEAR(coverage.per_truth.median, 0.93 + 0.03, 1e-12);  // truth 3: mean of 0.93 and 0.99
  EXPECT_NEAR(coverage.lowest, 0.93, 1e-12);
  EXPECT_NEAR(coverage.spread, 0.06 / std::sqrt(2.0), 1e-12);  // sd of two values 0.06 apart
  const auto& latent = analysis.cell(1, 1, 4, 0.1)->latent_coverage;
  EXPECT_EQ(latent.runs, 14u);
  EXPECT_DOUBLE_EQ(latent.coverage_50, 0.5);
  EXPECT_DOUBLE_EQ(latent.coverage_95, 0.5);
  EXPECT_EQ(analysis.cell(1, 0, 4, 0.1)->latent_coverage.runs, 0u);  // test truths: no z†
  const std::string csv = rp::coverage_csv(analysis);
  EXPECT_NE(csv.find("laplace,test,4,0.1,7,nan,nan,0.96,"), std::string::npos) << csv;
  EXPECT_NE(rp::coverage_markdown(analysis).find("0.960 (lowest 0.930, R = 2)"), std::string::npos);
  EXPECT_EQ(rp::coverage_markdown(analysis).find("one noise replicate per truth and cell"), std::string::npos);
}

TEST(ReportAnalysis, AFileWithoutTheUncertaintyMetricsIsReportedWithTheColumnsMarked) {
  ReplicatedFile file("report-old");
  file.write({"relative_error", "coverage_95", "mean_interval_width"},
             [](const std::string&, int, std::int64_t, std::int64_t t, double, std::int64_t) {
               return 0.5 + 0.01 * static_cast<double>(t);
             });
  const auto results = rp::read_results(file.path);
  EXPECT_EQ(results.source_tree, rp::SourceTree::dirty);  // from the -dirty suffix
  EXPECT_FALSE(results.source_tree_recorded);
  const auto analysis = rp::analyze(results, fast_analysis());
  EXPECT_EQ(analysis.missing_uncertainty_metrics,
            (std::vector<std::string>{"coverage_50", "coverage_90", "mean_interval_width_50", "mean_interval_width_90",
                                      "interval_score_50", "interval_score_90", "interval_score_95", "crps",
                                      "range_error", "null_error"}));
  const std::string compact = rp::compact_markdown(analysis);
  EXPECT_NE(compact.find("Not recorded in this file"), std::string::npos);
  EXPECT_NE(compact.find("interval_score_95"), std::string::npos);
  EXPECT_NE(rp::overview_markdown(analysis).find("built from a DIRTY source tree"), std::string::npos);
  // The recorded attribute wins over the version's suffix.
  file.write(
      {"relative_error"}, [](auto&&...) { return 0.5; },
      [](hid_t f) { pb::h5::write_attribute(f, "git_dirty", "false"); });
  const auto clean = rp::read_results(file.path);
  EXPECT_EQ(clean.source_tree, rp::SourceTree::clean);
  EXPECT_NE(rp::overview_markdown(rp::analyze(clean, fast_analysis())).find("built from a clean source tree"),
            std::string::npos);
}
