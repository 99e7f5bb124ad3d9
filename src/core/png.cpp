#include "core/png.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/output_files.hpp"

namespace priorbench {
namespace {

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

void put_chunk(std::vector<std::uint8_t>& out, const char* type, const std::vector<std::uint8_t>& data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  const auto crc = crc32(0L, out.data() + start, static_cast<uInt>(out.size() - start));
  put_u32(out, static_cast<std::uint32_t>(crc));
}

}  // namespace

void write_png(const std::string& path, std::size_t height, std::size_t width, std::span<const std::uint8_t> pixels) {
  PB_REQUIRE(pixels.size() == height * width && height > 0 && width > 0, "write_png ", path, ": ", pixels.size(),
             " pixels for a ", height, "x", width, " image");
  std::vector<std::uint8_t> raw;  // each row starts with filter type 0
  raw.reserve(height * (width + 1));
  for (std::size_t row = 0; row < height; ++row) {
    raw.push_back(0);
    raw.insert(raw.end(), pixels.begin() + static_cast<std::ptrdiff_t>(row * width),
               pixels.begin() + static_cast<std::ptrdiff_t>((row + 1) * width));
  }
  uLongf compressed_size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<std::uint8_t> compressed(compressed_size);
  PB_REQUIRE(compress2(compressed.data(), &compressed_size, raw.data(), static_cast<uLong>(raw.size()), 9) == Z_OK,
             "write_png ", path, ": zlib compression failed");
  compressed.resize(compressed_size);

  std::vector<std::uint8_t> file = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<std::uint8_t> header;
  put_u32(header, static_cast<std::uint32_t>(width));
  put_u32(header, static_cast<std::uint32_t>(height));
  header.insert(header.end(), {8, 0, 0, 0, 0});  // 8-bit greyscale, deflate, no filter, no interlace
  put_chunk(file, "IHDR", header);
  put_chunk(file, "IDAT", compressed);
  put_chunk(file, "IEND", {});

  AtomicFile output(path);
  {
    std::ofstream out(output.path(), std::ios::binary | std::ios::trunc);
    PB_REQUIRE(out.good(), "cannot write PNG file ", path);
    out.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
    PB_REQUIRE(out.good(), "cannot write PNG file ", path);
  }
  output.commit();
}

void write_png_grid(const std::string& path, const std::vector<std::vector<double>>& images, std::size_t height,
                    std::size_t width, std::size_t columns, bool symmetric, std::size_t scale) {
  PB_REQUIRE(!images.empty() && columns > 0 && scale > 0, "write_png_grid ", path, ": nothing to draw");
  const std::size_t gap = 2;
  const std::size_t rows = (images.size() + columns - 1) / columns;
  const std::size_t tile_h = height * scale, tile_w = width * scale;
  const std::size_t total_h = rows * tile_h + (rows - 1) * gap, total_w = columns * tile_w + (columns - 1) * gap;
  std::vector<std::uint8_t> canvas(total_h * total_w, 255);
  for (std::size_t index = 0; index < images.size(); ++index) {
    const auto& image = images[index];
    PB_REQUIRE(image.size() == height * width, "write_png_grid ", path, ": image ", index, " has ", image.size(),
               " pixels, expected ", height * width);
    double low = *std::min_element(image.begin(), image.end());
    double high = *std::max_element(image.begin(), image.end());
    if (symmetric) {
      high = std::max(std::abs(low), std::abs(high));
      low = -high;
    }
    const double range = high > low ? high - low : 1.0;
    const std::size_t top = (index / columns) * (tile_h + gap), left = (index % columns) * (tile_w + gap);
    for (std::size_t y = 0; y < tile_h; ++y) {
      for (std::size_t x = 0; x < tile_w; ++x) {
        const double value = (image[(y / scale) * width + x / scale] - low) / range;
        canvas[(top + y) * total_w + left + x] =
            static_cast<std::uint8_t>(std::lround(255.0 * std::clamp(value, 0.0, 1.0)));
      }
    }
  }
  write_png(path, total_h, total_w, canvas);
}

}  // namespace priorbench
