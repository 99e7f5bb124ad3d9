#pragma once
// The two ways a model file is evaluated (docs/model-format.md; the loader is
// generative/torch/generator_loader.hpp):
//   torchscript  the file's own TorchScript methods, Torch's autograd;
//   native       the decoders `priorbench train` writes, in plain C++ and level-3 BLAS;
//   automatic    native when the file is recognized, else torchscript.
// Named here, outside the Torch library, so study files and commands can choose one.

#include <string>
#include <vector>

namespace priorbench {

enum class GeneratorRoute { automatic, native, torchscript };

// "automatic", "native", "torchscript" (in enum order).
const std::vector<std::string>& generator_route_names();
std::string route_name(GeneratorRoute route);
// The inverse; throws priorbench::Error listing the valid names.
GeneratorRoute parse_generator_route(const std::string& text);

}  // namespace priorbench
