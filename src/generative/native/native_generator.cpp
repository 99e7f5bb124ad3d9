#include "generative/native/native_generator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>

#include "core/error.hpp"
#include "generative/memory_budget.hpp"

namespace priorbench {
namespace {

// The largest count in [1, most] whose workspace `values(count)` (affine in the count, in
// doubles) fits in `budget` bytes; 1 when none does.
std::size_t largest_fitting(std::size_t budget, std::size_t most,
                            const std::function<std::size_t(std::size_t)>& values) {
  const std::size_t limit = budget / sizeof(double), one = values(1), per_count = values(2) - one;
  if (one > limit) return 1;
  if (per_count == 0) return most;
  return std::clamp<std::size_t>(1 + (limit - one) / per_count, 1, most);
}

// Calls pass(first, count) over [0, total) in passes of at most `per_pass`.
void in_passes(std::size_t total, std::size_t per_pass, const std::function<void(std::size_t, std::size_t)>& pass) {
  for (std::size_t first = 0; first < total; first += per_pass) pass(first, std::min(per_pass, total - first));
}

}  // namespace

NativeGenerator::NativeGenerator(native::NativeDecoderWeights weights, std::string description,
                                 std::shared_ptr<const Generator> encoder, NativeGeneratorOptions options)
    : Generator(weights.latent_dim, weights.shape, weights.variance),
      decoder_(std::move(weights)),
      description_(std::move(description)),
      encoder_(std::move(encoder)),
      memory_budget_(jacobian_memory_budget(options.memory_budget)) {
  PB_REQUIRE(encoder_ == nullptr ||
                 (encoder_->latent_dimension() == latent_dimension() && encoder_->image_shape() == image_shape()),
             "native generator: the encoder's generator has other dimensions than the decoder");
}

std::size_t NativeGenerator::items_per_pass(std::size_t tangents_per_item, bool linearize) const {
  return largest_fitting(memory_budget_, SIZE_MAX, [&](std::size_t items) {
    return decoder_.workspace_values(items, tangents_per_item, linearize);
  });
}

std::size_t NativeGenerator::jacobian_chunk_size() const {
  return largest_fitting(memory_budget_, latent_dimension(),
                         [&](std::size_t directions) { return decoder_.workspace_values(1, directions, false); });
}

void NativeGenerator::decode_impl(std::span<const double> latents, std::size_t batch, std::span<double> means) const {
  const std::size_t m = latent_dimension(), n = image_size();
  in_passes(batch, items_per_pass(0, false), [&](std::size_t first, std::size_t count) {
    decoder_.sweep(latents.subspan(first * m, count * m), count, means.subspan(first * n, count * n));
  });
}

void NativeGenerator::decoder_variance_impl(std::span<const double> latent, std::span<double> variance) const {
  if (decoder_variance_kind() == DecoderVariance::none) {
    std::fill(variance.begin(), variance.end(), 0.0);
    return;
  }
  decoder_.log_variance(latent, variance);
  for (double& value : variance) value = std::exp(value);
}

void NativeGenerator::jvp_impl(std::span<const double> latent, std::span<const double> direction,
                               std::span<double> out) const {
  batched_jvp_impl(latent, 1, direction, out);
}

void NativeGenerator::vjp_impl(std::span<const double> latent, std::span<const double> cotangent,
                               std::span<double> out) const {
  batched_vjp_impl(latent, 1, cotangent, out);
}

void NativeGenerator::batched_jvp_impl(std::span<const double> latents, std::size_t batch,
                                       std::span<const double> directions, std::span<double> out) const {
  const std::size_t m = latent_dimension(), n = image_size(), per_pass = items_per_pass(1, false);
  std::vector<double> means(std::min(batch, per_pass) * n);
  in_passes(batch, per_pass, [&](std::size_t first, std::size_t count) {
    decoder_.sweep(latents.subspan(first * m, count * m), count, std::span(means).first(count * n), 1,
                   directions.subspan(first * m, count * m), out.subspan(first * n, count * n));
  });
}

void NativeGenerator::batched_vjp_impl(std::span<const double> latents, std::size_t batch,
                                       std::span<const double> cotangents, std::span<double> out) const {
  const std::size_t m = latent_dimension(), n = image_size(), per_pass = items_per_pass(0, true);
  std::vector<double> means(std::min(batch, per_pass) * n);
  in_passes(batch, per_pass, [&](std::size_t first, std::size_t count) {
    const auto linearization =
        decoder_.linearize(latents.subspan(first * m, count * m), count, std::span(means).first(count * n));
    decoder_.pull_back(linearization, cotangents.subspan(first * n, count * n), out.subspan(first * m, count * m));
  });
}

// The m unit vectors as the tangents of z: the tangent block of one sweep is J, column j =
// J e_j, and the directions go through in chunks that fit in the budget.
void NativeGenerator::jacobian_impl(std::span<const double> latent, DenseMatrix& jacobian) const {
  const std::size_t m = latent_dimension(), n = image_size();
  jacobian = DenseMatrix(n, m);
  const std::size_t chunk = jacobian_chunk_size();
  std::vector<double> mean(n), directions(chunk * m);
  in_passes(m, chunk, [&](std::size_t first, std::size_t count) {
    std::fill(directions.begin(), directions.end(), 0.0);
    for (std::size_t j = 0; j < count; ++j) directions[j * m + first + j] = 1.0;
    decoder_.sweep(latent, 1, mean, count, std::span<const double>(directions).first(count * m),
                   std::span(jacobian.values()).subspan(first * n, count * n));
  });
}

// One linearization of the whole batch when it fits in the budget; else the passes of
// decode and batched_vjp (which sweep the values twice).
void NativeGenerator::decode_and_vjp_impl(std::span<const double> latents, std::size_t batch, std::span<double> means,
                                          const CotangentFunction& cotangents, std::span<double> gradients) const {
  if (batch > items_per_pass(0, true)) {
    Generator::decode_and_vjp_impl(latents, batch, means, cotangents, gradients);
    return;
  }
  const auto linearization = decoder_.linearize(latents, batch, means);
  std::vector<double> cotangent_values(means.size());
  cotangents(means, cotangent_values);
  decoder_.pull_back(linearization, cotangent_values, gradients);
}

void NativeGenerator::encode_impl(std::span<const double> image, std::span<double> mean,
                                  std::span<double> variance) const {
  encoder_->encode(image, mean, variance);
}

}  // namespace priorbench
