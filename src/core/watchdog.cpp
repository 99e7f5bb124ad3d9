#include "core/watchdog.hpp"

#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/error.hpp"

namespace priorbench {

std::optional<std::chrono::duration<double>> model_timeout() {
  const char* text = std::getenv(kModelTimeoutVariable);
  if (text == nullptr || *text == '\0') return std::chrono::duration<double>(kDefaultModelTimeoutSeconds);
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  PB_REQUIRE(*end == '\0' && std::isfinite(seconds) && seconds >= 0 && seconds <= 1e7, kModelTimeoutVariable,
             " must be a number of seconds in [0, 1e7] (0: no limit), got '", text, "'");
  if (seconds == 0) return std::nullopt;
  return std::chrono::duration<double>(seconds);
}

Watchdog::Watchdog(std::optional<std::chrono::duration<double>> budget, std::string message)
    : message_(one_line(message)) {
  if (!budget) return;
  // The rank is asked here, on the calling thread: MPI may not be called from the watchdog's.
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    speaks_ = rank == 0;
  }
  thread_ = std::thread([this, limit = *budget] { watch(limit); });
}

Watchdog::~Watchdog() {
  if (!thread_.joinable()) return;
  {
    const std::lock_guard lock(mutex_);
    done_ = true;
  }
  disarmed_.notify_one();
  thread_.join();
}

void Watchdog::watch(std::chrono::duration<double> budget) {
  std::unique_lock lock(mutex_);
  if (disarmed_.wait_for(lock, budget, [this] { return done_; })) return;
  if (speaks_) std::fprintf(stderr, "priorbench: error: %s\n", message_.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

}  // namespace priorbench
