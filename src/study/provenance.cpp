#include "study/provenance.hpp"

#include "core/error.hpp"

namespace priorbench {

std::string git_dirty_attribute(const std::string& tree_state) {
  if (tree_state == "dirty") return "true";
  if (tree_state == "clean") return "false";
  return "unknown";
}

bool is_under_results_directory(const std::filesystem::path& output) {
  const std::filesystem::path absolute = std::filesystem::absolute(output).lexically_normal();
  for (auto part = absolute.begin(); part != absolute.end(); ++part) {
    if (*part == "results" && std::next(part) != absolute.end()) return true;
  }
  return false;
}

void require_reproducible_output(const std::filesystem::path& output, const std::string& tree_state,
                                 const std::string& version, bool allow_dirty) {
  if (allow_dirty || tree_state == "clean" || !is_under_results_directory(output)) return;
  PB_FAIL("-o ", output.string(), ": this priorbench was built from a ", tree_state == "dirty" ? "dirty" : "unknown",
          " source tree (", version, "); files under results/ must come from a clean commit: commit and rebuild, ",
          "write elsewhere, or pass --allow-dirty");
}

std::string merged_git_dirty(const std::string& merged_so_far, const std::string& shard) {
  if (merged_so_far == "true" || shard == "true") return "true";
  if (merged_so_far == "false" && shard == "false") return "false";
  return "unknown";
}

}  // namespace priorbench
