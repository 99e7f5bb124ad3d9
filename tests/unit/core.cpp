// Core: deterministic randomness, argument splitting, HDF5 round trips, errors.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/output_files.hpp"
#include "core/png.hpp"
#include "core/progress.hpp"
#include "core/random.hpp"
#include "core/session.hpp"
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
