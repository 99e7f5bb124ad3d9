#pragma once
// Compressed sensing with a dense Gaussian matrix (DESIGN §1): d x n, entries i.i.d.
// N(0, 1/d). Entry (i, j) is CounterRandom(seed, 0, Purpose::gaussian_matrix).normal(i·n + j)
// / sqrt(d), so the matrix does not depend on the rank count. Stored as a PETSc dense
// matrix with rows distributed (MATMPIDENSE at more than one rank), with a second one
// holding the squared entries for A∘A. d may exceed n (an overdetermined problem).

#include <cstdint>

#include "core/petsc.hpp"
#include "operators/forward_operator.hpp"

namespace priorbench {

class GaussianOperator final : public ForwardOperator {
 public:
  GaussianOperator(MPI_Comm comm, PetscInt n, PetscInt d, std::uint64_t seed);

  static constexpr double kStoredMatrixLimit = 4.0 * 1024 * 1024;  // 32 MB of doubles

  std::uint64_t seed() const { return seed_; }
  // Entry (i, j), computed from the seed on any rank.
  double entry(PetscInt i, PetscInt j) const;
  Mat matrix() const { return matrix_; }

  bool gram_is_diagonal(bool) const override { return false; }
  // d ≥ n i.i.d. Gaussian rows span Rⁿ with probability one.
  bool injective() const override { return rows() >= cols(); }
  std::string name() const override { return "gaussian"; }
  // Writes the attribute `seed` (int64, the bits of the unsigned seed); rows and cols
  // are in the header. With d·n ≤ kStoredMatrixLimit also the dataset `matrix` (d×n).
  void save(hid_t group) const override;
  static std::shared_ptr<GaussianOperator> load(MPI_Comm comm, hid_t group);

 protected:
  void apply_impl(Vec x, Vec y) const override { PB_PETSC(MatMult(matrix_, x, y)); }
  void apply_transpose_impl(Vec y, Vec x) const override { PB_PETSC(MatMultTranspose(matrix_, y, x)); }
  void apply_squared_impl(Vec x, Vec y) const override { PB_PETSC(MatMult(squared_, x, y)); }
  void apply_squared_transpose_impl(Vec y, Vec x) const override { PB_PETSC(MatMultTranspose(squared_, y, x)); }
  // One GEMM on the stored matrix instead of a matrix-vector product per column: the dense
  // posterior routes at d = 2n spent most of their time in those products.
  void apply_to_columns_impl(const DenseMatrix& x, DenseMatrix& y) const override;

 private:
  std::uint64_t seed_;
  petsc::Matrix matrix_;
  petsc::Matrix squared_;
};

}  // namespace priorbench
