#include "study/study_resources.hpp"

#include "core/error.hpp"
#include "data/image_source.hpp"

namespace priorbench {

LazyStudyResources::LazyStudyResources(const StudySpec& study, GeneratorLoader loader)
    : study_(study), loader_(std::move(loader)) {}

StudyResources LazyStudyResources::view() {
  StudyResources resources;
  resources.training = [this]() -> const TrainingImagesView& {
    if (!training_) {
      training_ = data::load_training_set(study_.training_set, study_.training_limit);
      view_ = {training_->count, static_cast<std::size_t>(training_->shape.size()), training_->pixels.data()};
    }
    return view_;
  };
  resources.generator = [this]() -> std::shared_ptr<const Generator> {
    if (!generator_) {
      PB_REQUIRE(!study_.model_file.empty(), study_.path, ": this study needs a generator; set [model] file");
      generator_ = loader_(study_.model_file);
    }
    return generator_;
  };
  return resources;
}

}  // namespace priorbench
