#pragma once
// Two-dimensional slices of a 3-D volume, resampled to square images for the generators.
//
// Orientation, in voxel terms: slice k along axis a fixes voxel index a = k; the other
// two axes p < q span the image, row r and column c being the voxel with index q equal
// to n_q - 1 - r and index p equal to c (axis q runs up the image, axis p to the right).
// The three Debian templates have grids aligned with RAS+ (axis 0 runs left to right,
// axis 1 posterior to anterior, axis 2 inferior to superior), so there
//   axis 0 (sagittal): superior at the top, anterior at the right;
//   axis 1 (coronal):  superior at the top, the subject's right at the right;
//   axis 2 (axial):    anterior at the top, the subject's right at the right
// (the "neurological" convention; radiologists flip left and right).
//
// Each slice is resampled by resample_to_square (square_resampling.hpp) with the voxel
// sizes as pixel spacings. Empty slices are dropped before resampling, judged on the
// voxels of the slice itself so the same slices survive at every output size: a slice
// is kept when at least `min_tissue_fraction` of its voxels exceed `tissue_threshold`
// (intensities already scaled to [0, 1]).

#include <cstdint>
#include <vector>

#include "data/image_set.hpp"
#include "data/nifti_volume.hpp"
#include "data/square_resampling.hpp"

namespace priorbench::data {

struct SliceOptions {
  PetscInt size = 64;                 // output images are size x size
  double tissue_threshold = 0.1;      // a voxel above this (scaled) intensity counts as tissue
  double min_tissue_fraction = 0.05;  // slices with less tissue than this fraction are dropped
};

// The kept slices of one volume along one axis, in increasing voxel index.
struct VolumeSlices {
  ImageSet images;
  int axis = 0;
  std::int64_t total = 0;             // slices along the axis, kept or not
  std::vector<std::int64_t> indices;  // voxel index along the axis of each kept slice
  std::vector<double> positions;      // world coordinate of each kept slice (slice_position)
  int world_axis = 0;                 // 0, 1, 2 for x, y, z (world_axis_of)
};

// Slice `index` along `axis`, oriented as above, with the voxel sizes as pixel spacings.
PlanarImage extract_slice(const Volume& volume, int axis, std::int64_t index);

// The fraction of pixels above `threshold`.
double tissue_fraction(const PlanarImage& image, double threshold);

// The world axis (0 = x, 1 = y, 2 = z) along which voxel axis `axis` moves most.
int world_axis_of(const Volume& volume, int axis);

// The world coordinate, along world_axis_of(axis), of the centre of slice `index`. For a
// grid aligned with the world axes (as the Debian templates are) it is the coordinate of
// the whole slice, in millimetres of the template space.
double slice_position(const Volume& volume, int axis, std::int64_t index);

// The kept slices of a volume whose intensities are already in [0, 1].
VolumeSlices slice_volume(const Volume& volume, int axis, const SliceOptions& options);

}  // namespace priorbench::data
