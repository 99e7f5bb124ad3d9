#include "generative/memory_budget.hpp"

#include <cstdlib>

#include "core/error.hpp"

namespace priorbench {

std::size_t jacobian_memory_budget(std::size_t requested) {
  if (requested > 0) return requested;
  const char* environment = std::getenv("PRIORBENCH_JACOBIAN_MEMORY_MIB");
  if (environment == nullptr || *environment == '\0') return 256 * kMiB;
  char* end = nullptr;
  const long value = std::strtol(environment, &end, 10);
  PB_REQUIRE(*end == '\0' && value > 0 && value <= 1024 * 1024, "PRIORBENCH_JACOBIAN_MEMORY_MIB must be a positive ",
             "number of MiB, got '", environment, "'");
  return static_cast<std::size_t>(value) * kMiB;
}

}  // namespace priorbench
