#pragma once
// Small dense linear algebra on local, column-major matrices, through the BLAS/LAPACK
// that PETSc links (OpenBLAS here). Used for the k×k capacitance matrices of Woodbury
// solves, low-rank factors' local rows, and the small-problem exact paths.

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace priorbench {

class DenseMatrix {
 public:
  DenseMatrix() = default;
  DenseMatrix(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols), values_(rows * cols, 0.0) {}

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  double& operator()(std::size_t i, std::size_t j) { return values_[j * rows_ + i]; }
  double operator()(std::size_t i, std::size_t j) const { return values_[j * rows_ + i]; }
  double* data() { return values_.data(); }
  const double* data() const { return values_.data(); }
  std::span<double> column(std::size_t j) { return {values_.data() + j * rows_, rows_}; }
  std::span<const double> column(std::size_t j) const { return {values_.data() + j * rows_, rows_}; }
  std::vector<double>& values() { return values_; }
  const std::vector<double>& values() const { return values_; }

 private:
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::vector<double> values_;
};

// A column-major matrix held elsewhere (a PETSc dense matrix's array), not owned:
// rows × cols with leading dimension `leading` ≥ rows.
struct ConstMatrixView {
  const double* data = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t leading = 0;
};

// C = alpha op(A) op(B) + beta C, op = transpose when the flag is set.
void gemm(bool transpose_a, bool transpose_b, double alpha, const DenseMatrix& a, const DenseMatrix& b, double beta,
          DenseMatrix& c);
void gemm(bool transpose_a, bool transpose_b, double alpha, ConstMatrixView a, const DenseMatrix& b, double beta,
          DenseMatrix& c);
// y = alpha op(A) x + beta y.
void gemv(bool transpose, double alpha, const DenseMatrix& a, std::span<const double> x, double beta,
          std::span<double> y);

// Lower Cholesky factor in place (upper triangle zeroed). `what` names the matrix in the
// error raised when it is not positive definite.
void cholesky_in_place(DenseMatrix& matrix, const std::string& what);
// Solves (L Lᵀ) x = b in place given the factor from cholesky_in_place.
void cholesky_solve(const DenseMatrix& factor, std::span<double> b);
// X <- X L⁻ᵀ for a lower-triangular L (so the rows of the result are L⁻¹ times X's rows).
void right_solve_lower_transpose(const DenseMatrix& lower, DenseMatrix& x);

// Eigen-decomposition of a symmetric matrix: eigenvalues ascending, vectors in columns.
struct SymmetricEigen {
  std::vector<double> values;
  DenseMatrix vectors;
};
SymmetricEigen symmetric_eigen(const DenseMatrix& matrix);

}  // namespace priorbench
