#include "generative/generator_route.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace priorbench {

const std::vector<std::string>& generator_route_names() {
  static const std::vector<std::string> names = {"automatic", "native", "torchscript"};
  return names;
}

std::string route_name(GeneratorRoute route) { return generator_route_names().at(static_cast<std::size_t>(route)); }

GeneratorRoute parse_generator_route(const std::string& text) {
  const auto& names = generator_route_names();
  const auto found = std::find(names.begin(), names.end(), text);
  PB_REQUIRE(found != names.end(), "unknown generator route '", text, "' (valid: automatic, native, torchscript)");
  return static_cast<GeneratorRoute>(found - names.begin());
}

}  // namespace priorbench
