#include "data/nifti_volume.hpp"

#include <nifti2_io.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

#include "core/error.hpp"
#include "core/memory_budget.hpp"
#include "core/paths.hpp"

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
  PB_REQUIRE(path_exists(path), path, ": file does not exist");
  PB_REQUIRE(!is_directory_path(path), path, ": is a directory, not a file");
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
  int bytes_per_voxel = 0, swap_size = 0;
  nifti_datatype_sizes(image.datatype, &bytes_per_voxel, &swap_size);
  PB_REQUIRE(image.nbyper == bytes_per_voxel && image.nbyper > 0, path, ": ", image.nbyper,
             " bytes per voxel do not match the datatype ", nifti_datatype_string(image.datatype));
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

// The number of voxels, from the extents the header check accepted (axes 4-7 are 1).
std::uint64_t voxel_count(const nifti_image& image, const std::string& path) {
  std::array<std::uint64_t, 3> extents{};
  for (int axis = 1; axis <= 3; ++axis) {
    extents[static_cast<std::size_t>(axis - 1)] = axis <= image.ndim ? static_cast<std::uint64_t>(image.dim[axis]) : 1;
  }
  const auto count = checked_product(extents);
  PB_REQUIRE(count.has_value(), path, ": extents ", extents[0], " x ", extents[1], " x ", extents[2],
             " hold more voxels than 64 bits count");
  return *count;
}

// Closes a znzlib file (znzclose is a macro that also clears the handle).
struct ZnzCloser {
  void operator()(znzptr* file) const {
    znzFile handle = file;
    znzclose(handle);
  }
};

// The voxels as stored, in native byte order. Read here rather than by nifti_image_load,
// which sets stored NaN and infinite floats to 0 as it reads them: a volume that holds
// them is refused (check_stored_finite), not silently changed.
std::vector<unsigned char> read_stored_voxels(const nifti_image& image, std::uint64_t voxels, const std::string& path) {
  const auto bytes = static_cast<std::size_t>(voxels) * static_cast<std::size_t>(image.nbyper);
  PB_REQUIRE(image.iname != nullptr && image.iname_offset >= 0, path, ": header gives no voxel data offset");
  std::unique_ptr<znzptr, ZnzCloser> file(znzopen(image.iname, "rb", nifti_is_gzfile(image.iname)));
  PB_REQUIRE(file != nullptr, image.iname, ": cannot open the voxel data");
  // fseek answers 0 and gzseek the new offset; both answer -1 on failure.
  PB_REQUIRE(znzseek(file.get(), static_cast<znz_off_t>(image.iname_offset), SEEK_SET) >= 0, path,
             ": cannot read the voxel data: the file ends before their offset ", image.iname_offset);
  std::vector<unsigned char> stored(bytes);
  const std::size_t got = znzread(stored.data(), 1, bytes, file.get());
  PB_REQUIRE(got == bytes, path, ": cannot read the voxel data: the file holds ", got, " of the ", bytes,
             " bytes the header declares (truncated or corrupt)");
  if (image.swapsize > 1 && image.byteorder != nifti_short_order()) {
    nifti_swap_Nbytes(static_cast<std::int64_t>(bytes / static_cast<std::size_t>(image.swapsize)), image.swapsize,
                      stored.data());
  }
  return stored;
}

template <class Stored>
Stored stored_value(const unsigned char* bytes, std::size_t index) {
  Stored value;
  std::memcpy(&value, bytes + index * sizeof(Stored), sizeof(Stored));
  return value;
}

template <class Stored>
void convert(const std::vector<unsigned char>& stored, std::vector<double>& out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<double>(stored_value<Stored>(stored.data(), i));
  }
}

std::vector<double> to_doubles(const nifti_image& image, const std::vector<unsigned char>& stored, std::uint64_t voxels,
                               const std::string& path) {
  std::vector<double> values(static_cast<std::size_t>(voxels));
  switch (image.datatype) {
    case DT_UINT8:
      convert<std::uint8_t>(stored, values);
      break;
    case DT_INT8:
      convert<std::int8_t>(stored, values);
      break;
    case DT_UINT16:
      convert<std::uint16_t>(stored, values);
      break;
    case DT_INT16:
      convert<std::int16_t>(stored, values);
      break;
    case DT_UINT32:
      convert<std::uint32_t>(stored, values);
      break;
    case DT_INT32:
      convert<std::int32_t>(stored, values);
      break;
    case DT_UINT64:
      convert<std::uint64_t>(stored, values);
      break;
    case DT_INT64:
      convert<std::int64_t>(stored, values);
      break;
    case DT_FLOAT32:
      convert<float>(stored, values);
      break;
    case DT_FLOAT64:
      convert<double>(stored, values);
      break;
    case DT_FLOAT128:
      convert<long double>(stored, values);
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

std::string voxel_text(const Volume& volume, std::size_t offset) {
  const auto row = static_cast<std::size_t>(volume.extent[0]);
  const auto plane = row * static_cast<std::size_t>(volume.extent[1]);
  return detail::concat("(", offset % row, ", ", (offset % plane) / row, ", ", offset / plane, ")");
}

// Stored NaN and infinities: integers convert to finite doubles, and a float converts to
// a non-finite double only when it was stored non-finite.
void check_stored_finite(const Volume& volume) {
  const auto bad = [](double value) { return !std::isfinite(value); };
  const auto first = std::find_if(volume.voxels.begin(), volume.voxels.end(), bad);
  if (first == volume.voxels.end()) return;
  const auto count = std::count_if(first, volume.voxels.end(), bad);
  PB_FAIL(volume.path, ": ", count, " of ", volume.voxels.size(), " voxels are NaN or infinite (the first at voxel ",
          voxel_text(volume, static_cast<std::size_t>(first - volume.voxels.begin())), ")");
}

// After scaling: a finite stored value whose scaled value overflows.
void check_scaled_finite(const Volume& volume) {
  for (std::size_t offset = 0; offset < volume.voxels.size(); ++offset) {
    PB_REQUIRE(std::isfinite(volume.voxels[offset]), volume.path, ": voxel ", voxel_text(volume, offset),
               " is non-finite after scaling by scl_slope and scl_inter (it overflows)");
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
  const std::uint64_t voxels = voxel_count(*image, path);
  require_memory(voxels, static_cast<std::uint64_t>(image->nbyper) + sizeof(double),
                 detail::concat(path, ": a volume of ", voxels, " voxels"));
  Volume volume;
  volume.path = path;
  for (std::size_t axis = 0; axis < 3; ++axis) {
    volume.extent[axis] = static_cast<int>(axis) + 1 <= image->ndim ? image->dim[axis + 1] : 1;
    volume.spacing[axis] = image->pixdim[axis + 1];
  }
  set_transform(*image, volume);
  volume.voxels = to_doubles(*image, read_stored_voxels(*image, voxels, path), voxels, path);
  check_stored_finite(volume);
  apply_scaling(*image, volume.voxels);
  check_scaled_finite(volume);
  return volume;
}

}  // namespace priorbench::data
