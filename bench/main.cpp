// Shared main of the benchmark programs: Google Benchmark takes its flags first, then
// the PETSc/SLEPc session starts with what is left (e.g. -log_view). Under MPI every rank
// runs every case (the cases synchronize themselves); only rank 0 reports.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/session.hpp"

namespace {
class SilentReporter final : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};
}  // namespace

int main(int argc, char** argv) {
  // Google Benchmark insists on a file reporter exactly when --benchmark_out is given.
  bool writes_file = false;
  for (int i = 1; i < argc; ++i) writes_file = writes_file || std::string(argv[i]).rfind("--benchmark_out=", 0) == 0;
  benchmark::Initialize(&argc, argv);
  priorbench::Session session(&argc, &argv);
  if (session.rank() == 0) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    SilentReporter silent;
    benchmark::RunSpecifiedBenchmarks(&silent, writes_file ? &silent : nullptr);
  }
  benchmark::Shutdown();
  return 0;
}
