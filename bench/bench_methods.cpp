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
//
// Problem (fixed): x† = Fashion-MNIST test image 0 (an ankle boot), A = inpaint with
// d = 392 (mask seed 20240601), y = A x† + σ ε with ε from CounterRandom(seed 1, task 0,
// data_noise), σ = 0.01 and 0.1 (the same ε for both). Likelihood "seeds" (the study
// default). Training set for white/empirical: the first 20000 Fashion-MNIST training
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
//   laplace_end_to_end/sigma:S  the `laplace` method by its library pieces: the latent MAP
//       (z0 = latent_map, same starts as above), J(z0) and the linearized prior, then
//       GaussianPosterior with the exact Woodbury std (std = "woodbury"). Counters: the
//       time of each stage (map_s, prior_s = Jacobian + prior assembly, posterior_s =
//       Woodbury set-up + solve), the operator applications of all stages (setup_forward:
//       those of U = A J) and the decoder passes, JVPs, VJPs and Jacobians.
//   method/NAME/sigma:S  the per-replicate cost of each study method, built by
//       make_study_method as a study builds it (default options; latent_mcmc with
//       burn_in 1000, samples 2000, 4 chains × 4 temperatures) and run on the TaskProblem.
//       Counters as the study records them: iterations, forward and adjoint applications
//       of A, decoder passes (μ evaluations + JVPs + VJPs; a full Jacobian is not in that
//       count, so `jacobians` counts them separately), setup_forward/setup_adjoint: the
//       applications of A the Woodbury set-up of the method's Gaussian posterior makes
//       (timed, but not in the study's counts, which GaussianPosterior::solve starts from
//       zero; counted on a separate, untimed construction), and for latent_mcmc max_rhat,
//       min_ess_bulk and cold_acceptance; relative_error ‖x̂ − x†‖/‖x†‖ as a sanity check.
//       white and empirical build their prior from the training set on their first run and
//       keep it for every later task, so that first run is an untimed warm-up (after the
//       training set is loaded) and its time is reported as first_run_s; the generator
//       methods have no per-study set-up and run without a warm-up.
//
// Timing as in the other benchmarks: barrier, maximum over ranks, manual time. The
// problem and methods live on PETSC_COMM_SELF (a study runs each task on one rank), so
// under MPI every rank solves its own copy. Torch is warmed up once (one decode, one VJP)
// when the problem is built. The slow cases run a fixed number of iterations (latent_map
// and laplace_end_to_end 10, pcn 3, the generator methods 5, latent_mcmc 3; white and
// empirical at least 0.5 s), about a minute in all on 2 cores;
// PRIORBENCH_BENCH_ITERATIONS=N fixes every iteration count instead.

#include <benchmark/benchmark.h>
#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/image_shape.hpp"
#include "core/petsc.hpp"
#include "core/random.hpp"
#include "data/image_source.hpp"
#include "generative/torch/torch_generator.hpp"
#include "inference/gaussian_posterior.hpp"
#include "inference/latent_map.hpp"
#include "inference/latent_problem.hpp"
#include "inference/pcn.hpp"
#include "operators/operator_factory.hpp"
#include "priors/linearized_generator_prior.hpp"
#include "study/study_method.hpp"

namespace priorbench {
namespace {

constexpr std::uint64_t kSeed = 1;
constexpr std::uint64_t kMaskSeed = 20240601;
constexpr PetscInt kDataSize = 392;
constexpr std::size_t kTrainingImages = 20000;
const char* const kTestImage = "fashion-mnist:test:0";
const std::vector<double> kSigmas = {0.01, 0.1};

std::string model_path() {
  if (const char* path = std::getenv("PRIORBENCH_BENCH_MODEL"); path != nullptr && *path != '\0') return path;
  return (std::filesystem::path(__FILE__).parent_path().parent_path() / "models" / "fmnist-vae-mlp-m16.pt").string();
}

std::string sigma_text(double sigma) { return sigma == 0.01 ? "0.01" : sigma == 0.1 ? "0.1" : std::to_string(sigma); }

// ---- the shared problem ---------------------------------------------------------------

// Everything the cases share, built on first use and released before PetscFinalize.
struct Context {
  std::shared_ptr<TorchGenerator> generator;
  std::optional<data::ImageSet> training;
  TrainingImagesView training_view;
  ImageShape shape;
  std::shared_ptr<const ForwardOperator> forward;
  petsc::Vector truth;
  std::map<double, petsc::Vector> data;  // per σ
  Task task;                             // id 0: the study task the methods see
  StudySpec study;                       // only its path is read (messages)
  std::map<std::string, std::unique_ptr<StudyMethod>> methods;
  std::map<std::string, double> first_run_seconds;
};

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
  c.generator = std::make_shared<TorchGenerator>(model_path());
  const data::ImageSelection image = data::load_image(kTestImage);
  c.shape = image.shape;
  OperatorSpec spec;
  spec.name = "inpaint";
  spec.data_size = kDataSize;
  spec.seed = kMaskSeed;
  c.forward = make_operator(PETSC_COMM_SELF, c.shape, spec);
  c.truth = c.forward->make_domain_vector();
  petsc::set_from_global(c.truth, image.pixels);
  auto noise = c.forward->make_range_vector();
  CounterRandom(kSeed, 0, Purpose::data_noise).fill_normal(noise);
  for (const double sigma : kSigmas) {
    auto y = c.forward->make_range_vector();
    c.forward->apply(c.truth, y);
    PB_PETSC(VecAXPY(y, sigma, noise));
    c.data.emplace(sigma, std::move(y));
  }
  c.task.id = 0;
  c.task.test_index = 0;
  c.task.data_size = kDataSize;
  c.study.path = "bench_methods";
  c.study.seed = kSeed;
  // Torch initializes lazily (threads, allocator): one decode and one VJP before any case.
  const std::vector<double> z(c.generator->latent_dimension(), 0.0);
  std::vector<double> image_out(c.generator->image_size()), cotangent(c.generator->image_size(), 1.0);
  std::vector<double> latent_out(c.generator->latent_dimension());
  c.generator->decode(z, 1, image_out);
  c.generator->vjp(z, cotangent, latent_out);
  return c;
}

const TrainingImagesView& training_view() {
  Context& c = context();
  if (!c.training) {
    c.training = data::load_training_set("fashion-mnist", kTrainingImages);
    c.training_view = {c.training->count, static_cast<std::size_t>(c.training->shape.size()),
                       c.training->pixels.data()};
  }
  return c.training_view;
}

StudyResources resources() {
  StudyResources r;
  r.training = []() -> const TrainingImagesView& { return training_view(); };
  r.generator = []() -> std::shared_ptr<const Generator> { return context().generator; };
  return r;
}

TaskProblem task_problem(double sigma) {
  Context& c = context();
  return TaskProblem{&c.task, kSeed, c.shape, c.forward, c.data.at(sigma).get(), sigma};
}

LatentProblem latent_problem(double sigma) {
  Context& c = context();
  return LatentProblem(c.generator, c.forward, c.data.at(sigma).get(), sigma);
}

LatentMapOptions map_options() {
  LatentMapOptions options;
  options.seed = kSeed;
  options.task = 0;
  return options;
}

// ---- timing ---------------------------------------------------------------------------

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs `work` once per iteration, timed as the maximum over ranks after a barrier.
template <class Work>
void timed_loop(benchmark::State& state, Work&& work) {
  for (auto _ : state) {
    MPI_Barrier(PETSC_COMM_WORLD);
    const double start = MPI_Wtime();
    work();
    double elapsed = MPI_Wtime() - start;
    MPI_Allreduce(MPI_IN_PLACE, &elapsed, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD);
    state.SetIterationTime(elapsed);
  }
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
    LinearizedPriorOptions options;
    options.linearization = "latent_map";
    options.latent_map = map_options();
    const GeneratorCounts generator_start = c.generator->counts();
    const LinearizedPrior linearized = make_laplace_prior(problem, options);
    const double prior_total = seconds_since(start);
    const auto solve_start = std::chrono::steady_clock::now();
    PosteriorOptions posterior_options;
    posterior_options.std_method = "woodbury";
    posterior_options.seed = kSeed;
    c.forward->reset_counts();
    const GaussianPosterior posterior(c.forward, linearized.prior, sigma, posterior_options);
    setup = c.forward->counts();  // U = A J: solve() below counts from zero again
    const PosteriorResult result = posterior.solve(c.data.at(sigma));
    posterior_s = seconds_since(solve_start);
    map_s = linearized.latent_map->seconds;
    prior_s = prior_total - map_s;
    applications = linearized.latent_map->operator_counts;
    applications.forward += setup.forward + result.forward_applications;
    applications.adjoint += setup.adjoint + result.adjoint_applications;
    const GeneratorCounts& now = c.generator->counts();
    generator = {now.decoder_passes - generator_start.decoder_passes, now.jvp - generator_start.jvp,
                 now.vjp - generator_start.vjp, now.jacobians - generator_start.jacobians};
    std_method = result.std_method;
  });
  state.counters["map_s"] = map_s;
  state.counters["prior_s"] = prior_s;
  state.counters["posterior_s"] = posterior_s;
  state.counters["forward"] = static_cast<double>(applications.forward);
  state.counters["adjoint"] = static_cast<double>(applications.adjoint);
  state.counters["setup_forward"] = static_cast<double>(setup.forward);
  state.counters["decoder_passes"] = static_cast<double>(generator.decoder_passes);
  state.counters["jvp"] = static_cast<double>(generator.jvp);
  state.counters["vjp"] = static_cast<double>(generator.vjp);
  state.counters["jacobians"] = static_cast<double>(generator.jacobians);
  state.SetLabel("std " + std_method);
}

MethodSpec method_spec(const std::string& name) {
  MethodSpec spec{name, name, {}};
  if (name == "laplace") spec.options["z0"] = "latent_map";
  if (name == "latent_mcmc") {
    spec.options["burn_in"] = "1000";
    spec.options["samples"] = "2000";
  }
  return spec;
}

void bench_method(benchmark::State& state, const std::string& name, double sigma) {
  Context& c = context();
  const std::string key = name + "/" + sigma_text(sigma);
  auto& method = c.methods[key];
  const TaskProblem problem = task_problem(sigma);
  if (!method) {
    method = make_study_method(method_spec(name), c.study, resources(), PETSC_COMM_SELF);
    if (name == "white" || name == "empirical") {  // builds and keeps the prior
      training_view();                             // loaded once per study, not timed
      const auto start = std::chrono::steady_clock::now();
      method->run(problem);
      c.first_run_seconds[key] = seconds_since(start);
    }
  }
  MethodOutcome outcome;
  std::int64_t jacobians = 0;
  timed_loop(state, [&] {
    const std::int64_t before = c.generator->counts().jacobians;
    outcome = method->run(problem);
    jacobians = c.generator->counts().jacobians - before;
  });
  if (const auto found = c.first_run_seconds.find(key); found != c.first_run_seconds.end()) {
    state.counters["first_run_s"] = found->second;
  }
  state.counters["iterations"] = static_cast<double>(outcome.iterations);
  state.counters["forward"] = static_cast<double>(outcome.forward_applications);
  state.counters["adjoint"] = static_cast<double>(outcome.adjoint_applications);
  state.counters["decoder_passes"] = static_cast<double>(outcome.decoder_passes);
  state.counters["jacobians"] = static_cast<double>(jacobians);
  if (outcome.prior) {  // GaussianPosterior::solve counts from zero: the Woodbury set-up is not in `forward`
    c.forward->reset_counts();
    const GaussianPosterior setup(c.forward, outcome.prior, sigma);
    state.counters["setup_forward"] = static_cast<double>(c.forward->counts().forward);
    state.counters["setup_adjoint"] = static_cast<double>(c.forward->counts().adjoint);
  }
  for (const char* detail : {"max_rhat", "min_ess_bulk", "cold_acceptance"}) {
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
  if (outcome.solver_reason == "RHAT_ABOVE_THRESHOLD") label += "; R-hat above 1.01";
  state.SetLabel(label);
}

// ---- registration ---------------------------------------------------------------------

int fixed_iterations() {
  const char* text = std::getenv("PRIORBENCH_BENCH_ITERATIONS");
  return text != nullptr ? std::atoi(text) : 0;
}

// `iterations` > 0: that many; 0: Google Benchmark decides, at least min_time seconds.
void configure(benchmark::internal::Benchmark* bench, int iterations, double min_time = 0.5) {
  bench->UseManualTime()->Unit(benchmark::kMillisecond);
  const int fixed = fixed_iterations();
  if (fixed > 0) {
    bench->Iterations(fixed);
  } else if (iterations > 0) {
    bench->Iterations(iterations);
  } else {
    bench->MinTime(min_time);
  }
}

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
    const std::string suffix = "/sigma:" + sigma_text(sigma);
    configure(benchmark::RegisterBenchmark(("laplace_end_to_end" + suffix).c_str(), bench_laplace, sigma), 10);
  }
  const std::pair<const char*, int> methods[] = {{"white", 0},      {"empirical", 0},      {"laplace", 5},
                                                 {"latent_map", 5}, {"latent_laplace", 5}, {"latent_mcmc", 3}};
  for (const double sigma : kSigmas) {
    for (const auto& [name, iterations] : methods) {
      const std::string case_name = std::string("method/") + name + "/sigma:" + sigma_text(sigma);
      configure(benchmark::RegisterBenchmark(case_name.c_str(), bench_method, std::string(name), sigma), iterations);
    }
  }
  return true;
}();

}  // namespace
}  // namespace priorbench
