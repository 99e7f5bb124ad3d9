#pragma once
// Merging the results files of a sharded study (`priorbench run --shard I/N`, one file
// per shard) into one results file, refusing shards of different studies or code
// versions, a task done in two shards, or a task done in none.

#include <cstdint>
#include <string>
#include <vector>

#include "study/study_spec.hpp"

namespace priorbench {

struct MergeSummary {
  std::int64_t tasks = 0;
  std::vector<std::int64_t> tasks_per_shard;
  std::string code;       // the shards' git_version
  std::string git_dirty;  // recorded in the merged file: "true" if any shard's tree was dirty (study/provenance.hpp)
};

// Serial (call on one rank). `output` must not exist. The merged file is written under a
// temporary name (AtomicFile) and moved to `output` only when complete and only if no
// `output` appeared meanwhile, so a failed merge leaves nothing behind and replaces nothing.
// A task done in no shard is reported by the shard it belongs to (shard files record
// "I/N" in their `shard` attribute): "shard 1/2 (FILE) is incomplete: 3 of 18 tasks done".
// Shards must be of format kResultsFormat with every task marked done passing its checksum,
// all made with the same model (model_sha256). The output and every shard are locked
// (core/run_lock.hpp) while the merge works; `command` is recorded in the locks.
MergeSummary merge_results(const std::vector<std::string>& shards, const std::string& output,
                           const std::string& command = "priorbench merge");

// How far a results file has come with the tasks of shard I/N of `study` (the whole study
// for 0/1): for `priorbench submit`, which skips finished shards and reports failed ones.
struct ResultsProgress {
  bool exists = false;
  std::int64_t done = 0;      // tasks of the shard done in the file
  std::int64_t expected = 0;  // tasks in the shard
  bool complete() const { return exists && done == expected; }
};
// Throws when the file exists but is not a results file of this study.
ResultsProgress read_results_progress(const std::string& path, const StudySpec& study, int shard_index = 0,
                                      int shard_count = 1);

}  // namespace priorbench
