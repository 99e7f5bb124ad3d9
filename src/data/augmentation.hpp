#pragma once
// Seeded augmentation of training images: a left-right flip, a small rotation and shift,
// and an intensity scaling. The parameters of image i in epoch e are a pure function of
// (seed, e, i) (CounterRandom(seed, e, Purpose::image_augmentation, i)), so an
// augmented training set is reproducible from the seed alone and does not depend on the
// order in which images are processed.
//
// Each output pixel is sampled from the input by the inverse of
//   x -> shift + rotation(angle) * flip(x),
// with coordinates in pixels relative to the image centre, by bilinear interpolation,
// zero outside the image; then multiplied by the intensity factor and clipped to [0, 1].
// A pure flip (angle 0, shift 0, factor 1) therefore moves pixels exactly.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/image_shape.hpp"
#include "data/image_set.hpp"

namespace priorbench::data {

struct AugmentationOptions {
  std::uint64_t seed = 0;
  double flip_probability = 0.5;      // left-right (column) flip
  double max_rotation_degrees = 10;   // angle uniform in [-max, max]
  double max_shift_fraction = 0.05;   // shift uniform in [-max, max] times the side, per direction
  double max_intensity_change = 0.1;  // factor uniform in [1 - max, 1 + max]
};

struct AugmentationParameters {
  bool flip = false;
  double angle_degrees = 0;  // counter-clockwise as displayed (row 0 at the top)
  double shift_rows = 0;     // pixels, positive downwards
  double shift_columns = 0;  // pixels, positive to the right
  double intensity = 1;
};

// Throws when an option is out of range.
void validate(const AugmentationOptions& options);

AugmentationParameters draw_augmentation(const AugmentationOptions& options, ImageShape shape, std::uint64_t epoch,
                                         std::uint64_t index);

std::vector<double> apply_augmentation(std::span<const double> image, ImageShape shape,
                                       const AugmentationParameters& parameters);

// Image i of the result is image i of `images` augmented with the parameters of
// (options.seed, epoch, i); labels are kept.
ImageSet augment(const ImageSet& images, const AugmentationOptions& options, std::uint64_t epoch);

}  // namespace priorbench::data
