#pragma once
// Internal to priorbench_torch (includes Torch): the RealNVP flow of flow_model.hpp as a
// torch::jit::Module.

#include "generative/torch/flow_model.hpp"
#include "generative/torch/torch_includes.hpp"

namespace priorbench::torch_detail {

// Parameters drawn from Torch's global generator (seed it first), in `dtype`; every
// actnorm is the identity. Methods: the contract's decode(z), inverse(x) and
// log_det_jacobian(x), and inverse_and_log_det(x) -> (z [B, n], log|det ∂f⁻¹/∂x| [B]),
// which training uses to run the flow once.
torch::jit::Module build_flow_module(const FlowModelOptions& options, at::ScalarType dtype);

// The name of the first actnorm's parameters ("_logs" and "_bias" appended): training
// sets them from the statistics of the pre-processed training images.
std::string first_actnorm_name();

}  // namespace priorbench::torch_detail
