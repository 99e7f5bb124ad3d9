#pragma once
// What every benchmark program shares (after libCEED's and Google Benchmark's advice):
// timing under MPI (a barrier before the timed region, the maximum time over ranks, an
// optional warm-up that is not counted), the iteration policy, the per-case peak memory
// watch, and counters for the machine-independent costs.

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "generative/generator.hpp"
#include "operators/linear_operator.hpp"

namespace priorbench::bench {

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

inline double max_over_ranks(double value, MPI_Comm comm = MPI_COMM_WORLD) {
  MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_MAX, comm);
  return value;
}

// Runs `work` once per iteration, timed as the maximum over the ranks of `comm` after a
// barrier (manual time); with `warm_up` once more before, untimed (first touch of
// buffers, FFTW plans, Torch's lazy initialization). Returns the mean iteration time.
template <class Work>
double timed_loop(benchmark::State& state, Work&& work, bool warm_up = false, MPI_Comm comm = MPI_COMM_WORLD) {
  if (warm_up) work();
  double total = 0;
  std::int64_t count = 0;
  for (auto _ : state) {
    MPI_Barrier(comm);
    const double start = MPI_Wtime();
    work();
    const double elapsed = max_over_ranks(MPI_Wtime() - start, comm);
    state.SetIterationTime(elapsed);
    total += elapsed;
    ++count;
  }
  return count > 0 ? total / static_cast<double>(count) : 0.0;
}

// $PRIORBENCH_BENCH_ITERATIONS, or 0 when unset.
inline int fixed_iterations() {
  const char* text = std::getenv("PRIORBENCH_BENCH_ITERATIONS");
  return text != nullptr ? std::atoi(text) : 0;
}

// Manual time in milliseconds; $PRIORBENCH_BENCH_ITERATIONS wins, else `iterations` when
// positive, else as many as fill `min_time` seconds.
inline void configure(benchmark::internal::Benchmark* bench, int iterations = 0, double min_time = 0.5) {
  bench->UseManualTime()->Unit(benchmark::kMillisecond);
  if (const int fixed = fixed_iterations(); fixed > 0) {
    bench->Iterations(fixed);
  } else if (iterations > 0) {
    bench->Iterations(iterations);
  } else {
    bench->MinTime(min_time);
  }
}

// ---- memory ---------------------------------------------------------------------------

// A field of /proc/self/status in MiB (VmRSS, VmHWM).
inline double status_mib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream values(line.substr(field.size() + 1));
      double kib = 0;
      values >> kib;
      return kib / 1024.0;
    }
  }
  return 0;
}

// Google Benchmark may call a case several times while it settles the iteration count: the
// peak (VmHWM) is reset only when a new case begins, so it covers all of the case's calls.
// Freed heap is handed back first (glibc keeps large freed blocks otherwise). `reset` is
// false where the kernel refuses (Linux < 4.0).
struct MemoryWatch {
  std::string case_key;
  bool reset = false;
  double rss_at_start_mib = 0;
};

inline const MemoryWatch& watch_memory(const std::string& case_key) {
  static MemoryWatch watch;
  if (watch.case_key != case_key) {
    malloc_trim(0);
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.close();
    watch = {case_key, !clear.fail(), status_mib("VmRSS")};
  }
  return watch;
}

// ---- counters -------------------------------------------------------------------------

inline void add_counts(benchmark::State& state, const GeneratorCounts& counts) {
  state.counters["decoder_passes"] = static_cast<double>(counts.decoder_passes);
  state.counters["jvp"] = static_cast<double>(counts.jvp);
  state.counters["vjp"] = static_cast<double>(counts.vjp);
  state.counters["jacobians"] = static_cast<double>(counts.jacobians);
}

inline void add_counts(benchmark::State& state, const OperatorCounts& counts) {
  state.counters["forward"] = static_cast<double>(counts.forward);
  state.counters["adjoint"] = static_cast<double>(counts.adjoint);
}

}  // namespace priorbench::bench
