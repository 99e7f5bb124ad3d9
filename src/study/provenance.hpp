#pragma once
// Where results come from. Files under a `results/` directory are the evidence the README
// and the committed reports quote, so they must be reproducible from a commit: `priorbench
// run` refuses to write one from a build of a dirty (or unknown) source tree unless told
// otherwise (--allow-dirty), and every results file records the state of the tree
// (attribute `git_dirty`: "true", "false" or "unknown").

#include <filesystem>
#include <string>

namespace priorbench {

// "true", "false" or "unknown" for a tree state "dirty", "clean" or anything else.
std::string git_dirty_attribute(const std::string& tree_state);

// True when a component of the absolute, normalized `output` path is named `results`.
bool is_under_results_directory(const std::filesystem::path& output);

// Fails with a one-line message when `output` is under results/, the tree state is not
// "clean" and `allow_dirty` is not set.
void require_reproducible_output(const std::filesystem::path& output, const std::string& tree_state,
                                 const std::string& version, bool allow_dirty);

// The state recorded by a merge of shards: "true" if any shard was dirty, else "unknown"
// if any was not recorded as clean, else "false".
std::string merged_git_dirty(const std::string& merged_so_far, const std::string& shard);

}  // namespace priorbench
