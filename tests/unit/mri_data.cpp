// MRI data: NIfTI volumes written here with nifticlib from known functions, the square
// resampling against exact linear ramps, robust intensity scaling, the empty-slice rule,
// the slab split recomputed from its documented rule, seeded augmentation, fastMRI files
// written here with the HDF5 C API (k-space from a direct DFT), the mri: and fastmri:
// source specifications, and, when mricron-data is installed, the real ch2better.

#include <gtest/gtest.h>
#include <nifti2_io.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/random.hpp"
#include "data/augmentation.hpp"
#include "data/brain_slices.hpp"
#include "data/fastmri.hpp"
#include "data/image_source.hpp"
#include "data/intensity_scaling.hpp"
#include "data/mri_source.hpp"
#include "data/nifti_volume.hpp"
#include "data/slab_split.hpp"
#include "data/square_resampling.hpp"

#include "test_support.hpp"

namespace pb = priorbench;
namespace fs = std::filesystem;
using namespace priorbench::data;

namespace {

using priorbench::testing_support::expect_error;

class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    path_ =
        fs::temp_directory_path() / ("priorbench-mri-" + std::to_string(::getpid()) + "-" + std::to_string(next_++));
    fs::create_directories(path_);
  }
  ~TemporaryDirectory() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int next_ = 0;
  fs::path path_;
};

// Sets an environment variable for the lifetime of the object.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnvironment() {
    if (old_.empty())
      ::unsetenv(name_);
    else
      ::setenv(name_, old_.c_str(), 1);
  }

 private:
  const char* name_;
  std::string old_;
};

using NiftiImage = std::unique_ptr<nifti_image, decltype(&nifti_image_free)>;

// A volume of extents nx x ny x nz and `datatype`, voxel (i, j, k) = value(i, j, k)
// stored as given (the caller picks values the type holds), written with nifticlib.
struct NiftiSpec {
  std::array<std::int64_t, 3> extent{5, 4, 3};
  std::array<double, 3> spacing{1, 1, 1};
  int datatype = DT_FLOAT32;
  double slope = 0, inter = 0;
  bool sform = false;
  std::array<std::array<double, 4>, 3> sform_matrix{};
  std::int64_t volumes = 1;
};

template <class Stored>
void fill(nifti_image& image, const std::function<double(std::int64_t, std::int64_t, std::int64_t)>& value) {
  auto* data = static_cast<Stored*>(image.data);
  for (std::int64_t index = 0; index < image.nvox; ++index) {
    const std::int64_t i = index % image.nx, j = (index / image.nx) % image.ny,
                       k = (index / (image.nx * image.ny)) % image.nz;
    data[index] = static_cast<Stored>(value(i, j, k));
  }
}

void write_nifti(const std::string& path, const NiftiSpec& spec,
                 const std::function<double(std::int64_t, std::int64_t, std::int64_t)>& value) {
  const std::int64_t dims[8] = {
      spec.volumes > 1 ? 4 : 3, spec.extent[0], spec.extent[1], spec.extent[2], spec.volumes, 1, 1, 1};
  NiftiImage image(nifti_make_new_nim(dims, spec.datatype, 1), nifti_image_free);
  ASSERT_NE(image, nullptr);
  image->dx = image->pixdim[1] = spec.spacing[0];
  image->dy = image->pixdim[2] = spec.spacing[1];
  image->dz = image->pixdim[3] = spec.spacing[2];
  image->scl_slope = spec.slope;
  image->scl_inter = spec.inter;
  if (spec.sform) {
    image->sform_code = NIFTI_XFORM_MNI_152;
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 4; ++c) image->sto_xyz.m[r][c] = spec.sform_matrix[r][c];
    }
    image->sto_xyz.m[3][0] = image->sto_xyz.m[3][1] = image->sto_xyz.m[3][2] = 0;
    image->sto_xyz.m[3][3] = 1;
  }
  switch (spec.datatype) {
    case DT_INT16:
      fill<std::int16_t>(*image, value);
      break;
    case DT_UINT8:
      fill<std::uint8_t>(*image, value);
      break;
    case DT_FLOAT64:
      fill<double>(*image, value);
      break;
    case DT_COMPLEX64:
      break;
    default:
      fill<float>(*image, value);
      break;
  }
  ASSERT_EQ(nifti_set_filenames(image.get(), path.c_str(), 0, 1), 0);
  nifti_image_write(image.get());
  ASSERT_TRUE(fs::exists(path)) << path;
}

double known(std::int64_t i, std::int64_t j, std::int64_t k) { return 100.0 * i + 10.0 * j + k - 7; }

}  // namespace

// ---------------------------------------------------------------------------------------
// NIfTI

TEST(NiftiVolume, ReadsInt16WithSlopeAndIntercept) {
  TemporaryDirectory directory;
  const std::string path = directory.file("ramp.nii.gz");
  NiftiSpec spec;
  spec.datatype = DT_INT16;
  spec.slope = 0.5;
  spec.inter = 3;
  spec.spacing = {1, 2, 3};
  write_nifti(path, spec, known);
  const Volume volume = read_nifti_volume(path);
  EXPECT_EQ(volume.path, path);
  EXPECT_EQ(volume.extent, (std::array<std::int64_t, 3>{5, 4, 3}));
  EXPECT_EQ(volume.spacing, (std::array<double, 3>{1, 2, 3}));
  ASSERT_EQ(volume.voxels.size(), 60u);
  for (std::int64_t k = 0; k < 3; ++k)
    for (std::int64_t j = 0; j < 4; ++j)
      for (std::int64_t i = 0; i < 5; ++i) EXPECT_EQ(volume.at(i, j, k), 0.5 * known(i, j, k) + 3) << i << j << k;
}

TEST(NiftiVolume, SlopeZeroMeansUnscaledAndSformIsUsed) {
  TemporaryDirectory directory;
  const std::string path = directory.file("float.nii");
  NiftiSpec spec;
  spec.sform = true;
  spec.sform_matrix = {{{-2, 0, 0, 40}, {0, 2, 0, -50}, {0, 0, 2, -10}}};
  write_nifti(path, spec, [](auto i, auto j, auto k) { return 0.25 * known(i, j, k); });
  const Volume volume = read_nifti_volume(path);
  EXPECT_EQ(volume.transform, "sform");
  EXPECT_EQ(volume.voxel_to_world[0][0], -2);
  EXPECT_EQ(volume.voxel_to_world[2][3], -10);
  EXPECT_EQ(volume.at(4, 3, 2), 0.25 * known(4, 3, 2));
  // Axis 0 moves along world x, backwards: slice 3 is at x = 40 - 2 * 3.
  EXPECT_EQ(world_axis_of(volume, 0), 0);
  EXPECT_EQ(slice_position(volume, 0, 3), 34);
  EXPECT_EQ(slice_position(volume, 2, 1), -8);
}

TEST(NiftiVolume, ErrorsNameTheFile) {
  TemporaryDirectory directory;
  expect_error([&] { read_nifti_volume(directory.file("missing.nii.gz")); }, {"missing.nii.gz", "does not exist"});

  const std::string garbage = directory.file("garbage.nii");
  std::ofstream(garbage) << std::string(400, 'x');
  expect_error([&] { read_nifti_volume(garbage); }, {"garbage.nii", "not a readable NIfTI"});

  const std::string series = directory.file("series.nii.gz");
  NiftiSpec four_d;
  four_d.volumes = 2;
  write_nifti(series, four_d, known);
  expect_error([&] { read_nifti_volume(series); }, {"series.nii.gz", "holds 2 volumes", "single 3-D volume"});

  const std::string complex = directory.file("complex.nii");
  NiftiSpec complex_spec;
  complex_spec.datatype = DT_COMPLEX64;
  write_nifti(complex, complex_spec, known);
  expect_error([&] { read_nifti_volume(complex); }, {"complex.nii", "COMPLEX64", "not a real scalar"});

  // Cut a plain .nii file in the middle of its voxels.
  const std::string cut = directory.file("cut.nii");
  write_nifti(cut, NiftiSpec{}, known);
  fs::resize_file(cut, fs::file_size(cut) - 100);
  expect_error([&] { read_nifti_volume(cut); }, {"cut.nii", "cannot read the voxel data"});

  // Stored NaN and infinities are refused with their count and the first voxel
  // (nifticlib's loader would read them as 0); so is a value that overflows when scaled.
  const std::string nan = directory.file("nan.nii.gz");
  write_nifti(nan, NiftiSpec{}, [](auto i, auto j, auto k) {
    return i == 1 && j == 2 && k == 0 ? NAN : (i == 3 && k == 2 ? -INFINITY : 1.0);
  });
  expect_error([&] { read_nifti_volume(nan); },
               {"nan.nii.gz", "5 of 60 voxels are NaN or infinite", "the first at voxel (1, 2, 0)"});
  const std::string huge = directory.file("huge.nii");
  NiftiSpec overflow;
  overflow.datatype = DT_FLOAT64;
  overflow.slope = 1e30;
  write_nifti(huge, overflow, [](auto i, auto j, auto k) { return i == 1 && j == 2 && k == 0 ? 1e300 : 1.0; });
  expect_error([&] { read_nifti_volume(huge); }, {"huge.nii", "voxel (1, 2, 0)", "non-finite"});
}

// Row r, column c of slice k is the voxel with index q = n_q - 1 - r and index p = c.
TEST(BrainSlices, OrientationFollowsTheDocumentedRule) {
  TemporaryDirectory directory;
  const std::string path = directory.file("orient.nii.gz");
  NiftiSpec spec;
  spec.spacing = {1, 2, 3};
  write_nifti(path, spec, known);
  const Volume volume = read_nifti_volume(path);
  const auto check = [&](int axis, std::int64_t k, const std::function<double(std::int64_t, std::int64_t)>& expected,
                         PetscInt rows, PetscInt columns, double row_spacing, double column_spacing) {
    const PlanarImage slice = extract_slice(volume, axis, k);
    ASSERT_EQ(slice.shape, (pb::ImageShape{rows, columns})) << "axis " << axis;
    EXPECT_EQ(slice.row_spacing, row_spacing);
    EXPECT_EQ(slice.column_spacing, column_spacing);
    for (PetscInt r = 0; r < rows; ++r)
      for (PetscInt c = 0; c < columns; ++c)
        EXPECT_EQ(slice.pixels[static_cast<std::size_t>(r * columns + c)], expected(r, c)) << axis << " " << r << c;
  };
  check(
      0, 3, [](auto r, auto c) { return known(3, c, 2 - r); }, 3, 4, 3, 2);
  check(
      1, 1, [](auto r, auto c) { return known(c, 1, 2 - r); }, 3, 5, 3, 1);
  check(
      2, 2, [](auto r, auto c) { return known(c, 3 - r, 2); }, 4, 5, 2, 1);
  expect_error([&] { extract_slice(volume, 2, 3); }, {"orient.nii.gz", "slice 3 along axis 2", "[0, 3)"});
  expect_error([&] { extract_slice(volume, 3, 0); }, {"axis 3 is not 0, 1 or 2"});
}

// ---------------------------------------------------------------------------------------
// Resampling

namespace {

PlanarImage image_of(PetscInt rows, PetscInt columns, const std::function<double(double, double)>& value) {
  PlanarImage image{{rows, columns}, 1, 1, {}};
  for (PetscInt r = 0; r < rows; ++r)
    for (PetscInt c = 0; c < columns; ++c) image.pixels.push_back(value(r, c));
  return image;
}

double ramp(double r, double c) { return 0.3 + 0.011 * r - 0.004 * c; }

// Output sample i of `size` over `samples` input pixels (square field of view) sits at
// input position (i + 1/2) n / size - 1/2 and averages over a window of n / size - 1.
void expect_ramp_reproduced(PetscInt n, PetscInt size) {
  const auto output = resample_to_square(image_of(n, n, ramp), size);
  const double step = static_cast<double>(n) / static_cast<double>(size);
  const double half_window = 0.5 * std::max(step - 1, 0.0);
  int checked = 0;
  for (PetscInt i = 0; i < size; ++i) {
    for (PetscInt j = 0; j < size; ++j) {
      const double u = (i + 0.5) * step - 0.5, v = (j + 0.5) * step - 0.5;
      const auto inside = [&](double x) { return x - half_window >= 0 && x + half_window <= n - 1; };
      if (inside(u) && inside(v)) {
        EXPECT_NEAR(output[static_cast<std::size_t>(i * size + j)], ramp(u, v), 1e-13) << n << "->" << size;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, size * size / 2);
}

}  // namespace

TEST(SquareResampling, SameSizeIsTheIdentity) {
  const PlanarImage image = image_of(9, 9, [](double r, double c) { return std::sin(r) * std::cos(2 * c); });
  EXPECT_EQ(resample_to_square(image, 9), image.pixels);
}

TEST(SquareResampling, LinearRampIsReproducedExactly) {
  expect_ramp_reproduced(40, 16);   // reducing by 2.5
  expect_ramp_reproduced(37, 10);   // by 3.7
  expect_ramp_reproduced(40, 20);   // by 2
  expect_ramp_reproduced(12, 30);   // enlarging: plain bilinear
  expect_ramp_reproduced(301, 64);  // the factor of ch2better's widest slices
}

TEST(SquareResampling, ShorterSideIsPaddedWithZeros) {
  // 10 rows of 20 columns: rows 5..14 of the 20 x 20 output are the image, the rest zero.
  const PlanarImage wide = image_of(10, 20, [](double r, double c) { return 0.01 * (r * 20 + c) + 0.1; });
  const auto square = resample_to_square(wide, 20);
  for (PetscInt r = 0; r < 20; ++r)
    for (PetscInt c = 0; c < 20; ++c) {
      const double expected = r >= 5 && r < 15 ? wide.pixels[static_cast<std::size_t>((r - 5) * 20 + c)] : 0.0;
      EXPECT_EQ(square[static_cast<std::size_t>(r * 20 + c)], expected) << r << " " << c;
    }
  // Physical aspect: 10 x 10 pixels twice as tall as wide span 20 x 10 units, so the
  // columns are padded: output columns 0..4 and 15..19 are zero.
  PlanarImage tall = image_of(10, 10, [](double, double) { return 1.0; });
  tall.row_spacing = 2;
  const auto padded = resample_to_square(tall, 20);
  for (PetscInt r = 0; r < 20; ++r) {
    EXPECT_EQ(padded[static_cast<std::size_t>(r * 20 + 2)], 0.0);
    EXPECT_EQ(padded[static_cast<std::size_t>(r * 20 + 17)], 0.0);
    EXPECT_GT(padded[static_cast<std::size_t>(r * 20 + 10)], 0.0);
  }
}

TEST(SquareResampling, StaysInTheUnitIntervalAndKeepsConstants) {
  std::vector<double> noise(50 * 31);
  pb::CounterRandom(1, 0, pb::Purpose::test_values).fill_normal(noise, 0);
  PlanarImage image = image_of(50, 31, [](double, double) { return 0.0; });
  std::transform(noise.begin(), noise.end(), image.pixels.begin(), [](double z) { return z > 0 ? 1.0 : 0.0; });
  for (const PetscInt size : {4, 7, 16, 64, 128}) {
    for (const double value : resample_to_square(image, size)) {
      EXPECT_GE(value, 0.0);
      EXPECT_LE(value, 1.0 + 1e-15);
    }
  }
  const auto constant = resample_to_square(image_of(40, 40, [](double, double) { return 0.7; }), 16);
  EXPECT_NEAR(constant[5 * 16 + 7], 0.7, 1e-15);
}

TEST(SquareResampling, CenterCropCutsTheLongerSide) {
  const PlanarImage image = image_of(4, 7, [](double r, double c) { return 10 * r + c; });
  const PlanarImage square = center_crop_square(image);
  ASSERT_EQ(square.shape, (pb::ImageShape{4, 4}));
  EXPECT_EQ(square.pixels[0], 1);  // column offset (7 - 4) / 2 = 1
  EXPECT_EQ(square.pixels[15], 34);
}

// ---------------------------------------------------------------------------------------
// Intensity scaling

TEST(IntensityScaling, PercentileOfPositiveValuesAndClipping) {
  std::vector<double> values(1000);
  std::iota(values.begin(), values.end(), 1.0);
  std::reverse(values.begin(), values.end());
  values.insert(values.begin() + 100, 50, 0.0);  // background does not count
  values.push_back(-3);
  EXPECT_DOUBLE_EQ(positive_percentile(values), 1 + 999 * 0.995);
  EXPECT_DOUBLE_EQ(positive_percentile(values, 50), 500.5);
  EXPECT_DOUBLE_EQ(positive_percentile(values, 100), 1000);
  scale_to_unit_interval(values, 500);
  EXPECT_EQ(*std::max_element(values.begin(), values.end()), 1.0);
  EXPECT_EQ(*std::min_element(values.begin(), values.end()), 0.0);
  EXPECT_EQ(values.front(), 1.0);  // 1000 / 500, clipped
  EXPECT_EQ(values[999 + 50], 1.0 / 500);
  expect_error([] { positive_percentile(std::vector<double>{0, -1}); }, {"no positive intensity"});
}

// ---------------------------------------------------------------------------------------
// Empty slices

namespace {

// 12 x 10 x 8 voxels: axial slices 2..5 carry a block of tissue covering 30 % of the
// slice, slice 6 a single voxel; everything else is zero.
std::string write_phantom(const TemporaryDirectory& directory, const std::string& name = "phantom.nii.gz") {
  const std::string path = directory.file(name);
  NiftiSpec spec;
  spec.extent = {12, 10, 8};
  spec.datatype = DT_UINT8;
  write_nifti(path, spec, [](auto i, auto j, auto k) {
    if (k >= 2 && k <= 5 && i >= 3 && i < 9 && j >= 2 && j < 8) return 100.0 + 10 * k;
    return k == 6 && i == 5 && j == 5 ? 200.0 : 0.0;
  });
  return path;
}

}  // namespace

TEST(BrainSlices, NearEmptySlicesAreDroppedAtEverySize) {
  TemporaryDirectory directory;
  Volume volume = read_nifti_volume(write_phantom(directory));
  scale_to_unit_interval(volume.voxels, positive_percentile(volume.voxels));
  for (const PetscInt size : {8, 16}) {
    SliceOptions options;
    options.size = size;
    const VolumeSlices slices = slice_volume(volume, 2, options);
    EXPECT_EQ(slices.indices, (std::vector<std::int64_t>{2, 3, 4, 5}));
    EXPECT_EQ(slices.total, 8);
    EXPECT_EQ(slices.images.count, 4u);
    EXPECT_EQ(slices.images.shape, (pb::ImageShape{size, size}));
    EXPECT_EQ(slices.positions, (std::vector<double>{2, 3, 4, 5}));  // no transform: pixdim 1 from 0
    for (const double value : slices.images.pixels) {
      EXPECT_GE(value, 0.0);
      EXPECT_LE(value, 1.0);
    }
  }
  SliceOptions keep_all;
  keep_all.min_tissue_fraction = 0;
  EXPECT_EQ(slice_volume(volume, 2, keep_all).images.count, 8u);
  SliceOptions keep_single_voxel;
  keep_single_voxel.min_tissue_fraction = 1.0 / 120;
  EXPECT_EQ(slice_volume(volume, 2, keep_single_voxel).indices.size(), 5u);
}

// ---------------------------------------------------------------------------------------
// Slab split

namespace {

// The documented rule, written out again: block c holds out slab c * period + (bits(c) mod period).
bool held_out_reference(std::int64_t slab, int world_axis, const SlabSplitOptions& options) {
  const std::int64_t block = static_cast<std::int64_t>(std::floor(static_cast<double>(slab) / options.period));
  const pb::CounterRandom random(options.seed, 0, pb::Purpose::mri_split, static_cast<std::uint64_t>(world_axis));
  return slab - block * options.period == static_cast<std::int64_t>(random.bits(static_cast<std::uint64_t>(block)) %
                                                                    static_cast<std::uint64_t>(options.period));
}

}  // namespace

TEST(SlabSplit, HeldOutSlabsFollowTheRuleAndNeighboursNeverStraddle) {
  SlabSplitOptions options;
  options.seed = 11;
  std::vector<double> positions;
  for (double x = -120; x <= 120; x += 0.5) positions.push_back(x);
  for (int world_axis = 0; world_axis < 3; ++world_axis) {
    std::map<std::int64_t, int> held_per_block;
    std::vector<SlabRole> roles;
    for (const double x : positions) {
      const std::int64_t slab = static_cast<std::int64_t>(std::floor(x / options.slab_width));
      const SlabRole role = slab_role(x, world_axis, options);
      roles.push_back(role);
      EXPECT_EQ(role == SlabRole::test, held_out_reference(slab, world_axis, options)) << x;
    }
    // Whole slabs: a slab's positions share one held-out state; one held-out slab per block.
    for (std::int64_t slab = -10; slab < 10; ++slab) {
      const bool held = is_held_out(slab, world_axis, options);
      held_per_block[static_cast<std::int64_t>(std::floor(slab / 5.0))] += held ? 1 : 0;
    }
    for (const auto& [block, count] : held_per_block) EXPECT_EQ(count, 1) << "block " << block;
    // Every position has exactly one role; train never within the guard of a test position.
    std::size_t train = 0, test = 0, guard = 0;
    for (std::size_t a = 0; a < positions.size(); ++a) {
      (roles[a] == SlabRole::train ? train : roles[a] == SlabRole::test ? test : guard) += 1;
      for (std::size_t b = 0; b < positions.size(); ++b) {
        if (roles[a] == SlabRole::train && roles[b] == SlabRole::test) {
          EXPECT_GE(std::abs(positions[a] - positions[b]), options.guard) << positions[a] << " " << positions[b];
        }
      }
      if (a > 0) {
        const bool straddle = (roles[a] == SlabRole::train && roles[a - 1] == SlabRole::test) ||
                              (roles[a] == SlabRole::test && roles[a - 1] == SlabRole::train);
        EXPECT_FALSE(straddle) << positions[a];
      }
    }
    EXPECT_EQ(train + test + guard, positions.size());
    // Guard: not held out, but closer than 2 mm to a held-out slab [b w, (b + 1) w].
    std::size_t guard_reference = 0;
    for (const double x : positions) {
      bool near = false;
      for (std::int64_t slab = -15; slab < 15; ++slab) {
        const double low = 10.0 * slab, high = low + 10;
        near |= held_out_reference(slab, world_axis, options) && std::max({low - x, x - high, 0.0}) < 2;
      }
      guard_reference += near && slab_role(x, world_axis, options) != SlabRole::test;
    }
    EXPECT_EQ(guard, guard_reference);
    EXPECT_GT(test, 0u);
  }
}

TEST(SlabSplit, SeedChangesTheChoiceAndDescribeRecordsIt) {
  SlabSplitOptions a, b;
  b.seed = 1;
  int differences = 0;
  for (std::int64_t slab = -50; slab < 50; ++slab) differences += is_held_out(slab, 2, a) != is_held_out(slab, 2, b);
  EXPECT_GT(differences, 0);
  EXPECT_EQ(describe(a), "slabs of 10 mm along the world axis, 1 in 5 held out (seed 0), guard 2 mm");
  const std::string intervals = held_out_intervals(-50, 49.5, 2, a);
  std::size_t count = 0;
  for (std::int64_t slab = -5; slab < 5; ++slab) count += is_held_out(slab, 2, a);
  EXPECT_EQ(static_cast<std::size_t>(std::count(intervals.begin(), intervals.end(), '[')), count) << intervals;
  SlabSplitOptions bad;
  bad.period = 1;
  expect_error([&] { validate(bad); }, {"period 1"});
}

// ---------------------------------------------------------------------------------------
// Augmentation

namespace {

ImageSet random_images(std::size_t count, PetscInt side) {
  ImageSet set;
  set.shape = pb::ImageShape{side, side};
  set.count = count;
  set.pixels.resize(count * static_cast<std::size_t>(side * side));
  pb::CounterRandom random(5, 0, pb::Purpose::test_values);
  for (std::size_t i = 0; i < set.pixels.size(); ++i) set.pixels[i] = random.uniform(i);
  set.labels.assign(count, 3);
  return set;
}

}  // namespace

TEST(Augmentation, DeterministicUnderTheSeedAndEpoch) {
  const ImageSet images = random_images(6, 12);
  AugmentationOptions options;
  options.seed = 9;
  const ImageSet first = augment(images, options, 3);
  EXPECT_EQ(first.pixels, augment(images, options, 3).pixels);
  EXPECT_EQ(first.labels, images.labels);
  EXPECT_NE(first.pixels, augment(images, options, 4).pixels);
  options.seed = 10;
  EXPECT_NE(first.pixels, augment(images, options, 3).pixels);
  // Image i depends on (seed, epoch, i) only: augmenting a subset gives the same image.
  ImageSet head = images;
  head.count = 2;
  head.pixels.resize(2 * 144);
  head.labels.resize(2);
  options.seed = 9;
  const ImageSet head_augmented = augment(head, options, 3);
  EXPECT_TRUE(std::equal(head_augmented.pixels.begin(), head_augmented.pixels.end(), first.pixels.begin()));
  for (const double value : first.pixels) {
    EXPECT_GE(value, 0.0);
    EXPECT_LE(value, 1.0);
  }
}

TEST(Augmentation, DrawsStayInTheirRanges) {
  AugmentationOptions options;
  int flips = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    const AugmentationParameters p = draw_augmentation(options, pb::ImageShape{64, 64}, 1, i);
    flips += p.flip;
    EXPECT_LE(std::abs(p.angle_degrees), 10.0);
    EXPECT_LE(std::abs(p.shift_rows), 3.2);
    EXPECT_LE(std::abs(p.shift_columns), 3.2);
    EXPECT_LE(std::abs(p.intensity - 1), 0.1);
  }
  EXPECT_GT(flips, 430);
  EXPECT_LT(flips, 570);
  options.max_intensity_change = 1;
  expect_error([&] { validate(options); }, {"maximum intensity change 1"});
}

TEST(Augmentation, FlipRotationAndShiftMovePixelsAsStated) {
  const ImageSet images = random_images(3, 10);
  AugmentationOptions flip_only;
  flip_only.flip_probability = 1;
  flip_only.max_rotation_degrees = flip_only.max_shift_fraction = flip_only.max_intensity_change = 0;
  const ImageSet flipped = augment(images, flip_only, 0);
  for (std::size_t i = 0; i < 3; ++i)
    for (PetscInt r = 0; r < 10; ++r)
      for (PetscInt c = 0; c < 10; ++c)
        EXPECT_EQ(flipped.image(i)[static_cast<std::size_t>(r * 10 + c)],
                  images.image(i)[static_cast<std::size_t>(r * 10 + 9 - c)]);

  const auto image = images.image(0);
  AugmentationParameters quarter;
  quarter.angle_degrees = 90;  // counter-clockwise: the right edge comes to the top
  const auto rotated = apply_augmentation(image, images.shape, quarter);
  AugmentationParameters down;
  down.shift_rows = 2;
  const auto shifted = apply_augmentation(image, images.shape, down);
  AugmentationParameters brighter;
  brighter.intensity = 1.5;
  const auto bright = apply_augmentation(image, images.shape, brighter);
  for (PetscInt r = 0; r < 10; ++r) {
    for (PetscInt c = 0; c < 10; ++c) {
      const auto at = [&](PetscInt row, PetscInt column) { return image[static_cast<std::size_t>(row * 10 + column)]; };
      const auto k = static_cast<std::size_t>(r * 10 + c);
      EXPECT_NEAR(rotated[k], at(c, 9 - r), 1e-12);
      EXPECT_EQ(shifted[k], r < 2 ? 0.0 : at(r - 2, c));
      EXPECT_EQ(bright[k], std::min(1.0, 1.5 * at(r, c)));
    }
  }
}

// ---------------------------------------------------------------------------------------
// fastMRI

namespace {

using Complex = std::complex<double>;
using Planes = std::vector<std::vector<Complex>>;  // planes of H x W, row-major

// numpy's fftshift(fft2(ifftshift(x), norm="ortho")) by the defining sums.
std::vector<Complex> centred_dft(const std::vector<Complex>& x, int h, int w) {
  std::vector<Complex> shifted(x.size()), spectrum(x.size()), out(x.size());
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) shifted[r * w + c] = x[((r + h / 2) % h) * w + (c + w / 2) % w];
  const double pi = std::acos(-1.0);
  for (int u = 0; u < h; ++u)
    for (int v = 0; v < w; ++v) {
      Complex sum = 0;
      for (int r = 0; r < h; ++r)
        for (int c = 0; c < w; ++c)
          sum += shifted[r * w + c] * std::polar(1.0, -2 * pi * (double(u * r) / h + double(v * c) / w));
      spectrum[u * w + v] = sum / std::sqrt(double(h * w));
    }
  for (int u = 0; u < h; ++u)
    for (int v = 0; v < w; ++v) out[u * w + v] = spectrum[((u + (h + 1) / 2) % h) * w + (v + (w + 1) / 2) % w];
  return out;
}

void write_float_stack(hid_t file, const char* name, const std::vector<float>& values, const pb::h5::Shape& shape) {
  const pb::h5::Object space(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr), H5Sclose);
  const pb::h5::Object dataset(H5Dcreate2(file, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                               H5Dclose);
  ASSERT_GE(H5Dwrite(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
}

// Complex64 as h5py stores it: a compound {r, i} of little-endian float32.
void write_kspace(hid_t file, const Planes& planes, const pb::h5::Shape& shape) {
  std::vector<float> interleaved;
  for (const auto& plane : planes)
    for (const Complex& value : plane) {
      interleaved.push_back(static_cast<float>(value.real()));
      interleaved.push_back(static_cast<float>(value.imag()));
    }
  const pb::h5::Object type(H5Tcreate(H5T_COMPOUND, 8), H5Tclose);
  H5Tinsert(type, "r", 0, H5T_IEEE_F32LE);
  H5Tinsert(type, "i", 4, H5T_IEEE_F32LE);
  const pb::h5::Object space(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr), H5Sclose);
  const pb::h5::Object dataset(H5Dcreate2(file, "kspace", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                               H5Dclose);
  ASSERT_GE(H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, interleaved.data()), 0);
}

double phantom_pixel(std::size_t slice, int r, int c) {
  return 1 + 0.5 * slice + 0.1 * r * r - 0.05 * c + 0.01 * r * c;
}

// Slices x coils x H x W k-space of coil images s_k exp(i phase) phantom, so that the
// root-sum-of-squares image is sqrt(sum s_k^2) phantom.
Planes coil_kspace(std::size_t slices, const std::vector<double>& sensitivities, int h, int w) {
  Planes planes;
  for (std::size_t s = 0; s < slices; ++s)
    for (std::size_t k = 0; k < sensitivities.size(); ++k) {
      std::vector<Complex> image(static_cast<std::size_t>(h * w));
      for (int r = 0; r < h; ++r)
        for (int c = 0; c < w; ++c)
          image[r * w + c] = std::polar(sensitivities[k] * phantom_pixel(s, r, c), 0.3 * k + 0.1 * r - 0.2 * c);
      planes.push_back(centred_dft(image, h, w));
    }
  return planes;
}

}  // namespace

TEST(FastMri, RootSumOfSquaresOfMultiCoilKspace) {
  TemporaryDirectory directory;
  const std::string path = directory.file("multicoil.h5");
  const std::vector<double> sensitivities = {0.5, 1.0, 0.25, 2.0};
  const int h = 7, w = 6;
  {
    const auto file = pb::h5::create_file(path, false);
    write_kspace(file, coil_kspace(3, sensitivities, h, w), {3, 4, 7, 6});
  }
  const FastMriInfo info = read_fastmri_info(path);
  EXPECT_TRUE(info.has_kspace);
  EXPECT_TRUE(info.multicoil);
  EXPECT_EQ(info.coils, 4u);
  EXPECT_EQ(info.kspace_slices, 3u);
  EXPECT_EQ(info.kspace_shape, (pb::ImageShape{7, 6}));
  EXPECT_TRUE(info.reconstruction.empty());
  EXPECT_NE(info.describe().find("kspace 3 x 4 coils x 7x6"), std::string::npos) << info.describe();

  const ImageSet rss = read_fastmri_images(path);
  ASSERT_EQ(rss.count, 3u);
  ASSERT_EQ(rss.shape, (pb::ImageShape{7, 6}));
  const double gain = std::sqrt(0.25 + 1 + 0.0625 + 4);
  for (std::size_t s = 0; s < 3; ++s)
    for (int r = 0; r < h; ++r)
      for (int c = 0; c < w; ++c) {
        const double expected = gain * phantom_pixel(s, r, c);
        EXPECT_NEAR(rss.image(s)[static_cast<std::size_t>(r * w + c)], expected, 2e-6 * expected) << s << r << c;
      }
}

TEST(FastMri, SingleCoilConstantKspaceIsACentredImpulse) {
  TemporaryDirectory directory;
  for (const auto& [h, w] : {std::pair{8, 6}, std::pair{5, 7}}) {
    const std::string path = directory.file("impulse" + std::to_string(h) + ".h5");
    {
      const auto file = pb::h5::create_file(path, false);
      write_kspace(file, Planes{std::vector<Complex>(static_cast<std::size_t>(h * w), Complex(1, 0))},
                   {1, static_cast<hsize_t>(h), static_cast<hsize_t>(w)});
    }
    const FastMriInfo info = read_fastmri_info(path);
    EXPECT_FALSE(info.multicoil);
    EXPECT_EQ(info.coils, 1u);
    const ImageSet image = reconstruct_rss(path);
    for (int r = 0; r < h; ++r)
      for (int c = 0; c < w; ++c) {
        const double expected = r == h / 2 && c == w / 2 ? std::sqrt(double(h * w)) : 0.0;
        EXPECT_NEAR(image.pixels[static_cast<std::size_t>(r * w + c)], expected, 1e-12) << h << " " << r << c;
      }
  }
}

TEST(FastMri, ReconstructionIsPreferredCroppedAndScaled) {
  TemporaryDirectory directory;
  const std::string path = directory.file("file_brain.h5");
  std::vector<float> stored;
  for (std::size_t s = 0; s < 3; ++s)
    for (int r = 0; r < 6; ++r)
      for (int c = 0; c < 10; ++c) stored.push_back(static_cast<float>(phantom_pixel(s, r, c)));
  {
    const auto file = pb::h5::create_file(path, false);
    write_float_stack(file, "reconstruction_rss", stored, {3, 6, 10});
    write_kspace(file, coil_kspace(3, {1.0, 1.0}, 12, 10), {3, 2, 12, 10});
  }
  const FastMriInfo info = read_fastmri_info(path);
  EXPECT_EQ(info.reconstruction, "reconstruction_rss");
  EXPECT_EQ(info.slices, 3u);
  EXPECT_EQ(info.image_shape, (pb::ImageShape{6, 10}));
  EXPECT_TRUE(info.has_kspace);

  const ImageSet raw = read_fastmri_images(path);
  std::vector<double> widened(stored.begin(), stored.end());
  EXPECT_EQ(raw.pixels, widened);

  // Size 6 equals the cropped side, so resampling is the identity: columns 2..7, scaled.
  const double scale = positive_percentile(widened);
  const ImageSet slices = read_fastmri_slices(path, 6);
  ASSERT_EQ(slices.count, 3u);
  ASSERT_EQ(slices.shape, (pb::ImageShape{6, 6}));
  for (std::size_t s = 0; s < 3; ++s)
    for (int r = 0; r < 6; ++r)
      for (int c = 0; c < 6; ++c)
        EXPECT_DOUBLE_EQ(slices.image(s)[static_cast<std::size_t>(r * 6 + c)],
                         std::min(1.0, widened[s * 60 + static_cast<std::size_t>(r * 10 + c + 2)] / scale));
  EXPECT_NE(slices.description.find("reconstruction_rss, 3 slices of 6x10 cropped to 6x6"), std::string::npos)
      << slices.description;
  EXPECT_EQ(read_fastmri_slices(path, 64).shape, (pb::ImageShape{64, 64}));
}

TEST(FastMri, FilesOfOtherLayoutsAreRefused) {
  TemporaryDirectory directory;
  const std::string empty = directory.file("empty.h5");
  const std::string real = directory.file("realkspace.h5");
  {
    const auto file = pb::h5::create_file(empty, false);
    pb::h5::write(file, "other", std::vector<double>{1.0});
    const auto other = pb::h5::create_file(real, false);
    pb::h5::write(other, "kspace", std::vector<double>(8, 1.0), {2, 2, 2});
  }
  expect_error([&] { read_fastmri_info(empty); }, {"empty.h5", "not a fastMRI file"});
  expect_error([&] { read_fastmri_info(real); }, {"realkspace.h5:/kspace", "not complex k-space"});
}

// ---------------------------------------------------------------------------------------
// Source specifications

TEST(MriSource, GrammarParsesAndPrintsCanonically) {
  const MriSpecification simple = parse_mri_specification("mri:ch2better:2:64:train");
  EXPECT_EQ(simple.volumes, std::vector<std::string>{"ch2better"});
  EXPECT_EQ(simple.axes, std::vector<int>{2});
  EXPECT_EQ(simple.slicing.size, 64);
  EXPECT_EQ(simple.part, MriPart::train);
  EXPECT_FALSE(simple.index.has_value());
  EXPECT_EQ(simple.text(), "mri:ch2better:2:64:train");

  const std::string full = "mri:all:all:128:test:7:seed=3:guard=1.5:threshold=0.2";
  const MriSpecification pooled = parse_mri_specification(full);
  EXPECT_EQ(pooled.volumes, (std::vector<std::string>{"ch2better", "ch2", "inia19"}));
  EXPECT_EQ(pooled.axes, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(pooled.index, 7u);
  EXPECT_EQ(pooled.split.seed, 3u);
  EXPECT_EQ(pooled.split.guard, 1.5);
  EXPECT_EQ(pooled.slicing.tissue_threshold, 0.2);
  EXPECT_EQ(pooled.text(), full);

  const MriSpecification path = parse_mri_specification("mri:/data/a:b/brain.nii:1:32:all:augment=0");
  EXPECT_EQ(path.volumes, std::vector<std::string>{"/data/a:b/brain.nii"});
  EXPECT_EQ(path.text(), "mri:/data/a:b/brain.nii:1:32:all");
}

TEST(MriSource, ErrorsNameTheSpecification) {
  expect_error([] { load_image("mri:foo:2:64:train:0"); },
               {"--image mri:foo:2:64:train:0: unknown MRI volume 'foo'", "ch2better"});
  expect_error([] { load_training_set("mri:ch2:5:64:train"); },
               {"training set mri:ch2:5:64:train: axis '5' is not 0, 1, 2 or all"});
  expect_error([] { load_training_set("mri:ch2:1:2:train"); }, {"size 2 is below the minimum 4"});
  expect_error([] { load_training_set("mri:ch2:1:64:val"); }, {"part 'val' is not train, test or all"});
  expect_error([] { load_training_set("mri:ch2:1:64:train:bogus=1"); }, {"unknown option 'bogus'"});
  expect_error([] { load_training_set("mri:ch2:1:64:test:augment=2"); }, {"augment applies to the train part only"});
  expect_error([] { load_training_set("mri:ch2:1:64:train:3"); }, {"a training set takes no index"});
  expect_error([] { load_image("mri:ch2:1:64:train"); }, {"one image needs an index"});
  expect_error([] { load_training_set("mri:ch2:1:64"); }, {"expected mri:VOLUME:AXIS:SIZE:PART"});
  expect_error([] { load_training_set("mri:ch2:1:64:train:period=1"); }, {"period 1 must be at least 2"});
  expect_error([] { load_image("fastmri:file.h5"); }, {"--image fastmri:file.h5: expected fastmri:FILE:SIZE[:INDEX]"});
  expect_error([] { load_training_set("fastmri:file.h5:64:2"); }, {"a training set takes no index"});
  expect_error([] { load_training_set("fastmri:file.h5:2"); }, {"size 2 is not in [4, 16384]"});
}

TEST(MriSource, NamedVolumesComeFromTheDirectoryVariable) {
  TemporaryDirectory directory;
  write_phantom(directory, "ch2.nii.gz");
  const ScopedEnvironment environment(kMriDirectoryVariable, directory.file(""));
  const ImageSet set = load_training_set("mri:ch2:2:8:all");
  EXPECT_EQ(set.count, 4u);
  EXPECT_EQ(set.shape, (pb::ImageShape{8, 8}));
  EXPECT_NE(set.description.find("ch2 axis 2 (world z, 8 slices of 1 mm from 0 to 7 mm): 4 kept"), std::string::npos)
      << set.description;
  expect_error([] { load_training_set("mri:ch2better:2:8:all"); },
               {"ch2better.nii.gz: MRI volume does not exist", "mricron-data", kMriDirectoryVariable});
}

TEST(MriSource, PartsFollowTheSplitAndAugmentAppendsCopies) {
  TemporaryDirectory directory;
  const std::string path = directory.file("column.nii.gz");
  NiftiSpec spec;
  spec.extent = {6, 5, 60};
  write_nifti(path, spec, [](auto i, auto j, auto k) { return i >= 1 && j >= 1 ? 1.0 + 0.01 * k + 0.1 * i : 0.0; });
  const std::string base = "mri:" + path + ":2:8:";
  const ImageSet all = load_training_set(base + "all");
  const ImageSet train = load_training_set(base + "train");
  const ImageSet test = load_training_set(base + "test");
  ASSERT_EQ(all.count, 60u);
  std::vector<double> expected_train, expected_test;
  std::size_t guard = 0;
  for (std::int64_t k = 0; k < 60; ++k) {
    const SlabRole role = slab_role(static_cast<double>(k), 2, SlabSplitOptions{});
    auto& target = role == SlabRole::train ? expected_train : expected_test;
    if (role == SlabRole::guard) {
      ++guard;
      continue;
    }
    const auto image = all.image(static_cast<std::size_t>(k));
    target.insert(target.end(), image.begin(), image.end());
  }
  EXPECT_EQ(train.pixels, expected_train);
  EXPECT_EQ(test.pixels, expected_test);
  EXPECT_EQ(train.count + test.count + guard, all.count);
  EXPECT_GT(test.count, 0u);
  EXPECT_GT(guard, 0u);
  EXPECT_NE(train.description.find("held out"), std::string::npos) << train.description;

  const ImageSet augmented = load_training_set(base + "train:augment=2");
  ASSERT_EQ(augmented.count, 3 * train.count);
  EXPECT_TRUE(std::equal(train.pixels.begin(), train.pixels.end(), augmented.pixels.begin()));
  EXPECT_NE(augmented.description.find("2 augmented copies"), std::string::npos);
  EXPECT_EQ(load_training_set(base + "train", 5).count, 5u);

  const ImageSelection one = load_image(base + "test:1");
  EXPECT_EQ(one.source, base + "test:1");
  EXPECT_TRUE(std::equal(one.pixels.begin(), one.pixels.end(), test.image(1).begin()));
  expect_error([&] { load_image(base + "test:" + std::to_string(test.count)); }, {"index out of range"});
}

TEST(MriSource, FastMriSpecifications) {
  TemporaryDirectory directory;
  const std::string path = directory.file("scan.h5");
  {
    const auto file = pb::h5::create_file(path, false);
    write_float_stack(file, "reconstruction_esc", std::vector<float>(3 * 8 * 8, 2.0f), {3, 8, 8});
  }
  const ImageSet set = load_training_set("fastmri:" + path + ":16");
  EXPECT_EQ(set.count, 3u);
  EXPECT_EQ(set.shape, (pb::ImageShape{16, 16}));
  const ImageSelection one = load_image("fastmri:" + path + ":16:2");
  EXPECT_EQ(one.source, "fastmri:" + path + ":16:2");
  EXPECT_EQ(one.pixels.size(), 256u);
  expect_error([&] { load_image("fastmri:" + path + ":16"); }, {"holds 3 slices; add an index"});
  expect_error([&] { load_image("fastmri:" + path + ":16:3"); }, {"index out of range [0, 3)"});
}

// ---------------------------------------------------------------------------------------
// The real data (Debian package mricron-data)

TEST(RealMri, Ch2betterSlicesAreSane) {
  const std::string path = std::string(kMriDefaultDirectory) + "/ch2better.nii.gz";
  if (!fs::exists(path)) {
    GTEST_SKIP() << path << " is missing; install the Debian package mricron-data to run this test";
  }
  Volume volume = read_nifti_volume(path);
  EXPECT_EQ(volume.extent, (std::array<std::int64_t, 3>{301, 370, 316}));
  EXPECT_EQ(volume.spacing, (std::array<double, 3>{0.5, 0.5, 0.5}));
  scale_to_unit_interval(volume.voxels, positive_percentile(volume.voxels));
  for (int axis = 0; axis < 3; ++axis) {
    const VolumeSlices slices = slice_volume(volume, axis, SliceOptions{});
    EXPECT_EQ(slices.world_axis, axis);
    EXPECT_EQ(slices.images.shape, (pb::ImageShape{64, 64}));
    // The brain fills most of the grid; the first and last slices are empty.
    EXPECT_GT(slices.images.count, static_cast<std::size_t>(0.6 * slices.total)) << "axis " << axis;
    EXPECT_LT(slices.images.count, static_cast<std::size_t>(slices.total)) << "axis " << axis;
    double sum = 0;
    for (const double value : slices.images.pixels) {
      ASSERT_GE(value, 0.0);
      ASSERT_LE(value, 1.0);
      sum += value;
    }
    const double mean = sum / static_cast<double>(slices.images.pixels.size());
    EXPECT_GT(mean, 0.05);
    EXPECT_LT(mean, 0.6);
    std::size_t roles[3] = {0, 0, 0};
    for (const double position : slices.positions) ++roles[static_cast<int>(slab_role(position, axis, {}))];
    EXPECT_GT(roles[0], 2 * roles[1]) << "train vs test, axis " << axis;
    EXPECT_GT(roles[1], 0u) << "axis " << axis;
  }
}
