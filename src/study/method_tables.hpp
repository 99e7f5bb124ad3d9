#pragma once
// The [[method]] tables of a study file (docs/study-format.md) read into the typed options
// of methods/method_factory.hpp: `name` picks the method, `label` names its column (default:
// the name), every other key is an option of that method; unknown keys are refused and
// every error names "STUDY: field 'method.LABEL.KEY'".

#include <toml++/toml.h>

#include <string>

#include "methods/method_factory.hpp"

namespace priorbench {

struct MethodSpec {
  std::string name;   // method_name(options)
  std::string label;  // column name in results and tables
  std::string model;  // "": the study's [model]; otherwise the name of one of its [models.NAME]
  MethodOptions options;
};

MethodSpec read_method_table(const toml::table& table, const std::string& path, std::size_t index);

}  // namespace priorbench
