// Cost of the generator's decoder operations (DESIGN §6) on both routes of the same model
// file, side by side: "torchscript" (TorchGenerator: the file's TorchScript methods, Torch's
// autograd) and "native" (NativeGenerator: the decoder in C++ and level-3 BLAS). For each:
// a decoder pass μ(z) at batch 1, 16 and 64, one JVP, one VJP, the fused value and gradient
// decode_and_vjp at batch 1 and 16, and the full n×m Jacobian (TorchScript also two slower
// ways: m forward-mode passes, n reverse-mode passes).
//
// Models: the shipped MLP (models/fmnist-vae-mlp-m16.pt, n = 784, m = 16), the default conv
// VAE at 28² (untrained, written at start-up; timings do not depend on the weights) and the
// shipped 64² MRI conv VAE (models/mri-vae-conv-64.pt, m = 32).
//
// The shipped normalizing flow (models/fmnist-flow-realnvp.pt, m = n = 784) on both routes
// under `flow/ROUTE/`: decode, inverse and log-determinant at batch 1 and 16, one JVP and one
// VJP, flow_map's objective gradient (decode_and_log_det_gradient; TorchScript: a decode,
// the inverse inside log_det_jacobian and one backward sweep through both; native: one sweep
// each way) and the 784 × 784 Jacobian.
//
// Roofline in the same run, both of its roofs: `roofline/dgemm:512` times a square DGEMM of
// 512, and `NAME/roofline/stream` reads an array as large as model NAME's weights
// (DASUM over it, repeated: the weights stay in whichever cache level holds them, as they do
// between decoder calls). Every case reports `madds` (multiply-adds of its linear maps,
// counted by the native decoder: the same arithmetic on either route), `dgemm_us`, the time
// those would take at the DGEMM rate just measured, `stream_us`, the time to read the
// weights as often as the case must at least (once per sweep: decode, JVP and Jacobian
// one, VJP and decode_and_vjp two, forward and transposed) at the bandwidth just measured,
// and `floor_us` = max of the two, beside its own time; `flop/s` is 2·madds per second.
// At batch 1 the MLP's 4.3 MB of double weights make the stream roof the higher one: a
// decode cannot take less than reading them.
//
// Sample runs:
//   build/release/bench/bench_generator
//   build/release/bench/bench_generator --benchmark_filter='roofline|mlp/'
//   build/release/bench/bench_generator --benchmark_filter='jacobian' --benchmark_min_time=2
//
// One Torch thread and one BLAS thread (the defaults, one per MPI rank) unless
// $PRIORBENCH_TORCH_THREADS or $OPENBLAS_NUM_THREADS say otherwise. The generator is
// replicated per rank, so under MPI every rank times its own copy and rank 0 reports.

#include <benchmark/benchmark.h>

#include <cblas.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/random.hpp"
#include "generative/flow_density.hpp"
#include "generative/native/native_generator.hpp"
#include "generative/torch/generator_loader.hpp"
#include "generative/torch/vae_model.hpp"

namespace priorbench {
namespace {

constexpr int kRooflineSize = 512;

// FLOP/s of the roofline row, measured when it runs (first), else on first use.
double dgemm_flops_per_second = 0;

std::vector<double> normals(std::size_t count, std::uint64_t stream) {
  std::vector<double> values(count);
  CounterRandom(1, stream, Purpose::test_values).fill_normal(values, 0);
  return values;
}

// C = A B for square matrices of kRooflineSize, made once.
void square_dgemm() {
  static const auto size = static_cast<std::size_t>(kRooflineSize) * kRooflineSize;
  static const auto a = normals(size, 90), b = normals(size, 91);
  static std::vector<double> c(size);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, kRooflineSize, kRooflineSize, kRooflineSize, 1.0, a.data(),
              kRooflineSize, b.data(), kRooflineSize, 0.0, c.data(), kRooflineSize);
  benchmark::DoNotOptimize(c.data());
}

constexpr double kDgemmFlops = 2.0 * kRooflineSize * kRooflineSize * kRooflineSize;

double dgemm_rate() {
  if (dgemm_flops_per_second == 0) {
    square_dgemm();  // warm-up: the matrices are made here
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < 20; ++r) square_dgemm();
    dgemm_flops_per_second =
        20 * kDgemmFlops / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return dgemm_flops_per_second;
}

void bench_dgemm(benchmark::State& state) {
  square_dgemm();
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) square_dgemm();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  dgemm_flops_per_second = static_cast<double>(state.iterations()) * kDgemmFlops / seconds;
  state.counters["flop/s"] = benchmark::Counter(kDgemmFlops, benchmark::Counter::kIsIterationInvariantRate);
}

std::string source_model(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path().parent_path() / "models" / name).string();
}

std::string untrained_conv_28() {
  const auto path =
      std::filesystem::temp_directory_path() / ("priorbench_bench_conv" + std::to_string(::getpid()) + ".pt");
  VaeModelOptions options;
  options.architecture = VaeArchitecture::conv;
  save_untrained_vae(options, 1, path.string());
  return path.string();
}

struct Model {
  std::shared_ptr<const Generator> native;
  std::shared_ptr<const Generator> torchscript;
  std::int64_t madds_per_column = 0;  // one column of a native sweep: one decode
  std::size_t weights = 0;            // doubles a sweep reads at least once
  double bytes_per_second = 0;        // read bandwidth at the weights' size, measured on first use
};

const Model& model(const std::string& name) {
  static std::map<std::string, Model> models;
  auto& entry = models[name];
  if (!entry.native) {
    const std::string path = name == "conv"  ? untrained_conv_28()
                             : name == "mlp" ? source_model("fmnist-vae-mlp-m16.pt")
                                             : source_model("mri-vae-conv-64.pt");
    const auto native = load_generator(path, GeneratorRoute::native);
    entry.native = native;
    entry.torchscript = load_generator(path, GeneratorRoute::torchscript);
    entry.madds_per_column = dynamic_cast<const NativeGenerator&>(*native).decoder().multiply_adds();
    entry.weights = dynamic_cast<const NativeGenerator&>(*native).decoder().weight_count();
    if (name == "conv") std::filesystem::remove(path);
  }
  return entry;
}

const Generator& generator(const std::string& name, const std::string& route) {
  return route == "native" ? *model(name).native : *model(name).torchscript;
}

// Sum of the weight-sized array, read once.
double read_weights(const std::vector<double>& weights) {
  return cblas_dasum(static_cast<blasint>(weights.size()), weights.data(), 1);
}

double bandwidth(const std::string& name) {
  Model& entry = const_cast<Model&>(model(name));
  if (entry.bytes_per_second == 0) {
    const auto weights = normals(entry.weights, 92);
    benchmark::DoNotOptimize(read_weights(weights));  // warm-up: the cache level of a decoder call
    constexpr int kReads = 200;
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < kReads; ++r) benchmark::DoNotOptimize(read_weights(weights));
    entry.bytes_per_second = kReads * 8.0 * static_cast<double>(entry.weights) /
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return entry.bytes_per_second;
}

void bench_stream(benchmark::State& state, const std::string& name) {
  const Model& entry = model(name);
  const auto weights = normals(entry.weights, 92);
  benchmark::DoNotOptimize(read_weights(weights));
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(read_weights(weights));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double bytes = 8.0 * static_cast<double>(entry.weights);
  const_cast<Model&>(entry).bytes_per_second = static_cast<double>(state.iterations()) * bytes / seconds;
  state.counters["bytes"] = bytes;
  state.counters["bytes/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

// Multiply-adds per iteration (`columns` sweeps of one decode each) and the time they take
// at the DGEMM rate; the time to read the weights `sweeps` times at the measured bandwidth;
// the larger of the two.
void set_roofline(benchmark::State& state, const std::string& name, double columns, double sweeps) {
  const double madds = columns * static_cast<double>(model(name).madds_per_column);
  const double dgemm_us = 2 * madds / dgemm_rate() * 1e6;
  const double stream_us = sweeps * 8.0 * static_cast<double>(model(name).weights) / bandwidth(name) * 1e6;
  state.counters["madds"] = madds;
  state.counters["dgemm_us"] = dgemm_us;
  state.counters["stream_us"] = stream_us;
  state.counters["floor_us"] = std::max(dgemm_us, stream_us);
  state.counters["flop/s"] = benchmark::Counter(2 * madds, benchmark::Counter::kIsIterationInvariantRate);
}

void bench_decode(benchmark::State& state, const std::string& name, const std::string& route, std::size_t batch) {
  const auto& g = generator(name, route);
  const auto z = normals(batch * g.latent_dimension(), 1);
  std::vector<double> means(batch * g.image_size());
  for (auto _ : state) {
    g.decode(z, batch, means);
    benchmark::DoNotOptimize(means.data());
  }
  set_roofline(state, name, static_cast<double>(batch), 1);
}

void bench_jvp(benchmark::State& state, const std::string& name, const std::string& route) {
  const auto& g = generator(name, route);
  const auto z = normals(g.latent_dimension(), 2), v = normals(g.latent_dimension(), 3);
  std::vector<double> out(g.image_size());
  for (auto _ : state) {
    g.jvp(z, v, out);
    benchmark::DoNotOptimize(out.data());
  }
  set_roofline(state, name, 2, 1);  // the value and the tangent, in one sweep
}

void bench_vjp(benchmark::State& state, const std::string& name, const std::string& route) {
  const auto& g = generator(name, route);
  const auto z = normals(g.latent_dimension(), 2), u = normals(g.image_size(), 4);
  std::vector<double> out(g.latent_dimension());
  for (auto _ : state) {
    g.vjp(z, u, out);
    benchmark::DoNotOptimize(out.data());
  }
  set_roofline(state, name, 2, 2);  // forward and transposed sweeps
}

// The gradient of ½‖μ(z) − x‖² per latent: cotangents μ − x.
void bench_decode_and_vjp(benchmark::State& state, const std::string& name, const std::string& route,
                          std::size_t batch) {
  const auto& g = generator(name, route);
  const auto z = normals(batch * g.latent_dimension(), 2), target = normals(batch * g.image_size(), 5);
  std::vector<double> means(batch * g.image_size()), gradients(batch * g.latent_dimension());
  const auto misfit = [&](std::span<const double> mu, std::span<double> cotangents) {
    for (std::size_t i = 0; i < mu.size(); ++i) cotangents[i] = mu[i] - target[i];
  };
  for (auto _ : state) {
    g.decode_and_vjp(z, batch, means, misfit, gradients);
    benchmark::DoNotOptimize(gradients.data());
  }
  set_roofline(state, name, 2.0 * static_cast<double>(batch), 2);
}

void bench_jacobian(benchmark::State& state, const std::string& name, const std::string& route) {
  const auto& g = generator(name, route);
  const auto z = normals(g.latent_dimension(), 2);
  DenseMatrix jacobian;
  for (auto _ : state) {
    g.jacobian(z, jacobian);
    benchmark::DoNotOptimize(jacobian.data());
  }
  set_roofline(state, name, 1.0 + static_cast<double>(g.latent_dimension()), 1);  // z and m unit tangents
}

void bench_torch_jacobian(benchmark::State& state, const std::string& name, JacobianMethod method) {
  const auto& g = dynamic_cast<const TorchGenerator&>(generator(name, "torchscript"));
  const auto z = normals(g.latent_dimension(), 2);
  DenseMatrix jacobian;
  for (auto _ : state) {
    g.jacobian(z, jacobian, method);
    benchmark::DoNotOptimize(jacobian.data());
  }
}

// The shipped flow on one route ("native" or "torchscript"), loaded once per route.
const Generator& shipped_flow(const std::string& route) {
  static std::map<std::string, std::shared_ptr<Generator>> flows;
  auto& flow = flows[route];
  if (!flow) flow = load_generator(source_model("fmnist-flow-realnvp.pt"), parse_generator_route(route));
  return *flow;
}

void bench_flow_decode(benchmark::State& state, const std::string& route, std::size_t batch) {
  const auto& g = shipped_flow(route);
  const auto z = normals(batch * g.latent_dimension(), 1);
  std::vector<double> x(batch * g.image_size());
  for (auto _ : state) {
    g.decode(z, batch, x);
    benchmark::DoNotOptimize(x.data());
  }
}

// The images the flow's inverse and log-determinant are timed at: decoded prior draws.
std::vector<double> flow_images(const std::string& route, std::size_t batch) {
  const auto& g = shipped_flow(route);
  std::vector<double> x(batch * g.image_size());
  g.decode(normals(batch * g.latent_dimension(), 1), batch, x);
  return x;
}

void bench_flow_inverse(benchmark::State& state, const std::string& route, std::size_t batch) {
  const auto x = flow_images(route, batch);
  std::vector<double> z(x.size());
  for (auto _ : state) {
    shipped_flow(route).flow()->inverse(x, batch, z);
    benchmark::DoNotOptimize(z.data());
  }
}

void bench_flow_log_det(benchmark::State& state, const std::string& route, std::size_t batch) {
  const auto x = flow_images(route, batch);
  std::vector<double> log_dets(batch);
  for (auto _ : state) {
    shipped_flow(route).flow()->log_det_inverse(x, batch, log_dets);
    benchmark::DoNotOptimize(log_dets.data());
  }
}

void bench_flow_jvp(benchmark::State& state, const std::string& route) {
  const auto& g = shipped_flow(route);
  const auto z = normals(g.latent_dimension(), 2), v = normals(g.latent_dimension(), 3);
  std::vector<double> out(g.image_size());
  for (auto _ : state) {
    g.jvp(z, v, out);
    benchmark::DoNotOptimize(out.data());
  }
}

void bench_flow_vjp(benchmark::State& state, const std::string& route) {
  const auto& g = shipped_flow(route);
  const auto z = normals(g.latent_dimension(), 2), u = normals(g.image_size(), 4);
  std::vector<double> out(g.latent_dimension());
  for (auto _ : state) {
    g.vjp(z, u, out);
    benchmark::DoNotOptimize(out.data());
  }
}

// flow_map's gradient piece for the misfit ½‖f(z) − x‖²: cotangents f(z) − x.
void bench_flow_objective_gradient(benchmark::State& state, const std::string& route) {
  const auto& g = shipped_flow(route);
  const auto z = normals(g.latent_dimension(), 2), target = normals(g.image_size(), 5);
  std::vector<double> x(g.image_size()), gradient(g.latent_dimension()), log_det(1);
  const auto misfit = [&](std::span<const double> images, std::span<double> cotangents) {
    for (std::size_t i = 0; i < images.size(); ++i) cotangents[i] = images[i] - target[i];
  };
  for (auto _ : state) {
    g.flow()->decode_and_log_det_gradient(z, 1, x, misfit, gradient, log_det);
    benchmark::DoNotOptimize(gradient.data());
  }
}

void bench_flow_jacobian(benchmark::State& state, const std::string& route) {
  const auto& g = shipped_flow(route);
  const auto z = normals(g.latent_dimension(), 2);
  DenseMatrix jacobian;
  for (auto _ : state) {
    g.jacobian(z, jacobian);
    benchmark::DoNotOptimize(jacobian.data());
  }
}

void register_flow_benchmarks() {
  for (const std::string route : {"native", "torchscript"}) {
    const auto add = [&](const std::string& label, auto&&... arguments) {
      benchmark::RegisterBenchmark(("flow/" + route + "/" + label).c_str(), arguments...)
          ->Unit(benchmark::kMicrosecond);
    };
    for (const std::size_t batch : {1, 16}) {
      const auto suffix = "/batch:" + std::to_string(batch);
      add("decode" + suffix, bench_flow_decode, route, batch);
      add("inverse" + suffix, bench_flow_inverse, route, batch);
      add("log_det" + suffix, bench_flow_log_det, route, batch);
    }
    add("jvp", bench_flow_jvp, route);
    add("vjp", bench_flow_vjp, route);
    add("decode_and_log_det_gradient", bench_flow_objective_gradient, route);
    add("jacobian", bench_flow_jacobian, route);
  }
}

const bool kRegistered = [] {
  benchmark::RegisterBenchmark("roofline/dgemm:512", bench_dgemm)->Unit(benchmark::kMicrosecond);
  for (const std::string name : {"mlp", "conv", "mri64"}) {
    benchmark::RegisterBenchmark((name + "/roofline/stream").c_str(), bench_stream, name)
        ->Unit(benchmark::kMicrosecond);
    for (const std::string route : {"torchscript", "native"}) {
      const auto prefix = name + "/" + route + "/";
      const auto add = [&](const std::string& label, auto&&... arguments) {
        benchmark::RegisterBenchmark((prefix + label).c_str(), arguments...)->Unit(benchmark::kMicrosecond);
      };
      for (const std::size_t batch : {1, 16, 64}) {
        add("decode/batch:" + std::to_string(batch), bench_decode, name, route, batch);
      }
      add("jvp", bench_jvp, name, route);
      add("vjp", bench_vjp, name, route);
      for (const std::size_t batch : {1, 2, 4, 16}) {
        add("decode_and_vjp/batch:" + std::to_string(batch), bench_decode_and_vjp, name, route, batch);
      }
      add("jacobian", bench_jacobian, name, route);
    }
    if (name == "mri64") continue;  // n = 4096 reverse passes would take seconds each
    benchmark::RegisterBenchmark((name + "/torchscript/jacobian/forward_columns").c_str(), bench_torch_jacobian, name,
                                 JacobianMethod::forward_columns)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((name + "/torchscript/jacobian/reverse_rows").c_str(), bench_torch_jacobian, name,
                                 JacobianMethod::reverse_rows)
        ->Unit(benchmark::kMicrosecond);
  }
  register_flow_benchmarks();
  return true;
}();

}  // namespace
}  // namespace priorbench
