#include "methods/method_resources.hpp"

#include "core/error.hpp"
#include "data/image_source.hpp"

namespace priorbench {

LazyMethodResources::LazyMethodResources(ResourceFiles files, GeneratorLoader loader)
    : files_(std::move(files)), loader_(std::move(loader)) {}

MethodResources LazyMethodResources::view() {
  return {[this] { return training(); }, [this] { return generator(); }};
}

TrainingImages LazyMethodResources::training() {
  if (!training_) {
    auto images = data::load_training_set(files_.training_set, files_.training_limit);
    const ImageShape expected = files_.image_shape;
    PB_REQUIRE(expected.size() == 0 || images.shape == expected, files_.training_name, " ", files_.training_set,
               " has images of ", images.shape.height, "x", images.shape.width, " but the unknown image is ",
               expected.height, "x", expected.width);
    training_ = std::move(images);
  }
  const auto pixels_per_image = static_cast<std::size_t>(training_->shape.size());
  return {training_->count, pixels_per_image, training_->pixels};
}

std::shared_ptr<const Generator> LazyMethodResources::generator() {
  if (!generator_) {
    PB_REQUIRE(!files_.model_file.empty(), files_.model_name, " is needed by a generator-based method but not set");
    auto generator = loader_(files_.model_file);
    const ImageShape expected = files_.image_shape;
    PB_REQUIRE(expected.size() == 0 || generator->image_shape() == expected, files_.model_name, " ", files_.model_file,
               " makes images of ", generator->image_shape().height, "x", generator->image_shape().width,
               " but the unknown image is ", expected.height, "x", expected.width);
    generator_ = std::move(generator);
  }
  return generator_;
}

}  // namespace priorbench
