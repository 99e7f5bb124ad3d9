#pragma once
// A small nonlinear generator for the tests of the latent methods: μ(z) = tanh(W z) + b,
// Γ = γ² I (γ² = 0.01), no encoder; its JVP, VJP and Jacobian in closed form (the
// chain rule through the slopes 1 − tanh²(W z)).

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "core/dense.hpp"
#include "generative/generator.hpp"

namespace priorbench::testing_support {

class TanhGenerator final : public Generator {
 public:
  TanhGenerator(ImageShape shape, DenseMatrix weights, std::vector<double> offset)
      : Generator(weights.cols(), shape, DecoderVariance::scalar),
        weights_(std::move(weights)),
        offset_(std::move(offset)) {}
  std::string description() const override { return "tanh test generator"; }
  std::string route() const override { return "test"; }
  bool has_encoder() const override { return false; }

 protected:
  void decode_impl(std::span<const double> latents, std::size_t batch, std::span<double> means) const override {
    const std::size_t m = latent_dimension(), n = image_size();
    for (std::size_t item = 0; item < batch; ++item) {
      auto mean = means.subspan(item * n, n);
      gemv(false, 1.0, weights_, latents.subspan(item * m, m), 0.0, mean);
      for (std::size_t i = 0; i < n; ++i) mean[i] = std::tanh(mean[i]) + offset_[i];
    }
  }
  void decoder_variance_impl(std::span<const double>, std::span<double> variance) const override {
    std::fill(variance.begin(), variance.end(), 0.01);
  }
  void jvp_impl(std::span<const double> z, std::span<const double> v, std::span<double> out) const override {
    const auto slope = slopes(z);
    gemv(false, 1.0, weights_, v, 0.0, out);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] *= slope[i];
  }
  void vjp_impl(std::span<const double> z, std::span<const double> u, std::span<double> out) const override {
    auto scaled = slopes(z);
    for (std::size_t i = 0; i < scaled.size(); ++i) scaled[i] *= u[i];
    gemv(true, 1.0, weights_, scaled, 0.0, out);
  }
  void jacobian_impl(std::span<const double> z, DenseMatrix& jacobian) const override {
    const auto slope = slopes(z);
    jacobian = weights_;
    for (std::size_t j = 0; j < jacobian.cols(); ++j)
      for (std::size_t i = 0; i < jacobian.rows(); ++i) jacobian(i, j) *= slope[i];
  }

 private:
  std::vector<double> slopes(std::span<const double> z) const {  // 1 − tanh²(W z)
    std::vector<double> s(image_size());
    gemv(false, 1.0, weights_, z, 0.0, s);
    for (double& value : s) value = 1 - std::tanh(value) * std::tanh(value);
    return s;
  }
  DenseMatrix weights_;
  std::vector<double> offset_;
};

}  // namespace priorbench::testing_support
