#pragma once
// The memory a generator route may hold at once for a batched pass (the activations and
// tangents of many decodes): a Jacobian's block of latent directions, a large batch. Both
// routes bound their passes by it (docs/model-format.md).

#include <cstddef>

namespace priorbench {

inline constexpr std::size_t kMiB = 1024 * 1024;

// `requested` bytes when positive, else $PRIORBENCH_JACOBIAN_MEMORY_MIB MiB, else 256 MiB.
// Throws priorbench::Error naming the variable when it is not a positive number of MiB.
std::size_t jacobian_memory_budget(std::size_t requested);

}  // namespace priorbench
