#pragma once
// Builds and saves a TorchScript module from plain data: named attributes, parameters
// and TorchScript method source. The tests use it to write models that obey or break
// the contract of docs/model-format.md without including Torch themselves.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace priorbench {

struct ScriptParameter {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<double> values;  // row-major, the product of `shape` many
};

struct ScriptModuleSpec {
  std::vector<std::pair<std::string, std::int64_t>> int_attributes;
  std::vector<std::pair<std::string, double>> float_attributes;
  std::vector<std::pair<std::string, std::string>> string_attributes;
  std::vector<ScriptParameter> parameters;  // stored as float64
  std::string source;                       // method definitions ("def decode(self, z: Tensor) -> Tensor: ...")
};

// Throws priorbench::Error when the source does not compile.
void save_script_module(const ScriptModuleSpec& spec, const std::string& path);

}  // namespace priorbench
