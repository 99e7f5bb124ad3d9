#include "operators/fourier_mask.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "core/random.hpp"

namespace priorbench::fourier {
namespace {

constexpr std::uint64_t variable_density_stream = 0;
constexpr std::uint64_t lines_stream = 1;

PetscInt signed_frequency(PetscInt k, PetscInt size) { return k <= size - k ? k : k - size; }

struct Candidate {
  std::int64_t id;  // frequency (variable density) or line (lines)
  int units;        // 1 or 2
  double key;       // priority: smaller first
};

// The ids, sorted, of items taken from `priority` (highest priority first) whose units sum to
// exactly `target`.
std::vector<std::int64_t> take_exactly(const std::vector<Candidate>& priority, std::int64_t target) {
  std::vector<bool> chosen(priority.size(), false);
  std::int64_t total = 0;
  for (std::size_t i = 0; i < priority.size() && total < target; ++i) {
    if (total + priority[i].units <= target) {
      chosen[i] = true;
      total += priority[i].units;
    }
  }
  if (total == target - 1) {
    // Every one-unit item is taken; trade the last of them for the first two-unit item left.
    std::size_t single = priority.size();
    std::size_t pair = priority.size();
    for (std::size_t i = priority.size(); i-- > 0;) {
      if (chosen[i] && priority[i].units == 1) {
        single = i;
        break;
      }
    }
    for (std::size_t i = 0; i < priority.size(); ++i) {
      if (!chosen[i] && priority[i].units == 2) {
        pair = i;
        break;
      }
    }
    PB_REQUIRE(single < priority.size() && pair < priority.size(), "fourier mask: cannot make exactly ", target,
               " data rows");
    chosen[single] = false;
    chosen[pair] = true;
    total += 1;
  }
  PB_REQUIRE(total == target, "fourier mask: cannot make exactly ", target, " data rows");
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < priority.size(); ++i) {
    if (chosen[i]) {
      ids.push_back(priority[i].id);
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

// The centre (in its own order) comes before the rest; within each, smaller keys first.
std::vector<Candidate> in_priority_order(std::vector<Candidate> centre, std::vector<Candidate> rest) {
  const auto by_key = [](const Candidate& a, const Candidate& b) {
    return a.key != b.key ? a.key < b.key : a.id < b.id;
  };
  std::sort(centre.begin(), centre.end(), by_key);
  std::sort(rest.begin(), rest.end(), by_key);
  centre.insert(centre.end(), rest.begin(), rest.end());
  return centre;
}

void check_common(const ImageShape& shape, double center_fraction, const char* mask) {
  PB_REQUIRE(shape.height > 0 && shape.width > 0, "fourier ", mask, " mask: image shape ", shape.height, "x",
             shape.width, " must be positive");
  PB_REQUIRE(std::isfinite(center_fraction) && center_fraction >= 0 && center_fraction <= 1, "fourier ", mask,
             " mask: centre fraction ", center_fraction, " must lie in [0, 1]");
}

}  // namespace

std::int64_t conjugate(const ImageShape& shape, std::int64_t k) {
  const std::int64_t k1 = k / shape.width;
  const std::int64_t k2 = k % shape.width;
  return ((shape.height - k1) % shape.height) * shape.width + (shape.width - k2) % shape.width;
}

bool in_half_plane(const ImageShape& shape, std::int64_t k) { return k <= conjugate(shape, k); }

bool is_self_conjugate(const ImageShape& shape, std::int64_t k) { return k == conjugate(shape, k); }

std::int64_t data_rows(const ImageShape& shape, std::span<const std::int64_t> frequencies) {
  std::int64_t rows = 0;
  for (const std::int64_t k : frequencies) {
    rows += is_self_conjugate(shape, k) ? 1 : 2;
  }
  return rows;
}

double normalized_radius(const ImageShape& shape, std::int64_t k) {
  const double s1 = static_cast<double>(signed_frequency(static_cast<PetscInt>(k / shape.width), shape.height));
  const double s2 = static_cast<double>(signed_frequency(static_cast<PetscInt>(k % shape.width), shape.width));
  return std::hypot(s1 / static_cast<double>(shape.height), s2 / static_cast<double>(shape.width));
}

std::vector<std::int64_t> variable_density_mask(const ImageShape& shape, PetscInt data_size, double center_fraction,
                                                std::uint64_t seed) {
  check_common(shape, center_fraction, "variable-density");
  PB_REQUIRE(data_size >= 1 && data_size <= shape.size(), "fourier variable-density mask: data size ", data_size,
             " must lie in [1, ", shape.size(), "] (the number of pixels)");
  const double centre_radius = std::sqrt(center_fraction / std::numbers::pi);
  const double floor_radius = std::max(centre_radius, 1.0 / static_cast<double>(std::max(shape.height, shape.width)));
  const CounterRandom random(seed, 0, Purpose::fourier_mask, variable_density_stream);
  std::vector<Candidate> centre;
  std::vector<Candidate> rest;
  for (std::int64_t k = 0; k < shape.size(); ++k) {
    if (!in_half_plane(shape, k)) {
      continue;
    }
    const int units = is_self_conjugate(shape, k) ? 1 : 2;
    const double radius = normalized_radius(shape, k);
    if (radius <= centre_radius) {
      centre.push_back({k, units, radius});
    } else {
      const double weight_inverse = radius * radius + floor_radius * floor_radius;
      rest.push_back({k, units, -std::log(random.uniform(static_cast<std::uint64_t>(k))) * weight_inverse});
    }
  }
  return take_exactly(in_priority_order(std::move(centre), std::move(rest)), data_size);
}

std::vector<std::int64_t> lines_mask(const ImageShape& shape, PetscInt data_size, double center_fraction,
                                     std::uint64_t seed) {
  check_common(shape, center_fraction, "lines");
  PB_REQUIRE(data_size >= shape.width && data_size <= shape.size() && data_size % shape.width == 0,
             "fourier lines mask: data size ", data_size, " is not a whole number of k-space lines of ", shape.width,
             " values on a ", shape.height, "x", shape.width, " image: use a multiple of ", shape.width, " in [",
             shape.width, ", ", shape.size(), "]");
  const PetscInt line_count = data_size / shape.width;
  PB_REQUIRE(shape.height % 2 == 0 || line_count % 2 == 1, "fourier lines mask: ", line_count,
             " lines on an image with an odd number of rows (", shape.height,
             ") would leave out the DC line (the other lines come in conjugate pairs): use an odd multiple of ",
             shape.width);
  const CounterRandom random(seed, 0, Purpose::fourier_mask, lines_stream);
  std::vector<Candidate> centre;
  std::vector<Candidate> rest;
  for (PetscInt k1 = 0; k1 < shape.height; ++k1) {
    const PetscInt partner = (shape.height - k1) % shape.height;
    if (k1 > partner) {
      continue;
    }
    const int units = k1 == partner ? 1 : 2;
    const double distance = static_cast<double>(std::abs(signed_frequency(k1, shape.height)));
    if (distance / static_cast<double>(shape.height) <= 0.5 * center_fraction) {
      centre.push_back({k1, units, distance});
    } else {
      rest.push_back({k1, units, random.uniform(static_cast<std::uint64_t>(k1))});
    }
  }
  const auto lines = take_exactly(in_priority_order(std::move(centre), std::move(rest)), line_count);
  std::vector<std::int64_t> frequencies;
  for (const std::int64_t k1 : lines) {
    for (PetscInt k2 = 0; k2 < shape.width; ++k2) {
      const std::int64_t k = k1 * shape.width + k2;
      if (in_half_plane(shape, k)) {
        frequencies.push_back(k);
      }
    }
  }
  return frequencies;
}

}  // namespace priorbench::fourier
