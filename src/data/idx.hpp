#pragma once
// Reader for IDX files (the format of MNIST and Fashion-MNIST), gzip-compressed or not.
// An IDX file is a 4-byte magic number 0x0000TTDD (TT the element type, DD the number
// of dimensions), DD big-endian 32-bit extents, then the elements in row-major order.
// Only unsigned bytes (TT = 0x08) are read: images 0x00000803 (count × rows × cols),
// labels 0x00000801 (count). Pixels become doubles scaled to [0, 1] as value / 255;
// labels keep their byte value.

#include <cstddef>
#include <string>

#include "data/image_set.hpp"

namespace priorbench::data {

// The image count and shape the header of an IDX image file declares.
ImageSetInfo read_idx_image_info(const std::string& images_path);

// Reads images [first, first + limit) of `images_path` (limit 0: through the last one)
// and, unless `labels_path` is empty, their labels. The label file must declare as many
// labels as the image file declares images. When the read reaches the last image the
// file must end there. Any fault (missing file, bad magic number, truncated or corrupt
// data, mismatched counts) throws priorbench::Error naming the file.
ImageSet read_idx_images(const std::string& images_path, const std::string& labels_path, std::size_t limit = 0,
                         std::size_t first = 0);

}  // namespace priorbench::data
