#pragma once
// The VAEs that `priorbench train` builds: TorchScript modules made in C++ (parameters
// registered, methods defined from TorchScript source using torch.* operators), obeying
// the model contract of docs/model-format.md, so Python's torch.jit.load reads them.
//
//   mlp   encoder  n → 512 → 256 → (mean, log variance) ∈ R^m × R^m
//         decoder  m → 256 → 512 → n, sigmoid mean
//   conv  encoder  1×H×W → conv 4×4/2 → 32×H/2×W/2 → conv 4×4/2 → 64×H/4×W/4 → 256 → 2m
//         decoder  mirror, transposed convolutions, sigmoid mean (H and W divisible by 4)
// Activations are softplus (smooth: no ReLU kinks for the latent MAP, DESIGN §6).
// Decoder variance, learned: scalar γ² (one parameter) or per pixel (a head on the last
// decoder layer); either way log Γ = logaddexp(raw, log floor), i.e. Γ = floor + e^raw,
// a smooth floor (default 1e-4, a standard deviation of 0.01 on [0, 1] pixels).

#include <cstdint>
#include <string>
#include <vector>

#include "core/image_shape.hpp"
#include "generative/generator.hpp"

namespace priorbench {

enum class VaeArchitecture { mlp, conv };

std::string architecture_name(VaeArchitecture architecture);
// "mlp" or "conv"; throws priorbench::Error for anything else.
VaeArchitecture parse_architecture(const std::string& text);

struct VaeModelOptions {
  VaeArchitecture architecture = VaeArchitecture::mlp;
  std::size_t latent_dim = 16;
  ImageShape shape{28, 28};
  DecoderVariance variance = DecoderVariance::scalar;  // scalar or per_pixel
  std::vector<std::size_t> hidden = {512, 256};        // mlp widths (encoder order); conv: last is the dense width
  std::vector<std::size_t> channels = {32, 64};        // conv channels (encoder order)
  double variance_floor = 1e-4;
  double initial_variance = 0.1;  // γ² at initialization (scalar), or per pixel on average
};

// Throws priorbench::Error naming the option at fault.
void validate(const VaeModelOptions& options);

// One line, stored as the model's `description` attribute.
std::string describe(const VaeModelOptions& options);

// An untrained VAE with weights drawn from Torch's generator seeded by `seed`, stored in
// float64. For tests and for inspecting the contract.
void save_untrained_vae(const VaeModelOptions& options, std::uint64_t seed, const std::string& path);

}  // namespace priorbench
