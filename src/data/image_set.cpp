#include "data/image_set.hpp"

#include "core/error.hpp"

namespace priorbench::data {

std::span<const double> ImageSet::image(std::size_t index) const {
  PB_REQUIRE(index < count, "image index ", index, " out of range [0, ", count, ")");
  const auto size = static_cast<std::size_t>(shape.size());
  return std::span<const double>(pixels).subspan(index * size, size);
}

}  // namespace priorbench::data
