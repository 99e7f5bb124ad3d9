#pragma once
// The VAEs that `priorbench train` builds: TorchScript modules made in C++ (parameters
// registered, methods defined from TorchScript source using torch.* operators), obeying
// the model contract of docs/model-format.md, so Python's torch.jit.load reads them.
//
//   mlp   encoder  n → 512 → 256 → (mean, log variance) ∈ R^m × R^m
//         decoder  m → 256 → 512 → n, sigmoid mean
//   conv  encoder  1×H×W → L convolutions 4×4, stride 2, channels c_0 … c_{L−1}
//                  → c_{L−1}×H/2^L×W/2^L → 256 → 2m
//         decoder  mirror, transposed convolutions, sigmoid mean (H and W divisible by 2^L)
//         The channel list (finest first) sets L; by default (conv_channels) L grows with
//         the image — 2 layers (32, 64) at 28², 6 layers (8, 8, 8, 16, 32, 64) at 256² —
//         so that the dense layers after the last convolution stay small.
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
  std::vector<std::size_t> channels;                   // conv channels (encoder order); empty: conv_channels
  double variance_floor = 1e-4;
  double initial_variance = 0.1;  // γ² at initialization (scalar), or per pixel on average
};

// The channels of the conv architecture's stride-2 layers, finest first: `channels` when
// given, else the default for the image shape. The default halves the image while the
// coarsest map would still be larger than 4×4 and both sides stay even, with at least 2
// layers; the coarsest layer has 64 channels and each finer one half as many, at least 8:
// 28² → (32, 64) (a 7×7 map), 64² → (8, 16, 32, 64), 128² → (8, 8, 16, 32, 64),
// 256² → (8, 8, 8, 16, 32, 64) (4×4 maps). At 256² the model then has about 0.63 M
// parameters (2.5 MB in float32) where the former fixed two layers would have had 134 M in
// the dense layers alone; and decoding costs a few million multiply-adds per image.
std::vector<std::size_t> conv_channels(const VaeModelOptions& options);

// Throws priorbench::Error naming the option at fault.
void validate(const VaeModelOptions& options);

// One line, stored as the model's `description` attribute.
std::string describe(const VaeModelOptions& options);

// An untrained VAE with weights drawn from Torch's generator seeded by `seed`, stored in
// float64. For tests and for inspecting the contract.
void save_untrained_vae(const VaeModelOptions& options, std::uint64_t seed, const std::string& path);

}  // namespace priorbench
