#pragma once
// Reads a results file of `priorbench run` (formats `priorbench-study-2` and, from before
// task checksums, `priorbench-study-1`; layout in docs/results-format.md) into plain
// structs, serially. Anything else is refused with an error naming the file and the
// offending object (file.h5:/tasks/sigma). In a file of format 2, a task marked done whose
// rows do not give its checksum (core/task_checksum.hpp) is read as not done and listed in
// Results::damaged.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace priorbench::report {

inline constexpr const char* kResultsFormat = "priorbench-study-2";
inline constexpr const char* kResultsFormatV1 = "priorbench-study-1";  // no task checksums, no model SHA-256

// The task table, one entry per task (done or not).
struct TaskTable {
  std::vector<std::int64_t> truth_kind;  // index into Results::truth_kind_names
  std::vector<std::int64_t> truth_number;
  std::vector<std::int64_t> test_index;
  std::vector<std::int64_t> data_size;
  std::vector<double> sigma;
  std::vector<std::int64_t> replicate;
  std::vector<bool> done;
  std::vector<std::int64_t> rank;
  std::vector<double> seconds;
  std::vector<double> truth_norm;
  std::vector<double> range_distance;
  std::size_t size() const { return sigma.size(); }
};

// One metric for every task and method, row-major [task, method]; NaN where not computed.
struct MetricTable {
  std::size_t tasks = 0;
  std::size_t methods = 0;
  std::vector<double> values;
  double at(std::size_t task, std::size_t method) const { return values[task * methods + method]; }
};

// The saved reconstructions: S tasks, images H × W, row-major.
struct Reconstructions {
  std::vector<std::int64_t> task;      // [S]
  std::vector<double> truth;           // [S, H, W]
  std::vector<double> backprojection;  // [S, H, W]
  std::vector<double> mean;            // [S, M, H, W]
  std::vector<double> std;             // [S, M, H, W]
  std::size_t size() const { return task.size(); }
};

// Whether the source tree of the build that wrote the file had uncommitted changes: the
// root attribute `git_dirty` ("true"/"false"), or for files written before it existed the
// `-dirty` suffix of `git_version` (dirty), else unknown.
enum class SourceTree { clean, dirty, unknown };
const char* source_tree_name(SourceTree tree);

struct Results {
  std::string path;
  std::string format;                 // kResultsFormat or kResultsFormatV1
  std::string model_sha256;           // "" when not recorded (format 1, or a study without a model)
  bool checksums_recorded = false;    // format 2: done tasks were verified against their checksums
  std::vector<std::int64_t> damaged;  // marked done, rows not matching the checksum: read as not done
  std::string study_name;
  std::string study_hash;
  std::string study_text;
  std::string priorbench_version;
  std::string git_version;
  std::string libraries;
  SourceTree source_tree = SourceTree::unknown;
  bool source_tree_recorded = false;  // from `git_dirty` rather than inferred
  std::string operator_name;          // `operator` attribute of /reconstructions ("" if absent)
  std::int64_t height = 0;
  std::int64_t width = 0;
  std::vector<std::string> methods;       // labels, in column order
  std::vector<std::string> method_kinds;  // `name` attribute of /methods/LABEL ("" if absent)
  // `model` attribute of /methods/LABEL: "models.NAME" for a method of [models.NAME]; ""
  // for [model] (attribute "model"), for methods without a generator, and in files of one
  // model
  std::vector<std::string> method_models;
  std::vector<std::string> truth_kind_names;
  TaskTable tasks;
  std::map<std::string, MetricTable> metrics;
  Reconstructions reconstructions;

  std::size_t done_count() const;
  std::size_t pending_count() const { return tasks.size() - done_count(); }
  bool has_metric(const std::string& name) const { return metrics.count(name) > 0; }
  // The metric table `name`; an error naming the file if the file has none.
  const MetricTable& metric(const std::string& name) const;
  std::string truth_kind_name(std::int64_t kind) const;
};

// Reads everything, reconstructions included when `with_reconstructions`.
Results read_results(const std::string& path, bool with_reconstructions = true);

}  // namespace priorbench::report
