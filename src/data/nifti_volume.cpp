#include "data/nifti_volume.hpp"

#include <nifti2_io.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <mutex>

#include "core/error.hpp"

namespace priorbench::data {
namespace {

using NiftiImage = std::unique_ptr<nifti_image, decltype(&nifti_image_free)>;

// nifticlib prints its own diagnostics to stderr; ours name the file in one line, so
// its messages would only say the same thing twice.
void silence_nifticlib() {
  static std::once_flag once;
  std::call_once(once, [] { nifti_set_debug_level(0); });
}

NiftiImage read_header(const std::string& path) {
  PB_REQUIRE(std::filesystem::exists(path), path, ": file does not exist");
  PB_REQUIRE(!std::filesystem::is_directory(path), path, ": is a directory, not a file");
  silence_nifticlib();
  NiftiImage image(nifti_image_read(path.c_str(), 0), nifti_image_free);
  PB_REQUIRE(image != nullptr, path, ": not a readable NIfTI-1 or NIfTI-2 file (bad or truncated header)");
  return image;
}

bool is_real_scalar(int datatype) {
  switch (datatype) {
    case DT_UINT8:
    case DT_INT8:
    case DT_UINT16:
    case DT_INT16:
    case DT_UINT32:
    case DT_INT32:
    case DT_UINT64:
    case DT_INT64:
    case DT_FLOAT32:
    case DT_FLOAT64:
    case DT_FLOAT128:
      return true;
    default:
      return false;
  }
}

// Checked before the voxels are read, so a wrong file fails fast.
void check_header(const nifti_image& image, const std::string& path) {
  PB_REQUIRE(is_real_scalar(image.datatype), path, ": voxel datatype ", nifti_datatype_string(image.datatype),
             " is not a real scalar (complex and RGB volumes are not read)");
  PB_REQUIRE(image.ndim >= 1 && image.ndim <= 7, path, ": header declares ", image.ndim, " dimensions");
  for (int axis = 4; axis <= image.ndim; ++axis) {
    PB_REQUIRE(image.dim[axis] == 1, path, ": holds ", image.dim[axis], " volumes along dimension ", axis,
               "; expected a single 3-D volume");
  }
  for (int axis = 1; axis <= 3; ++axis) {
    const std::int64_t extent = axis <= image.ndim ? image.dim[axis] : 1;
    PB_REQUIRE(extent >= 1, path, ": extent ", extent, " along axis ", axis - 1, " is not positive");
    const double spacing = image.pixdim[axis];
    PB_REQUIRE(std::isfinite(spacing) && spacing > 0, path, ": voxel size ", spacing, " along axis ", axis - 1,
               " is not positive");
  }
}

template <class Stored>
void convert(const void* data, std::vector<double>& out) {
  const auto* stored = static_cast<const Stored*>(data);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<double>(stored[i]);
  }
}

std::vector<double> to_doubles(const nifti_image& image, const std::string& path) {
  std::vector<double> values(static_cast<std::size_t>(image.nvox));
  switch (image.datatype) {
    case DT_UINT8:
      convert<std::uint8_t>(image.data, values);
      break;
    case DT_INT8:
      convert<std::int8_t>(image.data, values);
      break;
    case DT_UINT16:
      convert<std::uint16_t>(image.data, values);
      break;
    case DT_INT16:
      convert<std::int16_t>(image.data, values);
      break;
    case DT_UINT32:
      convert<std::uint32_t>(image.data, values);
      break;
    case DT_INT32:
      convert<std::int32_t>(image.data, values);
      break;
    case DT_UINT64:
      convert<std::uint64_t>(image.data, values);
      break;
    case DT_INT64:
      convert<std::int64_t>(image.data, values);
      break;
    case DT_FLOAT32:
      convert<float>(image.data, values);
      break;
    case DT_FLOAT64:
      convert<double>(image.data, values);
      break;
    case DT_FLOAT128:
      convert<long double>(image.data, values);
      break;
    default:
      PB_FAIL(path, ": unexpected voxel datatype ", image.datatype);
  }
  return values;
}

// NIfTI: scl_slope = 0 means the stored values are the values.
void apply_scaling(const nifti_image& image, std::vector<double>& values) {
  if (image.scl_slope == 0 || !std::isfinite(image.scl_slope)) {
    return;
  }
  const double inter = std::isfinite(image.scl_inter) ? image.scl_inter : 0.0;
  for (double& value : values) {
    value = image.scl_slope * value + inter;
  }
}

void check_finite(const Volume& volume) {
  for (std::size_t offset = 0; offset < volume.voxels.size(); ++offset) {
    if (!std::isfinite(volume.voxels[offset])) {
      const auto plane = static_cast<std::size_t>(volume.extent[0] * volume.extent[1]);
      const auto row = static_cast<std::size_t>(volume.extent[0]);
      PB_FAIL(volume.path, ": voxel (", offset % row, ", ", (offset % plane) / row, ", ", offset / plane,
              ") has the non-finite value ", volume.voxels[offset]);
    }
  }
}

void set_transform(const nifti_image& image, Volume& volume) {
  const nifti_dmat44* matrix = nullptr;
  if (image.sform_code > 0) {
    matrix = &image.sto_xyz;
    volume.transform = "sform";
  } else if (image.qform_code > 0) {
    matrix = &image.qto_xyz;
    volume.transform = "qform";
  } else {
    volume.transform = "pixdim";
  }
  for (int row = 0; row < 3; ++row) {
    for (int column = 0; column < 4; ++column) {
      const double diagonal = row == column ? volume.spacing[static_cast<std::size_t>(row)] : 0.0;
      volume.voxel_to_world[static_cast<std::size_t>(row)][static_cast<std::size_t>(column)] =
          matrix != nullptr ? matrix->m[row][column] : diagonal;
    }
  }
}

}  // namespace

Volume read_nifti_volume(const std::string& path) {
  NiftiImage image = read_header(path);
  check_header(*image, path);
  PB_REQUIRE(nifti_image_load(image.get()) == 0 && image->data != nullptr, path,
             ": cannot read the voxel data (truncated or corrupt file)");
  Volume volume;
  volume.path = path;
  for (std::size_t axis = 0; axis < 3; ++axis) {
    volume.extent[axis] = static_cast<int>(axis) + 1 <= image->ndim ? image->dim[axis + 1] : 1;
    volume.spacing[axis] = image->pixdim[axis + 1];
  }
  set_transform(*image, volume);
  volume.voxels = to_doubles(*image, path);
  apply_scaling(*image, volume.voxels);
  check_finite(volume);
  return volume;
}

}  // namespace priorbench::data
