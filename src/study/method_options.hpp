#pragma once
// Reads the options of one [[method]] table (or the equivalent command-line options),
// refusing unknown keys; errors read "STUDY: field 'method.LABEL.KEY' ...".

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "inference/gaussian_posterior.hpp"
#include "study/study_spec.hpp"

namespace priorbench {

// Parses the options of one [[method]] table, refusing unknown keys.
class MethodOptions {
 public:
  MethodOptions(const MethodSpec& spec, const StudySpec& study) : spec_(spec), study_(study) {}

  std::string text(const std::string& key, const std::string& fallback) {
    used_.push_back(key);
    const auto found = spec_.options.find(key);
    return found == spec_.options.end() ? fallback : found->second;
  }
  double number(const std::string& key, double fallback) {
    const std::string value = text(key, "");
    if (value.empty()) return fallback;
    std::istringstream in(value);
    double parsed = 0;
    PB_REQUIRE((in >> parsed) && in.eof(), where(key), " must be a number, got '", value, "'");
    return parsed;
  }
  // A non-negative integer option, at most `max` (converting a larger double, say 1e300,
  // to an integer would be undefined behaviour).
  std::size_t count(const std::string& key, std::size_t fallback, std::size_t max = kMaxExactCount) {
    const double value = number(key, static_cast<double>(fallback));
    PB_REQUIRE(value >= 0 && value <= static_cast<double>(max) && value == std::floor(value), where(key),
               " must be an integer in [0, ", max, "], got ", value);
    return static_cast<std::size_t>(value);
  }
  // Every integer up to 2^53 is a double.
  static constexpr std::size_t kMaxExactCount = std::size_t{1} << 53;
  std::string where(const std::string& key) const {
    return study_.path + ": field 'method." + spec_.label + "." + key + "'";
  }
  void refuse_unknown() const {
    for (const auto& [key, value] : spec_.options) {
      PB_REQUIRE(std::find(used_.begin(), used_.end(), key) != used_.end(), study_.path, ": unknown field 'method.",
                 spec_.label, ".", key, "' for method '", spec_.name, "'");
    }
  }

 private:
  const MethodSpec& spec_;
  const StudySpec& study_;
  std::vector<std::string> used_;
};

// The pixel-std options of every Gaussian-posterior method (std, std_samples).
inline PosteriorOptions posterior_options(MethodOptions& options) {
  PosteriorOptions posterior;
  posterior.std_method = options.text("std", "auto");
  const auto samples =
      options.count("std_samples", static_cast<std::size_t>(posterior.std_samples), std::numeric_limits<int>::max());
  PB_REQUIRE(samples >= 2, options.where("std_samples"), " must be an integer >= 2, got ", samples);
  posterior.std_samples = static_cast<int>(samples);
  return posterior;
}

}  // namespace priorbench
