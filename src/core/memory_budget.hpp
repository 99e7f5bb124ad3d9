#pragma once
// Limits before allocation. Sizes that come from files and study fields (image extents,
// dataset shapes, CSR nnz, task counts) are checked against the memory this process can
// have BEFORE anything is allocated for them, so a corrupt or hostile header claiming
// 10^11 rows fails with one line naming the object and the limit, not with
// std::bad_alloc, an out-of-memory kill of a whole job, or a file grown to fill the disk.
//
// The budget is the memory available now: the smaller of MemAvailable (/proc/meminfo)
// and what the process's cgroup (v2) still allows, memory.max - memory.current, since
// SLURM and containers confine jobs there. PRIORBENCH_MEMORY_LIMIT replaces both: bytes,
// or a number with the suffix K, M, G or T (powers of 1024), e.g. "4G" to leave room for
// other jobs on a shared node (the fuzzers set it to what libFuzzer lets them use).

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>

namespace priorbench {

inline constexpr const char* kMemoryLimitVariable = "PRIORBENCH_MEMORY_LIMIT";

struct MemoryBudget {
  std::uint64_t bytes = 0;
  std::string source;  // where the number came from, for messages
};

MemoryBudget memory_budget();

// The product of `extents`, or nullopt when it does not fit in 64 bits.
std::optional<std::uint64_t> checked_product(std::span<const std::uint64_t> extents);

// Throws priorbench::Error unless `count` values of `value_bytes` each fit in the budget:
// "<what>: 100000000000 values (745.1 GiB) exceed the 21.3 GiB of memory available
// (MemAvailable; PRIORBENCH_MEMORY_LIMIT sets the limit)".
void require_memory(std::uint64_t count, std::uint64_t value_bytes, const std::string& what);
// The same for the product of `extents` (which may overflow: extents come from files).
void require_memory(std::initializer_list<std::uint64_t> extents, std::uint64_t value_bytes, const std::string& what);

// "745 GiB", "512 MiB", "96 B": for messages.
std::string byte_text(std::uint64_t bytes);

}  // namespace priorbench
