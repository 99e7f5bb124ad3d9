#pragma once
// Merging the results files of a sharded study (`priorbench run --shard I/N`, one file
// per shard) into one results file, refusing shards of different studies or code
// versions, a task done in two shards, or a task done in none.

#include <cstdint>
#include <string>
#include <vector>

namespace priorbench {

struct MergeSummary {
  std::int64_t tasks = 0;
  std::vector<std::int64_t> tasks_per_shard;
};

// Serial (call on one rank). `output` must not exist.
MergeSummary merge_results(const std::vector<std::string>& shards, const std::string& output);

}  // namespace priorbench
