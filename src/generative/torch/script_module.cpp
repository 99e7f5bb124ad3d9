#include "generative/torch/script_module.hpp"

#include <functional>
#include <numeric>

#include "core/error.hpp"
#include "generative/torch/torch_model.hpp"

namespace priorbench {

void save_script_module(const ScriptModuleSpec& spec, const std::string& path) {
  torch::jit::Module module("ScriptModel");
  for (const auto& parameter : spec.parameters) {
    const auto count = std::accumulate(parameter.shape.begin(), parameter.shape.end(), std::int64_t{1},
                                       std::multiplies<std::int64_t>());
    PB_REQUIRE(static_cast<std::size_t>(count) == parameter.values.size(), "script module: parameter '", parameter.name,
               "' has ", parameter.values.size(), " values for a shape of ", count);
    const auto tensor = at::tensor(parameter.values, at::TensorOptions().dtype(at::kDouble)).reshape(parameter.shape);
    module.register_parameter(parameter.name, tensor, false);
  }
  for (const auto& [name, value] : spec.int_attributes) module.register_attribute(name, c10::IntType::get(), value);
  for (const auto& [name, value] : spec.float_attributes) {
    module.register_attribute(name, c10::FloatType::get(), value);
  }
  for (const auto& [name, value] : spec.string_attributes) {
    module.register_attribute(name, c10::StringType::get(), value);
  }
  try {
    module.define(spec.source);
    module.save(path);
  } catch (const std::exception& error) {
    PB_FAIL("script module for ", path, ": ", torch_detail::summarize(error));
  }
}

}  // namespace priorbench
