#pragma once
// What a normalizing flow adds to the generator interface (DESIGN §1; docs/model-format.md,
// kind "flow"): x = f(z) is a bijection of Rⁿ (m = n), so the prior has the exact density
//
//   log p(x) = log N(f⁻¹(x); 0, I) + ℓ(x),    ℓ(x) = log |det ∂f⁻¹/∂x|.
//
// A Generator that is a flow returns this interface from Generator::flow(); its
// decode/jvp/vjp/jacobian are those of f. Plain vectors, no Torch, as generator.hpp.

#include <cstddef>
#include <span>

#include "generative/generator.hpp"

namespace priorbench {

class FlowDensity {
 public:
  virtual ~FlowDensity() = default;

  // z_b = f⁻¹(x_b) for `batch` images (batch × n) into `latents` (batch × n).
  virtual void inverse(std::span<const double> images, std::size_t batch, std::span<double> latents) const = 0;
  // ℓ(x_b) for `batch` images into `log_dets` (batch).
  virtual void log_det_inverse(std::span<const double> images, std::size_t batch, std::span<double> log_dets) const = 0;
  // The pieces of the pixel-space posterior's gradient in z (flow_map): x_b = f(z_b) into
  // `images` (batch × n); `cotangents` once on all of them (u_b); then
  //   g_b = J_f(z_b)ᵀ u_b − ∇_z ℓ(f(z_b))
  // into `gradients` (batch × n) and ℓ(f(z_b)) into `log_dets` (batch).
  virtual void decode_and_log_det_gradient(std::span<const double> latents, std::size_t batch, std::span<double> images,
                                           const Generator::CotangentFunction& cotangents, std::span<double> gradients,
                                           std::span<double> log_dets) const = 0;

 protected:
  FlowDensity() = default;
  FlowDensity(const FlowDensity&) = default;
  FlowDensity& operator=(const FlowDensity&) = default;
};

}  // namespace priorbench
