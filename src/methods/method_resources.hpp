#pragma once
// MethodResources made from files: the training set (for white's τ² and the empirical
// prior) and the generator models — a default one and, for a study comparing prior
// families, named others — each loaded on first use and kept while this object lives,
// shared by every method of a study or a solve. The generator comes from a loader
// the caller passes (the Torch model loader lives in src/generative/torch/, which the
// method layer does not link).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "data/image_set.hpp"
#include "methods/method.hpp"

namespace priorbench {

using GeneratorLoader = std::function<std::shared_ptr<const Generator>(const std::string& path)>;

struct NamedModelFile {
  std::string file;
  std::string field;  // how errors name it ("studies/x.toml: field 'models.gan.file'")
};

struct ResourceFiles {
  std::string training_set;  // an image specification (docs/data.md)
  std::size_t training_limit = 0;
  std::string model_file;  // empty: none
  ImageShape image_shape;  // the unknown image's; checked against both (0×0: unchecked)
  std::string
      training_name;       // how errors name the training set ("--training", "studies/x.toml: field 'data.training'")
  std::string model_name;  // and the model ("--model", "studies/x.toml: field 'model.file'")
  std::map<std::string, NamedModelFile> named_models;  // by name; none for `solve`
};

class LazyMethodResources {
 public:
  LazyMethodResources(ResourceFiles files, GeneratorLoader loader);
  LazyMethodResources(const LazyMethodResources&) = delete;
  LazyMethodResources& operator=(const LazyMethodResources&) = delete;

  // Valid while this object lives. `model`: "" for the default model, else a name of
  // ResourceFiles::named_models (checked here, before anything loads).
  MethodResources view(const std::string& model = "");

 private:
  TrainingImages training();
  std::shared_ptr<const Generator> generator(const std::string& model);

  ResourceFiles files_;
  GeneratorLoader loader_;
  std::optional<data::ImageSet> training_;
  std::map<std::string, std::shared_ptr<const Generator>> generators_;  // by model name, "" the default
};

}  // namespace priorbench
