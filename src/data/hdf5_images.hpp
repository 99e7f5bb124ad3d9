#pragma once
// Images in HDF5 files, so users can bring their own. A single image is a 2-D dataset
// (height x width), a stack a 3-D dataset (count x height x width), both row-major.
// They are written as float64. On reading, any floating-point or integer dataset is
// accepted and converted to double with the values as stored: integers are NOT scaled
// (8-bit pixels 0..255 stay 0..255), so store doubles in [0, 1] for the usual scale.
// A stack may carry class labels in a sibling 1-D integer dataset "<name>_labels"
// with one entry per image; write_image_stack writes it when the set has labels and
// read_images reads it when present. Every error names file:/dataset.

#include <hdf5.h>

#include <cstddef>
#include <span>
#include <string>

#include "core/image_shape.hpp"
#include "data/image_set.hpp"

namespace priorbench::data {

void write_image(hid_t location, const std::string& name, ImageShape shape, std::span<const double> pixels);
void write_image_stack(hid_t location, const std::string& name, const ImageSet& images);

// Shape and count of a 2-D or 3-D numeric dataset, without reading it.
ImageSetInfo read_image_info(hid_t location, const std::string& name);

// Images [first, first + limit) of a stack (limit 0: through the last one), with labels
// when "<name>_labels" exists; a 2-D dataset is a set of one image. Only the selected
// images are read from the file. Non-finite values are refused.
ImageSet read_images(hid_t location, const std::string& name, std::size_t limit = 0, std::size_t first = 0);
ImageSet read_images(const std::string& path, const std::string& name, std::size_t limit = 0, std::size_t first = 0);

}  // namespace priorbench::data
