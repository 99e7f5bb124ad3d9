#include "core/progress.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>

#include "core/session.hpp"

namespace priorbench {

Progress::Progress(std::string label, std::int64_t total, double quiet_seconds, double interval_seconds)
    : label_(std::move(label)),
      total_(total),
      quiet_seconds_(quiet_seconds),
      interval_seconds_(interval_seconds),
      start_(std::chrono::steady_clock::now()) {}

void Progress::advance(std::int64_t count) {
  done_ += count;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const bool due = elapsed >= quiet_seconds_ && (last_print_ < 0 || elapsed - last_print_ >= interval_seconds_);
  if (due && world_rank() == 0) {
    print(std::cout, elapsed);
    last_print_ = elapsed;
    printed_ = true;
  }
}

void Progress::finish() {
  if (printed_ && world_rank() == 0) {
    print(std::cout, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
}

std::string Progress::format_duration(double seconds) {
  const auto total = static_cast<long>(std::lround(std::max(0.0, seconds)));
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", total / 3600, (total / 60) % 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%02ld:%02ld", total / 60, total % 60);
  }
  return text;
}

void Progress::print(std::ostream& out, double elapsed) const {
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const double left = rate > 0 ? static_cast<double>(total_ - done_) / rate : 0.0;
  char rate_text[32];
  std::snprintf(rate_text, sizeof rate_text, "%.3g", rate);
  out << label_ << ": " << done_ << "/" << total_ << " done, " << rate_text << "/s, "
      << (done_ >= total_ ? format_duration(elapsed) + " total" : format_duration(left) + " left") << std::endl;
}

}  // namespace priorbench
