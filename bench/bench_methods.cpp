// Cost of the reconstruction methods of DESIGN §2 at n = 28² = 784 on one Fashion-MNIST
// inpainting problem, with the shipped model models/fmnist-vae-mlp-m16.pt (MLP VAE,
// m = 16) for the generator-based methods. The generator's own operations (decode, JVP,
// VJP, Jacobian) are in bench_generator.cpp; the Gaussian posterior in bench_posterior.cpp.
//
// Sample runs:
//   build/release/bench/bench_methods
//   build/release/bench/bench_methods --benchmark_filter='method/' --benchmark_out=methods.json \
//       --benchmark_out_format=json
//   build/release/bench/bench_methods --benchmark_filter='pcn/'
//   build/release/bench/bench_methods --benchmark_filter='sampler_ess/'
//
// Problem (fixed): x† = Fashion-MNIST test image 0 (an ankle boot), A = inpaint with
// d = 392 (mask seed 20240601), y = A x† + σ ε with ε from CounterRandom(seed 1, task 0,
// data_noise), σ = 0.1, 0.01 and 0.001 (the same ε for all). With
// PRIORBENCH_BENCH_PROBLEM=FILE.h5 the problem is written to FILE.h5 for
// bench/pytorch_reference.py, the idiomatic PyTorch/NumPy implementation the ratios in
// docs/performance.md are measured against (bench/compare_with_pytorch.sh runs both).
// Likelihood "seeds" (the study default). Training set for white/empirical: the first 20000 Fashion-MNIST training
// images (as studies/quickstart.toml). Model: $PRIORBENCH_BENCH_MODEL, else
// models/fmnist-vae-mlp-m16.pt next to this source file. One Torch thread unless
// $PRIORBENCH_TORCH_THREADS says otherwise.
//
// Cases:
//   latent_map/sigma:S  one latent_map() call with the default starts (z = 0, the encoder
//       mean of Aᵀy, 2 prior draws; TAO L-BFGS), seed 1. Counters: TAO iterations summed
//       over starts, objective-and-gradient evaluations, decoder passes (μ evaluations,
//       per image) and VJPs.
//   pcn/chains:C/temperatures:T/sigma:S  one pcn_sample() run of 200 burn-in + 300 kept
//       steps on a LatentProblem; every step decodes the C·T states in one batched call.
//       Counters: steps/s and chain-steps/s (C·T states moved per step), as rates.
//   sampler_ess/sigma:S  NUTS (latent_nuts_sample, the defaults of latent_mcmc: latent MAP,
//       Laplace metric, warm-up 300, 4 × 500 draws) against pCN (pcn_sample with its
//       defaults: 4 chains × 4 temperatures, burn_in 1000, samples 2000) on the same
//       problem, σ ∈ {0.1, 0.01, 0.001}, one run each (the case's time is both). Tracked
//       quantities as alike as the samplers allow: U (NUTS) or the misfit Φ (pCN) and all 16
//       latent coordinates. Counters per sampler: min_ess (the smallest bulk ESS over them),
//       seconds (wall) and cpu_s (this process's CPU time, which a loaded machine does not
//       inflate), ess_per_s = min_ess / seconds, ess_per_cpu_s, max_rhat; and the ratios
//       nuts/pcn of ess_per_s and ess_per_cpu_s (issue 13's goal: ≥ 100× at σ = 0.01).
//   sampler_ess/pcn_long/sigma:0.01  the same with pCN run 100 times longer (burn_in 100000,
//       samples 200000, every 20th state kept): pCN's ESS of the default run is that of
//       chains that have not mixed; whether a run this long mixes is part of the answer
//       (its R̂ is reported). About 3 minutes.
//   laplace_end_to_end/sigma:S  the `laplace` method by its library pieces: the latent MAP
//       (z0 = latent_map, same starts as above), J(z0) and the linearized prior, then
//       GaussianPosterior with the exact Woodbury std (std = "woodbury"). Counters: the
//       time of each stage (map_s, prior_s = Jacobian + prior assembly, posterior_s =
//       Woodbury set-up + solve), the operator applications of all stages (setup_forward:
//       those of U = A J) and the decoder passes, JVPs, VJPs and Jacobians.
//   method/NAME[/route:R]/sigma:S  the per-replicate cost of each method, the generator
//       methods on both decoder routes (R = native, torchscript), built by make_method from
//       its typed options as a study builds it (default options: latent_mcmc is NUTS) and
//       run on the Observation.
//       Counters as the study records them: iterations, forward and adjoint applications
//       of A, decoder passes (μ evaluations + JVPs + VJPs; a full Jacobian is not in that
//       count, so `jacobians` counts them separately), setup_forward/setup_adjoint: the
//       applications of A the Woodbury set-up of the method's Gaussian posterior makes
//       (included in `forward`; counted again on a separate, untimed construction), and
//       for latent_mcmc max_rhat, min_ess_bulk, min_ess_tail, divergences, ess_per_second and
//       gradient_evaluations; relative_error ‖x̂ − x†‖/‖x†‖ as a sanity check.
//       white and empirical build their prior from the training set on their first run and
//       keep it for every later task, so that first run is an untimed warm-up (after the
//       training set is loaded) and its time is reported as first_run_s; the generator
//       methods have no per-study set-up and run without a warm-up.
//   method/flow_map|flow_laplace/route:R/sigma:S  the flow methods with the shipped flow
//       (models/fmnist-flow-realnvp.pt, m = n = 784) on both routes, one run each.
//
// Timing as in the other benchmarks: barrier, maximum over ranks, manual time. The
// problem and methods live on PETSC_COMM_SELF (a study runs each task on one rank), so
// under MPI every rank solves its own copy. Torch is warmed up once (one decode, one VJP)
// when the problem is built. The slow cases run a fixed number of iterations (latent_map
// and laplace_end_to_end 10, pcn 3, the generator methods 5, latent_mcmc 3, sampler_ess 1;
// white and empirical at least 0.5 s), a few minutes in all on 2 cores;
// PRIORBENCH_BENCH_ITERATIONS=N fixes every iteration count instead.

#include <benchmark/benchmark.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/image_shape.hpp"
#include "core/output_files.hpp"
#include "core/petsc.hpp"
#include "data/fashion_mnist.hpp"
#include "data/image_source.hpp"
#include "generative/torch/generator_loader.hpp"
#include "inference/gaussian_posterior.hpp"
#include "inference/latent_map.hpp"
#include "inference/latent_nuts.hpp"
#include "inference/latent_problem.hpp"
#include "inference/pcn.hpp"
#include "methods/linearization_point.hpp"
#include "methods/method_factory.hpp"
#include "methods/observation.hpp"
#include "operators/inpaint_operator.hpp"
#include "operators/operator_factory.hpp"
#include "priors/linearized_generator_prior.hpp"

namespace priorbench {
namespace {

using bench::configure;
using bench::seconds_since;
using bench::timed_loop;

constexpr std::uint64_t kSeed = 1;
constexpr std::uint64_t kMaskSeed = 20240601;
constexpr PetscInt kDataSize = 392;
constexpr std::size_t kTrainingImages = 20000;
const char* const kTestImage = "fashion-mnist:test:0";
const std::vector<double> kSigmas = {0.1, 0.01, 0.001};
const std::vector<std::string> kRoutes = {"native", "torchscript"};  // how the decoder is evaluated

std::string model_path() {
  if (const char* path = std::getenv("PRIORBENCH_BENCH_MODEL"); path != nullptr && *path != '\0') return path;
  return (std::filesystem::path(__FILE__).parent_path().parent_path() / "models" / "fmnist-vae-mlp-m16.pt").string();
}

std::string flow_model_path() {
  return (std::filesystem::path(__FILE__).parent_path().parent_path() / "models" / "fmnist-flow-realnvp.pt").string();
}

std::string sigma_text(double sigma) {
  std::ostringstream text;
  text << sigma;
  return text.str();
}

// ---- the shared problem ---------------------------------------------------------------

// Everything the cases share, built on first use and released before PetscFinalize.
struct Context {
  std::map<std::string, std::shared_ptr<const Generator>> generators;  // per route
  std::shared_ptr<const Generator> generator;                          // the default route (automatic: native)
  std::optional<data::ImageSet> training;
  ImageShape shape;
  std::shared_ptr<const ForwardOperator> forward;
  petsc::Vector truth;
  std::map<double, Observation> observations;  // per σ, the same ε; random key (seed 1, task 0)
  std::map<std::string, std::unique_ptr<ReconstructionMethod>> methods;
  std::map<std::string, double> first_run_seconds;
};

// The problem as bench/pytorch_reference.py reads it (rank 0 writes), so the reference
// script solves exactly these data.
void write_problem(const Context& c, const std::string& path) {
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  std::vector<std::vector<double>> data;
  for (const double sigma : kSigmas) data.push_back(petsc::gather_all(c.observations.at(sigma).data));
  if (rank != 0) return;
  const auto* inpaint = dynamic_cast<const InpaintOperator*>(c.forward.get());
  PB_REQUIRE(inpaint != nullptr, "bench_methods: the problem's operator is not inpaint");
  AtomicFile output(path);
  {
    auto file = h5::create_file(output.path(), true);
    h5::write(file, "observed", inpaint->observed());
    h5::write(file, "sigmas", kSigmas);
    h5::create_group(file, "y");
    for (std::size_t i = 0; i < kSigmas.size(); ++i) h5::write(file, "y/" + std::to_string(i), data[i]);
    h5::write_attribute(file, "pixels", static_cast<std::int64_t>(c.shape.size()));
    h5::write_attribute(file, "model", model_path());
    h5::write_attribute(file, "training_images", data::fashion_mnist_files("train").images);
    h5::write_attribute(file, "training_count", static_cast<std::int64_t>(kTrainingImages));
    h5::write_attribute(file, "empirical_delta", EmpiricalPriorOptions{}.delta);
  }
  output.commit();
}

std::optional<Context>& context_slot() {
  static std::optional<Context> context;
  return context;
}
PetscErrorCode release_context() {
  context_slot().reset();
  return 0;
}

Context& context() {
  auto& slot = context_slot();
  if (slot) return *slot;
  PB_PETSC(PetscRegisterFinalize(release_context));
  Context& c = slot.emplace();
  for (const auto& route : kRoutes) c.generators[route] = load_generator(model_path(), parse_generator_route(route));
  // The shipped flow on both routes, under the keys "flow/native" and "flow/torchscript".
  for (const auto& route : kRoutes) {
    c.generators["flow/" + route] = load_generator(flow_model_path(), parse_generator_route(route));
  }
  c.generator = c.generators.at("native");
  const data::ImageSelection image = data::load_image(kTestImage);
  c.shape = image.shape;
  OperatorSpec spec;
  spec.name = "inpaint";
  spec.data_size = kDataSize;
  spec.seed = kMaskSeed;
  c.forward = make_operator(PETSC_COMM_SELF, c.shape, spec);
  c.truth = c.forward->make_domain_vector();
  petsc::set_from_global(c.truth, image.pixels);
  for (const double sigma : kSigmas) {  // a superset of kSigmas
    c.observations.emplace(sigma, simulate_observation(c.forward, c.shape, image.pixels, sigma, {kSeed, 0}));
  }
  // Torch initializes lazily (threads, allocator): one decode and one VJP before any case.
  for (const auto& [route, generator] : c.generators) {
    const std::vector<double> z(generator->latent_dimension(), 0.0);
    std::vector<double> image_out(generator->image_size()), cotangent(generator->image_size(), 1.0);
    std::vector<double> latent_out(generator->latent_dimension());
    generator->decode(z, 1, image_out);
    generator->vjp(z, cotangent, latent_out);
  }
  if (const char* path = std::getenv("PRIORBENCH_BENCH_PROBLEM"); path != nullptr && *path != '\0') {
    write_problem(c, path);
  }
  return c;
}

TrainingImages training_images() {
  Context& c = context();
  if (!c.training) c.training = data::load_training_set("fashion-mnist", kTrainingImages);
  return {c.training->count, static_cast<std::size_t>(c.training->shape.size()), c.training->pixels};
}

MethodResources resources(const std::string& route) {
  return {training_images, [route]() -> std::shared_ptr<const Generator> { return context().generators.at(route); }};
}

const Observation& observation(double sigma) { return context().observations.at(sigma); }

LatentProblem latent_problem(double sigma) {
  Context& c = context();
  return LatentProblem(c.generator, c.forward, observation(sigma).data, sigma);
}

LatentMapOptions map_options() {
  LatentMapOptions options;
  options.seed = kSeed;
  options.task = 0;
  return options;
}

// ---- cases ----------------------------------------------------------------------------

void bench_latent_map(benchmark::State& state, double sigma) {
  const LatentProblem problem = latent_problem(sigma);
  LatentMapResult result;
  timed_loop(state, [&] { result = latent_map(problem, map_options()); });
  std::int64_t evaluations = 0, accepted = 0;
  for (const auto& start : result.starts) {
    evaluations += start.evaluations;
    accepted += start.accepted ? 1 : 0;
  }
  state.counters["starts"] = static_cast<double>(result.starts.size());
  state.counters["accepted"] = static_cast<double>(accepted);
  state.counters["iterations"] = static_cast<double>(result.iterations);
  state.counters["evaluations"] = static_cast<double>(evaluations);
  state.counters["decoder_passes"] = static_cast<double>(result.generator_counts.decoder_passes);
  state.counters["vjp"] = static_cast<double>(result.generator_counts.vjp);
  state.counters["objective"] = result.objective;
  if (!result.converged) state.SetLabel("not converged: " + result.warning);
}

void bench_pcn(benchmark::State& state, std::size_t chains, std::size_t temperatures, double sigma) {
  const LatentProblem problem = latent_problem(sigma);
  PcnOptions options;
  options.chains = chains;
  options.temperatures = temperatures;
  options.burn_in = 200;
  options.samples = 300;
  options.seed = kSeed;
  PcnResult result;
  timed_loop(state, [&] { result = pcn_sample(problem, options); });
  const auto steps = static_cast<double>(options.burn_in + options.samples);
  state.counters["steps/s"] = benchmark::Counter(steps, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["chain-steps/s"] = benchmark::Counter(steps * static_cast<double>(chains * temperatures),
                                                       benchmark::Counter::kIsIterationInvariantRate);
  state.counters["decoder_passes"] = static_cast<double>(result.generator_counts.decoder_passes);
  state.counters["cold_acceptance"] = result.acceptance_rates.empty() ? 0.0 : result.acceptance_rates.front();
}

void bench_laplace(benchmark::State& state, double sigma) {
  Context& c = context();
  const LatentProblem problem = latent_problem(sigma);
  double map_s = 0, prior_s = 0, posterior_s = 0;
  OperatorCounts applications, setup;
  GeneratorCounts generator;
  std::string std_method;
  timed_loop(state, [&] {
    const auto start = std::chrono::steady_clock::now();
    const CostMeter cost(problem);
    const ChosenLinearization z0 = choose_linearization_point(problem, LinearizationPoint::latent_map, map_options());
    const auto prior = make_linearized_generator_prior(c.forward->comm(), *c.generator, z0.point, 0.0, "latent_map");
    const double prior_total = seconds_since(start);
    const auto solve_start = std::chrono::steady_clock::now();
    PosteriorOptions posterior_options;
    posterior_options.variance = VarianceRoute::woodbury;
    posterior_options.seed = kSeed;
    const OperatorCounts before_setup = c.forward->counts();
    const GaussianPosterior posterior(c.forward, prior, sigma, posterior_options);
    setup = {c.forward->counts().forward - before_setup.forward, c.forward->counts().adjoint - before_setup.adjoint};
    const PosteriorResult result = posterior.solve(observation(sigma).data);
    posterior_s = seconds_since(solve_start);
    map_s = z0.latent_map->seconds;
    prior_s = prior_total - map_s;
    applications = cost.operator_counts();
    generator = cost.generator_counts();
    std_method = result.std_method;
  });
  state.counters["map_s"] = map_s;
  state.counters["prior_s"] = prior_s;
  state.counters["posterior_s"] = posterior_s;
  bench::add_counts(state, applications);
  bench::add_counts(state, generator);
  state.counters["setup_forward"] = static_cast<double>(setup.forward);
  state.SetLabel("std " + std_method);
}

// ---- NUTS against pCN ------------------------------------------------------------------

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

struct SamplerRun {
  double min_ess = 0;
  double max_rhat = 0;
  double seconds = 0;
  double cpu_s = 0;
};

template <class Sample>
SamplerRun measure_sampler(Sample&& sample) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = cpu_seconds();
  SamplerRun run;
  const std::vector<ChainDiagnostics> diagnostics = sample();
  run.cpu_s = cpu_seconds() - cpu_start;
  run.seconds = seconds_since(start);
  run.min_ess = diagnostics.front().ess_bulk;
  for (const ChainDiagnostics& d : diagnostics) {
    run.min_ess = std::min(run.min_ess, d.ess_bulk);
    run.max_rhat = std::max(run.max_rhat, d.rhat);
  }
  return run;
}

void add_sampler_counters(benchmark::State& state, const std::string& name, const SamplerRun& run) {
  state.counters[name + "_min_ess"] = run.min_ess;
  state.counters[name + "_max_rhat"] = run.max_rhat;
  state.counters[name + "_seconds"] = run.seconds;
  state.counters[name + "_cpu_s"] = run.cpu_s;
  state.counters[name + "_ess_per_s"] = run.min_ess / run.seconds;
  state.counters[name + "_ess_per_cpu_s"] = run.min_ess / run.cpu_s;
}

// pCN's run length: its defaults, or (long) 100 times the steps, thinned to 10000 kept per chain.
struct PcnLength {
  std::size_t burn_in = 1000, samples = 2000, thinning = 1;
};

void bench_sampler_ess(benchmark::State& state, double sigma, PcnLength length) {
  const LatentProblem problem = latent_problem(sigma);
  SamplerRun nuts, pcn;
  timed_loop(state, [&] {
    nuts = measure_sampler([&] {
      LatentNutsOptions options;
      options.seed = kSeed;
      return latent_nuts_sample(problem, options).nuts.diagnostics;
    });
    pcn = measure_sampler([&] {
      PcnOptions options;
      options.tracked_coordinates = problem.latent_dimension();
      options.burn_in = length.burn_in;
      options.samples = length.samples;
      options.thinning = length.thinning;
      options.seed = kSeed;
      return pcn_sample(problem, options).diagnostics;
    });
  });
  add_sampler_counters(state, "nuts", nuts);
  add_sampler_counters(state, "pcn", pcn);
  state.counters["ratio_ess_per_s"] = (nuts.min_ess / nuts.seconds) / (pcn.min_ess / pcn.seconds);
  state.counters["ratio_ess_per_cpu_s"] = (nuts.min_ess / nuts.cpu_s) / (pcn.min_ess / pcn.cpu_s);
}

MethodOptions method_options(const std::string& name) { return default_method_options(name, "bench_methods"); }

void bench_method(benchmark::State& state, const std::string& name, const std::string& route, double sigma) {
  Context& c = context();
  const std::string key = name + "/" + route + "/" + sigma_text(sigma);
  auto& method = c.methods[key];
  if (!method) {
    method = make_method(method_options(name), resources(route));
    if (name == "white" || name == "empirical") {  // builds and keeps the prior
      training_images();                           // loaded once per study, not timed
      const auto start = std::chrono::steady_clock::now();
      method->reconstruct(observation(sigma));
      c.first_run_seconds[key] = seconds_since(start);
    }
  }
  MethodOutcome outcome;
  std::int64_t jacobians = 0;
  const Generator& generator = *c.generators.at(route);
  timed_loop(state, [&] {
    const std::int64_t before = generator.counts().jacobians;
    outcome = method->reconstruct(observation(sigma));
    jacobians = generator.counts().jacobians - before;
  });
  if (const auto found = c.first_run_seconds.find(key); found != c.first_run_seconds.end()) {
    state.counters["first_run_s"] = found->second;
  }
  state.counters["iterations"] = static_cast<double>(outcome.iterations);
  state.counters["forward"] = static_cast<double>(outcome.forward_applications);
  state.counters["adjoint"] = static_cast<double>(outcome.adjoint_applications);
  state.counters["decoder_passes"] = static_cast<double>(outcome.decoder_passes);
  state.counters["jacobians"] = static_cast<double>(jacobians);
  if (outcome.prior) {  // the Woodbury set-up's share of `forward`, on a separate construction
    const OperatorCounts before = c.forward->counts();
    const GaussianPosterior setup(c.forward, outcome.prior, sigma);
    state.counters["setup_forward"] = static_cast<double>(c.forward->counts().forward - before.forward);
    state.counters["setup_adjoint"] = static_cast<double>(c.forward->counts().adjoint - before.adjoint);
  }
  for (const char* detail :
       {"max_rhat", "min_ess_bulk", "min_ess_tail", "divergences", "ess_per_second", "gradient_evaluations"}) {
    if (const auto found = outcome.details.find(detail); found != outcome.details.end()) {
      state.counters[detail] = found->second;
    }
  }
  const double error = [&] {
    auto difference = c.forward->make_domain_vector();
    PB_PETSC(VecWAXPY(difference, -1.0, c.truth, outcome.mean));
    return petsc::norm2(difference) / petsc::norm2(c.truth);
  }();
  state.counters["relative_error"] = error;
  std::string label = outcome.std_method.empty() ? "no std" : "std " + outcome.std_method;
  if (!outcome.converged) label += "; not converged";
  if (!outcome.converged && !outcome.solver_reason.empty()) label += " (" + outcome.solver_reason + ")";
  state.SetLabel(label);
}

// ---- registration ---------------------------------------------------------------------

const bool kRegistered = [] {
  for (const double sigma : kSigmas) {
    const std::string suffix = "/sigma:" + sigma_text(sigma);
    configure(benchmark::RegisterBenchmark(("latent_map" + suffix).c_str(), bench_latent_map, sigma), 10);
  }
  const std::pair<std::size_t, std::size_t> ladders[] = {{4, 1}, {4, 4}, {8, 4}, {16, 4}};
  for (const double sigma : kSigmas) {
    for (const auto& [chains, temperatures] : ladders) {
      const std::string name = "pcn/chains:" + std::to_string(chains) +
                               "/temperatures:" + std::to_string(temperatures) + "/sigma:" + sigma_text(sigma);
      configure(benchmark::RegisterBenchmark(name.c_str(), bench_pcn, chains, temperatures, sigma), 3);
    }
  }
  for (const double sigma : kSigmas) {
    const std::string name = "sampler_ess/sigma:" + sigma_text(sigma);
    configure(benchmark::RegisterBenchmark(name.c_str(), bench_sampler_ess, sigma, PcnLength{}), 1);
  }
  configure(benchmark::RegisterBenchmark("sampler_ess/pcn_long/sigma:0.01", bench_sampler_ess, 0.01,
                                         PcnLength{100000, 200000, 20}),
            1);
  for (const double sigma : kSigmas) {
    const std::string suffix = "/sigma:" + sigma_text(sigma);
    configure(benchmark::RegisterBenchmark(("laplace_end_to_end" + suffix).c_str(), bench_laplace, sigma), 10);
  }
  const std::pair<const char*, int> methods[] = {{"white", 0},      {"empirical", 0},      {"laplace", 5},
                                                 {"latent_map", 5}, {"latent_laplace", 5}, {"latent_mcmc", 1}};
  for (const double sigma : kSigmas) {
    for (const auto& [name, iterations] : methods) {
      const bool generator_method = std::string(name) != "white" && std::string(name) != "empirical";
      for (const auto& route : kRoutes) {
        if (!generator_method && route != kRoutes.front()) continue;  // no generator: one case
        const std::string case_name = std::string("method/") + name +
                                      (generator_method ? "/route:" + route : std::string()) +
                                      "/sigma:" + sigma_text(sigma);
        configure(benchmark::RegisterBenchmark(case_name.c_str(), bench_method, std::string(name), route, sigma),
                  iterations);
      }
    }
  }
  for (const double sigma : kSigmas) {
    for (const char* name : {"flow_map", "flow_laplace"}) {
      for (const auto& route : kRoutes) {
        const std::string case_name = std::string("method/") + name + "/route:" + route + "/sigma:" + sigma_text(sigma);
        configure(
            benchmark::RegisterBenchmark(case_name.c_str(), bench_method, std::string(name), "flow/" + route, sigma),
            1);
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace priorbench
