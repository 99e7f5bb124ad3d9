#pragma once
// Tasks of a study (DESIGN §4): one (truth kind, truth, data size, σ, replicate); the
// data size is given as d or, for fourier, as an acceleration R. All
// methods of a study run on the same x†, A and y of a task (a paired comparison). Task
// ids enumerate kind → truth → data size → σ → replicate, so they depend only on the
// study file.

#include <cstdint>
#include <string>
#include <vector>

#include "study/study_spec.hpp"

namespace priorbench {

struct Task {
  std::int64_t id = 0;
  TruthKind truth_kind = TruthKind::test;
  std::string truth_model;           // the generator of a generated truth: "" for [model], else [models.NAME]
  std::int64_t truth_kind_code = 0;  // truth_kind_code(study, kind), as the results file records it
  std::int64_t truth_number = 0;     // position within its kind (0 … count − 1)
  std::int64_t test_index = -1;      // image index in the test set, for test truths
  std::int64_t data_size = 0;        // 0: the operator's default (or set by the acceleration)
  double acceleration = 0;           // fourier: d ≈ n/R when > 0 (study field operator.accelerations)
  double sigma = 0;
  int replicate = 0;
};

std::vector<Task> enumerate_tasks(const StudySpec& spec);

}  // namespace priorbench
