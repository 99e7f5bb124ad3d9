// Concurrent and partial results files (issue 16): the run lock (core/run_lock.hpp), the
// per-task completion records (core/task_checksum.hpp) and the model's SHA-256
// (core/sha256.hpp), as `run`, `merge` and `report` use them. Damage is made the way it
// happens: a byte flipped inside a task's row, a file cut short.

#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/paths.hpp"
#include "core/run_lock.hpp"
#include "core/sha256.hpp"
#include "core/task_checksum.hpp"
#include "report/results_reader.hpp"
#include "study/merge.hpp"
#include "study/results_file.hpp"
#include "study/study_spec.hpp"
#include "study/tasks.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::testing_support::expect_error;
using pb::testing_support::TempDir;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string sha256_of(const std::string& text) {
  pb::Sha256 hash;
  hash.update(text.data(), text.size());
  return pb::hex_text(hash.finish());
}

// A PID no process has now (searched downward from the largest the kernel hands out).
long dead_pid() {
  long largest = 32768;
  std::ifstream("/proc/sys/kernel/pid_max") >> largest;
  for (long pid = largest - 1; pid > 1; --pid) {
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return pid;
  }
  throw std::runtime_error("no free PID found");
}

std::string lock_text(const std::string& host, long pid, const std::string& started) {
  return "priorbench-lock-1\nhost=" + host + "\npid=" + std::to_string(pid) + "\nstarted=" + started +
         "\ncommand=priorbench run study.toml -o r.h5\n";
}

// --- SHA-256 ------------------------------------------------------------------------------

TEST(Sha256, MatchesTheFipsTestVectors) {
  EXPECT_EQ(sha256_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_of(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, GivesTheSameDigestWhateverTheBlocksOfInput) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += static_cast<char>(i * 37);
  const std::string whole = sha256_of(text);
  for (std::size_t split = 0; split <= text.size(); split += 7) {
    pb::Sha256 hash;
    hash.update(text.data(), split);
    hash.update(text.data() + split, text.size() - split);
    EXPECT_EQ(pb::hex_text(hash.finish()), whole) << "split at " << split;
  }
  const TempDir directory("sha256");
  write_bytes(directory.file("model.pt"), text);
  EXPECT_EQ(pb::file_sha256(directory.file("model.pt")), whole);
  expect_error([&] { pb::file_sha256(directory.file("missing.pt")); }, {"missing.pt", "SHA-256"});
}

// --- the run lock ---------------------------------------------------------------------------

TEST(RunLock, SecondWriterIsRefusedNamingTheFirstAndTheLockGoesWithItsOwner) {
  const TempDir directory("lock");
  const std::string target = directory.file("r.h5"), lock = target + ".lock";
  {
    const pb::FileLock first(target, "priorbench run", "priorbench run s.toml -o r.h5", nullptr);
    const auto holder = pb::read_lock_holder(lock);
    ASSERT_TRUE(holder.has_value());
    EXPECT_EQ(holder->pid, static_cast<long>(::getpid()));
    EXPECT_EQ(holder->host, pb::this_host());
    EXPECT_EQ(holder->command, "priorbench run s.toml -o r.h5");
    const std::string before = read_bytes(lock);
    expect_error([&] { pb::FileLock second(target, "priorbench run", "again", nullptr); },
                 {"priorbench run: " + target + " is in use by PID " + std::to_string(::getpid()), "on this host",
                  "since " + holder->started, lock});
    EXPECT_EQ(read_bytes(lock), before);  // the refusal changed nothing
  }
  EXPECT_FALSE(pb::path_exists(lock));
}

TEST(RunLock, IsReleasedWhenAnErrorUnwindsTheCommand) {
  const TempDir directory("lock-error");
  const std::string target = directory.file("r.h5");
  try {
    const pb::FileLock lock(target, "priorbench run", "x", nullptr);
    ASSERT_TRUE(pb::path_exists(target + ".lock"));
    PB_FAIL("a study error after the lock was taken");
  } catch (const pb::Error&) {
  }
  EXPECT_FALSE(pb::path_exists(target + ".lock"));
}

TEST(RunLock, StaleLockOfThisHostIsTakenOverWithANotice) {
  const TempDir directory("lock-stale");
  const std::string target = directory.file("r.h5"), lock = target + ".lock";
  const long pid = dead_pid();
  write_bytes(lock, lock_text(pb::this_host(), pid, "2026-01-01T00:00:00Z"));
  ASSERT_TRUE(pb::is_stale(*pb::read_lock_holder(lock)));
  std::vector<std::string> notices;
  {
    const pb::FileLock taken(target, "priorbench run", "x", [&](const std::string& line) { notices.push_back(line); });
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_NE(notices[0].find("taking over the stale lock " + lock + " of PID " + std::to_string(pid)),
              std::string::npos)
        << notices[0];
    EXPECT_NE(notices[0].find("no longer running"), std::string::npos);
    EXPECT_EQ(pb::read_lock_holder(lock)->pid, static_cast<long>(::getpid()));
  }
  EXPECT_FALSE(pb::path_exists(lock));
}

TEST(RunLock, LiveProcessIsNotStaleAndAnotherHostsLockIsNeverBroken) {
  const TempDir directory("lock-other");
  const std::string target = directory.file("r.h5"), lock = target + ".lock";
  EXPECT_FALSE(pb::is_stale({pb::this_host(), static_cast<long>(::getpid()), "t", ""}));
  EXPECT_FALSE(pb::is_stale({pb::this_host(), 1, "t", ""}));  // init: alive (EPERM or not)
  // A dead PID on another host says nothing: that host's process table is not ours.
  const std::string text = lock_text("elsewhere.example", dead_pid(), "2026-01-01T00:00:00Z");
  write_bytes(lock, text);
  EXPECT_FALSE(pb::is_stale(*pb::read_lock_holder(lock)));
  expect_error([&] { pb::FileLock(target, "priorbench run", "x", nullptr); },
               {target + " is in use by PID", "on host elsewhere.example since 2026-01-01T00:00:00Z", "never broken",
                "remove " + lock});
  EXPECT_EQ(read_bytes(lock), text);
}

TEST(RunLock, IncompleteLockIsRefusedUntouched) {
  const TempDir directory("lock-bad");
  const std::string target = directory.file("r.h5"), lock = target + ".lock";
  for (const std::string text : {std::string(), std::string("priorbench-lock-1\nhost=h\n"), std::string("garbage")}) {
    write_bytes(lock, text);
    expect_error([&] { pb::FileLock(target, "priorbench merge", "x", nullptr); },
                 {"priorbench merge: " + lock + " exists but is not a complete priorbench lock", "remove " + lock});
    EXPECT_EQ(read_bytes(lock), text);
  }
}

TEST(RunLock, OwnerRemovesOnlyItsOwnLock) {
  const TempDir directory("lock-own");
  const std::string target = directory.file("r.h5"), lock = target + ".lock";
  const std::string theirs = lock_text("elsewhere.example", 42, "2026-01-01T00:00:00Z");
  {
    const pb::FileLock mine(target, "priorbench run", "x", nullptr);
    write_bytes(lock, theirs);  // removed by hand and taken by another run meanwhile
  }
  EXPECT_EQ(read_bytes(lock), theirs);
}

TEST(RunLock, DirectoriesAreLockedBesideThemselves) {
  EXPECT_EQ(pb::lock_path_for("out/report/"), "out/report.lock");
  EXPECT_EQ(pb::lock_path_for("r.h5"), "r.h5.lock");
  EXPECT_EQ(pb::lock_path_for("."), std::filesystem::current_path().string() + ".lock");
}

// --- completion records --------------------------------------------------------------------

constexpr const char* kStudyText = R"([study]
name = "integrity"
save_reconstructions = 1

[truth]
kinds = ["test"]
test_count = 2

[operator]
name = "identity"

[noise]
sigmas = [0.1, 0.01]

[[method]]
name = "white"

[[method]]
name = "empirical"
)";

const pb::StudySpec& study() {
  static const pb::StudySpec spec = pb::parse_study(kStudyText, "integrity.toml");
  return spec;
}

pb::TaskRecord record_of(std::int64_t task) {
  pb::TaskRecord record;
  record.task = task;
  record.data_size = 4;
  record.seconds = 1.5;
  record.truth_norm = 0.75 + static_cast<double>(task);
  for (const auto& name : pb::result_metric_names()) record.metrics[name] = {0.25 * task, 0.5};
  record.truth = record.backprojection = {0, 0.25, 0.5, 1};
  record.means = record.stds = {{0.5, 0.5, 0.5, 0.5}, {0.1, 0.2, 0.3, 0.4}};
  return record;
}

// The results of every task of shard `index` of `count`, with `model_sha256` recorded.
void write_results(const std::string& path, int index = 0, int count = 1, const std::string& model_sha256 = "") {
  const std::vector<pb::Task> tasks = pb::enumerate_tasks(study());
  std::map<std::string, std::string> provenance = {{"git_version", "test"}};
  if (count > 1) provenance["shard"] = std::to_string(index) + "/" + std::to_string(count);
  if (!model_sha256.empty()) provenance["model_sha256"] = model_sha256;
  pb::ResultsFile results(path, study(), tasks, {2, 2}, MPI_COMM_SELF, provenance);
  for (const pb::Task& task : tasks) {
    if (task.id % count == index) results.record(record_of(task.id), 0);
  }
}

// Flips one bit of element `element` of dataset `name` in the file itself.
void flip_bit(const std::string& path, const std::string& name, std::uint64_t element) {
  haddr_t offset = HADDR_UNDEF;
  {
    const pb::h5::Object file = pb::h5::open_file(path);
    const pb::h5::Object dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
    const pb::h5::Object type(H5Dget_type(dataset), H5Tclose);
    offset = H5Dget_offset(dataset) + element * H5Tget_size(type);
  }
  ASSERT_NE(offset, HADDR_UNDEF) << name;
  std::string bytes = read_bytes(path);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x10);
  write_bytes(path, bytes);
}

pb::TaskIntegrity integrity_of(const std::string& path) {
  const pb::h5::Object file = pb::h5::open_file(path);
  return pb::verify_task_checksums(file);
}

TEST(CompletionRecords, EveryRecordedTaskVerifiesAndAFlippedByteIsFoundInItsTask) {
  const TempDir directory("records");
  const std::string path = directory.file("r.h5");
  write_results(path);
  pb::TaskIntegrity integrity = integrity_of(path);
  EXPECT_EQ(integrity.complete, std::vector<bool>(4, true));
  EXPECT_TRUE(integrity.damaged.empty());
  // One bit in a metric of task 2 (row 2, method 1), in the static task table of task 1,
  // and in the saved image of task 0 (row 0 of /reconstructions): each damages its task only.
  flip_bit(path, "metrics/psnr", 2 * 2 + 1);
  EXPECT_EQ(integrity_of(path).damaged, (std::vector<std::int64_t>{2}));
  flip_bit(path, "tasks/sigma", 1);
  EXPECT_EQ(integrity_of(path).damaged, (std::vector<std::int64_t>{1, 2}));
  flip_bit(path, "reconstructions/std", 4 + 3);  // row 0, method 1, pixel 3
  integrity = integrity_of(path);
  EXPECT_EQ(integrity.damaged, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(integrity.complete, (std::vector<bool>{false, false, false, true}));
}

TEST(CompletionRecords, ResumeRunsDamagedTasksAgainAndTheFileVerifiesAfterwards) {
  const TempDir directory("records-resume");
  const std::string path = directory.file("r.h5");
  write_results(path);
  flip_bit(path, "metrics/relative_error", 3 * 2);
  const pb::ResumeState state = pb::check_resumable(path, study(), "");
  EXPECT_EQ(state.damaged, (std::vector<std::int64_t>{3}));
  {
    const std::vector<pb::Task> tasks = pb::enumerate_tasks(study());
    pb::ResultsFile resumed(path, study(), tasks, {2, 2}, MPI_COMM_SELF, {{"git_version", "test"}});
    EXPECT_EQ(resumed.done(), (std::vector<bool>{true, true, true, false}));
    EXPECT_EQ(resumed.damaged(), (std::vector<std::int64_t>{3}));
    resumed.record(record_of(3), 0);
  }
  EXPECT_EQ(integrity_of(path).complete, std::vector<bool>(4, true));
  EXPECT_EQ(pb::report::read_results(path).metric("relative_error").at(3, 0), 0.75);
}

TEST(CompletionRecords, ReportLeavesDamagedTasksOutAndNamesThem) {
  const TempDir directory("records-report");
  const std::string path = directory.file("r.h5");
  write_results(path, 0, 1, std::string(64, 'a'));
  flip_bit(path, "tasks/seconds", 1);
  const pb::report::Results results = pb::report::read_results(path);
  EXPECT_EQ(results.format, "priorbench-study-2");
  EXPECT_EQ(results.model_sha256, std::string(64, 'a'));
  EXPECT_TRUE(results.checksums_recorded);
  EXPECT_EQ(results.damaged, (std::vector<std::int64_t>{1}));
  EXPECT_EQ(results.done_count(), 3u);
  EXPECT_FALSE(results.tasks.done[1]);
}

TEST(CompletionRecords, TruncatedFileIsRefusedByEveryReaderWithHdf5sReason) {
  const TempDir directory("records-truncated");
  const std::string path = directory.file("r.h5");
  write_results(path);
  const std::string bytes = read_bytes(path);
  write_bytes(path, bytes.substr(0, bytes.size() / 2));  // a copy killed half-way
  const std::vector<std::string> fragments = {"cannot open HDF5 file " + path, "truncated file", "interrupted copy"};
  expect_error([&] { pb::check_resumable(path, study(), ""); }, fragments);
  expect_error([&] { pb::report::read_results(path); }, fragments);
  expect_error([&] { pb::merge_results({path}, directory.file("merged.h5")); }, fragments);
  EXPECT_FALSE(pb::path_exists(directory.file("merged.h5")));
  EXPECT_FALSE(pb::path_exists(directory.file("merged.h5.lock")));
  EXPECT_FALSE(pb::path_exists(path + ".lock"));
}

TEST(CompletionRecords, FirstFormatFilesAreReadButNeitherResumedNorMerged) {
  const TempDir directory("records-v1");
  const std::string path = directory.file("old.h5");
  write_results(path);
  {
    const pb::h5::Object file = pb::h5::open_file(path, pb::h5::Mode::read_write);
    H5Adelete(file, "format");
    pb::h5::write_attribute(file, "format", "priorbench-study-1");
  }
  flip_bit(path, "metrics/psnr", 0);  // unverifiable: read as it is
  const pb::report::Results results = pb::report::read_results(path);
  EXPECT_FALSE(results.checksums_recorded);
  EXPECT_EQ(results.done_count(), 4u);
  expect_error([&] { pb::check_resumable(path, study(), ""); },
               {path, "format priorbench-study-1", "run to a new output file"});
  expect_error([&] { pb::merge_results({path}, directory.file("merged.h5")); },
               {"shard " + path, "format priorbench-study-1"});
}

// --- the model's identity --------------------------------------------------------------------

TEST(ModelIdentity, ResumeWithAnotherModelIsRefusedNamingBothHashes) {
  const TempDir directory("model-resume");
  const std::string path = directory.file("r.h5");
  const std::string made_with(64, 'a'), now(64, 'b');
  write_results(path, 0, 1, made_with);
  const std::string before = read_bytes(path);
  EXPECT_TRUE(pb::check_resumable(path, study(), made_with).damaged.empty());
  expect_error([&] { pb::check_resumable(path, study(), now); },
               {path, "model of SHA-256 " + made_with, "now has SHA-256 " + now, "use another output file"});
  expect_error([&] { pb::check_resumable(path, study(), ""); }, {"now has SHA-256 (none)"});
  const std::vector<pb::Task> tasks = pb::enumerate_tasks(study());
  expect_error(
      [&] {
        pb::ResultsFile(path, study(), tasks, {2, 2}, MPI_COMM_SELF, {{"model_sha256", now}});
      },
      {made_with, now});
  EXPECT_EQ(read_bytes(path), before);
}

TEST(ModelIdentity, MergeRefusesShardsOfDifferentModelsAndDamagedShards) {
  const TempDir directory("model-merge");
  const std::string first = directory.file("s0.h5"), second = directory.file("s1.h5");
  const std::string merged = directory.file("merged.h5");
  write_results(first, 0, 2, std::string(64, 'a'));
  write_results(second, 1, 2, std::string(64, 'b'));
  expect_error(
      [&] {
        pb::merge_results({first, second}, merged);
      },
      {"merge: " + second, "model of SHA-256 " + std::string(64, 'b'), first + " with " + std::string(64, 'a')});
  std::filesystem::remove(second);
  write_results(second, 1, 2, std::string(64, 'a'));
  flip_bit(second, "metrics/coverage_95", 1 * 2);  // task 1 is shard 1's
  expect_error(
      [&] {
        pb::merge_results({first, second}, merged);
      },
      {"merge: shard " + second + ": task(s) 1 are marked done", "damaged", "rerun that shard"});
  EXPECT_FALSE(pb::path_exists(merged));
  // Rerun past the damage, then the merge holds the model's hash and verifies.
  {
    const std::vector<pb::Task> tasks = pb::enumerate_tasks(study());
    pb::ResultsFile resumed(second, study(), tasks, {2, 2}, MPI_COMM_SELF, {{"model_sha256", std::string(64, 'a')}});
    ASSERT_EQ(resumed.damaged(), (std::vector<std::int64_t>{1}));
    resumed.record(record_of(1), 0);
  }
  pb::merge_results({first, second}, merged);
  const pb::report::Results results = pb::report::read_results(merged);
  EXPECT_EQ(results.model_sha256, std::string(64, 'a'));
  EXPECT_EQ(results.done_count(), 4u);
  EXPECT_TRUE(results.damaged.empty());
}

TEST(ModelIdentity, MergeRefusesAShardBeingWrittenAndLeavesNoLock) {
  const TempDir directory("merge-locked");
  const std::string first = directory.file("s0.h5"), second = directory.file("s1.h5");
  write_results(first, 0, 2);
  write_results(second, 1, 2);
  const std::string text = lock_text("elsewhere.example", 7, "2026-01-01T00:00:00Z");
  write_bytes(second + ".lock", text);
  expect_error(
      [&] {
        pb::merge_results({first, second}, directory.file("merged.h5"));
      },
      {"priorbench merge: " + second + " is in use by PID 7 on host elsewhere.example"});
  EXPECT_EQ(read_bytes(second + ".lock"), text);
  EXPECT_FALSE(pb::path_exists(first + ".lock"));
  EXPECT_FALSE(pb::path_exists(directory.file("merged.h5.lock")));
  EXPECT_FALSE(pb::path_exists(directory.file("merged.h5")));
}

}  // namespace
