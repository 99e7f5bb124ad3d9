#include "generative/torch/generator_loader.hpp"

#include "core/error.hpp"
#include "generative/native/native_flow.hpp"
#include "generative/native/native_generator.hpp"
#include "generative/torch/native_import.hpp"

namespace priorbench {

std::shared_ptr<Generator> load_generator(const std::string& path, GeneratorRoute route,
                                          TorchGeneratorOptions options) {
  auto torchscript = std::make_shared<TorchGenerator>(path, options);
  if (route == GeneratorRoute::torchscript) return torchscript;
  if (torchscript->info().kind == GeneratorKind::flow) {
    auto flow = import_native_flow(*torchscript);
    if (!flow.weights) {
      PB_REQUIRE(route == GeneratorRoute::automatic, path, ": the native route evaluates only the flows of ",
                 "priorbench train; this one is not recognized: ", flow.mismatch);
      return torchscript;
    }
    return std::make_shared<NativeFlow>(std::move(*flow.weights), torchscript->description(), options.jacobian_memory);
  }
  auto imported = import_native_decoder(*torchscript);
  if (!imported.weights) {
    PB_REQUIRE(route == GeneratorRoute::automatic, path, ": the native route evaluates only the models of ",
               "priorbench train; this one is not recognized: ", imported.mismatch);
    return torchscript;
  }
  return std::make_shared<NativeGenerator>(std::move(*imported.weights), torchscript->description(), torchscript,
                                           NativeGeneratorOptions{options.jacobian_memory});
}

}  // namespace priorbench
