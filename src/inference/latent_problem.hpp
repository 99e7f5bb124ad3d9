#pragma once
// The latent-space inverse problem of DESIGN §2 (methods 4–6): a generator μ, a forward
// operator A, data y and the noise level σ, with z ~ N(0, I) and one of two likelihoods
// (DESIGN §6; which one is recorded by every result):
//
//   seeds     y | z ~ N(A μ(z), σ² I)                 the seeds' definition;
//   marginal  y | z ~ N(A μ(z), Σ), Σ = σ² I + A Γ Aᵀ  the VAE's exact marginal given z,
//             with the decoder variance Γ frozen at z = 0 (exact for a constant Γ, e.g.
//             scalar γ²; for a decoder whose variance depends on z an approximation).
//
// Σ is applied by the cheapest exact route (noise_route()):
//   scalar    Σ = σ² I (seeds, or marginal with Γ = 0);
//   diagonal  A Γ Aᵀ is diagonal (identity, inpaint; fourier with scalar Γ):
//             diag Σ = σ² + (A∘A) diag Γ, one application of A∘A;
//   dense     otherwise, for d ≤ dense_noise_limit: Σ formed column by column
//             (d applications each of A and Aᵀ) and Cholesky-factored on every rank.
// Larger d with a non-diagonal A Γ Aᵀ is refused with an error naming the limit.
//
// The misfit Φ(z) = ½ (y − A μ(z))ᵀ Σ⁻¹ (y − A μ(z)) is the negative log-likelihood up to a
// constant; the latent MAP objective is Φ(z) + ½‖z‖². Latents, images and data are full
// vectors on every rank; every function is collective and returns identical numbers on
// every rank.

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/dense.hpp"
#include "generative/generator.hpp"
#include "inference/levenberg_marquardt.hpp"
#include "inference/replicated_operator.hpp"

namespace priorbench {

enum class LatentLikelihood { seeds, marginal };

// "seeds" or "marginal"; likelihood_names() lists both in enum order.
std::string likelihood_name(LatentLikelihood likelihood);
const std::vector<std::string>& likelihood_names();
LatentLikelihood parse_likelihood(const std::string& name);

struct LatentProblemOptions {
  LatentLikelihood likelihood = LatentLikelihood::seeds;
  std::size_t dense_noise_limit = 4096;  // largest d for the dense route of the marginal likelihood
};

// μ(z), J(z) and the whitened sensitivity L⁻¹ A J(z) (Σ = L Lᵀ) at one latent: the
// Gauss–Newton Hessian of Φ is (L⁻¹ A J)ᵀ (L⁻¹ A J).
struct Linearization {
  std::vector<double> image;         // μ(z), n
  DenseMatrix jacobian;              // J(z), n×m
  DenseMatrix whitened_sensitivity;  // L⁻¹ A J(z), d×m
};

class LatentProblem {
 public:
  LatentProblem(std::shared_ptr<const Generator> generator, std::shared_ptr<const ForwardOperator> forward, Vec data,
                double sigma, LatentProblemOptions options = {});

  const Generator& generator() const { return *generator_; }
  const ReplicatedOperator& forward() const { return forward_; }
  MPI_Comm comm() const { return forward_.comm(); }
  std::size_t latent_dimension() const { return generator_->latent_dimension(); }  // m
  std::size_t image_size() const { return forward_.image_size(); }                 // n
  std::size_t data_size() const { return forward_.data_size(); }                   // d
  const std::vector<double>& data() const { return data_; }
  double sigma() const { return sigma_; }
  LatentLikelihood likelihood() const { return options_.likelihood; }
  const std::string& noise_route() const { return noise_route_; }  // scalar | diagonal | dense
  // Γ(0), the decoder variance the marginal likelihood uses (empty for seeds).
  const std::vector<double>& frozen_decoder_variance() const { return frozen_variance_; }

  // Φ(z).
  double misfit(std::span<const double> latent) const;
  // Φ for `batch` latents (batch × m) with ONE batched decode; when `images` is not empty
  // the decoded means are left there (batch × n).
  void misfits(std::span<const double> latents, std::size_t batch, std::span<double> out,
               std::span<double> images = {}) const;
  // Φ(z) + ½‖z‖² and its gradient −J(z)ᵀ Aᵀ Σ⁻¹ (y − A μ(z)) + z (one decode, one
  // application of Aᵀ, one vector–Jacobian product).
  double objective_and_gradient(std::span<const double> latent, std::span<double> gradient) const;
  double objective(std::span<const double> latent) const;
  // f = Φ + ½‖z‖² for `batch` latents (batch × m), with one batched decode.
  void objectives(std::span<const double> latents, std::size_t batch, std::span<double> out) const;
  // Φ(z_b) + ½‖z_b‖² and its gradient for `batch` latents (batch × m) at once: ONE batched
  // decode, then per item one application of A and of Aᵀ and one vector–Jacobian product
  // (values: batch; gradients: batch × m). Each item is computed independently of the others,
  // so the numbers do not depend on how latents are batched.
  void objectives_and_gradients(std::span<const double> latents, std::size_t batch, std::span<double> values,
                                std::span<double> gradients) const;

  // Φ at an image x (n) instead of a latent, and its gradient in x, the cotangent
  // u = −Aᵀ Σ⁻¹ (y − A x) whose pullback Jᵀu is ∇_z Φ(μ(z)) at x = μ(z).
  double misfit_and_cotangent(std::span<const double> image, std::span<double> cotangent) const;

  Linearization linearize(std::span<const double> latent) const;

  // The Gauss–Newton model of f(z) = ½‖r(z)‖² + ½‖z‖², r = L⁻¹ (y − A μ(z)), at z:
  //   f,   ∇f = z − M̃ᵀ r,   H = M̃ᵀ M̃ + I,   M̃ = L⁻¹ A J(z) (d×m).
  // H ⪰ I: the prior keeps every Gauss–Newton step well posed. One decode, one Jacobian,
  // m + 1 applications of A.
  GaussNewtonModel gauss_newton_model(std::span<const double> latent) const;

  // In place: r ← L⁻¹ r (whitening) and r ← Σ⁻¹ r.
  void whiten(std::span<double> residual) const;
  void apply_noise_inverse(std::span<double> residual) const;

  // Aᵀ y, the simple reconstruction fed to the encoder (zero-filled image for inpainting).
  std::vector<double> adjoint_image() const { return forward_.apply_transpose(data_); }

 private:
  std::vector<double> residual_of(std::span<const double> image) const;  // y − A image
  void setup_marginal_noise();

  std::shared_ptr<const Generator> generator_;
  ReplicatedOperator forward_;
  std::vector<double> data_;
  double sigma_;
  LatentProblemOptions options_;
  std::string noise_route_ = "scalar";
  std::vector<double> frozen_variance_;
  std::vector<double> noise_diagonal_;  // diagonal route: diag Σ
  DenseMatrix noise_factor_;            // dense route: L with Σ = L Lᵀ
};

// The machine-independent cost (decoder passes, Jacobian products, operator applications)
// and the wall time spent on a problem since construction.
class CostMeter {
 public:
  explicit CostMeter(const LatentProblem& problem);
  GeneratorCounts generator_counts() const;
  OperatorCounts operator_counts() const;
  double seconds() const;

 private:
  const LatentProblem& problem_;
  GeneratorCounts generator_start_;
  OperatorCounts operator_start_;
  std::chrono::steady_clock::time_point clock_start_;
};

}  // namespace priorbench
