#pragma once
// Running other programs (sbatch, squeue, python3) without a shell, so no argument is
// ever re-split or expanded.

#include <filesystem>
#include <string>
#include <vector>

namespace priorbench {

// How a child's standard output and error are handled.
enum class ChildOutput {
  inherit,  // shared with this process
  discard,  // sent to /dev/null
  capture,  // returned in ProgramResult
};

struct ProgramResult {
  int status = -1;  // exit status; -1 when the program could not start or was killed by a signal
  bool started = false;
  std::string output;  // captured standard output
  std::string errors;  // captured standard error
};

// Runs `arguments` (arguments[0] is the program, looked up in PATH when it has no '/')
// and waits for it.
ProgramResult run_program(const std::vector<std::string>& arguments, ChildOutput mode = ChildOutput::inherit);

// The absolute path of the running executable (/proc/self/exe), empty if unknown.
std::filesystem::path executable_path();

}  // namespace priorbench
