// Core: deterministic randomness, argument splitting, HDF5 round trips, errors, and the
// distribution functions against SciPy 1.10 (scipy.stats.norm, chi2, binom) values.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numbers>
#include <numeric>
#include <tuple>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/output_files.hpp"
#include "core/png.hpp"
#include "core/progress.hpp"
#include "core/random.hpp"
#include "core/session.hpp"
#include "core/special_functions.hpp"
#include "test_support.hpp"

namespace pb = priorbench;

TEST(CounterRandom, DrawsArePureFunctionsOfKeyAndCounter) {
  const pb::CounterRandom a(7, 3, pb::Purpose::data_noise);
  const pb::CounterRandom b(7, 3, pb::Purpose::data_noise);
  const pb::CounterRandom other_task(7, 4, pb::Purpose::data_noise);
  const pb::CounterRandom other_purpose(7, 3, pb::Purpose::inpaint_mask);
  EXPECT_EQ(a.bits(11), b.bits(11));
  EXPECT_NE(a.bits(11), a.bits(12));
  EXPECT_NE(a.bits(11), other_task.bits(11));
  EXPECT_NE(a.bits(11), other_purpose.bits(11));
}

TEST(CounterRandom, NormalDrawsHaveUnitMomentsWithinMonteCarloError) {
  const pb::CounterRandom random(1, 0, pb::Purpose::test_values);
  const int count = 200000;
  double sum = 0;
  double sum_squares = 0;
  for (int i = 0; i < count; ++i) {
    const double value = random.normal(static_cast<std::uint64_t>(i));
    sum += value;
    sum_squares += value * value;
  }
  const double mean = sum / count;
  const double variance = sum_squares / count - mean * mean;
  // Standard errors: 1/sqrt(N) for the mean, sqrt(2/N) for the variance; allow 5 of them.
  EXPECT_LT(std::abs(mean), 5.0 / std::sqrt(count));
  EXPECT_LT(std::abs(variance - 1.0), 5.0 * std::sqrt(2.0 / count));
}

TEST(CounterRandom, SampleWithoutReplacementIsSortedDistinctAndInRange) {
  const pb::CounterRandom random(5, 1, pb::Purpose::inpaint_mask);
  const auto picks = random.sample_without_replacement(784, 392);
  ASSERT_EQ(picks.size(), 392u);
  for (std::size_t i = 1; i < picks.size(); ++i) EXPECT_LT(picks[i - 1], picks[i]);
  EXPECT_GE(picks.front(), 0);
  EXPECT_LT(picks.back(), 784);
  EXPECT_EQ(random.sample_without_replacement(784, 392), picks);
  EXPECT_THROW(random.sample_without_replacement(10, 11), pb::Error);
}

TEST(SpecialFunctions, NormalQuantileAndCdfMatchScipy) {
  // scipy.stats.norm.ppf(p): Acklam's approximation alone is off by up to 1.15e-9 relative.
  // The tolerance is a few ulp of x plus the conditioning of Φ⁻¹ at p: ulp(p)/φ(x).
  const std::pair<double, double> quantiles[] = {{1e-300, -37.0470962993612}, {1e-10, -6.361340902404056},
                                                 {0.001, -3.090232306167813}, {0.025, -1.9599639845400545},
                                                 {0.3, -0.5244005127080409},  {0.75, 0.6744897501960817},
                                                 {0.975, 1.959963984540054},  {0.999999, 4.753424308817087}};
  for (const auto& [p, x] : quantiles) {
    const double density = std::exp(-x * x / 2) / std::sqrt(2 * std::numbers::pi);
    const double ulp = std::nextafter(p, 2.0) - p;
    EXPECT_NEAR(pb::special::normal_quantile(p), x, 4e-15 * std::max(1.0, std::abs(x)) + 2 * ulp / density) << p;
  }
  EXPECT_EQ(pb::special::normal_quantile(0.5), 0.0);
  EXPECT_EQ(pb::special::normal_quantile(0.0), -INFINITY);
  EXPECT_EQ(pb::special::normal_quantile(1.0), INFINITY);
  EXPECT_NEAR(pb::special::normal_cdf(1.0), 0.8413447460685429, 1e-16);
  EXPECT_NEAR(pb::special::normal_cdf(-7.5), 3.1908916729108844e-14, 1e-27);
  EXPECT_THROW(pb::special::normal_quantile(1.5), pb::Error);
}

TEST(SpecialFunctions, ChiSquareAndBinomialMatchScipy) {
  // scipy.stats.chi2.cdf(x, k): both branches (series for x < k/2 + 1, continued fraction above).
  const std::tuple<double, double, double> chi2[] = {
      {16, 26.0, 0.9459717516090953}, {1, 3.841458820694124, 0.9500000000000001},
      {2, 0.1, 0.04877057549928599},  {50, 40, 0.1567726218262377},
      {100, 150, 0.9990960679576459}, {3, 1e-5, 8.410416508787017e-09}};
  for (const auto& [k, x, f] : chi2)
    EXPECT_NEAR(pb::special::chi_square_cdf(x, k), f, 1e-13 * std::max(f, 1e-3)) << k << " " << x;
  EXPECT_NEAR(pb::special::chi_square_cdf(2.0, 2), 1 - std::exp(-1.0), 1e-15);  // F_2(x) = 1 − e^{−x/2}
  EXPECT_EQ(pb::special::chi_square_cdf(0.0, 3), 0.0);
  // P(B ≤ 1) for B ~ Binomial(10, ½) is 11/1024 exactly; scipy.stats.binom.cdf for the
  // others, the last through log-gamma terms ((½)²⁰⁰⁰ underflows), whose rounding grows
  // with log Γ(n + 1).
  EXPECT_EQ(pb::special::binomial_cdf(1, 10, 0.5), 11.0 / 1024);
  EXPECT_NEAR(pb::special::binomial_cdf(30, 100, 0.25), 0.896212761043913, 1e-14);
  EXPECT_NEAR(pb::special::binomial_cdf(3, 1000, 0.01), 0.010072654772014291, 1e-16);
  EXPECT_NEAR(pb::special::binomial_cdf(980, 2000, 0.5), 0.19158842766761833, 1e-12);
  EXPECT_EQ(pb::special::binomial_cdf(10, 10, 0.3), 1.0);
}

TEST(SplitArguments, PetscOptionsGoToPetscAndTheRestToTheApplication) {
  const char* argv[] = {"priorbench", "solve", "--sigma", "-0.5",      "-ksp_type",
                        "cg",         "-o",    "x.h5",    "-log_view", "--force"};
  const auto split = pb::split_petsc_arguments(10, argv);
  EXPECT_EQ(split.petsc, (std::vector<std::string>{"priorbench", "-ksp_type", "cg", "-log_view"}));
  EXPECT_EQ(split.application,
            (std::vector<std::string>{"priorbench", "solve", "--sigma", "-0.5", "-o", "x.h5", "--force"}));
}

TEST(Hdf5, RoundTripsDatasetsAndAttributesAndRefusesToOverwrite) {
  const auto path = (std::filesystem::temp_directory_path() / "priorbench_core_test.h5").string();
  std::filesystem::remove(path);
  std::vector<double> values(12);
  std::iota(values.begin(), values.end(), 0.5);
  const std::vector<std::int64_t> integers = {3, -1, 4};
  {
    auto file = pb::h5::create_file(path, false);
    auto group = pb::h5::create_group(file, "group");
    pb::h5::write(group, "matrix", values, {3, 4});
    pb::h5::write(group, "integers", integers);
    pb::h5::write_attribute(group, "sigma", 0.25);
    pb::h5::write_attribute(group, "name", "inpaint");
    pb::h5::write_string(file, "text", "a = 1\n");
  }
  EXPECT_THROW(pb::h5::create_file(path, false), pb::Error);
  auto file = pb::h5::open_file(path);
  pb::h5::Shape shape;
  EXPECT_EQ(pb::h5::read_doubles(file, "group/matrix", &shape), values);
  EXPECT_EQ(shape, (pb::h5::Shape{3, 4}));
  EXPECT_EQ(pb::h5::read_integers(file, "group/integers"), integers);
  auto group = pb::h5::open_group(file, "group");
  EXPECT_EQ(pb::h5::read_double_attribute(group, "sigma"), 0.25);
  EXPECT_EQ(pb::h5::read_string_attribute(group, "name"), "inpaint");
  EXPECT_EQ(pb::h5::read_string(file, "text"), "a = 1\n");
  EXPECT_FALSE(pb::h5::exists(file, "group/missing/deeper"));
  try {
    pb::h5::read_doubles(file, "group/missing");
    FAIL() << "reading a missing dataset must throw";
  } catch (const pb::Error& error) {
    EXPECT_NE(std::string(error.what()).find("priorbench_core_test.h5:/group/missing"), std::string::npos)
        << error.what();
  }
  std::filesystem::remove(path);
}

TEST(Progress, FormatsDurationsAndCountsWork) {
  EXPECT_EQ(pb::Progress::format_duration(0), "00:00");
  EXPECT_EQ(pb::Progress::format_duration(75.4), "01:15");
  EXPECT_EQ(pb::Progress::format_duration(3725), "1:02:05");
  pb::Progress progress("test", 3, 1e9);  // never due: prints nothing
  progress.advance();
  progress.advance(2);
  progress.finish();
  EXPECT_EQ(progress.done(), 3);
}

TEST(Png, WritesAValidGreyscaleFile) {
  const auto path = (std::filesystem::temp_directory_path() / "priorbench_core_test.png").string();
  const std::vector<std::vector<double>> images = {{0.0, 0.5, 1.0, 0.25}, {-1.0, 0.0, 1.0, 0.5}};
  pb::write_png_grid(path, images, 2, 2, 2, false, 1);
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 33u);
  EXPECT_EQ(std::vector<unsigned char>(bytes.begin(), bytes.begin() + 8),
            (std::vector<unsigned char>{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}));
  // IHDR: width 2 + 2 + gap 2 = 6, height 2.
  EXPECT_EQ(bytes[19], 6);
  EXPECT_EQ(bytes[23], 2);
  EXPECT_THROW(pb::write_png_grid(path, {{1.0}}, 2, 2, 1, false), pb::Error);
  std::filesystem::remove(path);
}

namespace {

namespace fs = std::filesystem;
using priorbench::testing_support::expect_error;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every entry under `directory`, relative, sorted: what a test expects to find and nothing else.
std::vector<std::string> entries(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    names.push_back(fs::relative(entry.path(), directory).generic_string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST(AtomicFile, TargetAppearsOnlyOnCommitAndTheTemporaryIsAlwaysRemoved) {
  const pb::testing_support::TempDir dir("priorbench_atomic");
  const fs::path target = dir.file("out.txt");
  {
    pb::AtomicFile file(target);
    std::ofstream(file.path()) << "new";
    EXPECT_EQ(file.path().parent_path(), target.parent_path());
    EXPECT_FALSE(fs::exists(target));
  }  // not committed: nothing left
  EXPECT_EQ(entries(target.parent_path()), std::vector<std::string>{});
  std::ofstream(target) << "old";
  {
    pb::AtomicFile file(target);
    std::ofstream(file.path()) << "new";
    EXPECT_EQ(read_all(target), "old");
    file.commit();
  }
  EXPECT_EQ(read_all(target), "new");
  EXPECT_EQ(entries(target.parent_path()), std::vector<std::string>{"out.txt"});
  {
    pb::AtomicFile file(target);
    expect_error([&] { file.commit_if_absent(); }, {"out.txt", "appeared while it was being written"});
  }
  EXPECT_EQ(read_all(target), "new");
  EXPECT_EQ(entries(target.parent_path()), std::vector<std::string>{"out.txt"});
  expect_error([&] { pb::AtomicFile file(dir.file("missing/x.txt")); }, {"missing", "does not exist"});
}

TEST(CheckReplaceable, ForceReplacesOnlyFilesOfTheCommandsOwnFormat) {
  const pb::testing_support::TempDir dir("priorbench_replaceable");
  const auto is_solve = pb::hdf5_with_format("priorbench-solve-1");
  EXPECT_NO_THROW(pb::check_replaceable(dir.file("new.h5"), false, is_solve));
  std::ofstream(dir.file("thesis.tex")) << "text";
  expect_error([&] { pb::check_replaceable(dir.file("thesis.tex"), false, is_solve); }, {"already exists", "--force"});
  expect_error([&] { pb::check_replaceable(dir.file("thesis.tex"), true, is_solve); },
               {"thesis.tex exists and is not an HDF5 file", "left untouched"});
  for (const auto& [name, format] : std::vector<std::pair<std::string, std::string>>{
           {"solve.h5", "priorbench-solve-1"}, {"other.h5", "priorbench-study-1"}}) {
    auto file = pb::h5::create_file(dir.file(name), false);
    pb::h5::write_attribute(file, "format", format);
  }
  pb::h5::create_file(dir.file("bare.h5"), false);
  EXPECT_NO_THROW(pb::check_replaceable(dir.file("solve.h5"), true, is_solve));
  expect_error([&] { pb::check_replaceable(dir.file("other.h5"), true, is_solve); },
               {"format 'priorbench-study-1', not 'priorbench-solve-1'"});
  expect_error([&] { pb::check_replaceable(dir.file("bare.h5"), true, is_solve); }, {"without a 'format' attribute"});
  expect_error([&] { pb::check_replaceable(dir.file(""), true, is_solve); }, {"is not a regular file"});
}

TEST(OutputDirectory, ForceReplacesTheFilesOfItsManifestAndNothingElse) {
  const pb::testing_support::TempDir dir("priorbench_output_dir");
  const fs::path report = dir.file("report");
  const auto write = [&](const std::vector<std::string>& files, bool force) {
    pb::OutputDirectory output(report, "priorbench test");
    output.check_writable(force);
    for (const auto& file : files) {
      fs::create_directories((output.staging() / file).parent_path());
      std::ofstream(output.staging() / file) << "v2 " << file;
    }
    output.commit();
  };
  write({"a.md", "figures/f.png"}, false);
  EXPECT_EQ(entries(report), (std::vector<std::string>{".priorbench-manifest", "a.md", "figures", "figures/f.png"}));
  std::ofstream(report / "thesis.tex") << "mine";
  fs::create_directories(report / "figures/own");
  std::ofstream(report / "figures/own/data.csv") << "mine";
  expect_error([&] { write({"a.md"}, false); }, {"output directory", "already exists; pass --force"});
  write({"a.md", "b.csv"}, true);
  EXPECT_EQ(entries(report), (std::vector<std::string>{".priorbench-manifest", "a.md", "b.csv", "figures",
                                                       "figures/own", "figures/own/data.csv", "thesis.tex"}));
  EXPECT_EQ(read_all(report / "thesis.tex"), "mine");
  EXPECT_EQ(pb::read_manifest(report, "priorbench test"), (std::vector<std::string>{"a.md", "b.csv"}));
  // A figure the old report did not write is not replaced: the whole commit is refused.
  std::ofstream(report / "figures/g.png") << "mine";
  expect_error([&] { write({"a.md", "figures/g.png"}, true); }, {"already has figures/g.png", "did not write"});
  EXPECT_EQ(read_all(report / "figures/g.png"), "mine");
  EXPECT_EQ(read_all(report / "a.md"), "v2 a.md");
  // Directories without a manifest are refused, even with force; empty ones are fine.
  const fs::path foreign = dir.file("foreign");
  fs::create_directories(foreign);
  EXPECT_NO_THROW(pb::OutputDirectory(foreign, "priorbench test").check_writable(false));
  std::ofstream(foreign / "notes.txt") << "mine";
  expect_error([&] { pb::OutputDirectory(foreign, "priorbench test").check_writable(true); },
               {"holds files that priorbench test did not write"});
  // A manifest naming a path outside the directory, or of another command, is refused.
  std::ofstream(foreign / ".priorbench-manifest") << "# priorbench test: the files it wrote here; --force replaces "
                                                     "these and nothing else\n../victim.txt\n";
  expect_error([&] { pb::OutputDirectory(foreign, "priorbench test").check_writable(true); },
               {"lists '../victim.txt'", "not a file inside"});
  expect_error([&] { pb::OutputDirectory(foreign, "priorbench other").check_writable(true); },
               {"is not a manifest of priorbench other"});
  // No staging directories are left next to the outputs.
  EXPECT_EQ(entries(dir.file("")).size(), entries(report).size() + entries(foreign).size() + 2);
}
