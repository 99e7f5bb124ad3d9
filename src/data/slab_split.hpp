#pragma once
// Train / held-out split of the slices of a volume by contiguous slabs, so that nearly
// identical neighbouring slices never sit on both sides.
//
// Slabs are intervals of `slab_width` (mm) of the world coordinate along the slicing
// direction, anchored at 0: slab b is [b w, (b + 1) w). Consecutive slabs form blocks of
// `period`; in each block one slab, drawn from the seed, is held out (the test part), so
// exactly 1/period of the slabs are held out, spread over the whole brain. Because slabs
// live in world coordinates, volumes in the same space (ch2 and ch2better are the same
// brain in MNI space) hold out the same anatomy. A training slice closer than `guard`
// (mm) to a held-out slab is dropped from both parts; with the guard above the slice
// spacing, no slice has a neighbour on the other side.
//
// The draw: block c = floor(b / period) holds out slab c period + (x mod period), x the
// bits at counter position c (as an unsigned 64-bit integer) of
// CounterRandom(seed, 0, Purpose::mri_split, world_axis), world_axis 0, 1, 2 for x, y, z.

#include <cstdint>
#include <string>
#include <vector>

namespace priorbench::data {

struct SlabSplitOptions {
  std::uint64_t seed = 0;
  double slab_width = 10;  // mm
  int period = 5;          // one slab in every `period` is held out
  double guard = 2;        // mm
};

enum class SlabRole { train, test, guard };

// Limits that keep slab numbers exact and every loop over slabs short, whatever a
// specification or a volume's transform says: widths of 1 um to 1 km, a guard up to 1
// km, at most a million slabs between the first and the last slice.
inline constexpr double kMinimumSlabWidth = 1e-3;  // mm
inline constexpr double kMaximumSlabWidth = 1e6;   // mm
inline constexpr double kMaximumGuard = 1e6;       // mm
inline constexpr double kMaximumSlabSpan = 1e6;    // slabs

// Throws when an option is out of range (width in [kMinimumSlabWidth,
// kMaximumSlabWidth], period >= 2, guard in [0, kMaximumGuard]).
void validate(const SlabSplitOptions& options);

// Throws when `position` is not finite or so far from 0 that its slab number is not exact.
std::int64_t slab_of(double position, const SlabSplitOptions& options);
bool is_held_out(std::int64_t slab, int world_axis, const SlabSplitOptions& options);
SlabRole slab_role(double position, int world_axis, const SlabSplitOptions& options);

// The held-out slabs meeting [low, high], as "[-40, -30) [10, 20) mm"; throws when
// [low, high] spans more than kMaximumSlabSpan slabs.
std::string held_out_intervals(double low, double high, int world_axis, const SlabSplitOptions& options);

// "slabs of 10 mm along the world axis, 1 in 5 held out (seed 0), guard 2 mm".
std::string describe(const SlabSplitOptions& options);

const char* role_name(SlabRole role);

}  // namespace priorbench::data
