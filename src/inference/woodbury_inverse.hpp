#pragma once
// The inverse of P = Δ + U Uᵀ (d×d; Δ diagonal, U d×k) by the Woodbury identity
//   P⁻¹ = Δ⁻¹ − Δ⁻¹ U S⁻¹ Uᵀ Δ⁻¹,   S = I_k + Uᵀ Δ⁻¹ U (Cholesky-factored once).
// For the data-space matrix K = A C0 Aᵀ + σ² I with C0 = D + W Wᵀ, taking
// Δ = diag(A D Aᵀ) + σ² and U = A W gives P = K exactly when A D Aᵀ is diagonal, and a
// strong preconditioner (Jacobi on the diagonal part, exact on the low-rank part)
// otherwise.

#include <memory>

#include "core/dense.hpp"
#include "operators/forward_operator.hpp"
#include "priors/diagonal_low_rank_prior.hpp"

namespace priorbench {

class WoodburyInverse final : public LinearOperator {
 public:
  // Builds Δ and U for K = A C0 Aᵀ + σ² I (k applications of A).
  WoodburyInverse(const ForwardOperator& forward, const DiagonalPlusLowRankPrior& prior, double sigma);

  Vec delta() const { return delta_; }                                           // Δ (length d)
  const DenseMatrix& u_local_rows() const { return u_; }                         // this rank's rows of U = A W
  const DenseMatrix& capacitance_factor() const { return capacitance_factor_; }  // chol(I + Uᵀ Δ⁻¹ U)

 protected:
  void apply_impl(Vec x, Vec y) const override;
  void apply_transpose_impl(Vec y, Vec x) const override { apply_impl(y, x); }

 private:
  petsc::Vector delta_;
  DenseMatrix u_;
  DenseMatrix capacitance_factor_;
};

}  // namespace priorbench
