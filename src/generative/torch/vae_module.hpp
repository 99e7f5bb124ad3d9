#pragma once
// Internal to priorbench_torch (includes Torch): the VAE as a torch::jit::Module.

#include "generative/torch/torch_includes.hpp"
#include "generative/torch/vae_model.hpp"

namespace priorbench::torch_detail {

// Parameters drawn from Torch's global generator (seed it first), in `dtype`. Besides the
// contract's methods the module has decoder_mean_and_log_variance(z) -> (mean [B,H,W],
// log variance [B] or [B,H,W]), which training uses to run the decoder once.
torch::jit::Module build_vae_module(const VaeModelOptions& options, at::ScalarType dtype);

}  // namespace priorbench::torch_detail
