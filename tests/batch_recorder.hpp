#pragma once
// A generator that wraps another and records the batch size of every decode call, for the
// tests that check that samplers advance their chains in one batched decoder call.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/dense.hpp"
#include "generative/generator.hpp"

namespace priorbench::testing_support {

class BatchRecorder final : public Generator {
 public:
  explicit BatchRecorder(std::shared_ptr<const Generator> inner)
      : Generator(inner->latent_dimension(), inner->image_shape(), inner->decoder_variance_kind()),
        inner_(std::move(inner)) {}
  std::string description() const override { return inner_->description(); }
  std::string route() const override { return inner_->route(); }
  bool has_encoder() const override { return inner_->has_encoder(); }
  mutable std::vector<std::size_t> batches;

 protected:
  void decode_impl(std::span<const double> z, std::size_t batch, std::span<double> means) const override {
    batches.push_back(batch);
    inner_->decode(z, batch, means);
  }
  void decoder_variance_impl(std::span<const double> z, std::span<double> v) const override {
    inner_->decoder_variance(z, v);
  }
  void jvp_impl(std::span<const double> z, std::span<const double> v, std::span<double> out) const override {
    inner_->jvp(z, v, out);
  }
  void vjp_impl(std::span<const double> z, std::span<const double> u, std::span<double> out) const override {
    inner_->vjp(z, u, out);
  }
  void jacobian_impl(std::span<const double> z, DenseMatrix& j) const override { inner_->jacobian(z, j); }
  void encode_impl(std::span<const double> x, std::span<double> mean, std::span<double> variance) const override {
    inner_->encode(x, mean, variance);
  }

 private:
  std::shared_ptr<const Generator> inner_;
};

}  // namespace priorbench::testing_support
