#include "data/brain_slices.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "data/intensity_scaling.hpp"

namespace priorbench::data {
namespace {

// The two axes other than `axis`, lower first: the image's column and row axes.
std::array<std::size_t, 2> plane_axes(int axis) {
  switch (axis) {
    case 0:
      return {1, 2};
    case 1:
      return {0, 2};
    default:
      return {0, 1};
  }
}

void check_axis(const Volume& volume, int axis) {
  PB_REQUIRE(axis >= 0 && axis <= 2, volume.path, ": axis ", axis, " is not 0, 1 or 2");
}

}  // namespace

PlanarImage extract_slice(const Volume& volume, int axis, std::int64_t index) {
  check_axis(volume, axis);
  const auto a = static_cast<std::size_t>(axis);
  PB_REQUIRE(index >= 0 && index < volume.extent[a], volume.path, ": slice ", index, " along axis ", axis,
             " out of range [0, ", volume.extent[a], ")");
  const auto [p, q] = plane_axes(axis);
  const std::int64_t columns = volume.extent[p], rows = volume.extent[q];
  PlanarImage image{{static_cast<PetscInt>(rows), static_cast<PetscInt>(columns)},
                    volume.spacing[q],
                    volume.spacing[p],
                    std::vector<double>(static_cast<std::size_t>(rows * columns))};
  std::array<std::int64_t, 3> voxel{};
  voxel[a] = index;
  for (std::int64_t row = 0; row < rows; ++row) {
    voxel[q] = rows - 1 - row;
    for (std::int64_t column = 0; column < columns; ++column) {
      voxel[p] = column;
      image.pixels[static_cast<std::size_t>(row * columns + column)] = volume.at(voxel[0], voxel[1], voxel[2]);
    }
  }
  return image;
}

double tissue_fraction(const PlanarImage& image, double threshold) {
  if (image.pixels.empty()) {
    return 0;
  }
  const auto above =
      std::count_if(image.pixels.begin(), image.pixels.end(), [threshold](double value) { return value > threshold; });
  return static_cast<double>(above) / static_cast<double>(image.pixels.size());
}

int world_axis_of(const Volume& volume, int axis) {
  check_axis(volume, axis);
  int best = 0;
  for (int row = 1; row < 3; ++row) {
    if (std::abs(volume.voxel_to_world[static_cast<std::size_t>(row)][static_cast<std::size_t>(axis)]) >
        std::abs(volume.voxel_to_world[static_cast<std::size_t>(best)][static_cast<std::size_t>(axis)])) {
      best = row;
    }
  }
  return best;
}

double slice_position(const Volume& volume, int axis, std::int64_t index) {
  const auto& row = volume.voxel_to_world[static_cast<std::size_t>(world_axis_of(volume, axis))];
  double position = row[3];
  for (std::size_t b = 0; b < 3; ++b) {
    const double voxel =
        static_cast<int>(b) == axis ? static_cast<double>(index) : 0.5 * static_cast<double>(volume.extent[b] - 1);
    position += row[b] * voxel;
  }
  return position;
}

VolumeSlices slice_volume(const Volume& volume, int axis, const SliceOptions& options) {
  PB_REQUIRE(options.size >= 1, "image size ", options.size, " is not positive");
  VolumeSlices slices;
  slices.axis = axis;
  slices.world_axis = world_axis_of(volume, axis);
  slices.total = volume.extent[static_cast<std::size_t>(axis)];
  slices.images.shape = ImageShape{options.size, options.size};
  for (std::int64_t index = 0; index < slices.total; ++index) {
    const PlanarImage slice = extract_slice(volume, axis, index);
    if (tissue_fraction(slice, options.tissue_threshold) < options.min_tissue_fraction) {
      continue;
    }
    std::vector<double> square = resample_to_square(slice, options.size);
    scale_to_unit_interval(square, 1.0);  // the weights sum to 1 only to rounding
    slices.images.pixels.insert(slices.images.pixels.end(), square.begin(), square.end());
    slices.indices.push_back(index);
    slices.positions.push_back(slice_position(volume, axis, index));
  }
  slices.images.count = slices.indices.size();
  return slices;
}

}  // namespace priorbench::data
