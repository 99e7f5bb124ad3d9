#include "study/merge.hpp"

#include <cstring>
#include <filesystem>
#include <map>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "study/results_file.hpp"
#include "study/tasks.hpp"

namespace priorbench {
namespace {

std::string read_text_dataset(hid_t file, const std::string& name, const std::string& path) {
  h5::Object dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  PB_REQUIRE(dataset.id() >= 0, path, ":/", name, " is missing");
  h5::Object type(H5Dget_type(dataset), H5Tclose);
  std::string text(H5Tget_size(type), '\0');
  PB_REQUIRE(H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data()) >= 0, "cannot read ", path, ":/", name);
  text.resize(std::strlen(text.c_str()));
  return text;
}

// One shard file, read whole (results files are small: rows of numbers per task).
struct Shard {
  std::string path;
  std::string hash, code, study_text;
  ImageShape shape;
  std::vector<std::int64_t> done;
  std::map<std::string, std::vector<double>> metrics;  // T×M, row-major
  std::map<std::string, std::vector<double>> task_values;
  std::vector<double> truth, backprojection, mean, std;
};

Shard read_shard(const std::string& path) {
  Shard shard;
  shard.path = path;
  auto file = h5::open_file(path);
  const std::string format = h5::has_attribute(file, "format") ? read_text_attribute(file, "format") : "";
  PB_REQUIRE(format == "priorbench-study-1", path, " is not a priorbench study results file (format '", format, "')");
  shard.hash = read_text_attribute(file, "study_hash");
  shard.code = read_text_attribute(file, "git_version");
  shard.study_text = read_text_dataset(file, "study_text", path);
  shard.shape = {static_cast<PetscInt>(h5::read_integer_attribute(file, "height")),
                 static_cast<PetscInt>(h5::read_integer_attribute(file, "width"))};
  for (const auto value : h5::read_integers(file, "tasks/done")) shard.done.push_back(value);
  for (const auto& name : result_metric_names()) shard.metrics[name] = h5::read_doubles(file, "metrics/" + name);
  for (const char* name : {"data_size", "seconds", "truth_norm", "range_distance"}) {
    shard.task_values[name] = h5::read_doubles(file, std::string("tasks/") + name);
  }
  shard.truth = h5::read_doubles(file, "reconstructions/truth");
  shard.backprojection = h5::read_doubles(file, "reconstructions/backprojection");
  shard.mean = h5::read_doubles(file, "reconstructions/mean");
  shard.std = h5::read_doubles(file, "reconstructions/std");
  return shard;
}

TaskRecord record_of(const Shard& shard, std::int64_t task, std::size_t methods, std::int64_t saved) {
  TaskRecord record;
  const auto t = static_cast<std::size_t>(task);
  record.task = task;
  record.data_size = static_cast<std::int64_t>(shard.task_values.at("data_size")[t]);
  record.seconds = shard.task_values.at("seconds")[t];
  record.truth_norm = shard.task_values.at("truth_norm")[t];
  record.range_distance = shard.task_values.at("range_distance")[t];
  for (const auto& [name, values] : shard.metrics) {
    record.metrics[name].assign(values.begin() + static_cast<std::ptrdiff_t>(t * methods),
                                values.begin() + static_cast<std::ptrdiff_t>((t + 1) * methods));
  }
  if (task < saved) {
    const auto n = static_cast<std::size_t>(shard.shape.size());
    auto slice = [](const std::vector<double>& all, std::size_t start, std::size_t count) {
      return std::vector<double>(all.begin() + static_cast<std::ptrdiff_t>(start),
                                 all.begin() + static_cast<std::ptrdiff_t>(start + count));
    };
    record.truth = slice(shard.truth, t * n, n);
    record.backprojection = slice(shard.backprojection, t * n, n);
    for (std::size_t m = 0; m < methods; ++m) {
      record.means.push_back(slice(shard.mean, (t * methods + m) * n, n));
      record.stds.push_back(slice(shard.std, (t * methods + m) * n, n));
    }
  }
  return record;
}

}  // namespace

MergeSummary merge_results(const std::vector<std::string>& paths, const std::string& output) {
  PB_REQUIRE(!paths.empty(), "merge: no shard files given");
  PB_REQUIRE(!std::filesystem::exists(output), "merge: output file ", output, " already exists");
  std::vector<Shard> shards;
  for (const auto& path : paths) {
    shards.push_back(read_shard(path));
    const Shard& first = shards.front();
    const Shard& shard = shards.back();
    PB_REQUIRE(shard.hash == first.hash, path, " belongs to another study than ", first.path, " (study_hash ",
               shard.hash, " vs ", first.hash, ")");
    PB_REQUIRE(shard.code == first.code, path, " was written by code version ", shard.code, " but ", first.path, " by ",
               first.code);
  }
  const StudySpec study = parse_study(shards.front().study_text, paths.front() + ":/study_text");
  const std::vector<Task> tasks = enumerate_tasks(study);
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
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    PB_REQUIRE(owner[t] >= 0, "merge: task ", t, " is done in none of the ", paths.size(),
               " shards (did a shard fail or stop early?); rerun that shard, then merge again");
  }
  {
    ResultsFile merged(
        output, study, tasks, shards.front().shape, MPI_COMM_SELF,
        {{"git_version", shards.front().code}, {"merged_from", std::to_string(paths.size()) + " shards"}});
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      const Shard& shard = shards[static_cast<std::size_t>(owner[t])];
      merged.record(record_of(shard, static_cast<std::int64_t>(t), study.methods.size(), merged.saved_tasks()), 0);
    }
  }
  return summary;
}

}  // namespace priorbench
