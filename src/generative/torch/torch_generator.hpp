#pragma once
// A Generator backed by a TorchScript model file (docs/model-format.md). The file is
// validated on load, converted to double precision, and evaluated with Torch's CPU
// kernels. Plain C++ header: Torch is hidden behind a pointer to the implementation.
//
//   TorchGenerator generator("models/fmnist-vae-mlp-m16.pt");
//   generator.decode(z, 1, mean);          // μ(z)
//   generator.jacobian(z, jacobian);       // n×m, one batched forward-mode pass
//
// Threads: Torch's intra-op thread count is process-wide. The constructor sets it to
// `threads`, or when that is 0 to $PRIORBENCH_TORCH_THREADS, or else to 1 — one thread
// per MPI rank, so ranks do not oversubscribe the cores.
//
// Memory: the batched forward-mode Jacobian pushes one copy of z per latent direction
// through the decoder at once, so it holds the activations (and their tangents) of m
// decodes. For a large image that is too much (a 256² conv decoder holds megabytes per
// copy), so the directions go through in chunks: the first Jacobian measures the Torch
// memory of a chunk of two directions (AllocationMeter), and the chunk size is the number
// of directions that fit in `jacobian_memory`, between 1 and m. Chunks change no value
// beyond rounding.

#include <memory>
#include <string>

#include "generative/flow_density.hpp"
#include "generative/generator.hpp"
#include "generative/model_contract.hpp"

namespace priorbench {

// More intra-op threads than any node has cores only oversubscribes it (and each thread
// reserves a stack): --threads and $PRIORBENCH_TORCH_THREADS are refused above this.
inline constexpr int kMaxTorchThreads = 1024;

struct TorchGeneratorOptions {
  int threads = 0;  // 0: $PRIORBENCH_TORCH_THREADS, else 1; at most kMaxTorchThreads
  // Torch memory the batched Jacobian may hold at once, in bytes; 0:
  // $PRIORBENCH_JACOBIAN_MEMORY_MIB MiB, else 256 MiB (see jacobian_chunk_size).
  std::size_t jacobian_memory = 0;
};

// How a full Jacobian is computed. All three agree to rounding; the first is the default
// (DESIGN §6) and the others exist for tests and benchmarks.
enum class JacobianMethod {
  forward_batched,  // one forward-mode pass over a batch of m copies of z, identity tangents
  forward_columns,  // m forward-mode passes, one column J e_j each
  reverse_rows,     // n reverse-mode passes, one row e_iᵀ J each
};

// A model of kind "flow" is also a FlowDensity (flow() returns it): inverse,
// log-determinant and the gradient of flow_map by Torch's autograd through the file's
// inverse and log_det_jacobian methods.
class TorchGenerator final : public Generator, public FlowDensity {
 public:
  // Throws priorbench::Error naming `path` and what is wrong when the file is missing, is
  // not a TorchScript archive, or breaks the contract.
  explicit TorchGenerator(const std::string& path, TorchGeneratorOptions options = {});
  ~TorchGenerator() override;
  TorchGenerator(TorchGenerator&&) noexcept;
  TorchGenerator& operator=(TorchGenerator&&) noexcept;

  std::string description() const override;
  std::string route() const override { return "torchscript"; }
  bool has_encoder() const override;
  const FlowDensity* flow() const override;

  void inverse(std::span<const double> images, std::size_t batch, std::span<double> latents) const override;
  void log_det_inverse(std::span<const double> images, std::size_t batch, std::span<double> log_dets) const override;
  void decode_and_log_det_gradient(std::span<const double> latents, std::size_t batch, std::span<double> images,
                                   const CotangentFunction& cotangents, std::span<double> gradients,
                                   std::span<double> log_dets) const override;

  using Generator::jacobian;
  // J(z) by the given method (the public jacobian uses forward_batched); checked and counted
  // as the public jacobian.
  void jacobian(std::span<const double> latent, DenseMatrix& jacobian, JacobianMethod method) const;

  // Latent directions per batched forward-mode pass (measured on first use, see above),
  // and the measured Torch memory per direction in bytes.
  std::size_t jacobian_chunk_size() const;
  std::size_t jacobian_bytes_per_direction() const;

  using Generator::encode;
  // `batch` images (batch × n) to means and variances (batch × m each), in one pass.
  void encode(std::span<const double> images, std::size_t batch, std::span<double> means,
              std::span<double> variances) const;

  // Writes the model (float64, as loaded) to `path`; loading that file gives a generator
  // with bitwise the same parameters.
  void save(const std::string& path) const;

  const ModelInfo& info() const;
  const std::string& path() const;

  struct Impl;  // defined with Torch in the implementation files
  explicit TorchGenerator(std::unique_ptr<Impl> impl);
  // For the Torch side only (native_import.cpp reads the parameters).
  const Impl& implementation() const { return *impl_; }

 protected:
  void decode_impl(std::span<const double> latents, std::size_t batch, std::span<double> means) const override;
  void decoder_variance_impl(std::span<const double> latent, std::span<double> variance) const override;
  // Forward mode: one dual-number pass.
  void jvp_impl(std::span<const double> latent, std::span<const double> direction,
                std::span<double> out) const override;
  // Reverse mode: one backward pass (which runs the decoder forward again).
  void vjp_impl(std::span<const double> latent, std::span<const double> cotangent,
                std::span<double> out) const override;
  void jacobian_impl(std::span<const double> latent, DenseMatrix& jacobian) const override;
  void encode_impl(std::span<const double> image, std::span<double> mean, std::span<double> variance) const override;

 private:
  void compute_jacobian(std::span<const double> latent, DenseMatrix& jacobian, JacobianMethod method) const;
  // Throws unless this is a flow and the sizes fit (`out_per_item` outputs per item).
  void require_flow(std::span<const double> images, std::size_t batch, std::span<double> out, std::size_t out_per_item,
                    const char* call) const;

  std::unique_ptr<Impl> impl_;
};

}  // namespace priorbench
