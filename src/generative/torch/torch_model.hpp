#pragma once
// Internal to priorbench_torch (includes Torch): loading and validating model files
// against the contract, and calling the contract's methods with flat [B, n] images.

#include <string>
#include <utility>

#include "generative/model_contract.hpp"
#include "generative/torch/torch_generator.hpp"
#include "generative/torch/torch_includes.hpp"

namespace priorbench::torch_detail {

// One line for an error message out of a Torch exception (backtraces and TorchScript
// tracebacks dropped).
std::string summarize(const std::exception& error);

// Sets Torch's intra-op threads: `requested`, or $PRIORBENCH_TORCH_THREADS, or 1.
int apply_threads(int requested);

// torch::jit::load with errors naming `path`.
torch::jit::Module load_module(const std::string& path);

// Checks the attributes and methods of docs/model-format.md and probes each method once
// with a batch of two inputs of the module's floating dtype. `name` (the file) opens
// every error message.
ModelInfo validate_module(const torch::jit::Module& module, const std::string& name);

// Calls a method of the module with TorchScript's profiling graph optimizer off, so a
// method gives the same numbers on its first call and its hundredth (the optimized graph
// may differentiate and round differently), and a resumed training run equals an
// uninterrupted one. Every call of a model method goes through here.
c10::IValue call_method(const torch::jit::Module& module, const std::string& method, std::vector<c10::IValue> inputs);

// μ(z) as [B, n] for z [B, m].
at::Tensor decode_flat(const torch::jit::Module& module, const at::Tensor& z, const ModelInfo& info);
// log diag Γ(z) as [B, 1] (scalar) or [B, n] (per pixel).
at::Tensor log_variance_flat(const torch::jit::Module& module, const at::Tensor& z, const ModelInfo& info);
// (mean, log variance) of q(z|x), each [B, m], for x [B, n].
std::pair<at::Tensor, at::Tensor> encode_flat(const torch::jit::Module& module, const at::Tensor& x,
                                              const ModelInfo& info);

}  // namespace priorbench::torch_detail

namespace priorbench {

struct TorchGenerator::Impl {
  std::string path;
  torch::jit::Module module;
  ModelInfo info;
  std::size_t jacobian_memory = 0;               // bytes; resolved from the options
  std::size_t jacobian_bytes_per_direction = 0;  // measured by the first batched Jacobian
  std::size_t jacobian_chunk = 0;                // 0 until measured
};

namespace torch_detail {
// Takes a module (converted here to double, gradients of parameters off), validates it
// under `name`, and wraps it.
std::unique_ptr<TorchGenerator::Impl> make_generator_impl(torch::jit::Module module, const std::string& name);
}  // namespace torch_detail

}  // namespace priorbench
