// Throughput of `priorbench run` (DESIGN §4): tasks per second of a small study with all
// six methods, and the share of the ranks' busy time spent writing results with parallel
// HDF5. Run at 1 and at 2 ranks; the parallel efficiency is the ratio of the two rates
// divided by the rank count:
//   build/release/bench/bench_study
//   mpirun -n 2 build/release/bench/bench_study
// (run from the repository root: the study uses models/fmnist-vae-mlp-m16.pt).

#include <benchmark/benchmark.h>
#include <mpi.h>

#include <filesystem>
#include <string>

#include "generative/torch/torch_generator.hpp"
#include "methods/method_resources.hpp"
#include "study/study_runner.hpp"

namespace {

// The quickstart's methods on 16 tasks: 2 test and 2 generated truths, d = 392, σ ∈ {0.1,
// 0.03, 0.01, 0.003}; shorter chains than the quickstart.
const char* kStudy = R"(
[study]
name = "bench-study"
seed = 5
[model]
file = "models/fmnist-vae-mlp-m16.pt"
[data]
training_limit = 10000
[truth]
kinds = ["test", "generated"]
test_indices = [0, 1]
generated_count = 2
[operator]
name = "inpaint"
data_sizes = [392]
[noise]
sigmas = [0.1, 0.03, 0.01, 0.003]
[[method]]
name = "white"
[[method]]
name = "empirical"
[[method]]
name = "laplace"
[[method]]
name = "latent_map"
[[method]]
name = "latent_laplace"
[[method]]
name = "latent_mcmc"
sampler = "pcn"
burn_in = 300
samples = 600
)";

void study_throughput(benchmark::State& state) {
  namespace pb = priorbench;
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const pb::StudySpec study = pb::parse_study(kStudy, "bench_study.cpp");
  pb::LazyMethodResources resources(pb::study_resource_files(study),
                                    [](const std::string& path) -> std::shared_ptr<const pb::Generator> {
                                      return std::make_shared<pb::TorchGenerator>(path);
                                    });
  const pb::MethodResources view = resources.view();
  view.training();  // load the training set before timing (every rank)
  view.generator();
  pb::RunSummary summary;
  int iteration = 0;
  for (auto _ : state) {
    pb::RunOptions options;
    options.output =
        (std::filesystem::temp_directory_path() / ("priorbench_bench_study_" + std::to_string(iteration++) + ".h5"))
            .string();
    if (rank == 0) std::filesystem::remove(options.output);
    MPI_Barrier(MPI_COMM_WORLD);
    summary = pb::run_study(
        study, options, [&resources](const std::string& model) { return resources.view(model); }, MPI_COMM_WORLD);
    state.SetIterationTime(summary.seconds);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) std::filesystem::remove(options.output);
  }
  state.counters["ranks"] = size;
  state.counters["tasks"] = static_cast<double>(summary.run_now);
  state.counters["tasks/s"] = static_cast<double>(summary.run_now) / summary.seconds;
  state.counters["hdf5_share_%"] = 100.0 * summary.write_seconds / summary.busy_seconds;
  state.counters["idle_share_%"] = 100.0 * (1.0 - summary.busy_seconds / (size * summary.seconds));
}

BENCHMARK(study_throughput)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace
