#pragma once
// The sensitivity analysis of DESIGN §3: how much the data y = A μ(z) + σ ε say about
// each direction of the latent space at a point z*.
//
//   M = A J(z*)  (d×m),   M = U diag(s) Vᵀ,   I(z*) = MᵀM/σ² = V diag(s²/σ²) Vᵀ.
//
// M is a LinearOperator (applied through Jacobian products of the generator, or through
// J formed once), bridged to a MatShell, and all m singular triplets come from SLEPc.
// The Fisher information is also formed directly from the m columns M e_j, as a check of
// the SVD. Numbers are defined in docs/diagnostics.md.
//
// Sample use (the options are PETSc's, with the prefix `sensitivity_`):
//   auto result = analyze_sensitivity(generator, forward, sigma, z_star);
//   -sensitivity_svd_type cross -sensitivity_svd_tol 1e-10 -sensitivity_svd_view

#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/dense.hpp"
#include "generative/generator.hpp"
#include "operators/forward_operator.hpp"
#include "operators/linear_operator.hpp"

namespace priorbench {

// How M applies J(z*): `dense` forms J once (one Generator::jacobian call, n×m doubles)
// and multiplies with BLAS; `products` calls Generator::jvp / vjp on every application
// and never stores J.
enum class JacobianRoute { dense, products };

// M = A J(z*) as an operator R^m → R^d on the forward operator's communicator. Latent
// vectors are PETSc vectors of length m with the default layout; the generator runs
// replicated on every rank with the full vectors.
class SensitivityOperator final : public LinearOperator {
 public:
  SensitivityOperator(std::shared_ptr<const Generator> generator, std::shared_ptr<const ForwardOperator> forward,
                      std::span<const double> latent, JacobianRoute route = JacobianRoute::dense);

  const std::vector<double>& latent() const { return latent_; }
  const Generator& generator() const { return *generator_; }
  const ForwardOperator& forward() const { return *forward_; }
  JacobianRoute route() const { return route_; }

  // image = J(z*) direction (n), replicated (no communication).
  void jacobian_apply(std::span<const double> direction, std::span<double> image) const;
  // out = J(z*)ᵀ cotangent (m), replicated.
  void jacobian_transpose_apply(std::span<const double> cotangent, std::span<double> out) const;

 protected:
  void apply_impl(Vec x, Vec y) const override;
  void apply_transpose_impl(Vec y, Vec x) const override;

 private:
  std::shared_ptr<const Generator> generator_;
  std::shared_ptr<const ForwardOperator> forward_;
  std::vector<double> latent_;
  JacobianRoute route_;
  DenseMatrix jacobian_;  // n×m, only for JacobianRoute::dense
  petsc::Vector image_;   // work vector in A's domain (length n)
};

struct SensitivityOptions {
  JacobianRoute route = JacobianRoute::dense;
  // s_i ≤ zero_tolerance · s_1 counts as a zero singular value (an unidentifiable
  // direction: infinite Cramér–Rao bound). Must exceed the SVD's accuracy.
  double zero_tolerance = 1e-6;
  // A coordinate z_j whose squared component in the numerical null space of M exceeds
  // this has an infinite Cramér–Rao bound.
  double null_component_tolerance = 1e-12;
  // Defaults set before SVDSetFromOptions, so -sensitivity_svd_* override them.
  std::string svd_type = "trlanczos";
  double svd_tolerance = 1e-12;  // on ‖residual‖/‖M‖_∞ (SVD_CONV_NORM)
  std::string options_prefix = "sensitivity_";
  // A relative discrepancy between the SVD's V diag(s²/σ²) Vᵀ and the directly formed
  // MᵀM/σ² above this is reported as a warning.
  double fisher_check_tolerance = 1e-8;
};

struct SensitivityResult {
  double sigma = 0;
  std::size_t latent_dimension = 0;  // m
  std::size_t image_size = 0;        // n
  std::size_t data_size = 0;         // d
  ImageShape image_shape;
  std::string jacobian_route;  // "dense" or "products"
  std::vector<double> latent;  // z*

  std::vector<double> singular_values;      // s_1 ≥ … ≥ s_m; zeros appended when d < m
  DenseMatrix right_vectors;                // V (m×m), column i = v_i; largest |entry| of each made positive
  std::vector<double> fisher_eigenvalues;   // s_i²/σ²
  DenseMatrix fisher;                       // I(z*) = MᵀM/σ² (m×m), formed from the columns M e_j
  double fisher_discrepancy = 0;            // max|V diag(s²/σ²) Vᵀ − I| / max|I| (0 when I = 0)
  std::size_t identifiable_directions = 0;  // #{i : s_i > σ}
  std::size_t numerical_rank = 0;           // #{i : s_i > zero_tolerance · s_1}
  double zero_tolerance = 0;
  std::vector<double> null_components;  // ‖P_null e_j‖² per coordinate j
  std::vector<double> cramer_rao;       // diag(I⁻¹) (the pseudo-inverse on range(I)); +inf where undefined
  DenseMatrix direction_images;         // J v_i (n×m), column i

  // The SLEPc solve as it ended.
  std::string svd_type;
  int svd_reason = 0;  // SVDConvergedReason
  std::string svd_reason_name;
  std::int64_t svd_iterations = 0;
  std::int64_t svd_converged = 0;       // SVDGetConverged
  double svd_tolerance = 0;             // as used (after the options)
  std::string svd_convergence_test;     // SVDConv as used: norm (the default), abs, rel, ...
  std::vector<double> relative_errors;  // SVDComputeError SVD_ERROR_RELATIVE (‖r_i‖/s_i; +inf for s_i = 0)
  std::vector<double> norm_errors;      // SVDComputeError SVD_ERROR_NORM (‖r_i‖/‖M‖_∞); 0 for completed zeros
  double matrix_norm_infinity = 0;      // ‖M‖_∞ from the formed columns

  // Costs, machine-independent: applications of M and A, Jacobian products and full Jacobians.
  std::int64_t sensitivity_forward = 0;
  std::int64_t sensitivity_adjoint = 0;
  std::int64_t operator_forward = 0;
  std::int64_t operator_adjoint = 0;
  std::int64_t generator_jvp = 0;
  std::int64_t generator_vjp = 0;
  std::int64_t generator_jacobians = 0;
  double seconds = 0;

  std::vector<std::string> warnings;

  // A few lines for a terminal: counts, the singular values against σ, the solve.
  std::string summary() const;
  // Writes every field into `group` (call on one rank; layout in docs/diagnostics.md).
  void save(hid_t group) const;
};

// The sensitivity analysis at `latent` (z*, length m) for data y = A μ(z) + σ ε.
// Collective on forward->comm(); every rank returns the same result. Throws when SLEPc
// converges fewer than min(d, m) triplets, naming how many and why.
SensitivityResult analyze_sensitivity(std::shared_ptr<const Generator> generator,
                                      std::shared_ptr<const ForwardOperator> forward, double sigma,
                                      std::span<const double> latent, const SensitivityOptions& options = {});

}  // namespace priorbench
