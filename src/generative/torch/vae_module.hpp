#pragma once
// Internal to priorbench_torch (includes Torch): the VAE as a torch::jit::Module.

#include "generative/torch/torch_includes.hpp"
#include "generative/torch/vae_model.hpp"

namespace priorbench::torch_detail {

// Parameters drawn from Torch's global generator (seed it first), in `dtype`. Besides the
// contract's methods the module has decoder_mean_and_log_variance(z) -> (mean [B,H,W],
// log variance [B] or [B,H,W]), which training uses to run the decoder once.
torch::jit::Module build_vae_module(const VaeModelOptions& options, at::ScalarType dtype);

// The pieces of the decoder, shared with the GAN generator (gan_model.cpp), which is this
// decoder without a variance head: the same parameter names and TorchScript code, so the
// native route evaluates both.

// Registers the weight [out, in] and bias [out] of a dense layer `name`_w, `name`_b,
// uniform in ±1/√in (PyTorch's default for nn.Linear).
void dense(torch::jit::Module& module, const std::string& name, std::int64_t in, std::int64_t out,
           at::ScalarType dtype);
// A 4×4 convolution (transposed: weight [in, out, 4, 4]), uniform in ±1/√fan_in.
void convolution(torch::jit::Module& module, const std::string& name, std::int64_t in, std::int64_t out,
                 bool transposed, at::ScalarType dtype);
// "torch.addmm(self.L_b, INPUT, self.L_w.t())".
std::string affine(const std::string& layer, const std::string& input);
// A stride-2, padding-1 convolution (or its transpose) of h by layer `layer`.
std::string conv2d(const std::string& layer, bool transposed);
// `def decoder_trunk(self, z)`: the decoder's softplus layers up to the mean head.
std::string decoder_trunk_source(const VaeModelOptions& options);
// The mean head applied to the trunk's output h (before the sigmoid).
std::string mean_output_source(const VaeModelOptions& options);
// The decoder's parameters: trunk, mean head, and the log-variance head when per pixel.
void register_decoder_layers(torch::jit::Module& module, const VaeModelOptions& options, at::ScalarType dtype);

}  // namespace priorbench::torch_detail
