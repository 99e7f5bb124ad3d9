#include "data/fastmri.hpp"

#include <fftw3.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/memory_budget.hpp"
#include "data/hdf5_images.hpp"
#include "data/intensity_scaling.hpp"
#include "data/source_fields.hpp"
#include "data/square_resampling.hpp"

namespace priorbench::data {
namespace {

struct Complex {
  double r;
  double i;
};

// Reads {r, i} compounds of any float members into Complex by member name.
h5::Object complex_memory_type() {
  h5::Object type(H5Tcreate(H5T_COMPOUND, sizeof(Complex)), H5Tclose);
  H5Tinsert(type, "r", HOFFSET(Complex, r), H5T_NATIVE_DOUBLE);
  H5Tinsert(type, "i", HOFFSET(Complex, i), H5T_NATIVE_DOUBLE);
  return type;
}

void check_complex(hid_t file, const std::string& name) {
  const h5::Object dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  PB_REQUIRE(dataset.id() >= 0, h5::describe(file, name), ": cannot open as a dataset");
  const h5::Object type(H5Dget_type(dataset), H5Tclose);
  const bool compound = H5Tget_class(type) == H5T_COMPOUND && H5Tget_nmembers(type) == 2;
  const bool named = compound && H5Tget_member_index(type, "r") >= 0 && H5Tget_member_index(type, "i") >= 0;
  PB_REQUIRE(named && H5Tget_member_class(type, 0) == H5T_FLOAT && H5Tget_member_class(type, 1) == H5T_FLOAT,
             h5::describe(file, name), ": not complex k-space (expected a compound {r, i} of floats, as h5py writes)");
}

void read_kspace_info(hid_t file, FastMriInfo& info) {
  info.has_kspace = h5::exists(file, kFastMriKspace);
  if (!info.has_kspace) {
    return;
  }
  check_complex(file, kFastMriKspace);
  const h5::Shape shape = h5::shape_of(file, kFastMriKspace);
  PB_REQUIRE(shape.size() == 3 || shape.size() == 4, h5::describe(file, kFastMriKspace), ": has ", shape.size(),
             " dimensions; expected slices x H x W or slices x coils x H x W");
  info.multicoil = shape.size() == 4;
  info.kspace_slices = shape[0];
  info.coils = info.multicoil ? shape[1] : 1;
  const hsize_t height = shape[shape.size() - 2], width = shape[shape.size() - 1];
  PB_REQUIRE(height > 0 && width > 0 && info.coils > 0, h5::describe(file, kFastMriKspace), ": is empty");
  PB_REQUIRE(height <= static_cast<hsize_t>(std::numeric_limits<PetscInt>::max()) / width,
             h5::describe(file, kFastMriKspace), ": planes of ", height, " x ", width, " are too large for an image");
  info.kspace_shape = ImageShape{static_cast<PetscInt>(height), static_cast<PetscInt>(width)};
}

// The centred orthonormal inverse DFT of one H x W k-space plane, in place.
class CentredInverseFft {
 public:
  explicit CentredInverseFft(ImageShape shape)
      : shape_(shape),
        buffer_(fftw_alloc_complex(static_cast<std::size_t>(shape.size())), fftw_free),
        plan_(fftw_plan_dft_2d(shape.height, shape.width, buffer_.get(), buffer_.get(), FFTW_BACKWARD, FFTW_ESTIMATE),
              fftw_destroy_plan) {
    PB_REQUIRE(buffer_ != nullptr && plan_ != nullptr, "cannot plan a ", shape.height, "x", shape.width, " FFT");
  }

  // Adds |ifft2c(plane)|^2 to `power` (row-major, H x W).
  void add_power(const Complex* plane, std::vector<double>& power) {
    const PetscInt h = shape_.height, w = shape_.width;
    // ifftshift: entry (r, c) of the shifted plane is entry (r + floor(H/2), c + floor(W/2)).
    for (PetscInt r = 0; r < h; ++r) {
      for (PetscInt c = 0; c < w; ++c) {
        const Complex& value = plane[((r + h / 2) % h) * w + (c + w / 2) % w];
        buffer_.get()[r * w + c][0] = value.r;
        buffer_.get()[r * w + c][1] = value.i;
      }
    }
    fftw_execute(plan_.get());
    // fftshift: output (r, c) is entry (r + ceil(H/2), c + ceil(W/2)); 1/sqrt(HW) makes it unitary.
    const double norm = 1.0 / static_cast<double>(shape_.size());
    for (PetscInt r = 0; r < h; ++r) {
      for (PetscInt c = 0; c < w; ++c) {
        const fftw_complex& value = buffer_.get()[((r + (h + 1) / 2) % h) * w + (c + (w + 1) / 2) % w];
        power[static_cast<std::size_t>(r * w + c)] += norm * (value[0] * value[0] + value[1] * value[1]);
      }
    }
  }

 private:
  using Plan = std::remove_pointer_t<fftw_plan>;
  ImageShape shape_;
  std::unique_ptr<fftw_complex, decltype(&fftw_free)> buffer_;
  std::unique_ptr<Plan, decltype(&fftw_destroy_plan)> plan_;
};

// All coils of one slice: coils x H x W complex values.
std::vector<Complex> read_kspace_slice(hid_t file, const FastMriInfo& info, std::size_t slice) {
  const h5::Object dataset(H5Dopen2(file, kFastMriKspace, H5P_DEFAULT), H5Dclose);
  const h5::Object space(H5Dget_space(dataset), H5Sclose);
  const auto h = static_cast<hsize_t>(info.kspace_shape.height), w = static_cast<hsize_t>(info.kspace_shape.width);
  std::array<hsize_t, 4> start = {slice, 0, 0, 0}, count = {1, info.coils, h, w};
  if (!info.multicoil) {
    count = {1, h, w, 0};
  }
  PB_REQUIRE(H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) >= 0,
             h5::describe(file, kFastMriKspace), ": cannot select slice ", slice);
  std::vector<Complex> values(info.coils * h * w);
  const hsize_t size = values.size();
  const h5::Object memory(H5Screate_simple(1, &size, nullptr), H5Sclose);
  PB_REQUIRE(H5Dread(dataset, complex_memory_type(), memory, space, H5P_DEFAULT, values.data()) >= 0,
             h5::describe(file, kFastMriKspace), ": cannot read slice ", slice, " as complex numbers");
  return values;
}

// Chunks of a dataset that were never written read as its fill value, zeros that look like
// k-space: a file written in part (a killed writer) or one that declares far more k-space
// than it stores would be "reconstructed" from them, at the cost of the declared size (a
// few bytes can declare gigabytes). The stored size must be at least a sixteenth of the
// declared one, so a reconstruction never reads more than 16 times what the file holds.
// fastMRI stores its k-space uncompressed, and compression shrinks noisy floating-point
// data far less than 16-fold.
void require_stored_kspace(hid_t file, const FastMriInfo& info) {
  const h5::Object dataset(H5Dopen2(file, kFastMriKspace, H5P_DEFAULT), H5Dclose);
  const h5::Object type(H5Dget_type(dataset), H5Tclose);
  const auto value_bytes = static_cast<long double>(H5Tget_size(type));
  const long double declared = value_bytes * static_cast<long double>(info.kspace_slices) *
                               static_cast<long double>(info.coils) *
                               static_cast<long double>(info.kspace_shape.size());
  const auto stored = static_cast<long double>(H5Dget_storage_size(dataset));
  PB_REQUIRE(stored * 16 >= declared, h5::describe(file, kFastMriKspace), ": stores ",
             static_cast<std::uint64_t>(stored), " bytes of its ", static_cast<std::uint64_t>(declared),
             " declared bytes (", info.kspace_slices, " slices x ", info.coils, " coils x ", info.kspace_shape.height,
             "x", info.kspace_shape.width, "): unwritten chunks would read as zeros; not reconstructing from them");
}

}  // namespace

std::string FastMriInfo::describe() const {
  std::string text = path + ":";
  if (!reconstruction.empty()) {
    text += detail::concat(" ", reconstruction, " ", slices, " x ", image_shape.height, "x", image_shape.width, ";");
  }
  if (has_kspace) {
    text += detail::concat(" kspace ", kspace_slices, " x ",
                           multicoil ? detail::concat(coils, " coils x ") : std::string("single-coil "),
                           kspace_shape.height, "x", kspace_shape.width);
  } else {
    text += " no kspace";
  }
  return text;
}

FastMriInfo read_fastmri_info(const std::string& path) {
  const h5::Object file = h5::open_file(path);
  FastMriInfo info;
  info.path = path;
  for (const char* name : {kFastMriRss, kFastMriEsc}) {
    if (info.reconstruction.empty() && h5::exists(file, name)) {
      const ImageSetInfo images = read_image_info(file, name);
      PB_REQUIRE(!images.single_image, h5::describe(file, name), ": is 2-D; expected slices x H x W");
      info.reconstruction = name;
      info.slices = images.count;
      info.image_shape = images.shape;
    }
  }
  read_kspace_info(file, info);
  PB_REQUIRE(!info.reconstruction.empty() || info.has_kspace, path, ": holds none of ", kFastMriRss, ", ", kFastMriEsc,
             ", ", kFastMriKspace, "; not a fastMRI file");
  return info;
}

ImageSet reconstruct_rss(const std::string& path) {
  const FastMriInfo info = read_fastmri_info(path);
  PB_REQUIRE(info.has_kspace, path, ": has no ", kFastMriKspace, " dataset to reconstruct from");
  const h5::Object file = h5::open_file(path);
  const auto plane_values = static_cast<std::uint64_t>(info.kspace_shape.size());
  require_memory({plane_values, info.coils}, sizeof(Complex) + sizeof(fftw_complex),
                 detail::concat(h5::describe(file, kFastMriKspace), ": a slice of ", info.coils, " coils x ",
                                info.kspace_shape.height, "x", info.kspace_shape.width));
  require_memory({plane_values, info.kspace_slices}, sizeof(double),
                 detail::concat(path, ": ", info.kspace_slices, " reconstructed slices of ", info.kspace_shape.height,
                                "x", info.kspace_shape.width));
  require_stored_kspace(file, info);
  ImageSet set;
  set.shape = info.kspace_shape;
  set.count = info.kspace_slices;
  set.pixels.reserve(set.count * static_cast<std::size_t>(set.shape.size()));
  CentredInverseFft fft(info.kspace_shape);
  const auto plane = static_cast<std::size_t>(set.shape.size());
  for (std::size_t slice = 0; slice < info.kspace_slices; ++slice) {
    const std::vector<Complex> kspace = read_kspace_slice(file, info, slice);
    std::vector<double> power(plane, 0.0);
    for (std::size_t coil = 0; coil < info.coils; ++coil) {
      fft.add_power(&kspace[coil * plane], power);
    }
    for (const double value : power) {
      PB_REQUIRE(std::isfinite(value), h5::describe(file, kFastMriKspace), ": slice ", slice,
                 " holds non-finite values");
      set.pixels.push_back(std::sqrt(value));
    }
  }
  return set;
}

ImageSet read_fastmri_images(const std::string& path) {
  const FastMriInfo info = read_fastmri_info(path);
  return info.reconstruction.empty() ? reconstruct_rss(path) : read_images(path, info.reconstruction);
}

ImageSet read_fastmri_slices(const std::string& path, PetscInt size) {
  const FastMriInfo info = read_fastmri_info(path);
  ImageSet stored = read_fastmri_images(path);
  PB_REQUIRE(stored.count > 0, path, ": holds no slices");
  PB_REQUIRE(std::any_of(stored.pixels.begin(), stored.pixels.end(), [](double value) { return value > 0; }), path,
             ": no value is positive; there is no intensity to scale by");
  const double scale = positive_percentile(stored.pixels);
  scale_to_unit_interval(stored.pixels, scale);
  require_memory(static_cast<std::uint64_t>(stored.count) * static_cast<std::uint64_t>(size * size), sizeof(double),
                 detail::concat(path, ": ", stored.count, " slices resampled to ", size, "x", size));
  ImageSet set;
  set.shape = ImageShape{size, size};
  set.count = stored.count;
  for (std::size_t slice = 0; slice < stored.count; ++slice) {
    const auto image = stored.image(slice);
    PlanarImage planar{stored.shape, 1, 1, {image.begin(), image.end()}};
    std::vector<double> square = resample_to_square(center_crop_square(planar), size);
    scale_to_unit_interval(square, 1.0);  // the weights sum to 1 only to rounding
    set.pixels.insert(set.pixels.end(), square.begin(), square.end());
  }
  const std::string source = info.reconstruction.empty() ? "root-sum-of-squares of kspace" : info.reconstruction;
  const PetscInt side = std::min(stored.shape.height, stored.shape.width);
  set.description = detail::concat("fastMRI ", path, ": ", source, ", ", stored.count, " slices of ",
                                   stored.shape.height, "x", stored.shape.width, " cropped to ", side, "x", side,
                                   ", resampled to ", size, "x", size, ", intensities divided by ", number_text(scale),
                                   " (99.5th percentile of positive values) and clipped to [0, 1]\n");
  return set;
}

}  // namespace priorbench::data
