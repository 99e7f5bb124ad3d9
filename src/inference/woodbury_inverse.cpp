#include "inference/woodbury_inverse.hpp"

#include <mpi.h>

#include <algorithm>

namespace priorbench {

WoodburyInverse::WoodburyInverse(const ForwardOperator& forward, const DiagonalPlusLowRankPrior& prior, double sigma)
    : LinearOperator(forward.comm(), forward.rows(), forward.rows()) {
  delta_ = forward.make_range_vector();
  forward.apply_squared(prior.diagonal(), delta_);  // diag(A D Aᵀ) = (A∘A) diag(D)
  PB_PETSC(VecShift(delta_, sigma * sigma));

  const std::size_t k = prior.rank();
  PetscInt local_rows = 0;
  PB_PETSC(VecGetLocalSize(delta_, &local_rows));
  u_ = DenseMatrix(static_cast<std::size_t>(local_rows), k);
  auto image = forward.make_range_vector();
  for (std::size_t j = 0; j < k; ++j) {
    const auto column = prior.factor_column(j);
    forward.apply(column, image);
    petsc::ReadView view(image);
    std::copy(view.span().begin(), view.span().end(), u_.column(j).begin());
  }

  // S = I + Uᵀ Δ⁻¹ U, summed over ranks, then Cholesky-factored.
  DenseMatrix scaled = u_;
  {
    petsc::ReadView delta(delta_);
    for (std::size_t j = 0; j < k; ++j)
      for (std::size_t i = 0; i < scaled.rows(); ++i) scaled(i, j) /= delta[i];
  }
  capacitance_factor_ = DenseMatrix(k, k);
  gemm(true, false, 1.0, u_, scaled, 0.0, capacitance_factor_);
  MPI_Allreduce(MPI_IN_PLACE, capacitance_factor_.data(), static_cast<int>(k * k), MPI_DOUBLE, MPI_SUM, comm());
  for (std::size_t j = 0; j < k; ++j) capacitance_factor_(j, j) += 1.0;
  cholesky_in_place(capacitance_factor_, "the Woodbury capacitance matrix I + Uᵀ Δ⁻¹ U");
}

void WoodburyInverse::apply_impl(Vec x, Vec y) const {
  const std::size_t k = u_.cols();
  PB_PETSC(VecPointwiseDivide(y, x, delta_));  // y = Δ⁻¹ x
  if (k == 0) {
    return;
  }
  std::vector<double> coefficients(k, 0.0);
  {
    petsc::ReadView scaled(y);
    gemv(true, 1.0, u_, scaled.span(), 0.0, coefficients);
  }
  MPI_Allreduce(MPI_IN_PLACE, coefficients.data(), static_cast<int>(k), MPI_DOUBLE, MPI_SUM, comm());
  cholesky_solve(capacitance_factor_, coefficients);  // S⁻¹ Uᵀ Δ⁻¹ x
  petsc::WriteView out(y);
  petsc::ReadView delta(delta_);
  std::vector<double> correction(out.size(), 0.0);
  gemv(false, 1.0, u_, coefficients, 0.0, correction);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] -= correction[i] / delta[i];
}

}  // namespace priorbench
