#pragma once
// The contract every generator model file obeys: a TorchScript module with the methods
// and attributes of docs/model-format.md. This header and its checks are plain C++ (no
// Torch): torch_model.cpp hands them the module's attributes and the shapes its probe
// calls returned, so the attribute and shape logic is tested (and fuzzed) without Torch.
// Every message opens with `name`, the model file.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/image_shape.hpp"
#include "generative/generator.hpp"
#include "generative/posterior_collapse.hpp"

namespace priorbench {

// The format_version this code writes; it reads this one and version 1 (a version-1 file
// has no `kind` and is a VAE).
inline constexpr std::int64_t kModelFormatVersion = 2;
inline constexpr std::int64_t kOldestModelFormatVersion = 1;

// The family of a generator (attribute `kind`): a VAE (decoder mean and variance Γ,
// usually an encoder), a GAN (x = g(z), Γ = 0, no encoder) or a normalizing flow
// (a bijection x = f(z) of Rⁿ, m = n, Γ = 0, with its inverse and log-determinant).
enum class GeneratorKind { vae, gan, flow };
std::string generator_kind_name(GeneratorKind kind);  // "vae", "gan", "flow"
std::optional<GeneratorKind> parse_generator_kind(const std::string& text);

struct ModelInfo {
  std::int64_t format_version = 0;
  GeneratorKind kind = GeneratorKind::vae;
  std::size_t latent_dim = 0;
  ImageShape shape;
  DecoderVariance variance_kind = DecoderVariance::none;
  bool has_encoder = false;
  std::string description;  // optional attribute; empty when absent
  // Optional provenance written by `priorbench train`.
  std::optional<double> test_elbo;
  std::optional<double> test_bits_per_dim;  // a flow's test log-likelihood (flow_training.hpp)
  std::string training_log;
  std::optional<PosteriorCollapse> diagnostics;  // on the test images, at the end of training
};

std::string variance_kind_name(DecoderVariance kind);  // "none", "scalar", "per_pixel"
// The inverse; nullopt for any other text.
std::optional<DecoderVariance> parse_variance_kind(const std::string& text);

// One attribute of a model as the checks see it: its value when it is of a kind the
// contract reads (int, float, str, List[float]), and always the name of its kind as
// TorchScript says it ("Int", "Double", "String", "DoubleList", "Tensor", ...).
struct ModelAttribute {
  std::variant<std::monostate, std::int64_t, double, std::string, std::vector<double>> value;
  std::string kind;
};
// The attributes a module has, by name; absent names are not in the map.
using ModelAttributes = std::map<std::string, ModelAttribute>;

// Every attribute name the checks read: the only ones a caller needs to collect.
const std::vector<std::string>& model_attribute_names();

// The required attributes (format_version, kind from version 2 on, latent_dim,
// image_height, image_width, variance_kind), `description` when present, and the optional provenance of
// `priorbench train`. Sizes are checked against PETSc's index range and the probe batch
// of `probe_batch` latents and images against the memory available (core/memory_budget.hpp)
// before the caller allocates them. has_encoder is left false: it is a method, not an
// attribute.
ModelInfo check_model_attributes(const ModelAttributes& attributes, const std::string& name, std::int64_t probe_batch);

// The shape a probe call returned, against the contract; `call` describes the call for
// messages ("decode(z) on z of shape [2, 16]").
void check_decode_shape(std::span<const std::int64_t> sizes, const ModelInfo& info, std::int64_t batch,
                        const std::string& name, const std::string& call);
void check_log_variance_shape(std::span<const std::int64_t> sizes, const ModelInfo& info, std::int64_t batch,
                              const std::string& name, const std::string& call);
// A flow's inverse(x) ([B, m]) and log_det_jacobian(x) ([B]).
void check_inverse_shape(std::span<const std::int64_t> sizes, const ModelInfo& info, std::int64_t batch,
                         const std::string& name, const std::string& call);
void check_log_det_shape(std::span<const std::int64_t> sizes, std::int64_t batch, const std::string& name,
                         const std::string& call);
// A flow's decode and inverse must undo each other: at the probe,
// max |inverse(decode(z)) − z| ≤ tolerance · (1 + max |z|), with the tolerance of
// flow_round_trip_tolerance for the dtype the probe ran in. It is loose against rounding
// (a flow's float64 round trip is near 1e-13) and tight against a wrong inverse.
double flow_round_trip_tolerance(bool double_precision);  // 1e-6 in float64, 1e-2 in float32
void check_round_trip(double max_difference, double max_latent, double tolerance, const std::string& name);

// One of the two tensors encode returns (mean or log variance).
void check_encoding_shape(std::span<const std::int64_t> sizes, const ModelInfo& info, std::int64_t batch,
                          const std::string& name, const std::string& call);

// "[2, 28, 28]".
std::string shape_text(std::span<const std::int64_t> sizes);

}  // namespace priorbench
