#include "data/square_resampling.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/error.hpp"

namespace priorbench::data {
namespace {

// Below this window width (in input pixels) an output sample is a point sample: the
// averaged weights would divide a difference of nearly equal numbers by a tiny width.
constexpr double kPointWindow = 1e-9;

// The weights of one output sample on the input samples first, first + 1, ...
struct Taps {
  std::int64_t first = 0;
  std::vector<double> weights;
};

double hat(double t) { return std::max(0.0, 1.0 - std::abs(t)); }

// The integral of hat from -infinity to t.
double hat_primitive(double t) {
  if (t <= -1) return 0;
  if (t <= 0) return 0.5 * (t + 1) * (t + 1);
  if (t <= 1) return 1 - 0.5 * (1 - t) * (1 - t);
  return 1;
}

// Output samples 0..size-1 along one axis of `samples` input samples of spacing
// `spacing`, over a centred field of view of length `field`. Positions are in input
// pixel indices: input sample j sits at j, output sample i at `centre`.
std::vector<Taps> axis_taps(PetscInt samples, double spacing, double field, PetscInt size) {
  const double step = field / (static_cast<double>(size) * spacing);
  const double window = std::max(step - 1.0, 0.0);
  std::vector<Taps> taps(static_cast<std::size_t>(size));
  for (PetscInt i = 0; i < size; ++i) {
    const double centre = (static_cast<double>(i) + 0.5 - 0.5 * static_cast<double>(size)) * step +
                          0.5 * static_cast<double>(samples) - 0.5;
    const double low = centre - 0.5 * window, high = centre + 0.5 * window;
    const auto first = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(low)));
    const auto last = std::min<std::int64_t>(samples - 1, static_cast<std::int64_t>(std::ceil(high)));
    Taps& tap = taps[static_cast<std::size_t>(i)];
    tap.first = first;
    for (std::int64_t j = first; j <= last; ++j) {
      const auto x = static_cast<double>(j);
      tap.weights.push_back(window < kPointWindow ? hat(centre - x)
                                                  : (hat_primitive(high - x) - hat_primitive(low - x)) / window);
    }
  }
  return taps;
}

double apply(const Taps& tap, const double* values, std::size_t stride) {
  double sum = 0;
  for (std::size_t k = 0; k < tap.weights.size(); ++k) {
    sum += tap.weights[k] * values[(static_cast<std::size_t>(tap.first) + k) * stride];
  }
  return sum;
}

}  // namespace

std::vector<double> resample_to_square(const PlanarImage& image, PetscInt size) {
  const ImageShape shape = image.shape;
  PB_REQUIRE(size >= 1, "cannot resample to a ", size, "x", size, " image");
  PB_REQUIRE(shape.height >= 1 && shape.width >= 1 && image.pixels.size() == static_cast<std::size_t>(shape.size()),
             "cannot resample a ", shape.height, "x", shape.width, " image of ", image.pixels.size(), " pixels");
  PB_REQUIRE(image.row_spacing > 0 && image.column_spacing > 0, "pixel spacings must be positive, got ",
             image.row_spacing, " and ", image.column_spacing);
  const double field = std::max(static_cast<double>(shape.height) * image.row_spacing,
                                static_cast<double>(shape.width) * image.column_spacing);
  const auto row_taps = axis_taps(shape.height, image.row_spacing, field, size);
  const auto column_taps = axis_taps(shape.width, image.column_spacing, field, size);
  const auto width = static_cast<std::size_t>(shape.width), out = static_cast<std::size_t>(size);

  // Columns first (height x size), then rows (size x size).
  std::vector<double> partial(static_cast<std::size_t>(shape.height) * out);
  for (std::size_t row = 0; row < static_cast<std::size_t>(shape.height); ++row) {
    for (std::size_t j = 0; j < out; ++j) {
      partial[row * out + j] = apply(column_taps[j], &image.pixels[row * width], 1);
    }
  }
  std::vector<double> square(out * out);
  for (std::size_t i = 0; i < out; ++i) {
    for (std::size_t j = 0; j < out; ++j) {
      square[i * out + j] = apply(row_taps[i], &partial[j], out);
    }
  }
  return square;
}

PlanarImage center_crop_square(const PlanarImage& image) {
  const PetscInt side = std::min(image.shape.height, image.shape.width);
  const PetscInt top = (image.shape.height - side) / 2, left = (image.shape.width - side) / 2;
  PlanarImage square{{side, side}, image.row_spacing, image.column_spacing, {}};
  square.pixels.reserve(static_cast<std::size_t>(side) * static_cast<std::size_t>(side));
  for (PetscInt row = top; row < top + side; ++row) {
    const auto begin = image.pixels.begin() + static_cast<std::ptrdiff_t>(row * image.shape.width + left);
    square.pixels.insert(square.pixels.end(), begin, begin + side);
  }
  return square;
}

}  // namespace priorbench::data
