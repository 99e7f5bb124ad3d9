#pragma once
// The completion record of a task in a results file (format priorbench-study-2,
// docs/results-format.md): `/tasks/checksum[t]`, written after all of task t's rows and
// before `/tasks/done[t]`, is a checksum of those rows. A task counts as complete only when
// it is marked done AND its rows still give its checksum, so a file damaged by a full
// disk, a killed copy or a flipped byte is never read as valid: `run` runs such a task
// again, `merge` refuses the shard, `report` leaves the task out and says so.
//
// It lives in core because both sides of the stack compute it: the writer and `merge`
// (study) and the report's reader (report, which links core only); one definition keeps
// them in agreement.
//
// What is hashed, in this order (integers as little-endian int64, reals as little-endian
// IEEE doubles with every NaN written as the quiet NaN 0x7ff8000000000000):
//   task id; /tasks truth_kind, truth_number, test_index, replicate, sigma, data_size,
//   rank, seconds, truth_norm, range_distance at row t;
//   row t of every /metrics dataset the file has, datasets by name in ascending byte order;
//   when the task is saved (row s of /reconstructions/task holds t): row s of truth,
//   backprojection, zero_filled, sampling, mean, std, those the file has, in that order.
// The checksum is the SHA-256 of those bytes, its first 8 bytes read as a little-endian
// unsigned integer; 0 (the fill value: no record) is never a checksum (it becomes 1).

#include <hdf5.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace priorbench {

// The datasets under /reconstructions whose rows the checksum of a saved task covers, in
// the order hashed.
const std::vector<std::string>& checksummed_image_datasets();

// One task's rows, as the writer has them in memory or the reader finds them in the file.
struct TaskRows {
  std::int64_t task = 0;
  std::int64_t truth_kind = 0, truth_number = 0, test_index = 0, replicate = 0;
  double sigma = 0;
  std::int64_t data_size = 0, rank = 0;
  double seconds = 0, truth_norm = 0, range_distance = 0;
  std::vector<std::span<const double>> metric_rows;  // one per /metrics dataset, by name ascending
  std::vector<std::span<const double>> image_rows;   // saved tasks: checksummed_image_datasets() present
};

std::uint64_t task_checksum(const TaskRows& rows);

// What the completion records of a results file say.
struct TaskIntegrity {
  std::vector<bool> complete;         // per task: done, and its rows give its checksum
  std::vector<std::int64_t> damaged;  // tasks marked done whose rows do not give their checksum
};

// Reads the whole file (results files are small: rows of numbers per task) and checks
// the checksum of every task marked done. The file must have /tasks/checksum (format
// priorbench-study-2); a dataset of the wrong shape or type is an error naming it.
TaskIntegrity verify_task_checksums(hid_t file);

// "3, 17, 42" (the first `limit`, then "and N more"), for messages.
std::string task_list_text(const std::vector<std::int64_t>& tasks, std::size_t limit = 8);

}  // namespace priorbench
