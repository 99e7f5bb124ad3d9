#include "data/augmentation.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "core/random.hpp"

namespace priorbench::data {
namespace {

// Counter positions of the draws of one image.
enum Draw : std::uint64_t {
  flip_draw = 0,
  angle_draw = 1,
  row_shift_draw = 2,
  column_shift_draw = 3,
  intensity_draw = 4
};

double symmetric(const CounterRandom& random, Draw draw, double half_width) {
  return (2 * random.uniform(draw) - 1) * half_width;
}

// Bilinear interpolation at (row, column) in pixel indices, zero beyond the image.
double sample(std::span<const double> image, ImageShape shape, double row, double column) {
  const double top = std::floor(row), left = std::floor(column);
  const double down = row - top, right = column - left;
  double value = 0;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      const auto r = static_cast<PetscInt>(top) + i, c = static_cast<PetscInt>(left) + j;
      const double weight = (i == 0 ? 1 - down : down) * (j == 0 ? 1 - right : right);
      if (weight != 0 && r >= 0 && r < shape.height && c >= 0 && c < shape.width) {
        value += weight * image[static_cast<std::size_t>(r * shape.width + c)];
      }
    }
  }
  return value;
}

}  // namespace

void validate(const AugmentationOptions& options) {
  PB_REQUIRE(options.flip_probability >= 0 && options.flip_probability <= 1, "flip probability ",
             options.flip_probability, " is not in [0, 1]");
  PB_REQUIRE(options.max_rotation_degrees >= 0 && options.max_rotation_degrees <= 180, "maximum rotation ",
             options.max_rotation_degrees, " degrees is not in [0, 180]");
  PB_REQUIRE(options.max_shift_fraction >= 0 && options.max_shift_fraction <= 1, "maximum shift ",
             options.max_shift_fraction, " is not a fraction of the side in [0, 1]");
  PB_REQUIRE(options.max_intensity_change >= 0 && options.max_intensity_change < 1, "maximum intensity change ",
             options.max_intensity_change, " is not in [0, 1)");
}

AugmentationParameters draw_augmentation(const AugmentationOptions& options, ImageShape shape, std::uint64_t epoch,
                                         std::uint64_t index) {
  const CounterRandom random(options.seed, epoch, Purpose::image_augmentation, index);
  AugmentationParameters parameters;
  parameters.flip = random.uniform(flip_draw) < options.flip_probability;
  parameters.angle_degrees = symmetric(random, angle_draw, options.max_rotation_degrees);
  parameters.shift_rows =
      symmetric(random, row_shift_draw, options.max_shift_fraction * static_cast<double>(shape.height));
  parameters.shift_columns =
      symmetric(random, column_shift_draw, options.max_shift_fraction * static_cast<double>(shape.width));
  parameters.intensity = 1 + symmetric(random, intensity_draw, options.max_intensity_change);
  return parameters;
}

std::vector<double> apply_augmentation(std::span<const double> image, ImageShape shape,
                                       const AugmentationParameters& parameters) {
  PB_REQUIRE(image.size() == static_cast<std::size_t>(shape.size()), "cannot augment an image of ", image.size(),
             " pixels as ", shape.height, "x", shape.width);
  const double angle = parameters.angle_degrees * std::numbers::pi / 180;
  const double cosine = std::cos(angle), sine = std::sin(angle);
  const double centre_row = 0.5 * static_cast<double>(shape.height) - 0.5;
  const double centre_column = 0.5 * static_cast<double>(shape.width) - 0.5;
  std::vector<double> out(image.size());
  for (PetscInt row = 0; row < shape.height; ++row) {
    for (PetscInt column = 0; column < shape.width; ++column) {
      // Undo the shift, then the rotation (by -angle; rows point down), then the flip.
      const double y = static_cast<double>(row) - centre_row - parameters.shift_rows;
      const double x = static_cast<double>(column) - centre_column - parameters.shift_columns;
      const double source_x = cosine * x - sine * y;
      const double source_y = sine * x + cosine * y;
      const double value =
          sample(image, shape, centre_row + source_y, centre_column + (parameters.flip ? -source_x : source_x));
      out[static_cast<std::size_t>(row * shape.width + column)] = std::clamp(parameters.intensity * value, 0.0, 1.0);
    }
  }
  return out;
}

ImageSet augment(const ImageSet& images, const AugmentationOptions& options, std::uint64_t epoch) {
  validate(options);
  ImageSet out;
  out.shape = images.shape;
  out.count = images.count;
  out.labels = images.labels;
  out.description = images.description;
  out.pixels.reserve(images.pixels.size());
  for (std::size_t i = 0; i < images.count; ++i) {
    const auto parameters = draw_augmentation(options, images.shape, epoch, i);
    const auto augmented = apply_augmentation(images.image(i), images.shape, parameters);
    out.pixels.insert(out.pixels.end(), augmented.begin(), augmented.end());
  }
  return out;
}

}  // namespace priorbench::data
