#pragma once
// A Generator evaluated natively (route "native"): the decoder of a `priorbench train` model
// in plain C++ and level-3 BLAS (native_decoder.hpp) instead of TorchScript's interpreter.
// Made by load_generator (generative/torch/generator_loader.hpp) from a model file it
// recognizes; the encoder, which no inference hot path calls, stays with the generator
// passed in (the TorchScript route of the same file).
//
//   μ(z) for a batch       one sweep, one DGEMM per layer over the batch
//   J v, batched           one sweep of values and tangents together
//   Jᵀ u, batched          a sweep keeping the slopes, then one transposed sweep
//   J (n×m)                one sweep of z with the m unit vectors as tangents
//   decode_and_vjp         one sweep, the callback, one transposed sweep
//
// Memory: a sweep holds two blocks of the widest layer per column (and a linearization the
// slopes of every layer per item). Every call is cut into passes whose workspace fits in
// the memory budget — the Jacobian's directions in chunks, a batch in groups of items —
// at least one column per pass. Chunks change no value beyond rounding.

#include <cstddef>
#include <memory>
#include <string>

#include "generative/generator.hpp"
#include "generative/native/native_decoder.hpp"

namespace priorbench {

struct NativeGeneratorOptions {
  // Bytes of workspace a pass may hold; 0: jacobian_memory_budget(0) (memory_budget.hpp).
  std::size_t memory_budget = 0;
};

class NativeGenerator final : public Generator {
 public:
  // `description` describes the model; `encoder` offers the encoder (null: none).
  NativeGenerator(native::NativeDecoderWeights weights, std::string description,
                  std::shared_ptr<const Generator> encoder, NativeGeneratorOptions options = {});

  std::string description() const override { return description_; }
  std::string route() const override { return "native"; }
  bool has_encoder() const override { return encoder_ != nullptr && encoder_->has_encoder(); }

  const native::NativeDecoder& decoder() const { return decoder_; }
  std::size_t memory_budget() const { return memory_budget_; }
  // Latent directions per sweep of the Jacobian, between 1 and m.
  std::size_t jacobian_chunk_size() const;

 protected:
  void decode_impl(std::span<const double> latents, std::size_t batch, std::span<double> means) const override;
  void decoder_variance_impl(std::span<const double> latent, std::span<double> variance) const override;
  void jvp_impl(std::span<const double> latent, std::span<const double> direction,
                std::span<double> out) const override;
  void vjp_impl(std::span<const double> latent, std::span<const double> cotangent,
                std::span<double> out) const override;
  void jacobian_impl(std::span<const double> latent, DenseMatrix& jacobian) const override;
  void encode_impl(std::span<const double> image, std::span<double> mean, std::span<double> variance) const override;
  void batched_jvp_impl(std::span<const double> latents, std::size_t batch, std::span<const double> directions,
                        std::span<double> out) const override;
  void batched_vjp_impl(std::span<const double> latents, std::size_t batch, std::span<const double> cotangents,
                        std::span<double> out) const override;
  void decode_and_vjp_impl(std::span<const double> latents, std::size_t batch, std::span<double> means,
                           const CotangentFunction& cotangents, std::span<double> gradients) const override;

 private:
  // The most items (of a batch, with `tangents_per_item` directions each, or linearized)
  // whose workspace fits in the budget; at least 1.
  std::size_t items_per_pass(std::size_t tangents_per_item, bool linearize) const;

  native::NativeDecoder decoder_;
  std::string description_;
  std::shared_ptr<const Generator> encoder_;
  std::size_t memory_budget_;
};

}  // namespace priorbench
