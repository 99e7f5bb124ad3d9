#pragma once
// The results file of a study run (layout: docs/results-format.md), written with
// parallel HDF5. Creating or opening it is collective; recording a task is independent
// (any rank, any time), and touches only raw data allocated at creation, so a killed run
// leaves a readable file whose /tasks/done says exactly which tasks are complete.

#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/hdf5.hpp"
#include "core/image_shape.hpp"
#include "core/task_checksum.hpp"
#include "study/study_spec.hpp"
#include "study/tasks.hpp"

namespace priorbench {

// The format `run` and `merge` write: per-task completion records (core/task_checksum.hpp)
// and the model's SHA-256. Files of the first format are still read (report, submit) but
// neither resumed nor merged: they carry no record to verify.
inline constexpr const char* kResultsFormat = "priorbench-study-2";
inline constexpr const char* kResultsFormatV1 = "priorbench-study-1";

inline const std::vector<std::string>& result_metric_names() {
  static const std::vector<std::string> names = {
      "relative_error", "psnr", "expected_squared_error", "coverage_95", "mean_interval_width", "seconds", "iterations",
      "forward_applications", "adjoint_applications", "decoder_passes", "converged", "std_exact", "max_rhat",
      "min_ess_bulk",
      // the sampler's contract (issue 13)
      "min_ess_tail", "divergences", "ess_per_second",
      // uncertainty and the range/null split (issue 14)
      "coverage_50", "coverage_90", "mean_interval_width_50", "mean_interval_width_90", "interval_score_50",
      "interval_score_90", "interval_score_95", "crps", "range_error", "null_error", "split_iterations",
      "split_ksp_reason", "latent_credible_level",
      // the truth's distance to the range of the method's own generator (issue 15)
      "range_distance"};
  return names;
}

// Metrics added after the first results files were written: a file being resumed or
// merged may lack them, and then they are not recorded in it (NaN when merged).
inline bool is_late_metric(const std::string& name) {
  static const std::set<std::string> late = {"max_rhat",
                                             "min_ess_bulk",
                                             "min_ess_tail",
                                             "divergences",
                                             "ess_per_second",
                                             "coverage_50",
                                             "coverage_90",
                                             "mean_interval_width_50",
                                             "mean_interval_width_90",
                                             "interval_score_50",
                                             "interval_score_90",
                                             "interval_score_95",
                                             "crps",
                                             "range_error",
                                             "null_error",
                                             "split_iterations",
                                             "split_ksp_reason",
                                             "latent_credible_level",
                                             "range_distance"};
  return late.count(name) > 0;
}

// One task's record: per-method metrics (by name, in method order) and its images.
struct TaskRecord {
  std::int64_t task = 0;
  std::int64_t data_size = 0;
  double seconds = 0;
  double truth_norm = 0;
  double range_distance = 0;
  std::map<std::string, std::vector<double>> metrics;  // name → one value per method
  // Saved tasks only (ResultsFile::is_saved): x†, Aᵀy, and per method mean and std (each H·W, NaN std if none);
  // A⁺y and the operator's sampling pattern (ForwardOperator), empty when it has none.
  std::vector<double> truth, backprojection, zero_filled, sampling;
  std::vector<std::vector<double>> means, stds;
};

// What an existing results file holds for a resume, checked serially (on one rank) before
// it is opened by all: its format is kResultsFormat, it belongs to `study`, it was made
// with the model of SHA-256 `model_sha256` ("" for a study without a model), and which
// tasks are complete by their completion records. Anything else is a one-line error naming
// the file and what differs; nothing is written.
struct ResumeState {
  std::vector<bool> complete;         // per task
  std::vector<std::int64_t> damaged;  // marked done, rows not matching their checksum: to run again
};
ResumeState check_resumable(const std::string& path, const StudySpec& study, const std::string& model_sha256);

class ResultsFile {
 public:
  // Collective. Creates `path`, or opens it to resume when it exists (check_resumable on
  // rank 0, every rank learning the outcome). `provenance` becomes root attributes of a new
  // file; its `model_sha256` must match the one of a resumed file.
  ResultsFile(const std::string& path, const StudySpec& study, const std::vector<Task>& tasks, ImageShape shape,
              MPI_Comm comm, const std::map<std::string, std::string>& provenance);
  ~ResultsFile();
  ResultsFile(const ResultsFile&) = delete;
  ResultsFile& operator=(const ResultsFile&) = delete;

  // Tasks already complete in the file (all of them false for a new file).
  const std::vector<bool>& done() const { return done_; }
  // Tasks marked done whose rows fail their checksum: not in done(), so they run again.
  const std::vector<std::int64_t>& damaged() const { return damaged_; }
  bool resumed() const { return resumed_; }
  // The tasks whose images are saved (ascending ids), one row of /reconstructions each.
  const std::vector<std::int64_t>& saved_task_ids() const { return saved_ids_; }
  bool is_saved(std::int64_t task) const { return saved_slot(task) >= 0; }

  // Independent: writes one task's record, then its checksum, then `done`. Any rank.
  void record(const TaskRecord& record, int rank);

 private:
  void open_existing(const std::map<std::string, std::string>& provenance);
  void create(const StudySpec& study, const std::vector<Task>& tasks, ImageShape shape,
              const std::map<std::string, std::string>& provenance);
  void open_datasets();
  void mark_dirty_if_resumed_dirty(const std::map<std::string, std::string>& provenance);
  void write_row(const std::string& dataset, std::int64_t row, const double* values, std::size_t count);
  void write_metrics(const TaskRecord& record, TaskRows& rows, std::vector<std::vector<double>>& storage);
  void write_images(const TaskRecord& record, TaskRows& rows, std::vector<std::vector<double>>& storage);
  // The row of /reconstructions holding `task`, or −1.
  std::int64_t saved_slot(std::int64_t task) const;

  std::string path_;
  MPI_Comm comm_;
  h5::Object file_;
  std::map<std::string, h5::Object> datasets_;
  std::vector<std::string> file_metrics_;  // every /metrics dataset of the file, by name: what a checksum covers
  std::vector<Task> tasks_;
  std::vector<bool> done_;
  std::vector<std::int64_t> damaged_;
  bool resumed_ = false;
  std::int64_t task_count_ = 0;
  std::int64_t method_count_ = 0;
  std::vector<std::int64_t> saved_ids_;
  ImageShape shape_;
};

// The `count` tasks whose images a new results file saves: taken in turn from each truth
// kind (kinds in study order, each kind's tasks in id order), so a study of test and
// generated truths shows both; ascending ids. Files written before this saved the first
// `count` tasks; /reconstructions/task says which.
std::vector<std::int64_t> saved_task_ids(const std::vector<Task>& tasks, std::int64_t count);

// A string attribute of a results file (fixed-length, as parallel HDF5 writes them, or
// variable-length).
std::string read_text_attribute(hid_t location, const std::string& name);

// FNV-1a 64-bit, as 16 hex digits: identifies a study text.
std::string study_hash(const std::string& text);

}  // namespace priorbench
