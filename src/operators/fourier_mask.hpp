#pragma once
// k-space conventions and sampling masks of the fourier operator (docs/operators.md).
//
// A frequency is the linear index k = k1 * W + k2 into the H x W array of the 2-D DFT
// (k1 the row frequency in [0, H), k2 the column frequency in [0, W)); its conjugate is
// −k = ((H − k1) mod H, (W − k2) mod W). For a real image X[−k] = conj(X[k]), so only one
// of each pair {k, −k} is sampled: the one with the smaller linear index (the "half
// plane", k1 ≤ H/2). A sampled frequency gives two real data rows (re, im), except a
// self-conjugate one (k = −k: DC, and the Nyquist frequencies of even dimensions), whose
// imaginary part is identically zero and which gives one row.
//
// Both masks hit the requested number of real data rows d exactly. Priorities decide
// what is taken: first a fully sampled low-frequency centre, then seeded random picks
// (CounterRandom(seed, 0, Purpose::fourier_mask), stream 0 for variable density, 1 for
// lines). Items are taken greedily in priority order; an item worth two rows is skipped
// while only one row is missing, and if no one-row item is left the lowest-priority
// chosen one-row item is exchanged for the next two-row item. So for the variable-density
// mask on an odd x odd image (where DC is the only self-conjugate frequency) an even d
// leaves DC out; an odd d, or any d when a dimension is even, keeps it.

#include <petscsys.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/image_shape.hpp"

namespace priorbench::fourier {

std::int64_t conjugate(const ImageShape& shape, std::int64_t k);
bool in_half_plane(const ImageShape& shape, std::int64_t k);
bool is_self_conjugate(const ImageShape& shape, std::int64_t k);
// Real data rows of a set of half-plane frequencies: 1 per self-conjugate, 2 per other.
std::int64_t data_rows(const ImageShape& shape, std::span<const std::int64_t> frequencies);
// Normalized radius sqrt((s1/H)² + (s2/W)²) of k, with s1, s2 the signed frequencies
// (k1 or k1 − H, whichever is smaller in magnitude).
double normalized_radius(const ImageShape& shape, std::int64_t k);

// Variable-density random sampling, `data_size` real rows (1 ≤ d ≤ n). The centre is
// every frequency with normalized radius ρ ≤ ρc = sqrt(center_fraction / π) (a disc
// covering the fraction `center_fraction` of k-space), taken lowest ρ first. The rest
// are drawn without replacement with probability weight 1 / (ρ² + ρ0²),
// ρ0 = max(ρc, 1 / max(H, W)) — the inverse-square density of Krahmer & Ward (2014) —
// by exponential race keys (Efraimidis & Spirakis 2006): key = −log(u_k) (ρ² + ρ0²),
// smallest first, u_k = uniform(k). Returns sorted half-plane frequencies.
std::vector<std::int64_t> variable_density_mask(const ImageShape& shape, PetscInt data_size, double center_fraction,
                                                std::uint64_t seed);

// Cartesian lines: whole rows k1 of k-space (phase-encode lines, read out along k2).
// Sampling line k1 gives line −k1 too (conjugate symmetry), so a line pair is worth 2W
// real rows and a self-conjugate line (k1 = 0, and H/2 for even H) W rows; `data_size`
// must therefore be a multiple of W in [W, n], and for odd H an odd multiple (an even
// number of lines would have to leave out the DC line, which is refused). The centre band is every line with
// |s1| / H ≤ center_fraction / 2 (about center_fraction·H lines around k1 = 0); the other
// lines are drawn uniformly at random without replacement (key u_{k1}, smallest first).
std::vector<std::int64_t> lines_mask(const ImageShape& shape, PetscInt data_size, double center_fraction,
                                     std::uint64_t seed);

}  // namespace priorbench::fourier
