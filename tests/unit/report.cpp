// The report's estimators against closed forms and hand computations, its bootstrap
// intervals against their nominal coverage on synthetic data (fixed seeds: the test is
// deterministic), the results reader's errors, and the analysis counts.

#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/random.hpp"
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
