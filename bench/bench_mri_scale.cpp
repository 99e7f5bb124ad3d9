// Per-replicate cost and peak memory of the six reconstruction methods of DESIGN §2 at MRI
// sizes, n = 64², 128², 256², with A = fourier, variable-density mask, acceleration R = 4
// (d = n/4). Shows that the matrix-free design holds at n = 65,536 (docs/performance.md §6).
//
// Sample runs:
//   build/release/bench/bench_mri_scale                                   # all 18 cases
//   build/release/bench/bench_mri_scale --benchmark_filter='method/laplace/256/'
//   # one process per case, for clean peak-memory figures (docs/performance.md §6):
//   for s in 64 128 256; do for m in white empirical laplace latent_map latent_laplace latent_mcmc; do
//     build/release/bench/bench_mri_scale --benchmark_filter="method/$m/$s/"; done; done
//
// Problem per image side S: images are synthetic MRI-like phantoms (a head-shaped ellipse
// with a skull rim and 4–9 inner ellipses of random intensity, values in [0, 1]; drawn
// from CounterRandom(seed 1, image, test_values), no data files). x† = a held-out phantom;
// A = fourier, variable density, centre fraction 0.08, R = 4, mask seed 20240601;
// y = A x† + σ ε, σ = 0.02, ε from CounterRandom(1, 0, data_noise).
//
// Generator: a conv VAE at S² with the default channels of `priorbench train`
// (docs/model-format.md: 8,16,32,64 at 64², …, 8,8,8,16,32,64 at 256²), m = 16, scalar
// decoder variance, trained briefly on 512 phantoms (8 epochs, batch 32, Adam 1e-3, seed
// 1), written on first use to $PRIORBENCH_BENCH_DIR (default: the system's temporary
// directory, priorbench-bench-mri/) and reused afterwards — the first run trains (2 s at
// 64², 45 s at 256² on the 2-core test machine). Its cost per decode does not depend on
// how good the model is; the methods' iteration counts do, somewhat.
//
// Cases: method/NAME/S for white and empirical, method/NAME/S/route:R for the four
// generator methods on both decoder routes (R = native, torchscript; docs/model-format.md).
// Each is built by make_method from its typed options as a study builds it, with these
// options: white (τ² from the training set), empirical (rank 64, δ = 0.01; a full-rank
// covariance is refused above 4096 pixels), laplace (z0 = latent_map), latent_map and
// latent_laplace (starts z = 0, encoder, 2 prior draws; the default optimizer), latent_mcmc
// with sampler = "pcn" as measured in docs/performance.md (4 chains × 4 temperatures,
// burn_in 200, samples 400: a fifth of pCN's default of 1000 + 2000, to keep the 256² case
// near half a minute; ms_per_step gives that default's cost as 3000 × ms_per_step).
// Likelihood "seeds". white and empirical build their prior from 256 training phantoms on
// their first run (untimed warm-up, first_run_s), as a study does once.
//
// Counters: the Time column is the wall time of one replicate (manual time: barrier,
// maximum over ranks); solver_iterations (the study's `iterations`: TAO, CG or chain-steps),
// forward/adjoint applications of A and decoder passes as the study records them; jacobians (full Jacobians) and
// jacobian_chunk (latent directions per batched forward-mode pass); relative_error ‖x̂ − x†‖/‖x†‖ (a sanity check);
// peak_rss_MiB: VmHWM, reset (/proc/self/clear_refs) when the case begins, after the generator, operator and data are
// set up, so it covers the training set (white, empirical), the prior and every run of the case, on top of
// rss_at_start_MiB, what the process held already (libraries, Torch, the model, FFTW plans).
//
// jacobian/wide/256/budget_MiB:B: one Jacobian J(z) (n×m) of a wide untrained conv VAE at
// 256² (channels 32,32,64,64,64,64, m = 32: about 22 MiB of Torch memory per latent
// direction) with a Jacobian memory budget of B MiB (0: unbounded, all 32 directions in
// one pass); counters jacobian_chunk, MiB_per_direction and the peak RSS as above (run
// each in its own process to compare the peaks).
//
// Iterations: white and empirical at least 0.5 s; laplace, latent_map, latent_laplace 3;
// latent_mcmc 1; jacobian 5; PRIORBENCH_BENCH_ITERATIONS=N fixes every count.

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <numbers>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "core/dense.hpp"
#include "core/error.hpp"
#include "core/image_shape.hpp"
#include "core/petsc.hpp"
#include "core/random.hpp"
#include "data/image_set.hpp"
#include "generative/native/native_generator.hpp"
#include "generative/torch/generator_loader.hpp"
#include "generative/torch/torch_generator.hpp"
#include "generative/torch/vae_model.hpp"
#include "generative/torch/vae_training.hpp"
#include "methods/method_factory.hpp"
#include "methods/observation.hpp"
#include "operators/operator_factory.hpp"

namespace priorbench {
namespace {

using bench::configure;
using bench::max_over_ranks;
using bench::MemoryWatch;
using bench::status_mib;
using bench::timed_loop;
using bench::watch_memory;

constexpr std::uint64_t kSeed = 1;
constexpr std::uint64_t kMaskSeed = 20240601;
constexpr double kSigma = 0.02;
constexpr double kAcceleration = 4;
constexpr std::size_t kLatentDim = 16;
constexpr std::size_t kModelImages = 512;
constexpr std::size_t kPriorImages = 256;
constexpr std::size_t kHeldOut = 1'000'000;  // phantom index of the truth, outside every training set
constexpr std::size_t kMcmcBurnIn = 200, kMcmcSamples = 400;
const std::vector<PetscInt> kSides = {64, 128, 256};
// How the decoder is evaluated (docs/model-format.md): the generator methods run on both.
const std::vector<std::string> kRoutes = {"native", "torchscript"};

// ---- synthetic phantoms ---------------------------------------------------------------

struct Ellipse {
  double x, y, a, b, angle, value;
  bool contains(double u, double v) const {
    const double c = std::cos(angle), s = std::sin(angle);
    const double p = ((u - x) * c + (v - y) * s) / a, q = (-(u - x) * s + (v - y) * c) / b;
    return p * p + q * q <= 1;
  }
};

// Phantom `index` at side × side: a head (skull rim 1.0, tissue 0.35–0.55) with 4–9
// ellipses inside, each adding an intensity in [−0.25, 0.45]; clipped to [0, 1].
std::vector<double> phantom(PetscInt side, std::size_t index) {
  const CounterRandom random(kSeed, index, Purpose::test_values);
  std::uint64_t k = 0;
  const auto uniform = [&](double low, double high) { return low + (high - low) * random.uniform(k++); };
  const Ellipse head{uniform(-0.05, 0.05), uniform(-0.05, 0.05), uniform(0.7, 0.85),
                     uniform(0.8, 0.92),   uniform(-0.2, 0.2),   1.0};
  const Ellipse brain{head.x, head.y, head.a - 0.06, head.b - 0.06, head.angle, uniform(0.35, 0.55)};
  std::vector<Ellipse> inner(4 + static_cast<std::size_t>(uniform(0, 6)));
  for (auto& e : inner) {
    e = {head.x + uniform(-0.4, 0.4), head.y + uniform(-0.5, 0.5),  uniform(0.05, 0.3),
         uniform(0.05, 0.3),          uniform(0, std::numbers::pi), uniform(-0.25, 0.45)};
  }
  std::vector<double> pixels(static_cast<std::size_t>(side * side), 0.0);
  for (PetscInt i = 0; i < side; ++i) {
    for (PetscInt j = 0; j < side; ++j) {
      const double v = 2.0 * (static_cast<double>(i) + 0.5) / static_cast<double>(side) - 1.0;
      const double u = 2.0 * (static_cast<double>(j) + 0.5) / static_cast<double>(side) - 1.0;
      if (!head.contains(u, v)) continue;
      double value = brain.contains(u, v) ? brain.value : head.value;
      if (brain.contains(u, v)) {
        for (const auto& e : inner) value += e.contains(u, v) ? e.value : 0.0;
      }
      pixels[static_cast<std::size_t>(i * side + j)] = std::clamp(value, 0.0, 1.0);
    }
  }
  return pixels;
}

data::ImageSet phantoms(PetscInt side, std::size_t first, std::size_t count) {
  data::ImageSet set;
  set.shape = {side, side};
  set.count = count;
  set.pixels.reserve(count * static_cast<std::size_t>(side * side));
  for (std::size_t i = 0; i < count; ++i) {
    const auto image = phantom(side, first + i);
    set.pixels.insert(set.pixels.end(), image.begin(), image.end());
  }
  return set;
}

// ---- the model ------------------------------------------------------------------------

std::filesystem::path bench_directory() {
  const char* dir = std::getenv("PRIORBENCH_BENCH_DIR");
  return dir != nullptr && *dir != '\0' ? std::filesystem::path(dir)
                                        : std::filesystem::temp_directory_path() / "priorbench-bench-mri";
}

// Trains the conv VAE of side S on rank 0 unless its file exists; every rank gets the path.
std::string model_for(PetscInt side) {
  const auto path = bench_directory() / ("vae-conv-" + std::to_string(side) + "-m16-v1.pt");
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0 && !std::filesystem::exists(path)) {
    std::filesystem::create_directories(path.parent_path());
    VaeTrainingOptions options;
    options.model.architecture = VaeArchitecture::conv;
    options.model.latent_dim = kLatentDim;
    options.model.shape = {side, side};
    options.epochs = 8;
    options.batch_size = 32;
    options.seed = 1;
    options.output = path.string();
    options.diagnostic_images = 64;
    options.jacobian_images = 4;
    options.command_line = "bench_mri_scale";
    const auto start = std::chrono::steady_clock::now();
    std::ostringstream log;
    const auto result = train_vae(phantoms(side, 0, kModelImages), phantoms(side, kModelImages, 64), options, log);
    std::filesystem::remove(path.string() + ".checkpoint");
    std::cerr << "bench_mri_scale: trained " << path.string() << " in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s, test ELBO "
              << result.test.elbo << " nats\n";
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  return path.string();
}

// ---- the problem per side -------------------------------------------------------------

struct SideContext {
  ImageShape shape;
  std::map<std::string, std::shared_ptr<const Generator>> generators;  // per route: native, torchscript
  std::shared_ptr<const ForwardOperator> forward;
  petsc::Vector truth;
  std::optional<Observation> observation;  // y = A x† + σ ε, random key (seed 1, task 0)
  std::optional<data::ImageSet> training;
  std::map<std::string, std::unique_ptr<ReconstructionMethod>> methods;
  std::map<std::string, double> first_run_seconds;
};

std::map<PetscInt, SideContext>& contexts() {
  static std::map<PetscInt, SideContext> all;
  return all;
}
PetscErrorCode release_contexts() {
  contexts().clear();
  return 0;
}

SideContext& context(PetscInt side) {
  auto& all = contexts();
  if (const auto found = all.find(side); found != all.end()) return found->second;
  if (all.empty()) PB_PETSC(PetscRegisterFinalize(release_contexts));
  SideContext& c = all[side];
  c.shape = {side, side};
  for (const auto& route : kRoutes) c.generators[route] = load_generator(model_for(side), parse_generator_route(route));
  OperatorSpec spec;
  spec.name = "fourier";
  spec.acceleration = kAcceleration;
  spec.seed = kMaskSeed;
  c.forward = make_operator(PETSC_COMM_SELF, c.shape, spec);
  const std::vector<double> truth = phantom(side, kHeldOut);
  c.truth = c.forward->make_domain_vector();
  petsc::set_from_global(c.truth, truth);
  c.observation = simulate_observation(c.forward, c.shape, truth, kSigma, {kSeed, 0});
  // Torch and FFTW initialize lazily: one decode, one VJP and A, Aᵀ before any case.
  const std::vector<double> z(kLatentDim, 0.0);
  for (const auto& [route, generator] : c.generators) {
    std::vector<double> image(generator->image_size()), gradient(kLatentDim);
    generator->decode(z, 1, image);
    generator->vjp(z, image, gradient);
  }
  auto back = c.forward->make_domain_vector();
  c.forward->apply_transpose(c.observation->data, back);
  return c;
}

MethodResources resources(PetscInt side, const std::string& route) {
  const auto training = [side]() -> TrainingImages {
    SideContext& c = context(side);
    if (!c.training) c.training = phantoms(side, 0, kPriorImages);
    return {c.training->count, static_cast<std::size_t>(c.training->shape.size()), c.training->pixels};
  };
  return {training, [side, route]() -> std::shared_ptr<const Generator> { return context(side).generators.at(route); }};
}

// `solver` "" keeps the latent MAP's default (Levenberg–Marquardt); "lbfgs" selects L-BFGS.
MethodOptions method_options(const std::string& name, const std::string& solver) {
  MethodOptions options = default_method_options(name, "bench_mri_scale");
  if (auto* empirical = std::get_if<EmpiricalOptions>(&options)) empirical->prior.rank = 64;
  if (solver == "lbfgs") {
    if (auto* latent_map = std::get_if<LatentMapMethodOptions>(&options)) {
      latent_map->latent.map_solver = LatentMapSolver::lbfgs;
    }
  }
  if (auto* mcmc = std::get_if<LatentMcmcOptions>(&options)) {  // pCN, as measured in docs/performance.md
    mcmc->sampler = LatentSampler::pcn;
    mcmc->pcn.burn_in = kMcmcBurnIn;
    mcmc->pcn.samples = kMcmcSamples;
  }
  return options;
}

// Latent directions per batched forward-mode pass of either route.
std::size_t jacobian_chunk_size(const Generator& generator) {
  if (const auto* native = dynamic_cast<const NativeGenerator*>(&generator)) return native->jacobian_chunk_size();
  return dynamic_cast<const TorchGenerator&>(generator).jacobian_chunk_size();
}

double relative_error(const SideContext& c, Vec estimate) {
  auto difference = c.forward->make_domain_vector();
  PB_PETSC(VecWAXPY(difference, -1.0, c.truth, estimate));
  return petsc::norm2(difference) / petsc::norm2(c.truth);
}

// ---- the case -------------------------------------------------------------------------

void bench_method(benchmark::State& state, const std::string& name, PetscInt side, const std::string& route,
                  const std::string& solver) {
  SideContext& c = context(side);
  const std::string key = name + "/" + std::to_string(side) + "/" + route + "/" + solver;
  const MemoryWatch& memory = watch_memory(key);
  const Generator& generator = *c.generators.at(route);
  auto& method = c.methods[key];
  if (!method) {
    method = make_method(method_options(name, solver), resources(side, route));
    if (name == "white" || name == "empirical") {  // the study's one-off prior, untimed
      resources(side, route).training();
      const auto start = std::chrono::steady_clock::now();
      method->reconstruct(*c.observation);
      c.first_run_seconds[name] = bench::seconds_since(start);
    }
  }
  MethodOutcome outcome;
  std::int64_t jacobians = 0;
  const double seconds = timed_loop(state, [&] {
    const std::int64_t before = generator.counts().jacobians;
    outcome = method->reconstruct(*c.observation);
    jacobians = generator.counts().jacobians - before;
  });
  state.counters["n"] = static_cast<double>(c.shape.size());
  state.counters["d"] = static_cast<double>(c.forward->rows());
  if (const auto found = c.first_run_seconds.find(name); found != c.first_run_seconds.end()) {
    state.counters["first_run_s"] = found->second;
  }
  state.counters["solver_iterations"] = static_cast<double>(outcome.iterations);
  state.counters["forward"] = static_cast<double>(outcome.forward_applications);
  state.counters["adjoint"] = static_cast<double>(outcome.adjoint_applications);
  state.counters["decoder_passes"] = static_cast<double>(outcome.decoder_passes);
  state.counters["jacobians"] = static_cast<double>(jacobians);
  if (jacobians > 0) state.counters["jacobian_chunk"] = static_cast<double>(jacobian_chunk_size(generator));
  if (name == "latent_mcmc") {
    state.counters["ms_per_step"] = 1e3 * seconds / static_cast<double>(kMcmcBurnIn + kMcmcSamples);
    state.counters["max_rhat"] = outcome.details.at("max_rhat");
    state.counters["cold_acceptance"] = outcome.details.at("cold_acceptance");
  }
  state.counters["relative_error"] = relative_error(c, outcome.mean);
  state.counters["peak_rss_MiB"] = max_over_ranks(status_mib("VmHWM"));
  state.counters["rss_at_start_MiB"] = max_over_ranks(memory.rss_at_start_mib);
  state.counters["peak_reset"] = memory.reset ? 1 : 0;
  std::string label = outcome.std_method.empty() ? "no std" : "std " + outcome.std_method;
  if (!outcome.converged) label += "; not converged";
  state.SetLabel(label);
}

// The batched Jacobian of a decoder whose activations are large, under a memory budget.
void bench_wide_jacobian(benchmark::State& state, std::size_t budget_mib) {
  const auto path = bench_directory() / "vae-conv-256-wide-m32-untrained.pt";
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0 && !std::filesystem::exists(path)) {
    std::filesystem::create_directories(path.parent_path());
    VaeModelOptions options;
    options.architecture = VaeArchitecture::conv;
    options.latent_dim = 32;
    options.shape = {256, 256};
    options.channels = {32, 32, 64, 64, 64, 64};
    save_untrained_vae(options, kSeed, path.string());
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  const MemoryWatch& memory = watch_memory("jacobian/" + std::to_string(budget_mib));
  TorchGeneratorOptions options;
  options.jacobian_memory = budget_mib == 0 ? std::size_t{1} << 50 : budget_mib << 20;
  const TorchGenerator generator(path.string(), options);
  std::vector<double> z(generator.latent_dimension());
  CounterRandom(kSeed, 0, Purpose::latent_prior_samples).fill_normal(z, 0);
  DenseMatrix jacobian;
  generator.jacobian(z, jacobian);  // measures the memory per direction
  timed_loop(state, [&] { generator.jacobian(z, jacobian); });
  state.counters["jacobian_chunk"] = static_cast<double>(generator.jacobian_chunk_size());
  state.counters["MiB_per_direction"] = static_cast<double>(generator.jacobian_bytes_per_direction()) / (1 << 20);
  state.counters["peak_rss_MiB"] = max_over_ranks(status_mib("VmHWM"));
  state.counters["rss_at_start_MiB"] = max_over_ranks(memory.rss_at_start_mib);
  state.counters["peak_reset"] = memory.reset ? 1 : 0;
}

// ---- registration ---------------------------------------------------------------------

const bool kRegistered = [] {
  const std::pair<const char*, int> methods[] = {{"white", 0},      {"empirical", 0},      {"laplace", 3},
                                                 {"latent_map", 3}, {"latent_laplace", 3}, {"latent_mcmc", 1}};
  for (const PetscInt side : kSides) {
    for (const auto& [name, iterations] : methods) {
      const bool generator_method = std::string(name) != "white" && std::string(name) != "empirical";
      for (const auto& route : kRoutes) {
        if (!generator_method && route != kRoutes.front()) continue;  // no generator: one case
        const std::string case_name = std::string("method/") + name + "/" + std::to_string(side) +
                                      (generator_method ? "/route:" + route : std::string());
        configure(benchmark::RegisterBenchmark(case_name.c_str(), bench_method, std::string(name), side, route,
                                               std::string()),
                  iterations);
      }
    }
  }
  // The latent MAP by L-BFGS instead of its default, for the comparison of docs/performance.md §6.
  for (const PetscInt side : kSides) {
    const std::string case_name = "method/latent_map/" + std::to_string(side) + "/route:native/solver:lbfgs";
    configure(benchmark::RegisterBenchmark(case_name.c_str(), bench_method, std::string("latent_map"), side,
                                           std::string("native"), std::string("lbfgs")),
              3);
  }
  for (const std::size_t budget : {0, 256, 64}) {
    const std::string case_name = "jacobian/wide/256/budget_MiB:" + std::to_string(budget);
    configure(benchmark::RegisterBenchmark(case_name.c_str(), bench_wide_jacobian, budget), 5);
  }
  return true;
}();

}  // namespace
}  // namespace priorbench
