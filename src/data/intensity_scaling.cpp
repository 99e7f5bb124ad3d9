#include "data/intensity_scaling.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "core/error.hpp"

namespace priorbench::data {

double positive_percentile(std::span<const double> values, double percentile) {
  PB_REQUIRE(percentile > 0 && percentile <= 100, "percentile ", percentile, " is not in (0, 100]");
  std::vector<double> positive;
  std::copy_if(values.begin(), values.end(), std::back_inserter(positive), [](double value) { return value > 0; });
  PB_REQUIRE(!positive.empty(), "no positive intensity among ", values.size(), " values; nothing to scale by");
  const double rank = static_cast<double>(positive.size() - 1) * percentile / 100;
  const auto lower = static_cast<std::size_t>(std::floor(rank));
  std::nth_element(positive.begin(), positive.begin() + static_cast<std::ptrdiff_t>(lower), positive.end());
  const double below = positive[lower];
  if (lower + 1 >= positive.size()) {
    return below;
  }
  // The next order statistic is the smallest of the values above position `lower`.
  const double above = *std::min_element(positive.begin() + static_cast<std::ptrdiff_t>(lower) + 1, positive.end());
  return below + (rank - static_cast<double>(lower)) * (above - below);
}

void scale_to_unit_interval(std::span<double> values, double scale) {
  PB_REQUIRE(scale > 0 && std::isfinite(scale), "intensity scale ", scale, " is not positive");
  for (double& value : values) {
    value = std::clamp(value / scale, 0.0, 1.0);
  }
}

}  // namespace priorbench::data
