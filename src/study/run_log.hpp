#pragma once
// The log of a study run: per-task warnings (a sampler that did not mix, a latent MAP start
// that failed, ...) go here instead of the terminal, which gets one summary at the end
// (app/run.cpp). Every rank appends whole lines to the same file, opened with O_APPEND so
// that each line lands in one write at the end of the file whatever the other ranks do; a
// resumed run appends to the log of the first. Without a path the lines go to stderr.

#include <cstdint>
#include <string>

namespace priorbench {

class RunLog {
 public:
  // `path` empty: stderr. The file is created if it does not exist and never truncated.
  explicit RunLog(std::string path);
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

  // Appends `line` and a newline in one write.
  void write(const std::string& line);
  const std::string& path() const { return path_; }
  std::int64_t lines() const { return lines_; }  // written by this object

 private:
  std::string path_;
  int descriptor_ = -1;
  std::int64_t lines_ = 0;
};

// The log next to a results file: results/NAME.h5 → results/NAME.warnings.log (not NAME.log,
// the name a shell redirection of the command's own output would likely take).
std::string log_path_for(const std::string& results_path);

}  // namespace priorbench
