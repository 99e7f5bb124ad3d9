#include "generative/model_contract.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/memory_budget.hpp"

namespace priorbench {

std::string variance_kind_name(DecoderVariance kind) {
  switch (kind) {
    case DecoderVariance::none:
      return "none";
    case DecoderVariance::scalar:
      return "scalar";
    case DecoderVariance::per_pixel:
      return "per_pixel";
  }
  return "unknown";
}

std::optional<DecoderVariance> parse_variance_kind(const std::string& text) {
  for (const auto kind : {DecoderVariance::none, DecoderVariance::scalar, DecoderVariance::per_pixel}) {
    if (text == variance_kind_name(kind)) return kind;
  }
  return std::nullopt;
}

std::string generator_kind_name(GeneratorKind kind) {
  switch (kind) {
    case GeneratorKind::vae:
      return "vae";
    case GeneratorKind::gan:
      return "gan";
    case GeneratorKind::flow:
      return "flow";
  }
  return "unknown";
}

std::optional<GeneratorKind> parse_generator_kind(const std::string& text) {
  for (const auto kind : {GeneratorKind::vae, GeneratorKind::gan, GeneratorKind::flow}) {
    if (text == generator_kind_name(kind)) return kind;
  }
  return std::nullopt;
}

namespace {

const char* const kContractHint = " (docs/model-format.md)";
constexpr std::int64_t kPetscIntMax = std::numeric_limits<PetscInt>::max();

const ModelAttribute* find(const ModelAttributes& attributes, const std::string& attribute) {
  const auto found = attributes.find(attribute);
  return found == attributes.end() ? nullptr : &found->second;
}

template <class Value>
const Value& require(const ModelAttributes& attributes, const std::string& name, const std::string& attribute,
                     const char* type) {
  const ModelAttribute* found = find(attributes, attribute);
  PB_REQUIRE(found != nullptr, name, ": attribute '", attribute, "' missing", kContractHint);
  const auto* value = std::get_if<Value>(&found->value);
  PB_REQUIRE(value != nullptr, name, ": attribute '", attribute, "' must be ", type, ", it is ", found->kind);
  return *value;
}

template <class Value>
std::optional<Value> optional(const ModelAttributes& attributes, const std::string& attribute) {
  const ModelAttribute* found = find(attributes, attribute);
  if (found == nullptr) return std::nullopt;
  const auto* value = std::get_if<Value>(&found->value);
  return value != nullptr ? std::optional<Value>(*value) : std::nullopt;
}

// An int attribute, or a float one, as a number.
std::optional<double> optional_number(const ModelAttributes& attributes, const std::string& attribute) {
  if (const auto value = optional<double>(attributes, attribute)) return value;
  if (const auto value = optional<std::int64_t>(attributes, attribute)) return static_cast<double>(*value);
  return std::nullopt;
}

// A count stored as a number: whole, non-negative and exactly representable.
std::optional<std::size_t> optional_count(const ModelAttributes& attributes, const std::string& attribute) {
  const auto value = optional_number(attributes, attribute);
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  if (!value || !(*value >= 0 && *value <= kExactIntegers) || std::floor(*value) != *value) return std::nullopt;
  return static_cast<std::size_t>(*value);
}

// The sizes a model declares, in PETSc's index range (vectors of m and of n = H·W
// entries), with the probe batch's latents and images within the memory available.
void check_sizes(std::int64_t latent_dim, std::int64_t height, std::int64_t width, const std::string& name,
                 std::int64_t probe_batch) {
  PB_REQUIRE(latent_dim > 0, name, ": attribute latent_dim must be positive, got ", latent_dim);
  PB_REQUIRE(height > 0 && width > 0, name, ": attributes image_height and image_width must be positive, got ", height,
             " and ", width);
  PB_REQUIRE(latent_dim <= kPetscIntMax, name, ": attribute latent_dim ", latent_dim,
             " exceeds the largest vector length of PETSc's 32-bit indices, ", kPetscIntMax);
  PB_REQUIRE(height <= kPetscIntMax / width, name, ": image_height x image_width = ", height, " x ", width,
             " pixels exceeds the largest vector length of PETSc's 32-bit indices, ", kPetscIntMax);
  require_memory(static_cast<std::uint64_t>(probe_batch) * static_cast<std::uint64_t>(latent_dim + height * width), 8,
                 name + ": a probe batch of " + std::to_string(probe_batch) + " latents of " +
                     std::to_string(latent_dim) + " and images of " + std::to_string(height * width) + " pixels");
}

// The posterior-collapse diagnostics of `priorbench train`, when all are present and
// consistent (m entries per list, whole image counts); else none, as for a model from
// elsewhere.
std::optional<PosteriorCollapse> read_diagnostics(const ModelAttributes& attributes, std::size_t m) {
  const auto kl = optional<std::vector<double>>(attributes, "diagnostics_kl");
  const auto activity = optional<std::vector<double>>(attributes, "diagnostics_activity");
  const auto variance = optional<std::vector<double>>(attributes, "diagnostics_mean_encoder_variance");
  const auto norms = optional<std::vector<double>>(attributes, "diagnostics_decoder_column_norms");
  const auto images = optional_count(attributes, "diagnostics_images");
  const auto jacobian_images = optional_count(attributes, "diagnostics_jacobian_images");
  const auto activity_threshold = optional_number(attributes, "diagnostics_activity_threshold");
  const auto kl_threshold = optional_number(attributes, "diagnostics_kl_threshold");
  if (!(kl && activity && variance && norms && images && jacobian_images && activity_threshold && kl_threshold) ||
      kl->size() != m || activity->size() != m || variance->size() != m || norms->size() != m) {
    return std::nullopt;
  }
  PosteriorCollapse diagnostics;
  diagnostics.images = *images;
  diagnostics.jacobian_images = *jacobian_images;
  diagnostics.activity_threshold = *activity_threshold;
  diagnostics.kl_threshold = *kl_threshold;
  diagnostics.kl = *kl;
  diagnostics.activity = *activity;
  diagnostics.mean_encoder_variance = *variance;
  diagnostics.decoder_column_norms = *norms;
  for (std::size_t j = 0; j < m; ++j) {  // the classification of generative/posterior_collapse.hpp
    const bool active = diagnostics.activity[j] > diagnostics.activity_threshold;
    const bool collapsed = !active && diagnostics.kl[j] < diagnostics.kl_threshold;
    diagnostics.active.push_back(active ? 1 : 0);
    diagnostics.collapsed.push_back(collapsed ? 1 : 0);
    diagnostics.active_count += active ? 1 : 0;
    diagnostics.collapsed_count += collapsed ? 1 : 0;
    diagnostics.total_kl += diagnostics.kl[j];
  }
  return diagnostics;
}

std::optional<std::int64_t> element_count(std::span<const std::int64_t> sizes) {
  std::int64_t count = 1;
  for (const std::int64_t size : sizes) {
    if (size < 0 || (size > 0 && count > std::numeric_limits<std::int64_t>::max() / size)) return std::nullopt;
    count *= size;
  }
  return count;
}

bool equals(std::span<const std::int64_t> sizes, std::initializer_list<std::int64_t> expected) {
  return std::equal(sizes.begin(), sizes.end(), expected.begin(), expected.end());
}

// Version 2 names the family; a version-1 file has no `kind` and is a VAE (that version
// knew no other family), so a `kind` in it is a contradiction, not a hint.
GeneratorKind read_kind(const ModelAttributes& attributes, const std::string& name, std::int64_t version) {
  if (version == 1) {
    PB_REQUIRE(find(attributes, "kind") == nullptr, name,
               ": attribute 'kind' is a format_version 2 attribute, but the file declares format_version 1");
    return GeneratorKind::vae;
  }
  const auto& text = require<std::string>(attributes, name, "kind", "a str");
  const auto kind = parse_generator_kind(text);
  PB_REQUIRE(kind.has_value(), name, ": attribute kind is '", text, "'; expected 'vae', 'gan' or 'flow'");
  return *kind;
}

// A GAN is x = g(z) and a flow a bijection x = f(z): neither has decoder noise, and a
// flow's latent space is its image space (m = n).
void check_kind_variance(const ModelInfo& info, const std::string& name) {
  if (info.kind == GeneratorKind::vae) return;
  const auto kind = generator_kind_name(info.kind);
  PB_REQUIRE(info.variance_kind == DecoderVariance::none, name, ": attribute variance_kind is '",
             variance_kind_name(info.variance_kind), "' but a model of kind '", kind,
             "' has Gamma = 0 (variance_kind 'none')");
  const auto n = static_cast<std::size_t>(info.shape.size());
  PB_REQUIRE(info.kind != GeneratorKind::flow || info.latent_dim == n, name, ": attribute latent_dim is ",
             info.latent_dim, " but a flow is a bijection of the image space: latent_dim must be image_height x ",
             "image_width = ", n);
}

}  // namespace

const std::vector<std::string>& model_attribute_names() {
  static const std::vector<std::string> names = {"format_version",
                                                 "kind",
                                                 "latent_dim",
                                                 "image_height",
                                                 "image_width",
                                                 "variance_kind",
                                                 "description",
                                                 "test_elbo",
                                                 "test_bits_per_dim",
                                                 "training_log",
                                                 "diagnostics_kl",
                                                 "diagnostics_activity",
                                                 "diagnostics_mean_encoder_variance",
                                                 "diagnostics_decoder_column_norms",
                                                 "diagnostics_images",
                                                 "diagnostics_jacobian_images",
                                                 "diagnostics_activity_threshold",
                                                 "diagnostics_kl_threshold"};
  return names;
}

ModelInfo check_model_attributes(const ModelAttributes& attributes, const std::string& name, std::int64_t probe_batch) {
  ModelInfo info;
  info.format_version = require<std::int64_t>(attributes, name, "format_version", "an int");
  PB_REQUIRE(info.format_version >= kOldestModelFormatVersion && info.format_version <= kModelFormatVersion, name,
             ": format_version ", info.format_version, " is not supported (this priorbench reads versions ",
             kOldestModelFormatVersion, " to ", kModelFormatVersion, ")");
  info.kind = read_kind(attributes, name, info.format_version);
  const auto latent_dim = require<std::int64_t>(attributes, name, "latent_dim", "an int");
  const auto height = require<std::int64_t>(attributes, name, "image_height", "an int");
  const auto width = require<std::int64_t>(attributes, name, "image_width", "an int");
  check_sizes(latent_dim, height, width, name, probe_batch);
  info.latent_dim = static_cast<std::size_t>(latent_dim);
  info.shape = {static_cast<PetscInt>(height), static_cast<PetscInt>(width)};
  const auto& kind_text = require<std::string>(attributes, name, "variance_kind", "a str");
  const auto kind = parse_variance_kind(kind_text);
  PB_REQUIRE(kind.has_value(), name, ": attribute variance_kind is '", kind_text,
             "'; expected 'none', 'scalar' or 'per_pixel'");
  info.variance_kind = *kind;
  check_kind_variance(info, name);
  if (find(attributes, "description") != nullptr) {
    info.description = require<std::string>(attributes, name, "description", "a str");
  }
  info.test_elbo = optional<double>(attributes, "test_elbo");
  info.test_bits_per_dim = optional<double>(attributes, "test_bits_per_dim");
  info.training_log = optional<std::string>(attributes, "training_log").value_or("");
  info.diagnostics = read_diagnostics(attributes, info.latent_dim);
  return info;
}

void check_decode_shape(std::span<const std::int64_t> sizes, const ModelInfo& info, std::int64_t batch,
                        const std::string& name, const std::string& call) {
  const std::int64_t h = info.shape.height, w = info.shape.width, n = info.shape.size();
  PB_REQUIRE(equals(sizes, {batch, h, w}) || equals(sizes, {batch, n}), name, ": ", call, " returned shape ",
             shape_text(sizes), "; expected [", batch, ", ", h, ", ", w, "] or [", batch, ", ", n, "]");
}

void check_log_variance_shape(std::span<const std::int64_t> sizes, const ModelInfo& info, std::int64_t batch,
                              const std::string& name, const std::string& call) {
  const bool scalar = info.variance_kind == DecoderVariance::scalar;
  const std::int64_t values_per_row = scalar ? 1 : info.shape.size();
  const bool shape_ok = !sizes.empty() && sizes.front() == batch && element_count(sizes) == batch * values_per_row;
  PB_REQUIRE(shape_ok, name, ": ", call, " returned shape ", shape_text(sizes), "; variance_kind '",
             variance_kind_name(info.variance_kind), "' expects ",
             scalar ? shape_text(std::vector<std::int64_t>{batch})
                    : shape_text(std::vector<std::int64_t>{batch, info.shape.height, info.shape.width}));
}

void check_inverse_shape(std::span<const std::int64_t> sizes, const ModelInfo& info, std::int64_t batch,
                         const std::string& name, const std::string& call) {
  const auto m = static_cast<std::int64_t>(info.latent_dim);
  PB_REQUIRE(equals(sizes, {batch, m}), name, ": ", call, " returned shape ", shape_text(sizes), "; expected [", batch,
             ", ", m, "]");
}

void check_log_det_shape(std::span<const std::int64_t> sizes, std::int64_t batch, const std::string& name,
                         const std::string& call) {
  PB_REQUIRE(equals(sizes, {batch}), name, ": ", call, " returned shape ", shape_text(sizes), "; expected [", batch,
             "]");
}

double flow_round_trip_tolerance(bool double_precision) { return double_precision ? 1e-6 : 1e-2; }

void check_round_trip(double max_difference, double max_latent, double tolerance, const std::string& name) {
  const double bound = tolerance * (1 + max_latent);
  PB_REQUIRE(max_difference <= bound, name, ": inverse(decode(z)) differs from z by ", max_difference,
             " at the probe (tolerance ", bound, "): decode and inverse are not inverse maps");
}

void check_encoding_shape(std::span<const std::int64_t> sizes, const ModelInfo& info, std::int64_t batch,
                          const std::string& name, const std::string& call) {
  const auto m = static_cast<std::int64_t>(info.latent_dim);
  PB_REQUIRE(equals(sizes, {batch, m}), name, ": ", call, " returned a tensor of shape ", shape_text(sizes),
             "; expected [", batch, ", ", m, "]");
}

std::string shape_text(std::span<const std::int64_t> sizes) {
  std::string text = "[";
  for (std::size_t i = 0; i < sizes.size(); ++i) text += (i ? ", " : "") + std::to_string(sizes[i]);
  return text + "]";
}

}  // namespace priorbench
