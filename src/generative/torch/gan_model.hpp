#pragma once
// The GAN generators that `priorbench train --kind gan` builds: the decoder of a VAE of
// vae_model.hpp without its variance head — x = g(z) = sigmoid(mean head(trunk(z))), Γ = 0
// — as a TorchScript module of kind "gan" (docs/model-format.md). Sharing the VAE
// decoder's layers, parameter names and code is deliberate: the native route
// (generative/native/) evaluates μ, J v, Jᵀ u and J of these generators in plain C++, and
// the activations are softplus (smooth, as the latent MAP and the Laplace need derivatives).
//
//   conv  m → dense (hidden) → dense c_{L−1}×H/2^L×W/2^L → L − 1 transposed convolutions
//         4×4, stride 2 → transposed convolution to 1 channel → sigmoid (DCGAN-style, no
//         batch normalization: the contract evaluates every latent of a batch on its own)
//   mlp   m → hidden (reversed) → n → sigmoid

#include <cstdint>
#include <string>
#include <vector>

#include "generative/torch/vae_model.hpp"

namespace priorbench {

struct GanModelOptions {
  VaeArchitecture architecture = VaeArchitecture::conv;
  std::size_t latent_dim = 16;
  ImageShape shape{28, 28};
  std::vector<std::size_t> hidden = {
      256};                           // mlp widths (encoder order, as for the VAE); conv: the last is the dense width
  std::vector<std::size_t> channels;  // conv channels, finest first; empty: conv_channels' default
};

// The VAE options whose decoder is this generator (variance none).
VaeModelOptions decoder_options(const GanModelOptions& options);

// Throws priorbench::Error naming the option at fault.
void validate(const GanModelOptions& options);

// One line, stored as the model's `description` attribute.
std::string describe(const GanModelOptions& options);

// An untrained generator with weights drawn from Torch's generator seeded by `seed`,
// stored in float64. For tests.
void save_untrained_gan(const GanModelOptions& options, std::uint64_t seed, const std::string& path);

}  // namespace priorbench
