#pragma once
// What every harness shares (docs/fuzzing.md): a scratch directory for the files the
// readers open, the memory limit libFuzzer allows, and the rule that decides what a
// finding is. A reader given any bytes must either succeed or throw priorbench::Error
// with a one-line message; anything else — another exception (std::bad_alloc,
// std::length_error), a crash, a sanitizer report, a leak, a hang or an allocation
// beyond libFuzzer's -malloc_limit_mb — is a bug in the reader.

#include <cstdint>
#include <exception>
#include <span>
#include <string>

#include "core/error.hpp"

namespace priorbench::fuzz {

// Once per process (LLVMFuzzerInitialize): silences HDF5's and nifticlib's own error
// printing (every failure is reported as priorbench::Error) and sets
// PRIORBENCH_MEMORY_LIMIT to 64 MiB, well inside libFuzzer's default 2 GiB RSS limit,
// so the readers' limits-before-allocation checks answer before libFuzzer's do.
void initialize_process();

// Also initializes MPI and PETSc (PETSC_COMM_SELF), for harnesses whose reader builds
// PETSc objects or writes parallel HDF5; they stay initialized until the process ends.
void initialize_process_with_petsc();

// A file named `name` in this process's scratch directory (on /dev/shm when it exists),
// holding `bytes`; returns its path. Later calls overwrite it.
std::string write_scratch_file(const std::string& name, std::span<const std::uint8_t> bytes);
std::string write_scratch_file(const std::string& name, const std::string& text);
// A path in the scratch directory, removed if present.
std::string scratch_path(const std::string& name);

// Prints `what` and aborts: libFuzzer records the input as a crash.
[[noreturn]] void fail(const std::string& what);

// Runs `read`; a priorbench::Error with a one-line message is the expected refusal.
// Any other exception, an empty message or one with a line break is a finding.
template <class Read>
void expect_success_or_error(Read&& read) {
  try {
    read();
  } catch (const Error& error) {
    const std::string message = error.what();
    if (message.empty() || message.find('\n') != std::string::npos) {
      fail("a reader's error message is not one line: '" + message + "'");
    }
  } catch (const std::exception& error) {
    fail(std::string("a reader threw a non-priorbench exception: ") + error.what());
  }
}

}  // namespace priorbench::fuzz
