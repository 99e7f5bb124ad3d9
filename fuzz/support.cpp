#include "support.hpp"

#include <hdf5.h>
#include <nifti2_io.h>
#include <sanitizer/lsan_interface.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/memory_budget.hpp"
#include "core/session.hpp"

namespace priorbench::fuzz {
namespace {

// Per process, so parallel fuzzers (-jobs, -fork) never share a file.
const std::filesystem::path& scratch_directory() {
  static const std::filesystem::path directory = [] {
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    auto path = base / ("priorbench-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  return directory;
}

void remove_scratch_directory() {
  std::error_code ignored;
  std::filesystem::remove_all(scratch_directory(), ignored);
}

}  // namespace

void initialize_process() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  // HDF5 keeps freed structures on free lists up to a limit; above it (its metadata cache
  // is several MiB) every file open mallocs and clears fresh memory, which under ASan
  // means fresh pages: higher limits make a harness ten times faster.
  constexpr int kMiB = 1 << 20;
  H5set_free_list_limits(64 * kMiB, 16 * kMiB, 64 * kMiB, 16 * kMiB, 64 * kMiB, 16 * kMiB);
  nifti_set_debug_level(0);
  setenv(kMemoryLimitVariable, "64M", 1);
  scratch_directory();
  std::atexit(remove_scratch_directory);
}

void initialize_process_with_petsc() {
  initialize_process();
  // Open MPI loses track of some blocks while it starts (LeakSanitizer reports them with
  // every later leak check); they are its own, made here once, so they are not counted.
  // The session is never finalized: MPI_Finalize unloads Open MPI's plugins and leaves
  // more such blocks. PETSc's signal handler would take the sanitizers' SIGSEGV.
  const __lsan::ScopedDisabler open_mpi_start;
  static const Session* session = new Session(std::vector<std::string>{"fuzz", "-no_signal_handler"});
  (void)session;
}

std::string write_scratch_file(const std::string& name, std::span<const std::uint8_t> bytes) {
  const std::string path = (scratch_directory() / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) fail("cannot write the scratch file " + path);
  return path;
}

std::string write_scratch_file(const std::string& name, const std::string& text) {
  return write_scratch_file(name, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::string scratch_path(const std::string& name) {
  const auto path = scratch_directory() / name;
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
  return path.string();
}

void fail(const std::string& what) {
  std::fprintf(stderr, "\nFUZZ FINDING: %s\n", what.c_str());
  std::abort();
}

}  // namespace priorbench::fuzz
