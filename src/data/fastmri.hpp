#pragma once
// Files in the HDF5 layout of the fastMRI data set (Zbontar et al., 2018): one file per
// scan, holding some of
//   reconstruction_rss  float32, slices x H x W: root-sum-of-squares of the coil images
//   reconstruction_esc  float32, slices x H x W: emulated single-coil reconstruction
//   kspace              complex64, slices x H' x W' (single-coil) or slices x coils x H' x W'
//                       (multi-coil), stored as the compound {r, i} of two float32 that
//                       h5py writes for numpy complex64
// (the challenge's test files hold k-space only). The reconstructions are centre-cropped
// (320 x 320 in the real data); k-space covers the whole field of view, usually with
// twofold readout oversampling. Every error names file:/dataset.

#include <cstddef>
#include <string>

#include "core/image_shape.hpp"
#include "data/image_set.hpp"

namespace priorbench::data {

inline constexpr const char* kFastMriRss = "reconstruction_rss";
inline constexpr const char* kFastMriEsc = "reconstruction_esc";
inline constexpr const char* kFastMriKspace = "kspace";

struct FastMriInfo {
  std::string path;
  std::string reconstruction;  // kFastMriRss, else kFastMriEsc when present, else empty
  std::size_t slices = 0;      // of the reconstruction
  ImageShape image_shape;      // of the reconstruction
  bool has_kspace = false;
  bool multicoil = false;
  std::size_t coils = 0;  // 1 for single-coil k-space
  std::size_t kspace_slices = 0;
  ImageShape kspace_shape;

  // One line: "file.h5: reconstruction_rss 16 x 320x320; kspace 16 x 15 coils x 640x368".
  std::string describe() const;
};

// Which datasets exist and their shapes, without reading them. Throws when there is
// neither a reconstruction nor k-space, or a dataset has the wrong type or rank.
FastMriInfo read_fastmri_info(const std::string& path);

// Root-sum-of-squares reconstruction of the k-space: sqrt(sum over coils |ifft2c(k)|^2),
// ifft2c the centred orthonormal inverse DFT fastMRI uses,
// fftshift(ifft2(ifftshift(k), norm="ortho")), computed with FFTW. Full field of view.
ImageSet reconstruct_rss(const std::string& path);

// The images as stored: the reconstruction dataset (reconstruction_rss preferred) when
// present, else reconstruct_rss. No crop, no scaling.
ImageSet read_fastmri_images(const std::string& path);

// The images for the generators: read_fastmri_images, scaled as a whole to [0, 1]
// (intensity_scaling.hpp: divided by the 99.5th percentile of the positive values of
// all slices, clipped), each centre-cropped to a square (the longer side cut) and
// resampled to size x size (square_resampling.hpp). Every slice is kept, so image i is
// slice i of the file. The description names the file, the dataset and the scale.
ImageSet read_fastmri_slices(const std::string& path, PetscInt size);

}  // namespace priorbench::data
