#include "study/tasks.hpp"

#include <utility>

namespace priorbench {

namespace {

// One entry per point of the data-size axis: (d, 0) for data sizes, (0, R) for accelerations.
std::vector<std::pair<std::int64_t, double>> data_size_axis(const StudySpec& spec) {
  std::vector<std::pair<std::int64_t, double>> axis;
  for (const auto d : spec.data_sizes) axis.emplace_back(d, 0.0);
  for (const double r : spec.accelerations) axis.emplace_back(0, r);
  return axis;
}

}  // namespace

std::vector<Task> enumerate_tasks(const StudySpec& spec) {
  const auto axis = data_size_axis(spec);
  std::vector<Task> tasks;
  for (const TruthKindSpec& kind : spec.truth_kinds) {
    const bool test = kind.kind == TruthKind::test;
    const auto truths =
        test ? static_cast<std::int64_t>(spec.test_indices.size()) : static_cast<std::int64_t>(spec.generated_count);
    const std::int64_t code = truth_kind_code(spec, kind);
    for (std::int64_t truth = 0; truth < truths; ++truth) {
      for (const auto& [data_size, acceleration] : axis) {
        for (const double sigma : spec.sigmas) {
          for (int replicate = 0; replicate < spec.replicates; ++replicate) {
            Task task;
            task.id = static_cast<std::int64_t>(tasks.size());
            task.truth_kind = kind.kind;
            task.truth_model = kind.model;
            task.truth_kind_code = code;
            task.truth_number = truth;
            task.test_index = test ? spec.test_indices[static_cast<std::size_t>(truth)] : -1;
            task.data_size = data_size;
            task.acceleration = acceleration;
            task.sigma = sigma;
            task.replicate = replicate;
            tasks.push_back(task);
          }
        }
      }
    }
  }
  return tasks;
}

}  // namespace priorbench
