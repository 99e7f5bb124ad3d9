#pragma once
// One writer per output file. A command that writes a results file (run, merge) or a
// report directory first takes a lock file next to it, `TARGET.lock`, created with
// O_CREAT | O_EXCL (atomic on local file systems and on NFS v3+, Lustre and GPFS, where
// the shared results of a job array live) and holding who took it:
//
//   priorbench-lock-1
//   host=node17
//   pid=12345
//   started=2026-12-03T07:10:00Z
//   command=priorbench run studies/x.toml -o results/x.h5
//
// A second writer is refused with one line naming the first (host, PID, start time).
// HDF5's own file locking is not used for this: the MPI-IO driver of parallel HDF5 takes
// no lock, flock() does not reach across the nodes of most cluster file systems, and an
// flock cannot say who holds it.
//
// A lock whose holder is gone is stale. On the same host that is decidable (no process
// has the PID): the lock is taken over with a notice. A lock of another host is never
// broken: the message says which file to remove once that run is known to be gone.
// The lock is removed when its owner is destroyed (every exit path that unwinds the
// stack: success, error, exception), and only while the file is still the owner's. A lock
// may also be removed when SIGINT, SIGTERM or SIGHUP ends the process (Ctrl-C, scancel, a
// job's time limit), which unwinds nothing: OnTerminationSignal::remove_lock. The handler
// is installed before the lock can exist, and the lock is linked into place whole from a
// draft `TARGET.lock.new-PID`, so there is no instant at which a signal leaves it behind.

#include <mpi.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace priorbench {

struct LockHolder {
  std::string host;
  long pid = 0;
  std::string started;  // UTC, ISO 8601
  std::string command;
};

// `target` + ".lock"; for a directory given as "dir/", "." or "..", the lock beside it.
std::filesystem::path lock_path_for(const std::filesystem::path& target);

// This machine's host name.
std::string this_host();

// The holder recorded in `lock`, or nullopt when the file is not a complete priorbench lock.
std::optional<LockHolder> read_lock_holder(const std::filesystem::path& lock);

// True when `holder` is on this host and no process has its PID (it cannot be running).
bool is_stale(const LockHolder& holder);

// "PID 12345 on host node17 since 2026-12-03T07:10:00Z (priorbench run ...)".
std::string describe_holder(const LockHolder& holder);

enum class OnTerminationSignal { keep_lock, remove_lock };

class FileLock {
 public:
  using Notice = std::function<void(const std::string&)>;

  // Takes the lock of `target` for this process, taking over a stale one (told through
  // `notice`), or throws naming the holder. `user` names the command in messages
  // ("priorbench run"); `command` is recorded in the lock.
  // With `on_signal` = remove_lock, SIGINT, SIGTERM and SIGHUP first remove the lock (if
  // still ours) until it is destroyed, then go to the handlers installed before (PETSc's,
  // or the default: the process ends as it would have). One such lock per process at a
  // time: the run's results file.
  FileLock(std::filesystem::path target, std::string user, std::string command, const Notice& notice,
           OnTerminationSignal on_signal = OnTerminationSignal::keep_lock);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  const std::filesystem::path& path() const { return lock_; }

 private:
  void remove_on_termination_signals();
  void restore_signal_handlers();
  bool try_create();
  bool write_lock_file(const std::string& path, int mode);
  void take_over_stale(const LockHolder& holder, const Notice& notice);
  [[noreturn]] void refuse(const std::optional<LockHolder>& holder) const;

  std::filesystem::path target_;
  std::filesystem::path lock_;
  std::string user_;
  std::string draft_;  // TARGET.lock.new-PID: the lock is written here first
  std::string text_;   // what this process wrote: the lock is removed only while it still holds this
  bool held_ = false;
  bool signals_armed_ = false;
};

// Collective over `comm`: rank 0 takes the lock (notices printed on its stderr), every rank
// learns the outcome, and a refusal throws the same error on every rank. The lock lives
// on rank 0 (null elsewhere) and must outlive everything that writes `target`.
std::unique_ptr<FileLock> lock_on_rank0(const std::filesystem::path& target, const std::string& user,
                                        const std::string& command, MPI_Comm comm,
                                        OnTerminationSignal on_signal = OnTerminationSignal::keep_lock);

}  // namespace priorbench
