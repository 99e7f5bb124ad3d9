#include "study/task_scheduler.hpp"

#include <algorithm>

namespace priorbench {

std::vector<std::int64_t> longest_first(std::vector<std::int64_t> pending, const std::vector<Task>& tasks) {
  const auto cost_rank = [&tasks](std::int64_t id) {
    const Task& task = tasks.at(static_cast<std::size_t>(id));
    // d of a fourier acceleration R is about n/R: a smaller R is more data.
    const double size = task.acceleration > 0 ? 1.0 / task.acceleration : static_cast<double>(task.data_size);
    return std::make_pair(-task.sigma, size);
  };
  std::stable_sort(pending.begin(), pending.end(),
                   [&](std::int64_t a, std::int64_t b) { return cost_rank(a) > cost_rank(b); });
  return pending;
}

TaskScheduler::TaskScheduler(MPI_Comm comm, std::vector<std::int64_t> pending) : pending_(std::move(pending)) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const MPI_Aint size = rank == 0 ? static_cast<MPI_Aint>(2 * sizeof(std::int64_t)) : 0;
  MPI_Win_allocate(size, sizeof(std::int64_t), MPI_INFO_NULL, comm, &counters_, &window_);
  if (rank == 0) {
    MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, window_);
    counters_[0] = 0;
    counters_[1] = 0;
    MPI_Win_unlock(0, window_);
  }
  MPI_Barrier(comm);
}

TaskScheduler::~TaskScheduler() {
  if (window_ != MPI_WIN_NULL) MPI_Win_free(&window_);  // collective: every rank reaches it
}

std::optional<std::int64_t> TaskScheduler::next() {
  const std::int64_t one = 1;
  std::int64_t position = 0;
  MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, window_);
  MPI_Fetch_and_op(&one, &position, MPI_INT64_T, 0, 0, MPI_SUM, window_);
  MPI_Win_unlock(0, window_);
  if (position >= static_cast<std::int64_t>(pending_.size())) return std::nullopt;
  return pending_[static_cast<std::size_t>(position)];
}

std::int64_t TaskScheduler::finish_one() {
  const std::int64_t one = 1;
  std::int64_t finished = 0;
  MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, window_);
  MPI_Fetch_and_op(&one, &finished, MPI_INT64_T, 0, 1, MPI_SUM, window_);
  MPI_Win_unlock(0, window_);
  return finished + 1;
}

}  // namespace priorbench
