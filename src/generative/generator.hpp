#pragma once
// The generator interface of DESIGN §1–§2, in plain vectors so that nothing outside
// src/generative/ ever sees Torch. A generator maps a latent z ∈ R^m to a decoder mean
// μ(z) ∈ R^n (an image, row-major, see core/image_shape.hpp) and a diagonal decoder
// covariance Γ(z); it offers Jacobian products and, when it has one, an encoder.
//
// Non-virtual interface (as LinearOperator, after Ginkgo's LinOp): the public calls check
// sizes and count the work, then call the protected virtual *_impl that a route (TorchScript,
// native, a closed form) implements. Cost is measured by differences of counts().
//
// Conventions
// - Every vector is a full copy on the calling rank (generators run replicated: m is
//   small and one image fits in memory); batches are row-major, one row per item.
// - Jacobians are n×m, column-major (DenseMatrix): column j is ∂μ/∂z_j.
// - All arithmetic is in double precision.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "core/dense.hpp"
#include "core/image_shape.hpp"

namespace priorbench {

// How Γ(z) is parametrized: absent (a GAN, Γ = 0), γ² I, or one variance per pixel.
enum class DecoderVariance { none, scalar, per_pixel };

// Work done, per item of a batch (a machine-independent cost measure).
struct GeneratorCounts {
  std::int64_t decoder_passes = 0;  // forward evaluations of μ
  std::int64_t jvp = 0;             // Jacobian–vector products
  std::int64_t vjp = 0;             // vector–Jacobian products
  std::int64_t jacobians = 0;       // full Jacobians

  GeneratorCounts& operator+=(const GeneratorCounts& other);
};

class FlowDensity;

class Generator {
 public:
  // Called once by decode_and_vjp with the decoded means of the whole batch (batch × n); it
  // fills the cotangents u_b (batch × n) whose pullbacks J(z_b)ᵀ u_b are wanted — for a
  // misfit ½‖y − A μ(z)‖²/σ², u = Aᵀ(A μ − y)/σ², the gradient of the misfit in μ.
  using CotangentFunction = std::function<void(std::span<const double> means, std::span<double> cotangents)>;

  Generator(std::size_t latent_dimension, ImageShape image_shape, DecoderVariance variance_kind);
  virtual ~Generator() = default;

  std::size_t latent_dimension() const { return latent_dimension_; }  // m
  ImageShape image_shape() const { return image_shape_; }             // n = height · width
  std::size_t image_size() const { return static_cast<std::size_t>(image_shape_.size()); }
  DecoderVariance decoder_variance_kind() const { return variance_kind_; }
  virtual std::string description() const = 0;  // one line, for output files
  // How the decoder is evaluated, one word for results files: "torchscript", "native", …
  virtual std::string route() const = 0;
  virtual bool has_encoder() const = 0;
  // The inverse and log-determinant of a normalizing flow (generative/flow_density.hpp);
  // nullptr for a generator that is not a bijection (a VAE, a GAN).
  virtual const FlowDensity* flow() const { return nullptr; }

  // μ(z) for `batch` latents (batch × m) into `means` (batch × n).
  void decode(std::span<const double> latents, std::size_t batch, std::span<double> means) const;
  // diag Γ(z) (n); all zeros for DecoderVariance::none.
  void decoder_variance(std::span<const double> latent, std::span<double> variance) const;
  // J(z) v (n).
  void jvp(std::span<const double> latent, std::span<const double> direction, std::span<double> out) const;
  // J(z_b) v_b for `batch` latents and directions (batch × m each) into `out` (batch × n).
  void jvp(std::span<const double> latents, std::size_t batch, std::span<const double> directions,
           std::span<double> out) const;
  // J(z)ᵀ u (m).
  void vjp(std::span<const double> latent, std::span<const double> cotangent, std::span<double> out) const;
  // J(z_b)ᵀ u_b for `batch` latents (batch × m) and cotangents (batch × n) into `out` (batch × m).
  void vjp(std::span<const double> latents, std::size_t batch, std::span<const double> cotangents,
           std::span<double> out) const;
  // J(z) (n×m); `jacobian` is resized.
  void jacobian(std::span<const double> latent, DenseMatrix& jacobian) const;
  // Value and gradient in one call: μ(z_b) into `means` (batch × n), then `cotangents` once on
  // all of them, then J(z_b)ᵀ u_b into `gradients` (batch × m). A route that keeps its forward
  // pass needs one forward and one backward sweep; counted as one decoder pass and one VJP
  // per item.
  void decode_and_vjp(std::span<const double> latents, std::size_t batch, std::span<double> means,
                      const CotangentFunction& cotangents, std::span<double> gradients) const;

  // q(z | x) = N(mean, diag(variance)) for an image x (n); throws if !has_encoder().
  void encode(std::span<const double> image, std::span<double> mean, std::span<double> variance) const;

  const GeneratorCounts& counts() const { return counts_; }

 protected:
  Generator(const Generator&) = default;
  Generator& operator=(const Generator&) = default;
  Generator(Generator&&) = default;
  Generator& operator=(Generator&&) = default;

  // Sizes are checked before these are called; batches are never empty.
  virtual void decode_impl(std::span<const double> latents, std::size_t batch, std::span<double> means) const = 0;
  virtual void decoder_variance_impl(std::span<const double> latent, std::span<double> variance) const = 0;
  virtual void jvp_impl(std::span<const double> latent, std::span<const double> direction,
                        std::span<double> out) const = 0;
  virtual void vjp_impl(std::span<const double> latent, std::span<const double> cotangent,
                        std::span<double> out) const = 0;
  virtual void jacobian_impl(std::span<const double> latent, DenseMatrix& jacobian) const = 0;
  virtual void encode_impl(std::span<const double> image, std::span<double> mean, std::span<double> variance) const;
  // Defaults: one jvp_impl / vjp_impl per item.
  virtual void batched_jvp_impl(std::span<const double> latents, std::size_t batch, std::span<const double> directions,
                                std::span<double> out) const;
  virtual void batched_vjp_impl(std::span<const double> latents, std::size_t batch, std::span<const double> cotangents,
                                std::span<double> out) const;
  // Default: decode_impl on the batch, the callback, then batched_vjp_impl.
  virtual void decode_and_vjp_impl(std::span<const double> latents, std::size_t batch, std::span<double> means,
                                   const CotangentFunction& cotangents, std::span<double> gradients) const;

  // For public entry points a derived class adds beside these (TorchGenerator's choice of
  // Jacobian method): they count their work here.
  void add_counts(const GeneratorCounts& work) const { counts_ += work; }

 private:
  // Throws unless `values` has `expected` entries; `what` names the argument.
  void require_size(std::span<const double> values, std::size_t expected, const char* call, const char* what) const;

  std::size_t latent_dimension_;
  ImageShape image_shape_;
  DecoderVariance variance_kind_;
  mutable GeneratorCounts counts_;
};

}  // namespace priorbench
