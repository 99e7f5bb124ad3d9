#pragma once
// Robust scaling of MRI intensities to [0, 1]. MRI values have no fixed unit (scanner
// and reconstruction choose them) and a few very bright voxels (vessels, fat, artefacts)
// would squeeze the tissue into a narrow band if divided by the maximum. So a whole
// volume is divided by a high percentile of its positive values and clipped:
//   scaled = min(max(value / p, 0), 1),   p = the 99.5th percentile of the values > 0.
// Zero is background in the volumes read here (skull-stripped or masked templates, the
// zero padding of reconstructions), so it is left out of the percentile; negative values
// (interpolation undershoot) become 0.

#include <span>
#include <vector>

namespace priorbench::data {

inline constexpr double kIntensityPercentile = 99.5;

// The `percentile`-th percentile (0 < percentile <= 100) of the positive entries of
// `values`, by linear interpolation between order statistics: with the m positive
// values sorted, v[(m - 1) * percentile / 100]. Throws when no entry is positive.
double positive_percentile(std::span<const double> values, double percentile = kIntensityPercentile);

// Divides every value by `scale` (> 0) and clips to [0, 1], in place.
void scale_to_unit_interval(std::span<double> values, double scale);

}  // namespace priorbench::data
