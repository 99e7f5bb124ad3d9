#pragma once
// The training images and the generator a study's methods share, each loaded on first
// use and kept for the whole run. The generator is made by a loader the caller passes
// (the Torch model loader lives in src/generative/torch/, outside this library).

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "data/image_set.hpp"
#include "study/study_method.hpp"
#include "study/study_spec.hpp"

namespace priorbench {

using GeneratorLoader = std::function<std::shared_ptr<const Generator>(const std::string& path)>;

class LazyStudyResources {
 public:
  LazyStudyResources(const StudySpec& study, GeneratorLoader loader);
  // Valid while this object lives.
  StudyResources view();

 private:
  const StudySpec& study_;
  GeneratorLoader loader_;
  std::optional<data::ImageSet> training_;
  TrainingImagesView view_;
  std::shared_ptr<const Generator> generator_;
};

}  // namespace priorbench
