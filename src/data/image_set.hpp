#pragma once
// A set of equally shaped grey-scale images held in memory. Image i occupies
// pixels[i * shape.size(), (i + 1) * shape.size()), each image in row-major pixel order
// (see core/image_shape.hpp). Every reader in src/data returns this.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/image_shape.hpp"

namespace priorbench::data {

struct ImageSet {
  ImageShape shape;
  std::size_t count = 0;
  std::vector<double> pixels;        // count * shape.size() values, image-major
  std::vector<std::int64_t> labels;  // one class label per image, or empty when the source has none
  // How the images were made when there is more to record than the source's name (the
  // MRI slab split: which slices are held out), for the metadata of what is trained on
  // them; empty otherwise.
  std::string description;

  // The pixels of image `index`; throws priorbench::Error when index >= count.
  std::span<const double> image(std::size_t index) const;
};

// What a file declares about its images, read without the pixels.
struct ImageSetInfo {
  ImageShape shape;
  std::size_t count = 0;
  bool single_image = false;  // a 2-D HDF5 dataset: one image that takes no index
};

}  // namespace priorbench::data
