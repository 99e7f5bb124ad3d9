#pragma once
// Dynamic distribution of tasks over MPI ranks (DESIGN §4): a shared counter on rank 0,
// advanced with MPI_Fetch_and_op, hands the next pending task to whichever rank asks
// first. No rank is a dedicated master and none idles while work is left; the order in
// which tasks run does not affect any result (randomness is keyed by task id).

#include <mpi.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "study/tasks.hpp"

namespace priorbench {

// The pending tasks in the order they are handed out: longest expected first, so that the
// end of a run is not one long task on one rank while the others idle (with tasks taken
// in id order, the last ones were the small-σ tasks, the slowest). The expected cost is
// ranked, not estimated: smaller σ first (the latent MAP and the sampler take longer as
// the posterior narrows), then larger data size d; ties keep id order. The order changes
// no result: every random draw is keyed by task id.
std::vector<std::int64_t> longest_first(std::vector<std::int64_t> pending, const std::vector<Task>& tasks);

class TaskScheduler {
 public:
  // Collective. `pending` lists the task ids still to run, the same on every rank.
  TaskScheduler(MPI_Comm comm, std::vector<std::int64_t> pending);
  ~TaskScheduler();
  TaskScheduler(const TaskScheduler&) = delete;
  TaskScheduler& operator=(const TaskScheduler&) = delete;

  // The next task for this rank, or nothing when all are handed out.
  std::optional<std::int64_t> next();
  // Counts one task as finished and returns how many have finished on all ranks.
  std::int64_t finish_one();

 private:
  std::vector<std::int64_t> pending_;
  MPI_Win window_ = MPI_WIN_NULL;
  std::int64_t* counters_ = nullptr;  // on rank 0: [handed out, finished]
};

}  // namespace priorbench
