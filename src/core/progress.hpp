#pragma once
// Progress of long work on rank 0: "label: 12/64 done, 3.1/s, 00:15 left". Quiet for
// work that finishes within `quiet_seconds`, and at most one line per `interval_seconds`,
// so short runs and tests print nothing.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace priorbench {

class Progress {
 public:
  Progress(std::string label, std::int64_t total, double quiet_seconds = 2.0, double interval_seconds = 5.0);
  // Marks `count` more items done and prints a line if one is due (rank 0 only).
  void advance(std::int64_t count = 1);
  // Prints the closing line if anything was printed before.
  void finish();

  std::int64_t done() const { return done_; }
  // "mm:ss" or "h:mm:ss".
  static std::string format_duration(double seconds);

 private:
  void print(std::ostream& out, double elapsed) const;

  std::string label_;
  std::int64_t total_;
  std::int64_t done_ = 0;
  double quiet_seconds_;
  double interval_seconds_;
  std::chrono::steady_clock::time_point start_;
  double last_print_ = -1;
  bool printed_ = false;
};

}  // namespace priorbench
