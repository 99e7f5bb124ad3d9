// Cost of the TorchGenerator's decoder operations (DESIGN §6) for the two VAE
// architectures of `priorbench train` at the default m = 16, n = 28²: a decoder pass
// μ(z) at batch 1, 16 and 64, one JVP (forward mode), one VJP (reverse mode), and the full
// n×m Jacobian three ways in the same run — one batched forward-mode pass, m forward-mode
// passes, n reverse-mode passes.
//
// Sample runs:
//   build/release/bench/bench_generator
//   build/release/bench/bench_generator --benchmark_filter='jacobian' --benchmark_min_time=2
//   PRIORBENCH_TORCH_THREADS=2 build/release/bench/bench_generator --benchmark_filter='mlp/decode'
//
// Models are untrained VAEs written at start-up (timings do not depend on the weights);
// one Torch thread unless $PRIORBENCH_TORCH_THREADS says otherwise. The generator is
// replicated per rank, so under MPI every rank times its own copy and rank 0 reports.
// Counters: latents/s for decoder passes, products/s for JVPs and VJPs.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/random.hpp"
#include "generative/torch/torch_generator.hpp"
#include "generative/torch/vae_model.hpp"

namespace priorbench {
namespace {

const TorchGenerator& generator_for(VaeArchitecture architecture) {
  static std::map<VaeArchitecture, std::unique_ptr<TorchGenerator>> generators;
  auto& generator = generators[architecture];
  if (!generator) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("priorbench_bench_" + architecture_name(architecture) + std::to_string(::getpid()) + ".pt");
    VaeModelOptions options;
    options.architecture = architecture;
    save_untrained_vae(options, 1, path.string());
    generator = std::make_unique<TorchGenerator>(path.string());
    std::filesystem::remove(path);
  }
  return *generator;
}

std::vector<double> normals(std::size_t count, std::uint64_t stream) {
  std::vector<double> values(count);
  CounterRandom(1, stream, Purpose::test_values).fill_normal(values, 0);
  return values;
}

void bench_decode(benchmark::State& state, VaeArchitecture architecture, std::size_t batch) {
  const auto& generator = generator_for(architecture);
  const auto z = normals(batch * generator.latent_dimension(), 1);
  std::vector<double> means(batch * generator.image_size());
  for (auto _ : state) {
    generator.decode(z, batch, means);
    benchmark::DoNotOptimize(means.data());
  }
  state.counters["latents/s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

void bench_jvp(benchmark::State& state, VaeArchitecture architecture) {
  const auto& generator = generator_for(architecture);
  const auto z = normals(generator.latent_dimension(), 2), v = normals(generator.latent_dimension(), 3);
  std::vector<double> out(generator.image_size());
  for (auto _ : state) {
    generator.jvp(z, v, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["products/s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

void bench_vjp(benchmark::State& state, VaeArchitecture architecture) {
  const auto& generator = generator_for(architecture);
  const auto z = normals(generator.latent_dimension(), 2), u = normals(generator.image_size(), 4);
  std::vector<double> out(generator.latent_dimension());
  for (auto _ : state) {
    generator.vjp(z, u, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["products/s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

void bench_jacobian(benchmark::State& state, VaeArchitecture architecture, JacobianMethod method) {
  const auto& generator = generator_for(architecture);
  const auto z = normals(generator.latent_dimension(), 2);
  DenseMatrix jacobian;
  for (auto _ : state) {
    generator.jacobian(z, jacobian, method);
    benchmark::DoNotOptimize(jacobian.data());
  }
}

const bool kRegistered = [] {
  for (const auto architecture : {VaeArchitecture::mlp, VaeArchitecture::conv}) {
    const auto prefix = architecture_name(architecture) + "/";
    for (const std::size_t batch : {1, 16, 64}) {
      benchmark::RegisterBenchmark((prefix + "decode/batch:" + std::to_string(batch)).c_str(), bench_decode,
                                   architecture, batch)
          ->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark((prefix + "jvp").c_str(), bench_jvp, architecture)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((prefix + "vjp").c_str(), bench_vjp, architecture)->Unit(benchmark::kMicrosecond);
    const std::pair<const char*, JacobianMethod> methods[] = {{"forward_batched", JacobianMethod::forward_batched},
                                                              {"forward_columns", JacobianMethod::forward_columns},
                                                              {"reverse_rows", JacobianMethod::reverse_rows}};
    for (const auto& [name, method] : methods) {
      benchmark::RegisterBenchmark((prefix + "jacobian/" + name).c_str(), bench_jacobian, architecture, method)
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace priorbench
