#include "generative/generator.hpp"

#include <vector>

#include "core/error.hpp"

namespace priorbench {

GeneratorCounts& GeneratorCounts::operator+=(const GeneratorCounts& other) {
  decoder_passes += other.decoder_passes;
  jvp += other.jvp;
  vjp += other.vjp;
  jacobians += other.jacobians;
  return *this;
}

Generator::Generator(std::size_t latent_dimension, ImageShape image_shape, DecoderVariance variance_kind)
    : latent_dimension_(latent_dimension), image_shape_(image_shape), variance_kind_(variance_kind) {
  PB_REQUIRE(latent_dimension > 0 && image_shape.height > 0 && image_shape.width > 0,
             "a generator needs a positive latent dimension and image shape, got m = ", latent_dimension, " and ",
             image_shape.height, "x", image_shape.width);
}

void Generator::require_size(std::span<const double> values, std::size_t expected, const char* call,
                             const char* what) const {
  PB_REQUIRE(values.size() == expected, call, ": ", what, " has ", values.size(), " values, expected ", expected,
             " (m = ", latent_dimension_, ", n = ", image_size(), "; ", description(), ")");
}

void Generator::decode(std::span<const double> latents, std::size_t batch, std::span<double> means) const {
  require_size(latents, batch * latent_dimension_, "decode", "the batch of latents");
  require_size(means, batch * image_size(), "decode", "the output batch of means");
  if (batch == 0) return;
  decode_impl(latents, batch, means);
  counts_.decoder_passes += static_cast<std::int64_t>(batch);
}

void Generator::decoder_variance(std::span<const double> latent, std::span<double> variance) const {
  require_size(latent, latent_dimension_, "decoder_variance", "the latent");
  require_size(variance, image_size(), "decoder_variance", "the output variance");
  decoder_variance_impl(latent, variance);
}

void Generator::jvp(std::span<const double> latent, std::span<const double> direction, std::span<double> out) const {
  require_size(latent, latent_dimension_, "jvp", "the latent");
  require_size(direction, latent_dimension_, "jvp", "the direction");
  require_size(out, image_size(), "jvp", "the output");
  jvp_impl(latent, direction, out);
  ++counts_.jvp;
}

void Generator::jvp(std::span<const double> latents, std::size_t batch, std::span<const double> directions,
                    std::span<double> out) const {
  require_size(latents, batch * latent_dimension_, "jvp", "the batch of latents");
  require_size(directions, batch * latent_dimension_, "jvp", "the batch of directions");
  require_size(out, batch * image_size(), "jvp", "the output batch");
  if (batch == 0) return;
  batched_jvp_impl(latents, batch, directions, out);
  counts_.jvp += static_cast<std::int64_t>(batch);
}

void Generator::vjp(std::span<const double> latent, std::span<const double> cotangent, std::span<double> out) const {
  require_size(latent, latent_dimension_, "vjp", "the latent");
  require_size(cotangent, image_size(), "vjp", "the cotangent");
  require_size(out, latent_dimension_, "vjp", "the output");
  vjp_impl(latent, cotangent, out);
  ++counts_.vjp;
}

void Generator::vjp(std::span<const double> latents, std::size_t batch, std::span<const double> cotangents,
                    std::span<double> out) const {
  require_size(latents, batch * latent_dimension_, "vjp", "the batch of latents");
  require_size(cotangents, batch * image_size(), "vjp", "the batch of cotangents");
  require_size(out, batch * latent_dimension_, "vjp", "the output batch");
  if (batch == 0) return;
  batched_vjp_impl(latents, batch, cotangents, out);
  counts_.vjp += static_cast<std::int64_t>(batch);
}

void Generator::jacobian(std::span<const double> latent, DenseMatrix& jacobian) const {
  require_size(latent, latent_dimension_, "jacobian", "the latent");
  jacobian_impl(latent, jacobian);
  PB_REQUIRE(jacobian.rows() == image_size() && jacobian.cols() == latent_dimension_, "jacobian: the route returned a ",
             jacobian.rows(), " x ", jacobian.cols(), " matrix, expected ", image_size(), " x ", latent_dimension_,
             " (", description(), ")");
  ++counts_.jacobians;
}

void Generator::decode_and_vjp(std::span<const double> latents, std::size_t batch, std::span<double> means,
                               const CotangentFunction& cotangents, std::span<double> gradients) const {
  require_size(latents, batch * latent_dimension_, "decode_and_vjp", "the batch of latents");
  require_size(means, batch * image_size(), "decode_and_vjp", "the output batch of means");
  require_size(gradients, batch * latent_dimension_, "decode_and_vjp", "the output batch of gradients");
  PB_REQUIRE(cotangents, "decode_and_vjp: no cotangent function given");
  if (batch == 0) return;
  decode_and_vjp_impl(latents, batch, means, cotangents, gradients);
  counts_.decoder_passes += static_cast<std::int64_t>(batch);
  counts_.vjp += static_cast<std::int64_t>(batch);
}

void Generator::encode(std::span<const double> image, std::span<double> mean, std::span<double> variance) const {
  PB_REQUIRE(has_encoder(), "encode: the generator has no encoder (", description(), ")");
  require_size(image, image_size(), "encode", "the image");
  require_size(mean, latent_dimension_, "encode", "the output mean");
  require_size(variance, latent_dimension_, "encode", "the output variance");
  encode_impl(image, mean, variance);
}

void Generator::encode_impl(std::span<const double>, std::span<double>, std::span<double>) const {
  PB_FAIL("encode: the generator has no encoder (", description(), ")");
}

void Generator::batched_jvp_impl(std::span<const double> latents, std::size_t batch, std::span<const double> directions,
                                 std::span<double> out) const {
  const std::size_t m = latent_dimension_, n = image_size();
  for (std::size_t item = 0; item < batch; ++item) {
    jvp_impl(latents.subspan(item * m, m), directions.subspan(item * m, m), out.subspan(item * n, n));
  }
}

void Generator::batched_vjp_impl(std::span<const double> latents, std::size_t batch, std::span<const double> cotangents,
                                 std::span<double> out) const {
  const std::size_t m = latent_dimension_, n = image_size();
  for (std::size_t item = 0; item < batch; ++item) {
    vjp_impl(latents.subspan(item * m, m), cotangents.subspan(item * n, n), out.subspan(item * m, m));
  }
}

void Generator::decode_and_vjp_impl(std::span<const double> latents, std::size_t batch, std::span<double> means,
                                    const CotangentFunction& cotangents, std::span<double> gradients) const {
  decode_impl(latents, batch, means);
  std::vector<double> cotangent_values(means.size());
  cotangents(means, cotangent_values);
  batched_vjp_impl(latents, batch, cotangent_values, gradients);
}

}  // namespace priorbench
