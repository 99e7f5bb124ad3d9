#pragma once
// A wall-clock budget for a call that may never return and cannot be interrupted: running
// code from a user's file (a TorchScript model's methods, docs/model-format.md). Torch
// offers no way to cancel a running method, and a thread cannot be stopped safely from
// outside, so when the budget is spent the watchdog prints one error line and ends the
// whole process with exit status 1 (std::_Exit: no destructors or atexit handlers run,
// since the thread stuck in the call may hold any lock). Use it only where the process has
// nothing half-written: around loading and probing a model, before any output file exists.
// Under MPI the rank's exit without MPI_Finalize makes mpiexec/srun end the job, which is
// what a model that hangs every rank's probe calls for.
//
//   const Watchdog watchdog(budget, "model.pt: the contract probe did not return within 60 s ...");
//   ... the call ...
//   // leaving the scope disarms it

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace priorbench {

inline constexpr const char* kModelTimeoutVariable = "PRIORBENCH_MODEL_TIMEOUT";
inline constexpr double kDefaultModelTimeoutSeconds = 60;

// The budget for loading and probing a model file: $PRIORBENCH_MODEL_TIMEOUT seconds (a
// positive number; 0 means no limit), else 60 s. Throws priorbench::Error naming the
// variable when it is set to anything else.
std::optional<std::chrono::duration<double>> model_timeout();

class Watchdog {
 public:
  // No budget: does nothing. `message` is printed after "priorbench: error: " on rank 0.
  Watchdog(std::optional<std::chrono::duration<double>> budget, std::string message);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void watch(std::chrono::duration<double> budget);

  std::string message_;
  bool speaks_ = true;  // rank 0 (or no MPI) prints the message
  std::mutex mutex_;
  std::condition_variable disarmed_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace priorbench
