// Shared main of the benchmark programs: Google Benchmark takes its flags first, then
// the PETSc/SLEPc session starts with what is left (e.g. -log_view).

#include <benchmark/benchmark.h>

#include "core/session.hpp"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  priorbench::Session session(&argc, &argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
