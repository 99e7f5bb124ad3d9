// Cost of the variable-space Gaussian posterior of DESIGN §2 (mean and pixel standard
// deviations), the structured solver (GaussianPosterior: matrix-free CG on K with the
// Woodbury preconditioner, exact std by Woodbury) against a dense LAPACK solve of the
// same posterior.
//
// Sample runs:
//   build/release/bench/bench_posterior
//   build/release/bench/bench_posterior --benchmark_filter='dense/.*/4096'
//   build/release/bench/bench_posterior --benchmark_filter='structured/fourier/empirical/65536$'
//   build/release/bench/bench_posterior --benchmark_out=posterior.json --benchmark_out_format=json
//
// Cases:
//   structured/OP/PRIOR/n  OP in identity, inpaint, fourier (d = n/2 for inpaint and
//       fourier, variable-density mask) and blur (width 2; mean only: no exact std route
//       exists for blur at large n), PRIOR in white and empirical, n = 28², 64², 128², 256².
//       Timed: constructing GaussianPosterior (Woodbury set-up, k applications of A) and
//       solve(y) (CG for the mean, the std by the route "auto" picks).
//   dense/OP/PRIOR/n  n = 28², 32², 40², 48², 56², 64², single rank. Timed: forming Aᵀ
//       (d adjoint applications), C0 = D + W Wᵀ (n×n), B = C0 Aᵀ, K = A B + σ² I,
//       Cholesky K = L Lᵀ, x̂ = m0 + B K⁻¹ (y − A m0), Var_j = C0_jj − ‖(B L⁻ᵀ)_j‖².
//       Plain GEMMs (symmetry not exploited, as a straightforward dense code would).
//       Its counters also hold the structured solve of the same problem, re-timed in the
//       same process right after: speedup = dense time / structured time, and the largest
//       differences of mean and std between the two (a correctness check).
//
// Priors: white N(0, τ² I), τ² = mean squared pixel of the training set; empirical
// N(x̄, S_k + δ² I), probabilistic PCA with k = 64, δ = 0.01, from the first 10000
// Fashion-MNIST training images when /usr/share/datasets/fashion-mnist (or
// $PRIORBENCH_FASHION_MNIST_DIR) has them, else from 10000 synthetic smooth images. Above
// 28² no training images exist at that size, so the empirical prior is synthetic with the
// same structure: W = Q diag(s), Q a random n×k matrix with orthonormal columns, s² the
// 28² prior's component variances scaled by n/784 (so the per-pixel variance is the same),
// D = the 28² prior's scalar diagonal, m0 = its average mean. Truth: a draw from the
// empirical(-shaped) prior; y = A x† + σ ε with σ = 0.05.
//
// Memory: peak_rss_MiB is the peak resident set size of the case: VmHWM, reset through
// /proc/self/clear_refs when the case begins (after the 28² reference priors were built,
// so their training images do not count) and left to accumulate over all the calls
// Google Benchmark makes of the case, so it covers building the problem (operator,
// prior, data) as well as the timed solves. It includes what the process already held
// (libraries, PETSc); rss_at_start_MiB is that baseline. peak_reset = 0 when the kernel
// refused the reset (then the peak is the process's). Run one case per process
// (--benchmark_filter) for a clean figure. The reset also resets what getrusage's
// ru_maxrss and /usr/bin/time report.
//
// Timing as in bench_operators.cpp: barrier, maximum over ranks, manual time; a warm-up
// run for the structured cases. PRIORBENCH_BENCH_ITERATIONS=N fixes every iteration count.

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "core/dense.hpp"
#include "core/error.hpp"
#include "core/image_shape.hpp"
#include "core/petsc.hpp"
#include "core/random.hpp"
#include "data/fashion_mnist.hpp"
#include "inference/gaussian_posterior.hpp"
#include "operators/operator_factory.hpp"
#include "priors/diagonal_low_rank_prior.hpp"
#include "priors/variable_space_priors.hpp"

namespace priorbench {
namespace {

using bench::configure;
using bench::max_over_ranks;
using bench::MemoryWatch;
using bench::status_mib;
using bench::timed_loop;
using bench::watch_memory;

constexpr double kSigma = 0.05;
constexpr std::size_t kRank = 64;
constexpr double kDelta = 0.01;
constexpr std::size_t kTrainingImages = 10000;
constexpr PetscInt kReferenceSide = 28;
const std::vector<PetscInt> kStructuredSides = {28, 64, 128, 256};
const std::vector<PetscInt> kDenseSides = {28, 32, 40, 48, 56, 64};

// ---- priors ---------------------------------------------------------------------------

// 10000 smooth 28×28 images in [0, 1]: a bright blob plus low-frequency cosines with
// decaying random amplitudes. Only used when Fashion-MNIST is not installed.
std::vector<double> synthetic_training_pixels(PetscInt side, std::size_t count) {
  const auto n = static_cast<std::size_t>(side * side);
  const CounterRandom random(7, 0, Purpose::test_values);
  std::vector<double> pixels(count * n);
  constexpr int kModes = 6;
  for (std::size_t image = 0; image < count; ++image) {
    const std::uint64_t base = image * (kModes * kModes + 1);
    const double brightness = 0.4 + 0.1 * random.normal(base);
    for (PetscInt r = 0; r < side; ++r) {
      for (PetscInt c = 0; c < side; ++c) {
        const double u = (r + 0.5) / side, v = (c + 0.5) / side;
        double value = brightness * std::exp(-((u - 0.5) * (u - 0.5) + (v - 0.5) * (v - 0.5)) / 0.08);
        for (int a = 0; a < kModes; ++a) {
          for (int b = 0; b < kModes; ++b) {
            const double amplitude = 0.15 / (1.0 + a * a + b * b);
            value += amplitude * random.normal(base + 1 + a * kModes + b) * std::cos(std::numbers::pi * a * u) *
                     std::cos(std::numbers::pi * b * v);
          }
        }
        pixels[image * n + static_cast<std::size_t>(r * side + c)] = std::clamp(value, 0.0, 1.0);
      }
    }
  }
  return pixels;
}

// The 28² priors built from training images, and the numbers the larger synthetic
// empirical priors copy from it.
struct Reference {
  std::string source;  // what the training images were
  double tau2 = 0;
  std::shared_ptr<DiagonalPlusLowRankPrior> empirical;
  std::vector<double> component_variances;  // ‖W_c‖², c < k
  double diagonal = 0;
  double mean_level = 0;
};

Reference build_reference() {
  Reference reference;
  std::vector<double> pixels;
  try {
    pixels = data::read_fashion_mnist("train", data::fashion_mnist_directory(), kTrainingImages).pixels;
    reference.source = "fashion-mnist train[0:10000]";
  } catch (const Error&) {
    pixels = synthetic_training_pixels(kReferenceSide, kTrainingImages);
    reference.source = "synthetic smooth images (Fashion-MNIST not installed)";
  }
  const TrainingImages training{pixels.size() / (kReferenceSide * kReferenceSide),
                                static_cast<std::size_t>(kReferenceSide * kReferenceSide), pixels};
  reference.tau2 = mean_squared_pixel(training);
  reference.empirical = make_empirical_prior(PETSC_COMM_WORLD, training, EmpiricalPriorOptions{kDelta, kRank});

  const DenseMatrix& w = reference.empirical->factor_local_rows();
  reference.component_variances.assign(w.cols(), 0.0);
  for (std::size_t c = 0; c < w.cols(); ++c) {
    for (const double value : w.column(c)) reference.component_variances[c] += value * value;
  }
  MPI_Allreduce(MPI_IN_PLACE, reference.component_variances.data(), static_cast<int>(w.cols()), MPI_DOUBLE, MPI_SUM,
                PETSC_COMM_WORLD);
  PB_PETSC(VecMax(reference.empirical->diagonal(), nullptr, &reference.diagonal));
  PB_PETSC(VecSum(reference.empirical->mean(), &reference.mean_level));
  reference.mean_level /= static_cast<double>(kReferenceSide * kReferenceSide);
  return reference;
}

// PETSc objects held in statics must go before PetscFinalize: these hooks release them.
std::unique_ptr<Reference>& reference_slot() {
  static std::unique_ptr<Reference> slot;
  return slot;
}

const Reference& reference() {
  auto& slot = reference_slot();
  if (!slot) {
    slot = std::make_unique<Reference>(build_reference());
    malloc_trim(0);  // hand the freed training images back to the system before any case is measured
    PB_PETSC(PetscRegisterFinalize([]() -> PetscErrorCode {
      reference_slot().reset();
      return 0;
    }));
  }
  return *slot;
}

// A prior shaped like the 28² empirical one at n = side² pixels (see the file comment).
std::shared_ptr<DiagonalPlusLowRankPrior> synthetic_empirical_prior(PetscInt side) {
  const Reference& ref = reference();
  const PetscInt n = side * side;
  const std::size_t k = ref.component_variances.size();
  auto mean = petsc::make_vector(PETSC_COMM_WORLD, n);
  auto diagonal = petsc::make_vector(PETSC_COMM_WORLD, n);
  PB_PETSC(VecSet(mean, ref.mean_level));
  PB_PETSC(VecSet(diagonal, ref.diagonal));
  const auto [begin, end] = petsc::ownership(mean);
  DenseMatrix w(static_cast<std::size_t>(end - begin), k);
  const CounterRandom random(11, static_cast<std::uint64_t>(n), Purpose::test_values);
  for (std::size_t i = 0; i < w.rows(); ++i) {
    for (std::size_t c = 0; c < k; ++c) w(i, c) = random.normal((static_cast<std::uint64_t>(begin) + i) * k + c);
  }
  DenseMatrix gram(k, k);  // Cholesky QR: W L⁻ᵀ has orthonormal columns when WᵀW = L Lᵀ
  gemm(true, false, 1.0, w, w, 0.0, gram);
  MPI_Allreduce(MPI_IN_PLACE, gram.data(), static_cast<int>(k * k), MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
  cholesky_in_place(gram, "the Gram matrix of the synthetic prior factor");
  right_solve_lower_transpose(gram, w);
  const double scale = static_cast<double>(n) / static_cast<double>(kReferenceSide * kReferenceSide);
  for (std::size_t c = 0; c < k; ++c) {
    const double s = std::sqrt(ref.component_variances[c] * scale);
    for (double& value : w.column(c)) value *= s;
  }
  auto prior =
      std::make_shared<DiagonalPlusLowRankPrior>("empirical", std::move(mean), std::move(diagonal), std::move(w));
  prior->parameters()["synthetic"] = 1;
  return prior;
}

// ---- problems -------------------------------------------------------------------------

struct Problem {
  std::string key;
  std::shared_ptr<ForwardOperator> forward;
  std::shared_ptr<DiagonalPlusLowRankPrior> prior;
  petsc::Vector data;
  std::string prior_source;
};

std::unique_ptr<Problem>& problem_slot() {
  static std::unique_ptr<Problem> slot;
  return slot;
}

std::unique_ptr<Problem> build_problem(const std::string& op, const std::string& prior_name, PetscInt side) {
  auto problem = std::make_unique<Problem>();
  const PetscInt n = side * side;
  OperatorSpec spec;
  spec.name = op;
  spec.seed = 20240601;
  spec.blur_width = 2.0;
  if (op == "inpaint" || op == "fourier") spec.data_size = n / 2;
  problem->forward = make_operator(PETSC_COMM_WORLD, ImageShape{side, side}, spec);

  const Reference& ref = reference();
  const auto shaped = side == kReferenceSide ? ref.empirical : synthetic_empirical_prior(side);
  if (prior_name == "white") {
    problem->prior = make_white_prior(PETSC_COMM_WORLD, n, ref.tau2);
    problem->prior_source = "tau2 from " + ref.source;
  } else {
    problem->prior = shaped;
    problem->prior_source = side == kReferenceSide ? "PPCA of " + ref.source : "synthetic, shaped like the 28x28 PPCA";
  }

  auto truth = problem->forward->make_domain_vector();
  shaped->sample(CounterRandom(3, static_cast<std::uint64_t>(n), Purpose::truth_selection), truth);
  problem->data = problem->forward->make_range_vector();
  problem->forward->apply(truth, problem->data);
  auto noise = problem->forward->make_range_vector();
  CounterRandom(3, static_cast<std::uint64_t>(n), Purpose::data_noise).fill_normal(noise);
  PB_PETSC(VecAXPY(problem->data, kSigma, noise));
  return problem;
}

// Google Benchmark calls a case several times while it settles the iteration count, and
// the dense case of a problem follows its structured case: keep the last problem.
const Problem& problem(const std::string& op, const std::string& prior_name, PetscInt side) {
  auto& slot = problem_slot();
  const std::string key = op + "/" + prior_name + "/" + std::to_string(side);
  if (!slot || slot->key != key) {
    if (!slot) {
      PB_PETSC(PetscRegisterFinalize([]() -> PetscErrorCode {
        problem_slot().reset();
        return 0;
      }));
    }
    slot.reset();
    slot = build_problem(op, prior_name, side);
    slot->key = key;
  }
  return *slot;
}

PosteriorOptions posterior_options(const std::string& op) {
  PosteriorOptions options;
  if (op == "blur") options.variance = VarianceRoute::none;
  return options;
}

// ---- the structured solve -------------------------------------------------------------

struct StructuredRun {
  PosteriorResult result;
  std::int64_t setup_applications = 0;
};

StructuredRun solve_structured(const Problem& p, const PosteriorOptions& options) {
  StructuredRun run;
  const OperatorCounts before = p.forward->counts();
  const GaussianPosterior posterior(p.forward, p.prior, kSigma, options);
  run.setup_applications = p.forward->counts().forward - before.forward + p.forward->counts().adjoint - before.adjoint;
  run.result = posterior.solve(p.data);
  return run;
}

void bench_structured(benchmark::State& state, const std::string& op, const std::string& prior_name, PetscInt side) {
  const MPI_Comm comm = PETSC_COMM_WORLD;
  reference();  // built once per process; its training images are not this case's memory
  const MemoryWatch& memory = watch_memory("structured/" + op + "/" + prior_name + "/" + std::to_string(side));
  const Problem& p = problem(op, prior_name, side);
  const PosteriorOptions options = posterior_options(op);
  StructuredRun run;
  timed_loop(
      state, [&] { run = solve_structured(p, options); }, true, comm);

  const PosteriorResult& r = run.result;
  state.counters["n"] = static_cast<double>(p.forward->cols());
  state.counters["d"] = static_cast<double>(p.forward->rows());
  state.counters["k"] = static_cast<double>(p.prior->rank());
  state.counters["cg_iterations"] = static_cast<double>(r.mean_solve.iterations);
  state.counters["A_applications"] =
      static_cast<double>(run.setup_applications + r.forward_applications + r.adjoint_applications);
  state.counters["A_setup"] = static_cast<double>(run.setup_applications);
  state.counters["std_exact"] = r.std_exact ? 1 : 0;
  state.counters["pixels/s"] =
      benchmark::Counter(static_cast<double>(p.forward->cols()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_rss_MiB"] = max_over_ranks(status_mib("VmHWM"), comm);
  state.counters["peak_reset"] = memory.reset ? 1 : 0;
  state.counters["rss_at_start_MiB"] = max_over_ranks(memory.rss_at_start_mib, comm);
  state.SetLabel("std=" + r.std_method + "; prior: " + p.prior_source);
}

// ---- the dense solve ------------------------------------------------------------------

struct DenseInputs {
  std::vector<double> data, prior_mean, prior_diagonal;
};

struct DenseResult {
  std::vector<double> mean, std;
};

// The dense data-space solve of the file comment; one rank holds everything.
DenseResult solve_dense(const ForwardOperator& forward, const DiagonalPlusLowRankPrior& prior, const DenseInputs& in) {
  const auto n = static_cast<std::size_t>(forward.cols());
  const auto d = static_cast<std::size_t>(forward.rows());

  DenseMatrix at(n, d);  // Aᵀ, column i = Aᵀ e_i
  {
    auto unit = forward.make_range_vector();
    auto pixels = forward.make_domain_vector();
    for (std::size_t i = 0; i < d; ++i) {
      {
        petsc::WriteView view(unit);
        if (i > 0) view[i - 1] = 0.0;
        view[i] = 1.0;
      }
      forward.apply_transpose(unit, pixels);
      petsc::ReadView view(pixels);
      std::copy(view.span().begin(), view.span().end(), at.column(i).begin());
    }
  }
  DenseMatrix c0(n, n);
  if (prior.rank() > 0) gemm(false, true, 1.0, prior.factor_local_rows(), prior.factor_local_rows(), 0.0, c0);
  for (std::size_t j = 0; j < n; ++j) c0(j, j) += in.prior_diagonal[j];

  DenseMatrix b(n, d);  // C0 Aᵀ
  gemm(false, false, 1.0, c0, at, 0.0, b);
  DenseMatrix k(d, d);  // A C0 Aᵀ + σ² I
  gemm(true, false, 1.0, at, b, 0.0, k);
  for (std::size_t i = 0; i < d; ++i) k(i, i) += kSigma * kSigma;
  cholesky_in_place(k, "dense K = A C0 A^T + sigma^2 I");

  DenseResult out;
  std::vector<double> u = in.data;  // y − A m0, then K⁻¹ (y − A m0)
  gemv(true, -1.0, at, in.prior_mean, 1.0, u);
  cholesky_solve(k, u);
  out.mean = in.prior_mean;
  gemv(false, 1.0, b, u, 1.0, out.mean);

  right_solve_lower_transpose(k, b);  // row j: (L⁻¹ A C0 e_j)ᵀ
  out.std.resize(n);
  for (std::size_t j = 0; j < n; ++j) out.std[j] = c0(j, j);
  for (std::size_t i = 0; i < d; ++i) {
    const auto column = b.column(i);
    for (std::size_t j = 0; j < n; ++j) out.std[j] -= column[j] * column[j];
  }
  for (double& value : out.std) value = std::sqrt(std::max(value, 0.0));
  return out;
}

double max_abs_difference(const std::vector<double>& a, Vec b) {
  const std::vector<double> values = petsc::gather_all(b);
  double largest = 0;
  for (std::size_t i = 0; i < a.size(); ++i) largest = std::max(largest, std::abs(a[i] - values[i]));
  return largest;
}

void bench_dense(benchmark::State& state, const std::string& op, const std::string& prior_name, PetscInt side) {
  const MPI_Comm comm = PETSC_COMM_WORLD;
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  if (ranks > 1) {
    state.SkipWithError("the dense reference runs on one rank only");
    for (auto _ : state) {
    }
    return;
  }
  reference();
  const MemoryWatch& memory = watch_memory("dense/" + op + "/" + prior_name + "/" + std::to_string(side));
  const Problem& p = problem(op, prior_name, side);
  const DenseInputs inputs{petsc::gather_all(p.data), petsc::gather_all(p.prior->mean()),
                           petsc::gather_all(p.prior->diagonal())};
  DenseResult dense;
  const double dense_seconds = timed_loop(
      state, [&] { dense = solve_dense(*p.forward, *p.prior, inputs); }, false, comm);
  const double dense_peak = status_mib("VmHWM");

  // The structured solve of the same problem, timed right after in the same process.
  const PosteriorOptions options = posterior_options(op);
  StructuredRun run = solve_structured(p, options);  // warm-up
  constexpr int kStructuredRepeats = 5;
  const double start = MPI_Wtime();
  for (int i = 0; i < kStructuredRepeats; ++i) run = solve_structured(p, options);
  const double structured_seconds = (MPI_Wtime() - start) / kStructuredRepeats;

  state.counters["n"] = static_cast<double>(p.forward->cols());
  state.counters["d"] = static_cast<double>(p.forward->rows());
  state.counters["k"] = static_cast<double>(p.prior->rank());
  state.counters["structured_ms"] = 1e3 * structured_seconds;
  state.counters["speedup"] = dense_seconds / structured_seconds;
  state.counters["mean_diff"] = max_abs_difference(dense.mean, run.result.mean);
  state.counters["std_diff"] = max_abs_difference(dense.std, run.result.std);
  state.counters["peak_rss_MiB"] = dense_peak;
  state.counters["peak_reset"] = memory.reset ? 1 : 0;
  state.counters["rss_at_start_MiB"] = memory.rss_at_start_mib;
  state.SetLabel("structured std=" + run.result.std_method);
}

// ---- registration ---------------------------------------------------------------------

const bool kRegistered = [] {
  for (const std::string op : {"identity", "inpaint", "fourier", "blur"}) {
    for (const std::string prior : {"white", "empirical"}) {
      std::vector<PetscInt> sides = kStructuredSides;
      if (op != "blur") sides.insert(sides.end(), kDenseSides.begin(), kDenseSides.end());
      std::sort(sides.begin(), sides.end());
      sides.erase(std::unique(sides.begin(), sides.end()), sides.end());
      for (const PetscInt side : sides) {
        const std::string suffix = op + "/" + prior + "/" + std::to_string(side * side);
        const bool structured =
            std::find(kStructuredSides.begin(), kStructuredSides.end(), side) != kStructuredSides.end();
        if (structured) {
          configure(benchmark::RegisterBenchmark(("structured/" + suffix).c_str(), bench_structured, op, prior, side));
        }
        if (op != "blur" && std::find(kDenseSides.begin(), kDenseSides.end(), side) != kDenseSides.end()) {
          configure(benchmark::RegisterBenchmark(("dense/" + suffix).c_str(), bench_dense, op, prior, side));
        }
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace priorbench
