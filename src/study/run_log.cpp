#include "study/run_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "core/error.hpp"

namespace priorbench {

RunLog::RunLog(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  descriptor_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  PB_REQUIRE(descriptor_ >= 0, "cannot open the run log ", path_, ": ", std::strerror(errno));
}

RunLog::~RunLog() {
  if (descriptor_ >= 0) ::close(descriptor_);
}

void RunLog::write(const std::string& line) {
  ++lines_;
  if (descriptor_ < 0) {
    std::cerr << line << std::endl;
    return;
  }
  const std::string text = line + "\n";
  std::size_t written = 0;
  while (written < text.size()) {  // a regular file takes it in one write; a short write is finished
    const ssize_t count = ::write(descriptor_, text.data() + written, text.size() - written);
    if (count < 0 && errno == EINTR) continue;
    PB_REQUIRE(count > 0, "cannot write to the run log ", path_, ": ", std::strerror(errno));
    written += static_cast<std::size_t>(count);
  }
}

std::string log_path_for(const std::string& results_path) {
  return std::filesystem::path(results_path).replace_extension(".warnings.log").string();
}

}  // namespace priorbench
