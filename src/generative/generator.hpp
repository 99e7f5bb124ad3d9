#pragma once
// The generator interface of DESIGN §1–§2, in plain vectors so that nothing outside
// src/generative/ ever sees Torch. A generator maps a latent z ∈ R^m to a decoder mean
// μ(z) ∈ R^n (an image, row-major, see core/image_shape.hpp) and a diagonal decoder
// covariance Γ(z); it offers Jacobian products and, when it has one, an encoder.
//
// Conventions
// - Every vector is a full copy on the calling rank (generators run replicated: m is
//   small and one image fits in memory); batches are row-major, one row per item.
// - Jacobians are n×m, column-major (DenseMatrix): column j is ∂μ/∂z_j.
// - Implementations count their decoder passes (a machine-independent cost measure).
// - All arithmetic is in double precision.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/dense.hpp"
#include "core/image_shape.hpp"

namespace priorbench {

// How Γ(z) is parametrized: absent (a GAN, Γ = 0), γ² I, or one variance per pixel.
enum class DecoderVariance { none, scalar, per_pixel };

struct GeneratorCounts {
  std::int64_t decoder_passes = 0;  // forward evaluations of μ, per item of a batch
  std::int64_t jvp = 0;             // Jacobian–vector products
  std::int64_t vjp = 0;             // vector–Jacobian products
  std::int64_t jacobians = 0;       // full Jacobians
};

class Generator {
 public:
  virtual ~Generator() = default;

  virtual std::size_t latent_dimension() const = 0;  // m
  virtual ImageShape image_shape() const = 0;        // n = height · width
  std::size_t image_size() const { return static_cast<std::size_t>(image_shape().size()); }
  virtual DecoderVariance decoder_variance_kind() const = 0;
  virtual std::string description() const = 0;  // one line, for output files

  // μ(z) for `batch` latents (batch × m) into `means` (batch × n).
  virtual void decode(std::span<const double> latents, std::size_t batch, std::span<double> means) const = 0;
  // diag Γ(z) (n); all zeros for DecoderVariance::none.
  virtual void decoder_variance(std::span<const double> latent, std::span<double> variance) const = 0;
  // J(z) v (n).
  virtual void jvp(std::span<const double> latent, std::span<const double> direction, std::span<double> out) const = 0;
  // J(z)ᵀ u (m).
  virtual void vjp(std::span<const double> latent, std::span<const double> cotangent, std::span<double> out) const = 0;
  // J(z) (n×m); `jacobian` is resized.
  virtual void jacobian(std::span<const double> latent, DenseMatrix& jacobian) const = 0;

  virtual bool has_encoder() const = 0;
  // q(z | x) = N(mean, diag(variance)) for an image x (n); throws if !has_encoder().
  virtual void encode(std::span<const double> image, std::span<double> mean, std::span<double> variance) const = 0;

  const GeneratorCounts& counts() const { return counts_; }
  void reset_counts() const { counts_ = {}; }

 protected:
  mutable GeneratorCounts counts_;
};

}  // namespace priorbench
