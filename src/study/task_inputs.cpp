#include "study/task_inputs.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/random.hpp"
#include "data/image_source.hpp"
#include "diagnostics/range_distance.hpp"
#include "methods/method_factory.hpp"
#include "operators/operator_factory.hpp"

namespace priorbench {

TaskInputs::TaskInputs(const StudySpec& study, ModelResources resources)
    : study_(study), model_resources_(std::move(resources)), resources_(model_resources_("")) {
  const bool wants_test = std::count(study.truth_kinds.begin(), study.truth_kinds.end(), TruthKindSpec{}) > 0;
  if (wants_test) {
    test_images_ = data::load_training_set(study.test_set);
    for (const auto index : study.test_indices) {
      PB_REQUIRE(index < static_cast<std::int64_t>(test_images_->count), study.path,
                 ": field 'truth.test_indices' has ", index, ", beyond the ", test_images_->count, " images of ",
                 study.test_set);
    }
    shape_ = test_images_->shape;
  } else {
    shape_ = model_resources_(study.truth_kinds.front().model).generator()->image_shape();
  }
  check_before_running();
}

// What every task would otherwise find out one by one, after the results file exists: the
// training set (loaded now when a method needs it; the tasks share it), each model's image
// size and kind against the methods that use it, and each data size against the operator
// and n.
void TaskInputs::check_before_running() const {
  const auto& methods = study_.methods;
  if (std::any_of(methods.begin(), methods.end(), [](const auto& m) { return needs_training(m.options); })) {
    resources_.training();
  }
  const auto check_model = [&](const std::string& name) {
    const std::string& file = study_model_file(study_, name);
    if (file.empty()) return;
    const auto generator = model_resources_(name).generator();
    const ImageShape model = generator->image_shape();
    PB_REQUIRE(model == shape_, study_model_field(study_, name), " (", file, ") makes images of ", model.height, "x",
               model.width, " but the test images are ", shape_.height, "x", shape_.width);
    for (const auto& method : methods) {
      if (method.model != name) continue;
      const std::string mismatch = generator_mismatch(method.options, *generator);
      PB_REQUIRE(mismatch.empty(), study_.path, ": method '", method.label, "' with model ", file, ": ", mismatch);
    }
  };
  check_model("");
  for (const auto& [name, model] : study_.named_models) check_model(name);
  // flow_laplace's low-rank route keeps at most d eigenpairs (the misfit Hessian's rank).
  // An operator's default d (data size 0) is only bounded by n here; each task checks it.
  const auto check_low_rank = [&](std::uint64_t d) {
    for (const auto& method : methods) {
      const auto* flow = std::get_if<FlowLaplaceMethodOptions>(&method.options);
      PB_REQUIRE(flow == nullptr || flow->rank <= d, study_.path, ": method '", method.label, "': field 'rank' has ",
                 flow ? flow->rank : 0, ", more than the data size d = ", d,
                 " (the misfit Hessian has rank at most d)");
    }
  };
  OperatorSpec spec = study_.operator_spec;
  const auto check = [&](const std::string& field, const std::string& value) {
    try {
      check_operator_spec(shape_, spec);
    } catch (const Error& error) {
      PB_FAIL(study_.path, ": field 'operator.", field, "' has ", value, ": ", error.what());
    }
  };
  for (const auto d : study_.data_sizes) {
    spec.data_size = static_cast<PetscInt>(d);
    check("data_sizes", std::to_string(d));
    check_low_rank(d > 0 ? static_cast<std::uint64_t>(d) : shape_.size());
  }
  spec.data_size = 0;
  for (const auto r : study_.accelerations) {
    spec.acceleration = r;
    check("accelerations", std::to_string(r));
  }
}

double TaskInputs::range_distance(const Task& task, std::span<const double> truth, const std::string& model) const {
  if (study_model_file(study_, model).empty()) return std::numeric_limits<double>::quiet_NaN();
  const auto key = std::make_tuple(model, task.truth_kind_code, task.truth_number);
  if (const auto found = range_distances_.find(key); found != range_distances_.end()) return found->second;
  RangeDistanceOptions options;
  options.seed = study_.seed;
  options.task = static_cast<std::uint64_t>(task.truth_number);
  const double distance = distance_to_range(*model_resources_(model).generator(), truth, options).distance;
  range_distances_.emplace(key, distance);
  return distance;
}

namespace {

// The random stream of a generated truth: 0 (its latent) and 1 (the decoder noise of
// generated_noisy) for [model], as in every earlier study; for [models.NAME], two streams
// keyed by the name, so each family's truths are draws independent of the others'.
std::uint64_t truth_stream(const std::string& model) {
  if (model.empty()) return 0;
  return (stable_key(model) | 2u) & ~std::uint64_t{1};  // even, and never 0
}

}  // namespace

std::vector<double> TaskInputs::truth_latent(const Task& task) const {
  if (task.truth_kind == TruthKind::test) return {};
  const CounterRandom random(study_.seed, static_cast<std::uint64_t>(task.truth_number), Purpose::study_truth,
                             truth_stream(task.truth_model));
  std::vector<double> latent(model_resources_(task.truth_model).generator()->latent_dimension());
  random.fill_normal(latent, 0);
  return latent;
}

std::vector<double> TaskInputs::truth(const Task& task) const {
  if (task.truth_kind == TruthKind::test) {
    const auto image = test_images_->image(static_cast<std::size_t>(task.test_index));
    return {image.begin(), image.end()};
  }
  const auto generator = model_resources_(task.truth_model).generator();
  PB_REQUIRE(generator->image_shape() == shape_, study_model_field(study_, task.truth_model), " makes images of ",
             generator->image_shape().height, "x", generator->image_shape().width, " but the test images are ",
             shape_.height, "x", shape_.width);
  const std::vector<double> latent = truth_latent(task);
  std::vector<double> image(generator->image_size());
  generator->decode(latent, 1, image);
  if (task.truth_kind == TruthKind::generated_noisy) {
    std::vector<double> variance(image.size());
    generator->decoder_variance(latent, variance);
    const CounterRandom noise(study_.seed, static_cast<std::uint64_t>(task.truth_number), Purpose::study_truth,
                              truth_stream(task.truth_model) + 1);
    for (std::size_t i = 0; i < image.size(); ++i) image[i] += std::sqrt(variance[i]) * noise.normal(i);
  }
  return image;
}

std::shared_ptr<const ForwardOperator> TaskInputs::forward(const Task& task) const {
  OperatorSpec spec = study_.operator_spec;
  spec.data_size = task.data_size;
  spec.acceleration = task.acceleration;
  spec.seed = CounterRandom(study_.seed, static_cast<std::uint64_t>(task.id), Purpose::study_operator).bits(0);
  return make_operator(PETSC_COMM_SELF, shape_, spec);
}

Observation TaskInputs::observe(const Task& task, std::shared_ptr<const ForwardOperator> forward,
                                std::span<const double> truth) const {
  return simulate_observation(std::move(forward), shape_, truth, task.sigma,
                              {study_.seed, static_cast<std::uint64_t>(task.id)});
}

}  // namespace priorbench
