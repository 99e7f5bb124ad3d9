#include "core/run_lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/error.hpp"
#include "core/session.hpp"

namespace priorbench {
namespace {

constexpr const char* kLockFormat = "priorbench-lock-1";
constexpr std::size_t kMaxLockBytes = 64 * 1024;  // a lock is a few lines; anything larger is not one

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// The whole file, or nullopt when it cannot be read or is larger than any lock.
std::optional<std::string> read_small_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(kMaxLockBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad() || static_cast<std::size_t>(in.gcount()) > kMaxLockBytes) return std::nullopt;
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

std::string lock_text(const LockHolder& holder) {
  return std::string(kLockFormat) + "\nhost=" + holder.host + "\npid=" + std::to_string(holder.pid) +
         "\nstarted=" + holder.started + "\ncommand=" + one_line(holder.command) + "\n";
}

bool same_holder(const LockHolder& a, const LockHolder& b) {
  return a.host == b.host && a.pid == b.pid && a.started == b.started;
}

// What the signal handler needs, in memory it may read: a signal handler can call only
// async-signal-safe functions (open, read, close, unlink, sigaction, raise), no allocation.
struct SignalLock {
  char path[PATH_MAX] = {};
  char draft[PATH_MAX] = {};
  char text[8192] = {};
  std::size_t length = 0;
  struct sigaction previous[3] = {};
};
SignalLock g_signal_lock;
volatile sig_atomic_t g_signal_armed = 0;
constexpr int kTerminationSignals[3] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void remove_lock_on_signal(int signal) {
  if (g_signal_armed) {
    g_signal_armed = 0;
    ::unlink(g_signal_lock.draft);  // named by our PID: never anyone else's
    char current[sizeof g_signal_lock.text + 1];
    const int descriptor = ::open(g_signal_lock.path, O_RDONLY | O_CLOEXEC);
    if (descriptor >= 0) {
      const ssize_t length = ::read(descriptor, current, sizeof current);
      ::close(descriptor);
      if (length == static_cast<ssize_t>(g_signal_lock.length) &&
          std::memcmp(current, g_signal_lock.text, g_signal_lock.length) == 0) {
        ::unlink(g_signal_lock.path);
      }
    }
  }
  for (std::size_t i = 0; i < 3; ++i) {
    if (kTerminationSignals[i] == signal) ::sigaction(signal, &g_signal_lock.previous[i], nullptr);
  }
  ::raise(signal);  // delivered once this handler returns, to the handler of before
}

}  // namespace

std::filesystem::path lock_path_for(const std::filesystem::path& target) {
  // A directory named "dir/", "." or ".." is locked beside it, as "dir.lock", never inside.
  std::filesystem::path named = target;
  if (named.filename().empty()) named = named.parent_path();
  if (named.filename() == "." || named.filename() == "..") named = std::filesystem::weakly_canonical(named);
  return std::filesystem::path(named.string() + ".lock");
}

std::string this_host() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "unknown-host";
  return name;
}

std::optional<LockHolder> read_lock_holder(const std::filesystem::path& lock) {
  const std::optional<std::string> text = read_small_file(lock);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string line;
  if (!std::getline(in, line) || line != kLockFormat) return std::nullopt;
  LockHolder holder;
  bool has_pid = false, has_started = false;
  while (std::getline(in, line)) {
    const auto equals = line.find('=');
    if (equals == std::string::npos) return std::nullopt;
    const std::string key = line.substr(0, equals), value = line.substr(equals + 1);
    if (key == "host") {
      holder.host = value;
    } else if (key == "pid") {
      char* end = nullptr;
      errno = 0;
      holder.pid = std::strtol(value.c_str(), &end, 10);
      has_pid = errno == 0 && !value.empty() && *end == '\0' && holder.pid > 0;
    } else if (key == "started") {
      holder.started = value;
      has_started = !value.empty();
    } else if (key == "command") {
      holder.command = value;
    }
  }
  if (holder.host.empty() || !has_pid || !has_started) return std::nullopt;
  return holder;
}

bool is_stale(const LockHolder& holder) {
  if (holder.host != this_host() || holder.pid <= 0 || holder.pid > INT_MAX) return false;
  // kill with signal 0 only asks whether the process exists: EPERM means it does (another user's).
  return ::kill(static_cast<pid_t>(holder.pid), 0) != 0 && errno == ESRCH;
}

std::string describe_holder(const LockHolder& holder) {
  const bool here = holder.host == this_host();
  return "PID " + std::to_string(holder.pid) +
         (here ? " on this host (" + holder.host + ")" : " on host " + holder.host) + " since " + holder.started;
}

FileLock::FileLock(std::filesystem::path target, std::string user, std::string command, const Notice& notice,
                   OnTerminationSignal on_signal)
    : target_(std::move(target)), lock_(lock_path_for(target_)), user_(std::move(user)) {
  text_ = lock_text({this_host(), static_cast<long>(::getpid()), utc_now(), std::move(command)});
  draft_ = lock_.string() + ".new-" + std::to_string(::getpid());
  // The handler is in place before the lock can exist, and the lock appears whole (written
  // as a draft, then linked): a termination signal at any instant removes what is ours.
  if (on_signal == OnTerminationSignal::remove_lock) remove_on_termination_signals();
  try {
    // A few rounds: a lock can vanish or be taken over between our attempts.
    for (int attempt = 0; attempt < 4; ++attempt) {
      if (try_create()) return;
      const std::optional<LockHolder> holder = read_lock_holder(lock_);
      if (!holder) {
        if (!std::filesystem::exists(lock_)) continue;  // released meanwhile
        refuse(std::nullopt);
      }
      if (!is_stale(*holder)) refuse(holder);
      take_over_stale(*holder, notice);
    }
    refuse(read_lock_holder(lock_));
  } catch (...) {
    restore_signal_handlers();  // no destructor runs for a constructor that throws
    throw;
  }
}

void FileLock::remove_on_termination_signals() {
  const std::string path = lock_.string();
  if (g_signal_armed || draft_.size() >= sizeof g_signal_lock.draft || text_.size() > sizeof g_signal_lock.text) {
    return;  // a second lock, or one too long for the handler's memory: removed by its owner only
  }
  std::memcpy(g_signal_lock.path, path.c_str(), path.size() + 1);
  std::memcpy(g_signal_lock.draft, draft_.c_str(), draft_.size() + 1);
  std::memcpy(g_signal_lock.text, text_.data(), text_.size());
  g_signal_lock.length = text_.size();
  struct sigaction action = {};
  action.sa_handler = remove_lock_on_signal;
  sigemptyset(&action.sa_mask);
  for (std::size_t i = 0; i < 3; ++i) ::sigaction(kTerminationSignals[i], &action, &g_signal_lock.previous[i]);
  g_signal_armed = 1;
  signals_armed_ = true;
}

void FileLock::restore_signal_handlers() {
  if (!signals_armed_) return;
  g_signal_armed = 0;
  for (std::size_t i = 0; i < 3; ++i) ::sigaction(kTerminationSignals[i], &g_signal_lock.previous[i], nullptr);
  signals_armed_ = false;
}

FileLock::~FileLock() {
  // Only our own lock: if someone removed it by hand and another run took it, it stays theirs.
  if (held_ && read_small_file(lock_) == text_) ::unlink(lock_.c_str());
  restore_signal_handlers();  // after: a signal until here still finds the handler
}

// Writes the lock under a name of our own, then links it to the lock's name: link() is
// atomic and fails if the lock exists, and the lock never exists half-written, so every
// reader and the signal handler see all of it. File systems without hard links get the
// lock created in place with O_EXCL (a signal while it is written leaves it behind).
bool FileLock::try_create() {
  write_lock_file(draft_, O_TRUNC);
  const bool linked = ::link(draft_.c_str(), lock_.c_str()) == 0;
  const int code = errno;
  ::unlink(draft_.c_str());
  if (linked) {
    held_ = true;  // from here the destructor removes it
    return true;
  }
  if (code == EEXIST) return false;
  PB_REQUIRE(code == EPERM || code == ENOTSUP || code == EOPNOTSUPP, user_, ": cannot create the lock file ",
             lock_.string(), " of ", target_.string(), ": ", std::strerror(code));
  if (!write_lock_file(lock_.string(), O_EXCL)) return false;
  held_ = true;
  return true;
}

// Writes text_ to `path` (opened with O_CREAT | `mode`); false when O_EXCL finds it exists.
bool FileLock::write_lock_file(const std::string& path, int mode) {
  const int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | mode | O_CLOEXEC, 0644);
  if (descriptor < 0) {
    PB_REQUIRE(errno == EEXIST && (mode & O_EXCL), user_, ": cannot create the lock file ", path, " of ",
               target_.string(), ": ", std::strerror(errno));
    return false;
  }
  const bool written =
      ::write(descriptor, text_.data(), text_.size()) == static_cast<ssize_t>(text_.size()) && ::fsync(descriptor) == 0;
  const int code = errno;
  ::close(descriptor);
  if (!written) {
    ::unlink(path.c_str());
    PB_FAIL(user_, ": cannot write the lock file ", path, ": ", std::strerror(code));
  }
  return true;
}

// Moves the stale lock aside under a name of our own (rename is atomic: of two runs taking
// over the same lock, one moves it), checks that what moved is the lock judged stale, and
// puts it back otherwise (it was a live lock that another run had just taken).
void FileLock::take_over_stale(const LockHolder& holder, const Notice& notice) {
  const std::filesystem::path aside(lock_.string() + ".stale-" + std::to_string(::getpid()));
  if (::rename(lock_.c_str(), aside.c_str()) != 0) {
    PB_REQUIRE(errno == ENOENT, user_, ": cannot move the stale lock ", lock_.string(),
               " aside: ", std::strerror(errno));
    return;  // someone else removed it first; try again
  }
  const std::optional<LockHolder> moved = read_lock_holder(aside);
  if (moved && same_holder(*moved, holder)) {
    ::unlink(aside.c_str());
    if (notice) {
      notice(user_ + ": taking over the stale lock " + lock_.string() + " of " + describe_holder(holder) +
             ", which is no longer running");
    }
    return;
  }
  const bool restored = ::link(aside.c_str(), lock_.c_str()) == 0;
  ::unlink(aside.c_str());
  PB_REQUIRE(restored || errno == EEXIST, user_, ": cannot restore the lock ", lock_.string(), ": ",
             std::strerror(errno));
  refuse(moved);
}

void FileLock::refuse(const std::optional<LockHolder>& holder) const {
  if (!holder) {
    PB_FAIL(user_, ": ", lock_.string(), " exists but is not a complete priorbench lock; if no priorbench command is ",
            "writing ", target_.string(), ", remove ", lock_.string(), " and try again");
  }
  if (holder->host == this_host()) {
    PB_FAIL(user_, ": ", target_.string(), " is in use by ", describe_holder(*holder), " (lock ", lock_.string(),
            "); wait for it to finish or stop it");
  }
  PB_FAIL(user_, ": ", target_.string(), " is in use by ", describe_holder(*holder), " (lock ", lock_.string(),
          "); a lock of another host is never broken: once that run has ended, remove ", lock_.string());
}

std::unique_ptr<FileLock> lock_on_rank0(const std::filesystem::path& target, const std::string& user,
                                        const std::string& command, MPI_Comm comm, OnTerminationSignal on_signal) {
  std::unique_ptr<FileLock> lock;
  run_on_rank0(comm, [&] {
    lock = std::make_unique<FileLock>(
        target, user, command, [](const std::string& line) { std::cerr << line << std::endl; }, on_signal);
  });
  return lock;
}

}  // namespace priorbench
