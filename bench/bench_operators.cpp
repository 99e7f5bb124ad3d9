// Throughput of the forward operators of DESIGN §1: y = A x and x = Aᵀ y for each
// operator at n = 28², 64², 128², 256² pixels.
//
// Sample runs:
//   build/release/bench/bench_operators
//   build/release/bench/bench_operators --benchmark_filter='fourier/.*/65536' --benchmark_min_time=2
//   build/release/bench/bench_operators --benchmark_out=operators.json --benchmark_out_format=json
//   PRIORBENCH_BENCH_ITERATIONS=200 mpirun -n 2 build/release/bench/bench_operators
//
// Data sizes: inpaint and fourier (variable-density mask) d = n/2; gaussian d = n/4 (its
// default); identity and blur d = n; blur width 2 pixels. The gaussian operator stores A
// and A∘A densely (2·d·n·8 bytes), so it runs only where d·n·8 ≤ 1 GiB (n ≤ 128²: 0.5 GiB
// for A, 1 GiB with A∘A); at 256² A alone would take 8 GiB.
//
// Timing (after libCEED's bps): one untimed warm-up application, then per iteration a
// barrier, one application, and the maximum time over ranks as the iteration's manual
// time, so every rank sees the same times and takes the same iteration-count decisions.
// PRIORBENCH_BENCH_ITERATIONS=N fixes the iteration count of every case instead.
// Counters are rates: pixels/s (n per application) and data/s (d per application).

#include <benchmark/benchmark.h>
#include <mpi.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "core/error.hpp"
#include "core/image_shape.hpp"
#include "core/random.hpp"
#include "operators/operator_factory.hpp"

namespace priorbench {
namespace {

using bench::fixed_iterations;
using bench::timed_loop;

const std::vector<PetscInt> kSides = {28, 64, 128, 256};
constexpr double kMaxGaussianBytes = 1024.0 * 1024.0 * 1024.0;

OperatorSpec spec_for(const std::string& name, PetscInt n) {
  OperatorSpec spec;
  spec.name = name;
  spec.seed = 20240601;
  spec.blur_width = 2.0;
  if (name == "inpaint" || name == "fourier") spec.data_size = n / 2;
  if (name == "gaussian") spec.data_size = n / 4;
  return spec;
}

// Building the gaussian matrix at 128² takes seconds and Google Benchmark calls a case
// several times while it settles the iteration count, so the operator of the last case
// is kept (apply and adjoint of one operator are registered next to each other). PETSc
// objects must go before PetscFinalize, hence the finalize hook.
struct OperatorCache {
  std::string name;
  PetscInt side = 0;
  std::shared_ptr<ForwardOperator> forward;
};
OperatorCache& operator_cache() {
  static OperatorCache cache;
  return cache;
}
PetscErrorCode release_operator_cache() {
  operator_cache() = {};
  return 0;
}

std::shared_ptr<ForwardOperator> cached_operator(const std::string& name, PetscInt side) {
  OperatorCache& cache = operator_cache();
  if (!cache.forward) PB_PETSC(PetscRegisterFinalize(release_operator_cache));
  if (!cache.forward || cache.name != name || cache.side != side) {
    cache.forward.reset();  // release the previous operator before building the next
    cache.forward = make_operator(PETSC_COMM_WORLD, ImageShape{side, side}, spec_for(name, side * side));
    cache.name = name;
    cache.side = side;
  }
  return cache.forward;
}

void bench_operator(benchmark::State& state, const std::string& name, PetscInt side, bool transpose) {
  const auto forward = cached_operator(name, side);
  auto x = forward->make_domain_vector();
  auto y = forward->make_range_vector();
  CounterRandom(1, 0, Purpose::test_values).fill_normal(transpose ? y.get() : x.get());
  if (transpose) {
    timed_loop(
        state, [&] { forward->apply_transpose(y, x); }, true, forward->comm());
  } else {
    timed_loop(
        state, [&] { forward->apply(x, y); }, true, forward->comm());
  }
  const auto n = static_cast<double>(forward->cols());
  const auto d = static_cast<double>(forward->rows());
  state.counters["n"] = n;
  state.counters["d"] = d;
  state.counters["pixels/s"] = benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["data/s"] = benchmark::Counter(d, benchmark::Counter::kIsIterationInvariantRate);
  if (name == "gaussian") {  // memory-bound: A is read once per application
    state.counters["matrix_bytes/s"] =
        benchmark::Counter(8.0 * n * d, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1024);
  }
}

bool fits(const std::string& name, PetscInt side) {
  if (name != "gaussian") return true;
  const double n = static_cast<double>(side) * static_cast<double>(side);
  return 8.0 * n * static_cast<double>(spec_for(name, side * side).data_size) <= kMaxGaussianBytes;
}

const bool kRegistered = [] {
  const int iterations = fixed_iterations();
  for (const std::string name : {"identity", "inpaint", "blur", "fourier", "gaussian"}) {
    for (const PetscInt side : kSides) {
      if (!fits(name, side)) continue;
      for (const bool transpose : {false, true}) {
        const std::string case_name = name + (transpose ? "/adjoint/" : "/apply/") + std::to_string(side * side);
        auto* bench = benchmark::RegisterBenchmark(case_name.c_str(), bench_operator, name, side, transpose)
                          ->UseManualTime()
                          ->Unit(benchmark::kMicrosecond);
        if (iterations > 0) {
          bench->Iterations(iterations);
        } else {
          bench->MinTime(0.3);
        }
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace priorbench
