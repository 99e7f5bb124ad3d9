#include "methods/method_resources.hpp"

#include "core/error.hpp"
#include "data/image_source.hpp"

namespace priorbench {

LazyMethodResources::LazyMethodResources(ResourceFiles files, GeneratorLoader loader)
    : files_(std::move(files)), loader_(std::move(loader)) {}

MethodResources LazyMethodResources::view(const std::string& model) {
  PB_REQUIRE(model.empty() || files_.named_models.count(model) > 0, "no model named '", model, "'");
  return {[this] { return training(); }, [this, model] { return generator(model); }};
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

std::shared_ptr<const Generator> LazyMethodResources::generator(const std::string& model) {
  auto& loaded = generators_[model];
  if (!loaded) {
    const NamedModelFile named =
        model.empty() ? NamedModelFile{files_.model_file, files_.model_name} : files_.named_models.at(model);
    PB_REQUIRE(!named.file.empty(), named.field, " is needed by a generator-based method but not set");
    auto generator = loader_(named.file);
    const ImageShape expected = files_.image_shape;
    PB_REQUIRE(expected.size() == 0 || generator->image_shape() == expected, named.field, " ", named.file,
               " makes images of ", generator->image_shape().height, "x", generator->image_shape().width,
               " but the unknown image is ", expected.height, "x", expected.width);
    loaded = std::move(generator);
  }
  return loaded;
}

}  // namespace priorbench
