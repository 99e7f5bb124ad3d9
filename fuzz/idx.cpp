// IDX image and label files (data/idx.hpp), plain or gzip-compressed. The input is the
// image file; when it holds the marker "#labels#", the bytes after it are the label file.
// Each file is read whole, then its last image alone (the first/limit path of --image).

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>

#include "data/idx.hpp"
#include "support.hpp"

namespace pf = priorbench::fuzz;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pf::initialize_process();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  constexpr std::string_view marker = "#labels#";
  const auto split = std::search(input.begin(), input.end(), marker.begin(), marker.end());
  const std::string images = pf::write_scratch_file("images-idx3-ubyte", input.subspan(0, split - input.begin()));
  std::string labels;
  if (split != input.end()) {
    labels = pf::write_scratch_file("labels-idx1-ubyte", input.subspan(split - input.begin() + marker.size()));
  }
  pf::expect_success_or_error([&] {
    const auto info = priorbench::data::read_idx_image_info(images);
    priorbench::data::read_idx_images(images, labels);
    if (info.count > 0) priorbench::data::read_idx_images(images, labels, 1, info.count - 1);
  });
  return 0;
}
