#pragma once
// Scalar 3-D volumes in NIfTI files (.nii or .nii.gz, NIfTI-1 or NIfTI-2), read with
// Debian's nifticlib (nifti2_io, which reads both versions). The T1 brain templates of
// the Debian package mricron-data are such files.
//
// Any scalar datatype (8- to 64-bit integers, 32/64/128-bit floats) is read into doubles
// and the header's linear scaling is applied: value = scl_slope * stored + scl_inter,
// unless scl_slope is 0 or not finite (the NIfTI rule for "no scaling"). A 4-D file is
// accepted only when it holds one volume (nt = nu = ... = 1). Complex and RGB data and
// voxel sizes that are not positive are refused. Stored NaN and infinite floats are
// refused with their count and the first voxel (nifticlib's loader would set them to 0
// unseen, so the voxels are read here), as is a value that overflows when scaled. The
// volume must fit in the memory available (core/memory_budget.hpp). Every error names
// the file.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace priorbench::data {

struct Volume {
  std::array<std::int64_t, 3> extent{};  // voxels along axes 0, 1, 2 (NIfTI nx, ny, nz)
  std::array<double, 3> spacing{};       // voxel size along each axis (pixdim, usually mm)
  // Voxel (i, j, k) to world (x, y, z): world[r] = m[r][0] i + m[r][1] j + m[r][2] k + m[r][3].
  // The sform when its code is set, else the qform, else diag(spacing) (NIfTI method 1).
  std::array<std::array<double, 4>, 3> voxel_to_world{};
  std::string transform;  // "sform", "qform" or "pixdim": which of the three was used
  // Voxel (i, j, k) is voxels[i + nx * (j + ny * k)]: the first index runs fastest.
  std::vector<double> voxels;
  std::string path;

  std::size_t offset(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return static_cast<std::size_t>(i + extent[0] * (j + extent[1] * k));
  }
  double at(std::int64_t i, std::int64_t j, std::int64_t k) const { return voxels[offset(i, j, k)]; }
};

Volume read_nifti_volume(const std::string& path);

}  // namespace priorbench::data
