#include "results_baseline.hpp"

#include <mpi.h>

#include "study/results_file.hpp"
#include "study/tasks.hpp"
#include "support.hpp"

namespace priorbench::fuzz {
namespace {

constexpr const char* kStudyText = R"([study]
name = "fuzz"
seed = 7
save_reconstructions = 2

[truth]
kinds = ["test"]
test_count = 2

[operator]
name = "inpaint"
data_sizes = [3]

[noise]
sigmas = [0.1, 0.01]

[[method]]
name = "white"

[[method]]
name = "empirical"
label = "pca"
)";

constexpr ImageShape kShape{2, 3};

TaskRecord record_of(const Task& task, std::size_t methods) {
  TaskRecord record;
  record.task = task.id;
  record.data_size = 3;
  record.seconds = 0.5 + task.id;
  record.truth_norm = 1.25;
  record.range_distance = 0.125;
  for (const auto& name : result_metric_names()) {
    for (std::size_t m = 0; m < methods; ++m) record.metrics[name].push_back(0.25 * (task.id + 1) + 0.5 * m);
  }
  const auto n = static_cast<std::size_t>(kShape.size());
  record.truth.assign(n, 0.5);
  record.backprojection.assign(n, 0.25);
  record.zero_filled.assign(n, 0.125);
  record.sampling.assign(n, 1.0);
  record.means.assign(methods, std::vector<double>(n, 0.375));
  record.stds.assign(methods, std::vector<double>(n, 0.0625));
  return record;
}

}  // namespace

const StudySpec& baseline_study() {
  static const StudySpec study = parse_study(kStudyText, "fuzz.toml");
  return study;
}

Hdf5Layout baseline_results(int index, int count) {
  const std::string path = scratch_path("baseline-results.h5");
  const StudySpec& study = baseline_study();
  const std::vector<Task> tasks = enumerate_tasks(study);
  std::map<std::string, std::string> provenance = {
      {"priorbench_version", "0.1.0"}, {"git_version", "fuzz"}, {"libraries", "PETSc 3.18.5"}};
  if (count > 1) provenance["shard"] = std::to_string(index) + "/" + std::to_string(count);
  {
    ResultsFile results(path, study, tasks, kShape, MPI_COMM_SELF, provenance);
    for (const Task& task : tasks) {
      if (task.id % count == index) results.record(record_of(task, study.methods.size()), 0);
    }
  }
  return read_layout(path);
}

Vocabulary results_vocabulary() {
  Vocabulary words = vocabulary_of(baseline_results(0, 1));
  words.texts.insert(words.texts.end(), {"0/2", "1/2", "2/2", "-1/2", "1/0", "white,pca", "white,,pca", ""});
  return words;
}

}  // namespace priorbench::fuzz
