#include "methods/method_options.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace priorbench {

std::size_t parse_choice(const std::string& text, const std::vector<std::string>& names, const FieldNamer& field,
                         const std::string& key) {
  const auto found = std::find(names.begin(), names.end(), text);
  if (found != names.end()) return static_cast<std::size_t>(found - names.begin());
  std::string valid;
  for (const auto& name : names) valid += (valid.empty() ? "" : ", ") + name;
  PB_FAIL(field(key), " must be one of ", valid, ", got '", text, "'");
}

void GaussianStdOptions::validate(const FieldNamer& field) const {
  PB_REQUIRE(samples >= 2 && samples <= kMaxStdSamples, field("std_samples"), " must be an integer in [2, ",
             kMaxStdSamples, "], got ", samples);
  PB_REQUIRE(relative_tolerance > 0 && relative_tolerance < 1, field("rtol"), " must be in (0, 1), got ",
             relative_tolerance);
}

PosteriorOptions GaussianStdOptions::posterior(std::uint64_t seed, std::uint64_t task) const {
  PosteriorOptions options;
  options.variance = route;
  options.std_samples = samples;
  options.relative_tolerance = relative_tolerance;
  options.seed = seed;
  options.task = task;
  return options;
}

void LatentOptions::validate(const FieldNamer& field) const {
  PB_REQUIRE(map_prior_starts >= 0 && map_prior_starts <= kMaxMapPriorStarts, field("map_prior_starts"),
             " must be an integer in [0, ", kMaxMapPriorStarts, "], got ", map_prior_starts);
}

}  // namespace priorbench
