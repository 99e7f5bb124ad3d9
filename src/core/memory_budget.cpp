#include "core/memory_budget.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string_view>

#include "core/error.hpp"

namespace priorbench {
namespace {

constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();

// "4G" -> 4 GiB; nullopt for anything that is not a whole number with an optional suffix.
std::optional<std::uint64_t> parse_byte_count(std::string_view text) {
  std::uint64_t shift = 0;
  if (!text.empty()) {
    const std::string_view suffixes = "KMGT";
    if (const auto found = suffixes.find(static_cast<char>(std::toupper(text.back())));
        found != std::string_view::npos) {
      shift = 10 * (found + 1);
      text.remove_suffix(1);
    }
  }
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos || text.size() > 19) {
    return std::nullopt;
  }
  const std::uint64_t value = std::stoull(std::string(text));
  if (value > (kUnlimited >> shift)) return std::nullopt;
  return value << shift;
}

// MemAvailable of /proc/meminfo (kB there), or the free physical pages where there is none.
std::uint64_t available_memory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kilobytes = 0;
  std::string unit;
  while (meminfo >> key >> kilobytes >> unit) {
    if (key == "MemAvailable:") return kilobytes * 1024;
  }
  const long pages = sysconf(_SC_AVPHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size)
                                    : kUnlimited;
}

std::optional<std::uint64_t> read_number(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text)) return std::nullopt;
  return parse_byte_count(text);  // "max" (no limit) is not a number
}

// The least headroom (memory.max - memory.current) of the process's cgroup v2 and its
// ancestors; kUnlimited outside a limited cgroup.
std::uint64_t cgroup_headroom() {
  std::ifstream membership("/proc/self/cgroup");
  std::string line;
  std::uint64_t headroom = kUnlimited;
  while (std::getline(membership, line)) {
    if (!line.starts_with("0::")) continue;
    for (std::filesystem::path group = "/sys/fs/cgroup" + line.substr(3); group.has_relative_path();
         group = group.parent_path()) {
      const auto limit = read_number(group / "memory.max");
      const auto used = read_number(group / "memory.current");
      if (limit && used) headroom = std::min(headroom, *limit > *used ? *limit - *used : 0);
    }
  }
  return headroom;
}

}  // namespace

MemoryBudget memory_budget() {
  if (const char* text = std::getenv(kMemoryLimitVariable); text != nullptr && *text != '\0') {
    const auto bytes = parse_byte_count(text);
    PB_REQUIRE(bytes.has_value(), kMemoryLimitVariable, " must be a byte count such as 4096, 512M or 4G, got '", text,
               "'");
    return {*bytes, kMemoryLimitVariable};
  }
  const std::uint64_t available = available_memory(), headroom = cgroup_headroom();
  return headroom < available ? MemoryBudget{headroom, "cgroup memory.max"} : MemoryBudget{available, "MemAvailable"};
}

std::optional<std::uint64_t> checked_product(std::span<const std::uint64_t> extents) {
  // A zero extent makes the product zero even where the others overflow.
  if (std::find(extents.begin(), extents.end(), 0) != extents.end()) return 0;
  std::uint64_t product = 1;
  for (const std::uint64_t extent : extents) {
    if (product > kUnlimited / extent) return std::nullopt;
    product *= extent;
  }
  return product;
}

void require_memory(std::uint64_t count, std::uint64_t value_bytes, const std::string& what) {
  const MemoryBudget budget = memory_budget();
  const bool overflows = value_bytes != 0 && count > kUnlimited / value_bytes;
  const std::uint64_t bytes = overflows ? kUnlimited : count * value_bytes;
  const std::string source = budget.source == kMemoryLimitVariable
                                 ? budget.source
                                 : budget.source + "; " + kMemoryLimitVariable + " sets the limit";
  PB_REQUIRE(bytes <= budget.bytes, what, ": ", count, " values (", overflows ? "over 16 EiB" : byte_text(bytes),
             ") exceed the ", byte_text(budget.bytes), " of memory available (", source, ")");
}

void require_memory(std::initializer_list<std::uint64_t> extents, std::uint64_t value_bytes, const std::string& what) {
  const auto count = checked_product(std::span(extents.begin(), extents.size()));
  PB_REQUIRE(count.has_value(), what, ": more than 2^64 values exceed any memory");
  require_memory(*count, value_bytes, what);
}

std::string byte_text(std::uint64_t bytes) {
  constexpr std::array<const char*, 7> units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < units.size()) {
    value /= 1024;
    ++unit;
  }
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text.data();
}

}  // namespace priorbench
