// Image specifications (data/image_source.hpp): the `--image` grammar and the training
// sets of studies. The input is the specification text; it is loaded as one image and as
// a training set. The sources it can name are small fixtures made at start in the
// scratch directory, which is the working directory: an HDF5 stack and image
// (stack.h5), a fastMRI file (fastmri.h5), a NIfTI volume (volume.nii, also standing in
// for the named MRI templates) and Fashion-MNIST IDX files of three images.

#include <nifti2_io.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "core/hdf5.hpp"
#include "data/fashion_mnist.hpp"
#include "data/fastmri.hpp"
#include "data/hdf5_images.hpp"
#include "data/image_source.hpp"
#include "data/mri_source.hpp"
#include "hdf5_layout.hpp"
#include "support.hpp"

namespace pb = priorbench;
namespace pf = priorbench::fuzz;

namespace {

void write_hdf5_images(const std::string& path) {
  const pb::h5::Object file = pb::h5::create_file(path, true);
  pb::data::ImageSet stack;
  stack.shape = {4, 4};
  stack.count = 3;
  for (int i = 0; i < 48; ++i) stack.pixels.push_back((i % 7) / 7.0);
  stack.labels = {1, 2, 3};
  pb::data::write_image_stack(file, "stack", stack);
  pb::data::write_image(file, "single", {3, 5}, std::vector<double>(15, 0.5));
}

void write_fastmri(const std::string& path) {
  std::vector<double> kspace, reconstruction;
  for (int i = 0; i < 2 * 4 * 6; ++i) kspace.insert(kspace.end(), {std::cos(i * 0.7), std::sin(i * 0.3)});
  for (int i = 0; i < 2 * 4 * 3; ++i) reconstruction.push_back(0.1 * i);
  pf::write_layout({{pb::data::kFastMriKspace, "", pf::ValueType::complex64, {2, 4, 6}, kspace, {}},
                    {pb::data::kFastMriRss, "", pf::ValueType::f32, {2, 4, 3}, reconstruction, {}}},
                   path);
}

// A 10 x 9 x 8 volume of 2 mm voxels holding a bright ellipsoid, as a brain template does.
void write_volume(const std::string& path) {
  const std::int64_t dims[8] = {3, 10, 9, 8, 1, 1, 1, 1};
  const std::unique_ptr<nifti_image, decltype(&nifti_image_free)> image(nifti_make_new_nim(dims, DT_FLOAT32, 1),
                                                                        nifti_image_free);
  image->dx = image->pixdim[1] = image->dy = image->pixdim[2] = image->dz = image->pixdim[3] = 2;
  auto* voxels = static_cast<float*>(image->data);
  for (std::int64_t k = 0; k < 8; ++k) {
    for (std::int64_t j = 0; j < 9; ++j) {
      for (std::int64_t i = 0; i < 10; ++i) {
        const double r = std::hypot((i - 4.5) / 4, (j - 4) / 3.5, (k - 3.5) / 3);
        voxels[i + 10 * (j + 9 * k)] = static_cast<float>(r < 1 ? 100 * (1.2 - r) : 0);
      }
    }
  }
  nifti_set_filenames(image.get(), path.c_str(), 0, 1);
  nifti_image_write(image.get());
}

void write_idx(const std::string& path, const std::vector<std::uint8_t>& header, std::size_t payload) {
  std::vector<std::uint8_t> bytes = header;
  for (std::size_t i = 0; i < payload; ++i) bytes.push_back(static_cast<std::uint8_t>(i * 37));
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
}

// Three 28 x 28 images and their labels per split.
void write_fashion_mnist(const std::filesystem::path& directory) {
  std::filesystem::create_directories(directory);
  const std::vector<std::uint8_t> images = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28};
  const std::vector<std::uint8_t> labels = {0, 0, 8, 1, 0, 0, 0, 3};
  for (const char* split : {"train", "t10k"}) {
    write_idx(directory / (std::string(split) + "-images-idx3-ubyte.gz"), images, 3 * 28 * 28);
    write_idx(directory / (std::string(split) + "-labels-idx1-ubyte.gz"), labels, 3);
  }
}

void make_fixtures() {
  const std::filesystem::path directory = std::filesystem::path(pf::scratch_path("fixtures"));
  std::filesystem::create_directories(directory / "mri");
  std::filesystem::current_path(directory);
  write_hdf5_images("stack.h5");
  write_fastmri("fastmri.h5");
  write_volume("volume.nii");
  for (const char* name : {"ch2better.nii.gz", "ch2.nii.gz", "ch2bet.nii.gz", "inia19-t1-brain.nii.gz"}) {
    write_volume((directory / "mri" / name).string());
  }
  write_fashion_mnist(directory / "fashion-mnist");
  setenv(pb::data::kMriDirectoryVariable, (directory / "mri").c_str(), 1);
  setenv(pb::data::kFashionMnistDirectoryVariable, (directory / "fashion-mnist").c_str(), 1);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pf::initialize_process();
  make_fixtures();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string specification(reinterpret_cast<const char*>(data), size);
  pf::expect_success_or_error([&] { pb::data::load_image(specification); });
  pf::expect_success_or_error([&] { pb::data::load_training_set(specification, 2); });
  return 0;
}
