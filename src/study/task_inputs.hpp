#pragma once
// The inputs of one task of a study (DESIGN §4): the truth x†, the forward operator A and
// the observation y = A x† + σε, built exactly as `priorbench run` builds them, with every
// random draw keyed by the study seed and the task (the operator's masks and matrices,
// the noise) or the truth (generated truths: the same x† for every σ, d and replicate).
// Also the truth's distance to the generator's range, the floor of latent estimates.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "data/image_set.hpp"
#include "methods/method.hpp"
#include "methods/observation.hpp"
#include "operators/forward_operator.hpp"
#include "study/study_spec.hpp"
#include "study/tasks.hpp"

namespace priorbench {

// The resources of each model of a study, by name ("" the [model], otherwise a
// [models.NAME]): a method gets those of its `model` field; truths and range distances
// those of [model].
using ModelResources = std::function<MethodResources(const std::string& model)>;

// What every task of the study shares, loaded once per rank: the test images and, through
// `resources`, the generator. Operators live on PETSC_COMM_SELF (a task runs on one rank).
class TaskInputs {
 public:
  TaskInputs(const StudySpec& study, ModelResources resources);

  ImageShape shape() const { return shape_; }
  std::vector<double> truth(const Task& task) const;
  // z† of a generated truth (empty for a test truth), in the latent space of the model that
  // made it (Task::truth_model). Keyed by the truth, not the task: every σ, d and
  // replicate sees the same x†.
  std::vector<double> truth_latent(const Task& task) const;
  std::shared_ptr<const ForwardOperator> forward(const Task& task) const;
  Observation observe(const Task& task, std::shared_ptr<const ForwardOperator> forward,
                      std::span<const double> truth) const;
  // min_z ‖x† − μ(z)‖ (DESIGN §3) for the generator of `model` ("" the [model], else a
  // [models.NAME]); once per truth, model and rank; NaN when the study has no such generator.
  double range_distance(const Task& task, std::span<const double> truth, const std::string& model = "") const;

 private:
  void check_before_running() const;

  const StudySpec& study_;
  ModelResources model_resources_;
  MethodResources resources_;  // of [model]
  std::optional<data::ImageSet> test_images_;
  ImageShape shape_;
  mutable std::map<std::tuple<std::string, std::int64_t, std::int64_t>, double> range_distances_;
};

}  // namespace priorbench
