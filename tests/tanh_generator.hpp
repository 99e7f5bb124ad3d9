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
#include "core/error.hpp"
#include "generative/generator.hpp"

namespace priorbench::testing_support {

class TanhGenerator final : public Generator {
 public:
  TanhGenerator(ImageShape shape, DenseMatrix weights, std::vector<double> offset)
      : shape_(shape), weights_(std::move(weights)), offset_(std::move(offset)) {}
  std::size_t latent_dimension() const override { return weights_.cols(); }
  ImageShape image_shape() const override { return shape_; }
  DecoderVariance decoder_variance_kind() const override { return DecoderVariance::scalar; }
  std::string description() const override { return "tanh test generator"; }
  void decode(std::span<const double> latents, std::size_t batch, std::span<double> means) const override {
    const std::size_t m = latent_dimension(), n = image_size();
    for (std::size_t item = 0; item < batch; ++item) {
      auto mean = means.subspan(item * n, n);
      gemv(false, 1.0, weights_, latents.subspan(item * m, m), 0.0, mean);
      for (std::size_t i = 0; i < n; ++i) mean[i] = std::tanh(mean[i]) + offset_[i];
    }
    counts_.decoder_passes += static_cast<std::int64_t>(batch);
  }
  void decoder_variance(std::span<const double>, std::span<double> variance) const override {
    std::fill(variance.begin(), variance.end(), 0.01);
  }
  void jvp(std::span<const double> z, std::span<const double> v, std::span<double> out) const override {
    const auto slope = slopes(z);
    gemv(false, 1.0, weights_, v, 0.0, out);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] *= slope[i];
    ++counts_.jvp;
  }
  void vjp(std::span<const double> z, std::span<const double> u, std::span<double> out) const override {
    auto scaled = slopes(z);
    for (std::size_t i = 0; i < scaled.size(); ++i) scaled[i] *= u[i];
    gemv(true, 1.0, weights_, scaled, 0.0, out);
    ++counts_.vjp;
  }
  void jacobian(std::span<const double> z, DenseMatrix& jacobian) const override {
    const auto slope = slopes(z);
    jacobian = weights_;
    for (std::size_t j = 0; j < jacobian.cols(); ++j)
      for (std::size_t i = 0; i < jacobian.rows(); ++i) jacobian(i, j) *= slope[i];
    ++counts_.jacobians;
  }
  bool has_encoder() const override { return false; }
  void encode(std::span<const double>, std::span<double>, std::span<double>) const override { PB_FAIL("no encoder"); }

 private:
  std::vector<double> slopes(std::span<const double> z) const {  // 1 − tanh²(W z)
    std::vector<double> s(image_size());
    gemv(false, 1.0, weights_, z, 0.0, s);
    for (double& value : s) value = 1 - std::tanh(value) * std::tanh(value);
    return s;
  }
  ImageShape shape_;
  DenseMatrix weights_;
  std::vector<double> offset_;
};

}  // namespace priorbench::testing_support
