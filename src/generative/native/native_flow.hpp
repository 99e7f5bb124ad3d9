#pragma once
// The normalizing flow of `priorbench train --kind flow` (generative/torch/flow_model.hpp)
// evaluated natively (route "native"): its affine couplings' dense conditioners as level-3
// BLAS over a block of columns, instead of TorchScript's interpreter and autograd.
//
// The flow, as flow_model.hpp defines it, with centred pixels (the native route does not
// take the logit pre-processing): per level ℓ and step k, in the inverse direction x → z,
//   actnorm h ← (h + β) ⊙ e^λ;  permutation h ← h[π];
//   coupling  [a, b] ← [a, b ⊙ e^{s(a)} + t(a)],  (s, t) = (tanh c_s(a), c_t(a)),
//   c = W₂ softplus(W₁ softplus(W₀ a + b₀) + b₁) + b₂,
// and ℓ(x) = log|det ∂z/∂x| = Σ λ + Σ s. decode (z → x) undoes the steps in reverse. Every
// call sweeps the decode direction once over a block of columns: values, and (for JVPs
// and the Jacobian) tangents beside them, each layer one DGEMM. Reverse mode (VJP, the
// gradient of flow_map) keeps each coupling's slopes and outputs on the way and sweeps
// back once.
//
// Agreement with the TorchScript route: to rounding (tests/unit/native_flow.cpp).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/image_shape.hpp"
#include "generative/flow_density.hpp"
#include "generative/generator.hpp"
#include "generative/native/layers.hpp"

namespace priorbench {
namespace native {

// One step of a level on its D variables (a = ⌊D/2⌋ conditioning, b = D − a transformed).
struct FlowStepWeights {
  std::vector<double> actnorm_log_scale;  // λ (D)
  std::vector<double> actnorm_bias;       // β (D)
  std::vector<std::int64_t> permutation;  // π (D): h ← h[π]
  DenseWeights conditioner[3];            // a → width → width → 2b (s first, then t)
};

struct NativeFlowWeights {
  ImageShape shape;
  std::vector<std::size_t> level_sizes;             // D_ℓ (D_0 = n, D_{ℓ+1} = ⌈D_ℓ/2⌉)
  std::vector<std::vector<FlowStepWeights>> steps;  // per level, in the inverse direction's order
};

}  // namespace native

class NativeFlow final : public Generator, public FlowDensity {
 public:
  // Checks the weights' shapes; `description` describes the model; `memory_budget` bytes
  // of workspace for a pass of the Jacobian (0: jacobian_memory_budget's default).
  NativeFlow(native::NativeFlowWeights weights, std::string description, std::size_t memory_budget = 0);
  ~NativeFlow() override;
  NativeFlow(const NativeFlow&) = delete;
  NativeFlow& operator=(const NativeFlow&) = delete;

  std::string description() const override { return description_; }
  std::string route() const override { return "native"; }
  bool has_encoder() const override { return false; }
  const FlowDensity* flow() const override { return this; }

  void inverse(std::span<const double> images, std::size_t batch, std::span<double> latents) const override;
  void log_det_inverse(std::span<const double> images, std::size_t batch, std::span<double> log_dets) const override;
  void decode_and_log_det_gradient(std::span<const double> latents, std::size_t batch, std::span<double> images,
                                   const CotangentFunction& cotangents, std::span<double> gradients,
                                   std::span<double> log_dets) const override;

 protected:
  void decode_impl(std::span<const double> latents, std::size_t batch, std::span<double> means) const override;
  void decoder_variance_impl(std::span<const double> latent, std::span<double> variance) const override;
  void jvp_impl(std::span<const double> latent, std::span<const double> direction,
                std::span<double> out) const override;
  void vjp_impl(std::span<const double> latent, std::span<const double> cotangent,
                std::span<double> out) const override;
  void jacobian_impl(std::span<const double> latent, DenseMatrix& jacobian) const override;
  void batched_jvp_impl(std::span<const double> latents, std::size_t batch, std::span<const double> directions,
                        std::span<double> out) const override;
  void batched_vjp_impl(std::span<const double> latents, std::size_t batch, std::span<const double> cotangents,
                        std::span<double> out) const override;
  void decode_and_vjp_impl(std::span<const double> latents, std::size_t batch, std::span<double> means,
                           const CotangentFunction& cotangents, std::span<double> gradients) const override;

 private:
  struct Step;
  struct Tape;
  struct LevelPart {
    std::size_t kept = 0;    // variables of h carried on to the next level
    std::size_t offset = 0;  // where the level's own variables start in z
  };
  LevelPart level_part(std::size_t level) const;
  // x = f(z) for `items` latents, with `tangents_per_item` tangent columns per item pushed
  // forward beside them (directions: items × tangents_per_item × n, item-major); a tape
  // for the reverse sweep when `tape` is not null. Returns ℓ(f(z)) per item.
  std::vector<double> forward(std::span<const double> latents, std::size_t items, std::span<double> images,
                              std::size_t tangents_per_item, std::span<const double> directions,
                              std::span<double> tangents, Tape* tape) const;
  // Jᵀ u − `log_det_weight` ∇_z ℓ(f(z)) per item from a tape.
  void backward(const Tape& tape, std::span<const double> cotangents, double log_det_weight,
                std::span<double> gradients) const;
  // z = f⁻¹(x) and ℓ(x) per item.
  void inverse_pass(std::span<const double> images, std::size_t items, std::span<double> latents,
                    std::span<double> log_dets) const;

  std::vector<std::size_t> level_sizes_;
  std::vector<std::vector<std::unique_ptr<Step>>> steps_;
  double actnorm_log_det_ = 0;  // Σ λ over every step
  std::size_t memory_budget_;
  std::string description_;
};

}  // namespace priorbench
