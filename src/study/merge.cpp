#include "study/merge.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/output_files.hpp"
#include "core/paths.hpp"
#include "core/run_lock.hpp"
#include "core/task_checksum.hpp"
#include "study/provenance.hpp"
#include "study/results_file.hpp"
#include "study/tasks.hpp"

namespace priorbench {
namespace {

std::string read_text_dataset(hid_t file, const std::string& name, const std::string& path) {
  const std::string where = path + ":/" + name;
  PB_REQUIRE(h5::exists(file, name), where, " is missing");
  h5::Object dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  PB_REQUIRE(dataset.id() >= 0, where, " is missing");
  h5::require_single_value(dataset, where);
  h5::Object type(H5Dget_type(dataset), H5Tclose);
  PB_REQUIRE(H5Tget_class(type) == H5T_STRING, where, " is not text");
  if (H5Tis_variable_str(type) > 0) return h5::read_string(file, name);
  std::string text(H5Tget_size(type), '\0');
  PB_REQUIRE(H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data()) >= 0, "cannot read ", where);
  text.resize(std::strlen(text.c_str()));
  return text;
}

// One shard file, read whole (results files are small: rows of numbers per task).
struct Shard {
  std::string path;
  std::string hash, code, study_text;
  std::string git_dirty;     // "true", "false", or "unknown" (files from before it was recorded)
  std::string shard;         // "I/N" of `priorbench run --shard`, empty for files written before it was recorded
  std::string model_sha256;  // "" for a study without a model
  ImageShape shape;
  std::vector<std::int64_t> data_size;
  std::vector<bool> done;  // complete by the task's completion record (core/task_checksum.hpp)
  std::map<std::string, std::vector<double>> metrics;  // T×M, row-major
  std::map<std::string, std::vector<double>> task_values;
  std::vector<double> truth, backprojection, zero_filled, sampling, mean, std;
  std::vector<std::int64_t> saved;  // /reconstructions/task: the task of each saved row
};

// The extents every dataset of a shard has: the layout ResultsFile writes for the study.
struct ShardExtents {
  hsize_t tasks = 0, methods = 0, saved = 0, height = 0, width = 0;
};

// What identifies a shard and its study, read before any of its datasets.
Shard read_shard_header(const std::string& path) {
  Shard shard;
  shard.path = path;
  PB_REQUIRE(path_exists(path), "merge: shard file ", path,
             " does not exist (did its job fail before it started?); rerun that shard, then merge again");
  auto file = h5::open_file(path);
  const std::string format = h5::has_attribute(file, "format") ? read_text_attribute(file, "format") : "";
  PB_REQUIRE(format != kResultsFormatV1, "merge: shard ", path, " is of format ", kResultsFormatV1,
             ", which records no task checksums to verify; merge it with the priorbench that wrote it, or rerun it");
  PB_REQUIRE(format == kResultsFormat, path, " is not a priorbench study results file (format '", format, "')");
  shard.hash = read_text_attribute(file, "study_hash");
  shard.code = read_text_attribute(file, "git_version");
  shard.git_dirty = h5::has_attribute(file, "git_dirty") ? read_text_attribute(file, "git_dirty") : "unknown";
  if (h5::has_attribute(file, "model_sha256")) shard.model_sha256 = read_text_attribute(file, "model_sha256");
  shard.study_text = read_text_dataset(file, "study_text", path);
  PB_REQUIRE(study_hash(shard.study_text) == shard.hash, "merge: shard ", path, ": /study_text has hash ",
             study_hash(shard.study_text), " but the attribute study_hash says ", shard.hash, "; the file is damaged");
  if (h5::has_attribute(file, "shard")) shard.shard = read_text_attribute(file, "shard");
  const std::int64_t height = h5::read_integer_attribute(file, "height");
  const std::int64_t width = h5::read_integer_attribute(file, "width");
  const std::int64_t largest = std::numeric_limits<PetscInt>::max();
  PB_REQUIRE(height > 0 && width > 0 && height <= largest / width, path, ": image shape ", height, "x", width,
             " in the attributes height and width is not a usable image size");
  shard.shape = {static_cast<PetscInt>(height), static_cast<PetscInt>(width)};
  return shard;
}

// The datasets of a shard, each checked against the extents of the study before it is
// read: a shard claiming 10^11 rows is refused, not allocated.
void read_shard_data(Shard& shard, const ShardExtents& extents) {
  auto file = h5::open_file(shard.path);
  const auto check = [&](const std::string& name, const h5::Shape& expected) {
    const h5::Shape shape = h5::shape_of(file, name);
    PB_REQUIRE(shape == expected, shard.path, ":/", name, " has shape ", h5::shape_text(shape), "; the study needs ",
               h5::shape_text(expected));
  };
  const auto doubles = [&](const std::string& name, const h5::Shape& expected) {
    check(name, expected);
    return h5::read_doubles(file, name);
  };
  const hsize_t t = extents.tasks, m = extents.methods, s = extents.saved, h = extents.height, w = extents.width;
  check("tasks/done", {t});
  check("tasks/data_size", {t});
  shard.data_size = h5::read_integers(file, "tasks/data_size");
  for (const auto& name : result_metric_names()) {
    if (is_late_metric(name) && !h5::exists(file, "metrics/" + name)) continue;
    shard.metrics[name] = doubles("metrics/" + name, {t, m});
  }
  for (const char* name : {"seconds", "truth_norm", "range_distance"}) {
    shard.task_values[name] = doubles(std::string("tasks/") + name, {t});
  }
  check("reconstructions/task", {s});
  shard.saved = h5::read_integers(file, "reconstructions/task");
  shard.truth = doubles("reconstructions/truth", {s, h, w});
  shard.backprojection = doubles("reconstructions/backprojection", {s, h, w});
  for (auto [name, images] : {std::pair{"reconstructions/zero_filled", &shard.zero_filled},
                              std::pair{"reconstructions/sampling", &shard.sampling}}) {
    if (h5::exists(file, name)) *images = doubles(name, {s, h, w});
  }
  shard.mean = doubles("reconstructions/mean", {s, m, h, w});
  shard.std = doubles("reconstructions/std", {s, m, h, w});
  // A task counts only when its rows give its checksum; a damaged one stops the merge.
  const TaskIntegrity integrity = verify_task_checksums(file);
  PB_REQUIRE(integrity.damaged.empty(), "merge: shard ", shard.path, ": task(s) ", task_list_text(integrity.damaged),
             " are marked done but their rows do not match their checksums (damaged); rerun that shard (it ",
             "resumes past the damage), then merge again");
  shard.done = integrity.complete;
}

TaskRecord record_of(const Shard& shard, std::int64_t task, std::size_t methods) {
  TaskRecord record;
  const auto t = static_cast<std::size_t>(task);
  record.task = task;
  record.data_size = shard.data_size[t];
  record.seconds = shard.task_values.at("seconds")[t];
  record.truth_norm = shard.task_values.at("truth_norm")[t];
  record.range_distance = shard.task_values.at("range_distance")[t];
  for (const auto& [name, values] : shard.metrics) {
    record.metrics[name].assign(values.begin() + static_cast<std::ptrdiff_t>(t * methods),
                                values.begin() + static_cast<std::ptrdiff_t>((t + 1) * methods));
  }
  // The images, when the shard saved this task (in its row of /reconstructions).
  const auto row = std::find(shard.saved.begin(), shard.saved.end(), task);
  if (row != shard.saved.end()) {
    const auto s = static_cast<std::size_t>(row - shard.saved.begin());
    const auto n = static_cast<std::size_t>(shard.shape.size());
    auto slice = [](const std::vector<double>& all, std::size_t start, std::size_t count) {
      return std::vector<double>(all.begin() + static_cast<std::ptrdiff_t>(start),
                                 all.begin() + static_cast<std::ptrdiff_t>(start + count));
    };
    record.truth = slice(shard.truth, s * n, n);
    record.backprojection = slice(shard.backprojection, s * n, n);
    if (!shard.zero_filled.empty()) record.zero_filled = slice(shard.zero_filled, s * n, n);
    if (!shard.sampling.empty()) record.sampling = slice(shard.sampling, s * n, n);
    for (std::size_t m = 0; m < methods; ++m) {
      record.means.push_back(slice(shard.mean, (s * methods + m) * n, n));
      record.stds.push_back(slice(shard.std, (s * methods + m) * n, n));
    }
  }
  return record;
}

// The error for tasks done in no shard: by the shard they belong to when the files say
// which shard they hold, else by the first such task.
[[noreturn]] void fail_on_missing_tasks(const std::vector<Shard>& shards, const std::vector<int>& owner) {
  for (const Shard& shard : shards) {
    int index = 0, count = 0;
    if (std::sscanf(shard.shard.c_str(), "%d/%d", &index, &count) != 2 || count < 1) continue;
    std::int64_t in_shard = 0, done = 0;
    for (std::size_t t = 0; t < owner.size(); ++t) {
      if (static_cast<int>(t % static_cast<std::size_t>(count)) != index) continue;
      ++in_shard;
      done += shard.done[t] ? 1 : 0;
    }
    PB_REQUIRE(done == in_shard, "merge: shard ", shard.shard, " (", shard.path, ") is incomplete: ", done, " of ",
               in_shard, " tasks done (did its job fail or stop early?); rerun that shard, then merge again");
  }
  for (std::size_t t = 0; t < owner.size(); ++t) {
    PB_REQUIRE(owner[t] >= 0, "merge: task ", t, " is done in none of the ", shards.size(),
               " shards (is a shard file missing, or did a shard fail?); rerun that shard, then merge again");
  }
  PB_FAIL("merge: internal error: no missing task found");
}

// Removes a partly written file unless released.
}  // namespace

ResultsProgress read_results_progress(const std::string& path, const StudySpec& study, int shard_index,
                                      int shard_count) {
  PB_REQUIRE(shard_count >= 1 && shard_index >= 0 && shard_index < shard_count, "shard ", shard_index, "/", shard_count,
             ": expected I/N with 0 <= I < N");
  ResultsProgress progress;
  const std::vector<Task> tasks = enumerate_tasks(study);
  for (const Task& task : tasks) progress.expected += task.id % shard_count == shard_index ? 1 : 0;
  if (!path_exists(path)) return progress;
  progress.exists = true;
  auto file = h5::open_file(path);
  const std::string format = h5::has_attribute(file, "format") ? read_text_attribute(file, "format") : "";
  PB_REQUIRE(format == kResultsFormat || format == kResultsFormatV1, path,
             " is not a priorbench study results file (format '", format, "')");
  const std::string hash = read_text_attribute(file, "study_hash");
  PB_REQUIRE(hash == study_hash(study.text), path, " belongs to another study (study_hash ", hash, ", not ",
             study_hash(study.text), " of ", study.path, ")");
  const h5::Shape shape = h5::shape_of(file, "tasks/done");
  PB_REQUIRE(shape == h5::Shape{tasks.size()}, path, ":/tasks/done has shape ", h5::shape_text(shape), ", the study ",
             tasks.size(), " tasks");
  // A task of the current format counts only with a valid completion record.
  std::vector<bool> done;
  if (format == kResultsFormat) {
    done = verify_task_checksums(file).complete;
  } else {
    const auto marked = h5::read_integers(file, "tasks/done");
    done.assign(marked.begin(), marked.end());
  }
  for (const Task& task : tasks) {
    if (task.id % shard_count == shard_index && done[static_cast<std::size_t>(task.id)]) ++progress.done;
  }
  return progress;
}

MergeSummary merge_results(const std::vector<std::string>& paths, const std::string& output,
                           const std::string& command) {
  PB_REQUIRE(!paths.empty(), "merge: no shard files given");
  PB_REQUIRE(!path_exists(output), "merge: output file ", output, " already exists");
  check_output_directory(output);
  // One writer per file: the output is ours while we write it, and no run may write a
  // shard while it is read (a shard being written is refused, naming its run).
  const auto notice = [](const std::string& line) { std::cerr << line << std::endl; };
  const FileLock output_lock(output, "priorbench merge", command, notice);
  std::vector<std::unique_ptr<FileLock>> shard_locks;
  std::set<std::filesystem::path> locked;
  for (const auto& path : paths) {
    if (!path_exists(path)) continue;  // reported below, with the advice for a missing shard
    if (!locked.insert(std::filesystem::weakly_canonical(path)).second) continue;  // a repeated shard: reported below
    shard_locks.push_back(std::make_unique<FileLock>(path, "priorbench merge", command, notice));
  }
  std::vector<Shard> shards;
  for (const auto& path : paths) {
    shards.push_back(read_shard_header(path));
    const Shard& first = shards.front();
    const Shard& shard = shards.back();
    PB_REQUIRE(shard.hash == first.hash, path, " belongs to another study than ", first.path, " (study_hash ",
               shard.hash, " vs ", first.hash, ")");
    PB_REQUIRE(shard.code == first.code, path, " was written by code version ", shard.code, " but ", first.path, " by ",
               first.code);
    PB_REQUIRE(shard.shape == first.shape, path, " holds images of ", shard.shape.height, "x", shard.shape.width,
               " but ", first.path, " of ", first.shape.height, "x", first.shape.width);
    PB_REQUIRE(shard.model_sha256 == first.model_sha256, "merge: ", path, " was made with the model of SHA-256 ",
               shard.model_sha256.empty() ? "(none)" : shard.model_sha256, " but ", first.path, " with ",
               first.model_sha256.empty() ? "(none)" : first.model_sha256,
               "; shards of different models are not merged");
  }
  const StudySpec study = parse_study(shards.front().study_text, paths.front() + ":/study_text");
  const std::vector<Task> tasks = enumerate_tasks(study);
  const ShardExtents extents{
      tasks.size(), study.methods.size(), std::min<hsize_t>(static_cast<hsize_t>(study.saved_tasks), tasks.size()),
      static_cast<hsize_t>(shards.front().shape.height), static_cast<hsize_t>(shards.front().shape.width)};
  for (Shard& shard : shards) read_shard_data(shard, extents);
  std::vector<int> owner(tasks.size(), -1);
  MergeSummary summary;
  summary.tasks = static_cast<std::int64_t>(tasks.size());
  summary.tasks_per_shard.assign(shards.size(), 0);
  for (std::size_t s = 0; s < shards.size(); ++s) {
    PB_REQUIRE(shards[s].done.size() == tasks.size(), paths[s], " has ", shards[s].done.size(),
               " tasks, the study has ", tasks.size());
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      if (!shards[s].done[t]) continue;
      PB_REQUIRE(owner[t] < 0, "merge: task ", t, " is done in both ", paths[static_cast<std::size_t>(owner[t])],
                 " and ", paths[s]);
      owner[t] = static_cast<int>(s);
      ++summary.tasks_per_shard[s];
    }
  }
  if (std::find(owner.begin(), owner.end(), -1) != owner.end()) fail_on_missing_tasks(shards, owner);
  summary.code = shards.front().code;
  summary.git_dirty = shards.front().git_dirty;
  for (const Shard& shard : shards) summary.git_dirty = merged_git_dirty(summary.git_dirty, shard.git_dirty);
  AtomicFile partial(output);
  // ResultsFile creates its file exclusively: give back the empty file AtomicFile reserved
  // under its unique name (still removed by `partial` if the merge fails).
  std::filesystem::remove(partial.path());
  {
    std::map<std::string, std::string> provenance = {{"git_version", shards.front().code},
                                                     {"git_dirty", summary.git_dirty},
                                                     {"merged_from", std::to_string(paths.size()) + " shards"}};
    if (!shards.front().model_sha256.empty()) provenance["model_sha256"] = shards.front().model_sha256;
    ResultsFile merged(partial.path().string(), study, tasks, shards.front().shape, MPI_COMM_SELF, provenance);
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      const Shard& shard = shards[static_cast<std::size_t>(owner[t])];
      merged.record(record_of(shard, static_cast<std::int64_t>(t), study.methods.size()), 0);
    }
  }
  partial.commit_if_absent();
  return summary;
}

}  // namespace priorbench
