#pragma once
// Internal to priorbench_torch (includes Torch): the GAN generator as a torch::jit::Module.

#include "generative/torch/gan_model.hpp"
#include "generative/torch/torch_includes.hpp"

namespace priorbench::torch_detail {

// Parameters drawn from Torch's global generator (seed it first), in `dtype`: the decoder
// layers of build_vae_module, registered in the same order, and the methods
// decoder_trunk(z) and decode(z).
torch::jit::Module build_gan_module(const GanModelOptions& options, at::ScalarType dtype);

}  // namespace priorbench::torch_detail
