#pragma once
// The normalizing flows that `priorbench train --kind flow` builds: a multi-scale
// RealNVP (Dinh, Sohl-Dickstein & Bengio 2017) with Glow's actnorm (Kingma & Dhariwal
// 2018) and fixed permutations, as a TorchScript module of kind "flow"
// (docs/model-format.md). It is a bijection x = f(z) of Rⁿ (m = n) with
//
//   inverse (x → z)   pre-processing  y = x − ½ (default) or y = logit(α + (1 − 2α) x),
//                     then per level ℓ = 0 … L−1, on the D_ℓ variables still in play,
//                     K_ℓ steps of  actnorm → fixed permutation → affine coupling;
//                     after every level but the last, half of them leave as latents
//                     (the multi-scale factor-out), D_{ℓ+1} = ⌈D_ℓ / 2⌉
//   decode (z → x)    the same steps in reverse, then the pre-processing undone
//
// One affine coupling on h = [a, b] (a the first ⌊D/2⌋ variables):
//   b ← b ⊙ exp(s(a)) + t(a),   s = tanh(first half of c(a)),  t = second half of c(a),
//   c = dense → softplus → dense → softplus → dense (zero-initialized: every coupling
//   starts as the identity, as in Glow),
// with log|det| = Σ s. The conditioners are dense, not convolutional: on one core a
// convolutional RealNVP of useful width costs gigaflops per 28² image and days per
// training run; these cost megaflops. The activations are smooth (softplus, tanh) because
// flow_map differentiates the log-determinant, and the bounded tanh scale keeps one
// coupling within a factor e of the identity.
//
// Pre-processing. RealNVP and Glow map [0, 1] images through a logit first. priorbench
// offers it (`logit`, with α) but defaults to the centring y = x − ½ (`none`), because the
// logit makes the pixel-space posterior's MAP ill-posed: its log-Jacobian
// Σ −log p(1 − p), p = α + (1 − 2α) x, grows without bound as a pixel approaches the edge
// of the flow's support (x → −α/(1 − 2α) or (1 − α)/(1 − 2α), outside [0, 1]), and a
// trained flow's Gaussian term does not catch it there: on a logit flow trained for two
// epochs, −log p(x) fell from −2720 to −4245 along the first gradient direction as pixels
// ran to −0.0556, and flow_map's line searches failed at the edge. With the centring, every
// step's log-determinant is bounded (|s| ≤ 1 per coupling, actnorm fixed), so
// −log p(x) ≥ ½‖f⁻¹(x)‖² − const and the MAP exists. Either way log_det_jacobian includes
// the pre-processing, so densities and bits per dimension are of x.

#include <cstdint>
#include <string>
#include <vector>

#include "core/image_shape.hpp"

namespace priorbench {

enum class FlowPreprocessing { none, logit };
// "none", "logit" (enum order).
const std::vector<std::string>& flow_preprocessing_names();

struct FlowModelOptions {
  ImageShape shape{28, 28};
  FlowPreprocessing preprocessing = FlowPreprocessing::none;
  std::vector<std::size_t> couplings = {4, 4};   // K_ℓ per level; the number of levels is their count
  std::vector<std::size_t> hidden = {256, 192};  // conditioner width per level (one value: all levels)
  double alpha = 0.05;                           // of the logit pre-processing (unused by none)
  // Scale of the conditioners' last layers at initialization: 0 (training: every coupling
  // starts as the identity) or, for tests, weights uniform in ±scale/√fan_in so that an
  // untrained flow is far from the identity.
  double coupling_init_scale = 0;
};

// Throws priorbench::Error naming the option at fault.
void validate(const FlowModelOptions& options);

// One line, stored as the model's `description` attribute.
std::string describe(const FlowModelOptions& options);

// D_ℓ, the variables in play at each level (D_0 = n).
std::vector<std::size_t> flow_level_sizes(const FlowModelOptions& options);

// An untrained flow with weights drawn from Torch's generator seeded by `seed`, actnorm
// parameters drawn too (scale within a factor e^{±0.2}), stored in float64. For tests.
void save_untrained_flow(const FlowModelOptions& options, std::uint64_t seed, const std::string& path);

}  // namespace priorbench
