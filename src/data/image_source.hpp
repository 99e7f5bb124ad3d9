#pragma once
// Named image sources, as the command line and study files give them.
//
// One image (the `--image` option):
//   fashion-mnist:SPLIT:INDEX   image INDEX of the Fashion-MNIST split "train" or "test"
//   mri:VOLUME:AXIS:SIZE:PART:INDEX[:KEY=VALUE]...
//                               image INDEX of a part of brain MRI slices (mri_source.hpp)
//   fastmri:FILE:SIZE[:INDEX]   slice INDEX of a fastMRI file, SIZE x SIZE (fastmri.hpp);
//                               no INDEX for a file of one slice
//   FILE:DATASET:INDEX          image INDEX of a 3-D HDF5 stack (count x height x width)
//   FILE:DATASET                a 2-D HDF5 image, or a stack holding exactly one image
// A training set (empirical priors, training):
//   fashion-mnist               the Fashion-MNIST training split (= fashion-mnist:train)
//   fashion-mnist:SPLIT         either split
//   mri:VOLUME:AXIS:SIZE:PART[:KEY=VALUE]...
//                               brain MRI slices, e.g. mri:ch2better:2:64:train
//   fastmri:FILE:SIZE           every slice of a fastMRI file
//   FILE:DATASET                an HDF5 stack (or a single 2-D image)
// FILE may contain ':' (the fields are taken from the right); DATASET may not.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/image_shape.hpp"
#include "data/image_set.hpp"

namespace priorbench::data {

struct ImageSelection {
  ImageShape shape;
  std::vector<double> pixels;         // row-major
  std::optional<std::int64_t> label;  // when the source has labels
  std::string source;                 // normalized specification, e.g. "images.h5:/stack:3", for output
};

// Every error reads "--image SPECIFICATION: what is wrong", e.g.
// "--image fashion-mnist:test:10000: index out of range [0, 10000)".
ImageSelection load_image(const std::string& specification);

// The first `limit` images (0: all) of a training set; errors read "training set NAME: ...".
ImageSet load_training_set(const std::string& name, std::size_t limit = 0);

}  // namespace priorbench::data
