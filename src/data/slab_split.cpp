#include "data/slab_split.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/random.hpp"
#include "data/source_fields.hpp"

namespace priorbench::data {
namespace {

std::int64_t floor_divide(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// The distance from `position` to the closed interval of slab `slab`.
double distance_to_slab(double position, std::int64_t slab, double width) {
  const double low = static_cast<double>(slab) * width, high = low + width;
  return std::max({low - position, position - high, 0.0});
}

}  // namespace

void validate(const SlabSplitOptions& options) {
  PB_REQUIRE(options.slab_width > 0 && std::isfinite(options.slab_width), "slab width ", options.slab_width,
             " mm is not positive");
  PB_REQUIRE(options.slab_width >= kMinimumSlabWidth && options.slab_width <= kMaximumSlabWidth, "slab width ",
             number_text(options.slab_width), " mm is not in [", number_text(kMinimumSlabWidth), ", ",
             number_text(kMaximumSlabWidth), "] mm");
  PB_REQUIRE(options.period >= 2, "period ", options.period,
             " must be at least 2 (one slab in every period is held out)");
  PB_REQUIRE(options.guard >= 0 && std::isfinite(options.guard), "guard ", options.guard, " mm is negative");
  PB_REQUIRE(options.guard <= kMaximumGuard, "guard ", number_text(options.guard), " mm is above the maximum ",
             number_text(kMaximumGuard), " mm");
}

std::int64_t slab_of(double position, const SlabSplitOptions& options) {
  const double slab = std::floor(position / options.slab_width);
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  PB_REQUIRE(std::abs(slab) < kExactIntegers, "slice position ", number_text(position),
             " mm is too far from 0 for slabs of ", number_text(options.slab_width),
             " mm (is the volume's transform right?)");
  return static_cast<std::int64_t>(slab);
}

bool is_held_out(std::int64_t slab, int world_axis, const SlabSplitOptions& options) {
  const std::int64_t block = floor_divide(slab, options.period);
  const CounterRandom random(options.seed, 0, Purpose::mri_split, static_cast<std::uint64_t>(world_axis));
  const auto choice = static_cast<std::int64_t>(random.bits(static_cast<std::uint64_t>(block)) %
                                                static_cast<std::uint64_t>(options.period));
  return slab == block * options.period + choice;
}

SlabRole slab_role(double position, int world_axis, const SlabSplitOptions& options) {
  const std::int64_t slab = slab_of(position, options);
  if (is_held_out(slab, world_axis, options)) {
    return SlabRole::test;
  }
  // The held-out slab of the slice's own block is less than `period` slabs away, so a
  // guard that wide covers every slice; below it, fewer than `period` slabs are in reach.
  if (options.guard >= options.period * options.slab_width) {
    return SlabRole::guard;
  }
  // Every slab that can come within the guard distance.
  const auto reach = static_cast<std::int64_t>(std::ceil(options.guard / options.slab_width));
  for (std::int64_t other = slab - reach; other <= slab + reach; ++other) {
    if (other != slab && is_held_out(other, world_axis, options) &&
        distance_to_slab(position, other, options.slab_width) < options.guard) {
      return SlabRole::guard;
    }
  }
  return SlabRole::train;
}

std::string held_out_intervals(double low, double high, int world_axis, const SlabSplitOptions& options) {
  PB_REQUIRE(slab_of(high, options) - slab_of(low, options) <= kMaximumSlabSpan, "slices from ", number_text(low),
             " to ", number_text(high), " mm span more than ", number_text(kMaximumSlabSpan), " slabs of ",
             number_text(options.slab_width), " mm");
  std::string text;
  for (std::int64_t slab = slab_of(low, options); slab <= slab_of(high, options); ++slab) {
    if (is_held_out(slab, world_axis, options)) {
      const double start = static_cast<double>(slab) * options.slab_width;
      text += detail::concat(text.empty() ? "" : " ", "[", number_text(start), ", ",
                             number_text(start + options.slab_width), ")");
    }
  }
  return text.empty() ? "none" : text + " mm";
}

std::string describe(const SlabSplitOptions& options) {
  return detail::concat("slabs of ", number_text(options.slab_width), " mm along the world axis, 1 in ", options.period,
                        " held out (seed ", options.seed, "), guard ", number_text(options.guard), " mm");
}

const char* role_name(SlabRole role) {
  switch (role) {
    case SlabRole::train:
      return "train";
    case SlabRole::test:
      return "test";
    default:
      return "guard";
  }
}

}  // namespace priorbench::data
