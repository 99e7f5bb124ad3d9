#pragma once
// The contract every generator model file obeys: a TorchScript module with the methods
// and attributes of docs/model-format.md. This header is plain C++ (no Torch): it says
// what a validated file declares.

#include <cstdint>
#include <optional>
#include <string>

#include "core/image_shape.hpp"
#include "generative/generator.hpp"
#include "inference/posterior_collapse.hpp"

namespace priorbench {

// The format_version this code reads and writes.
inline constexpr std::int64_t kModelFormatVersion = 1;

struct ModelInfo {
  std::int64_t format_version = 0;
  std::size_t latent_dim = 0;
  ImageShape shape;
  DecoderVariance variance_kind = DecoderVariance::none;
  bool has_encoder = false;
  std::string description;  // optional attribute; empty when absent
  // Optional provenance written by `priorbench train`.
  std::optional<double> test_elbo;
  std::string training_log;
  std::optional<PosteriorCollapse> diagnostics;  // on the test images, at the end of training
};

std::string variance_kind_name(DecoderVariance kind);  // "none", "scalar", "per_pixel"
// The inverse; nullopt for any other text.
std::optional<DecoderVariance> parse_variance_kind(const std::string& text);

}  // namespace priorbench
