#pragma once
// Minimal 8-bit greyscale PNG writer (zlib for the compressed stream and the CRCs), for
// pictures the C++ side makes itself: images and tiled grids of images.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace priorbench {

// `pixels` row-major, values in [0, 255]. Written under a temporary name, then renamed.
void write_png(const std::string& path, std::size_t height, std::size_t width, std::span<const std::uint8_t> pixels);

// Tiles `images` (each height×width, row-major doubles) into a grid of `columns` columns
// with a 2-pixel gap. `symmetric`: each tile is scaled to [−max|v|, max|v|] → [0, 255]
// (zero is mid-grey, for directions); otherwise each tile's [min, max] → [0, 255].
// Each tile is upscaled by the integer factor `scale`.
void write_png_grid(const std::string& path, const std::vector<std::vector<double>>& images, std::size_t height,
                    std::size_t width, std::size_t columns, bool symmetric, std::size_t scale = 3);

}  // namespace priorbench
