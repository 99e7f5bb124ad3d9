#pragma once
// μ(z) = W z + b with constant Γ = γ² I: the oracle of DESIGN §2. Under it the Laplace
// prior is the exact marginal of x, the latent posterior is exactly Gaussian, and every
// method has a closed form, so each inference method is tested against it. No Torch.

#include <vector>

#include "generative/generator.hpp"

namespace priorbench {

class LinearGenerator final : public Generator {
 public:
  // `weights` is n×m (column-major), `offset` n; `gamma2` = γ² (0 for a GAN-like Γ = 0).
  // With `encoder` the exact posterior q(z|x) = p(z|x) under x | z ~ N(Wz + b, γ² I) is
  // offered as the encoder (requires γ² > 0).
  LinearGenerator(ImageShape shape, DenseMatrix weights, std::vector<double> offset, double gamma2,
                  bool encoder = true);

  std::string description() const override;
  std::string route() const override { return "linear"; }
  bool has_encoder() const override { return encoder_; }

  const DenseMatrix& weights() const { return weights_; }
  const std::vector<double>& offset() const { return offset_; }
  double gamma2() const { return gamma2_; }

 protected:
  void decode_impl(std::span<const double> latents, std::size_t batch, std::span<double> means) const override;
  void decoder_variance_impl(std::span<const double> latent, std::span<double> variance) const override;
  void jvp_impl(std::span<const double> latent, std::span<const double> direction,
                std::span<double> out) const override;
  void vjp_impl(std::span<const double> latent, std::span<const double> cotangent,
                std::span<double> out) const override;
  void jacobian_impl(std::span<const double> latent, DenseMatrix& jacobian) const override;
  void encode_impl(std::span<const double> image, std::span<double> mean, std::span<double> variance) const override;

 private:
  DenseMatrix weights_;
  std::vector<double> offset_;
  double gamma2_;
  bool encoder_;
  DenseMatrix encoder_covariance_factor_;  // Cholesky of I + WᵀW/γ²
};

}  // namespace priorbench
