#include "generative/linear_generator.hpp"

#include <algorithm>
#include <sstream>

#include "core/error.hpp"

namespace priorbench {

LinearGenerator::LinearGenerator(ImageShape shape, DenseMatrix weights, std::vector<double> offset, double gamma2,
                                 bool encoder)
    : Generator(weights.cols(), shape, gamma2 > 0 ? DecoderVariance::scalar : DecoderVariance::none),
      weights_(std::move(weights)),
      offset_(std::move(offset)),
      gamma2_(gamma2),
      encoder_(encoder) {
  PB_REQUIRE(weights_.rows() == image_size() && offset_.size() == weights_.rows(),
             "linear generator: W must be n x m and b of length n for n = ", image_size());
  PB_REQUIRE(gamma2_ >= 0, "linear generator: gamma^2 must be non-negative, got ", gamma2_);
  PB_REQUIRE(!encoder_ || gamma2_ > 0, "linear generator: an exact encoder needs gamma^2 > 0");
  if (encoder_) {
    const std::size_t m = weights_.cols();
    encoder_covariance_factor_ = DenseMatrix(m, m);
    gemm(true, false, 1.0 / gamma2_, weights_, weights_, 0.0, encoder_covariance_factor_);
    for (std::size_t j = 0; j < m; ++j) encoder_covariance_factor_(j, j) += 1.0;
    cholesky_in_place(encoder_covariance_factor_, "the linear generator's posterior precision I + W^T W / gamma^2");
  }
}

std::string LinearGenerator::description() const {
  std::ostringstream out;
  out << "linear generator mu(z) = W z + b, m = " << latent_dimension() << ", n = " << image_size()
      << ", gamma^2 = " << gamma2_;
  return out.str();
}

void LinearGenerator::decode_impl(std::span<const double> latents, std::size_t batch, std::span<double> means) const {
  const std::size_t m = latent_dimension(), n = image_size();
  for (std::size_t item = 0; item < batch; ++item) {
    auto mean = means.subspan(item * n, n);
    std::copy(offset_.begin(), offset_.end(), mean.begin());
    gemv(false, 1.0, weights_, latents.subspan(item * m, m), 1.0, mean);
  }
}

void LinearGenerator::decoder_variance_impl(std::span<const double>, std::span<double> variance) const {
  std::fill(variance.begin(), variance.end(), gamma2_);
}

void LinearGenerator::jvp_impl(std::span<const double>, std::span<const double> direction,
                               std::span<double> out) const {
  gemv(false, 1.0, weights_, direction, 0.0, out);
}

void LinearGenerator::vjp_impl(std::span<const double>, std::span<const double> cotangent,
                               std::span<double> out) const {
  gemv(true, 1.0, weights_, cotangent, 0.0, out);
}

void LinearGenerator::jacobian_impl(std::span<const double>, DenseMatrix& jacobian) const { jacobian = weights_; }

// p(z | x) ∝ N(x; Wz + b, γ² I) N(z; 0, I): precision P = I + WᵀW/γ², mean P⁻¹ Wᵀ(x − b)/γ².
void LinearGenerator::encode_impl(std::span<const double> image, std::span<double> mean,
                                  std::span<double> variance) const {
  const std::size_t m = latent_dimension(), n = image_size();
  std::vector<double> residual(image.begin(), image.end());
  for (std::size_t i = 0; i < n; ++i) residual[i] -= offset_[i];
  gemv(true, 1.0 / gamma2_, weights_, residual, 0.0, mean);
  cholesky_solve(encoder_covariance_factor_, mean);
  for (std::size_t j = 0; j < m; ++j) {  // diag(P⁻¹), column by column
    std::vector<double> unit(m, 0.0);
    unit[j] = 1.0;
    cholesky_solve(encoder_covariance_factor_, unit);
    variance[j] = unit[j];
  }
}

}  // namespace priorbench
