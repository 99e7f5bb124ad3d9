#pragma once
// The decoders of `priorbench train` (vae_model.hpp) evaluated in plain C++ and BLAS, no
// Torch: a trunk of linear layers each followed by softplus, a mean head followed by a
// sigmoid, and a log-variance head (per pixel) or a constant (scalar):
//
//   h₀ = z,  h_l = softplus(A_l h_{l−1} + b_l),  μ = sigmoid(A_mean h_L + b_mean),
//   log Γ = logaddexp(A_var h_L + b_var, log floor)   or   logaddexp(raw, log floor).
//
// Forward mode. A sweep pushes a block of columns through the layers: the latents z_i
// (values) and k directions per latent (tangents). Each layer is one matrix product over
// the whole block, so the weights are read once for all columns; then the value columns get
// bias and activation, and each tangent column is multiplied by the activation's slope at
// its latent: t_l = f'(a_l) ⊙ A_l t_{l−1}. With the m unit vectors as the tangents of one
// latent the tangent block is J(z) — m + 1 columns instead of m decodes.
//
// Reverse mode. `linearize` sweeps the values and keeps every activation's slope;
// `pull_back` then applies Jᵀ = A₁ᵀ D₁ ⋯ A_Lᵀ D_L A_meanᵀ D_mean to a block of cotangents,
// one transposed matrix product per layer.
//
// Cost: a sweep of c columns is c · multiply_adds() multiply-adds in level-3 BLAS; memory is
// workspace_values(…) doubles, linear in the columns, which NativeGenerator bounds.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "core/image_shape.hpp"
#include "generative/generator.hpp"
#include "generative/native/layers.hpp"

namespace priorbench::native {

using LayerWeights = std::variant<DenseWeights, TransposedConvolutionWeights>;

// Everything a native decoder is made of; filled from a model file by the TorchScript side
// (generative/torch/native_import.hpp).
struct NativeDecoderWeights {
  std::size_t latent_dim = 0;
  ImageShape shape;
  std::vector<LayerWeights> trunk;  // each followed by softplus
  LayerWeights mean_head;           // followed by a sigmoid; n outputs
  DecoderVariance variance = DecoderVariance::scalar;
  std::optional<LayerWeights> log_variance_head;  // per_pixel: the raw log variance, n outputs
  double raw_log_variance = 0;                    // scalar
  double log_variance_floor = 0;                  // log Γ = logaddexp(raw, log_variance_floor)
};

// The slopes of every activation at `items` latents, kept by linearize for pull_back.
struct Linearization {
  std::size_t items = 0;
  std::vector<std::vector<double>> slopes;  // per layer (trunk, then the mean head): size × items
};

class NativeDecoder {
 public:
  // Throws priorbench::Error when the layers do not chain (sizes) or do not end in n pixels.
  explicit NativeDecoder(NativeDecoderWeights weights);

  std::size_t latent_dimension() const { return latent_dim_; }
  ImageShape image_shape() const { return shape_; }
  std::size_t image_size() const { return static_cast<std::size_t>(shape_.size()); }
  DecoderVariance variance_kind() const { return variance_; }

  // μ(z_i) for `items` latents (items × m) into `means` (items × n). With k =
  // `tangents_per_item` > 0, also J(z_i) v for k directions per latent — `directions`
  // (items·k × m, the k of latent i consecutive) into `tangents` (items·k × n).
  void sweep(std::span<const double> latents, std::size_t items, std::span<double> means,
             std::size_t tangents_per_item = 0, std::span<const double> directions = {},
             std::span<double> tangents = {}) const;
  // μ(z_i) as sweep does, keeping the slopes for pull_back.
  Linearization linearize(std::span<const double> latents, std::size_t items, std::span<double> means) const;
  // J(z_i)ᵀ u_i for the latents of `linearization`: cotangents (items × n) to gradients
  // (items × m).
  void pull_back(const Linearization& linearization, std::span<const double> cotangents,
                 std::span<double> gradients) const;
  // log diag Γ(z) (n) for one latent.
  void log_variance(std::span<const double> latent, std::span<double> out) const;

  // Doubles a call holds at its peak: a sweep of `items` latents with `tangents_per_item`
  // directions each, or (linearize) a linearization of `items` with its pull-back.
  std::size_t workspace_values(std::size_t items, std::size_t tangents_per_item, bool linearize) const;
  // Multiply-adds of the linear maps for one column of a sweep (the mean head included).
  std::int64_t multiply_adds() const;
  // Weights a sweep reads (the trunk and the mean head, biases not counted): a sweep of any
  // number of columns reads each at least once, so at batch 1 its time is bounded below by
  // 8 · weight_count() bytes at the memory bandwidth, not only by the multiply-adds.
  std::size_t weight_count() const;

 private:
  enum class Activation { softplus, sigmoid, log_variance_floor };
  struct Layer {
    std::unique_ptr<LinearLayer> map;
    Activation activation;
  };
  struct Buffers;  // the blocks of one sweep

  static Layer make_layer(LayerWeights weights, Activation activation);
  // Runs layers_[0, count) on the block in buffers.current (input_size × columns), the first
  // `items` columns values, the rest k tangents per item; slopes into `kept` when given.
  void run_layers(std::size_t count, Buffers& buffers, std::size_t items, std::size_t tangents_per_item,
                  Linearization* kept) const;
  void activate(const Layer& layer, std::span<double> block, std::size_t items, std::size_t tangents_per_item,
                std::span<double> slopes, bool want_slopes) const;
  std::size_t widest() const;  // the largest input or output of any layer
  std::size_t scratch_values() const;

  std::size_t latent_dim_;
  ImageShape shape_;
  DecoderVariance variance_;
  std::vector<Layer> layers_;  // the trunk, then the mean head
  std::optional<Layer> log_variance_head_;
  double raw_log_variance_;
  double log_variance_floor_;
};

}  // namespace priorbench::native
