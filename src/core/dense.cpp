#include "core/dense.hpp"

#include <petscsys.h>  // petscblaslapack.h needs it first

#include <petscblaslapack.h>

#include <algorithm>
#include <limits>

#include "core/error.hpp"

namespace priorbench {
namespace {

PetscBLASInt blas_int(std::size_t value) {
  PB_REQUIRE(value <= static_cast<std::size_t>(std::numeric_limits<PetscBLASInt>::max()), "matrix dimension ", value,
             " exceeds the BLAS integer range");
  return static_cast<PetscBLASInt>(std::max<std::size_t>(value, 1));
}

}  // namespace

void gemm(bool transpose_a, bool transpose_b, double alpha, const DenseMatrix& a, const DenseMatrix& b, double beta,
          DenseMatrix& c) {
  gemm(transpose_a, transpose_b, alpha, ConstMatrixView{a.data(), a.rows(), a.cols(), a.rows()}, b, beta, c);
}

void gemm(bool transpose_a, bool transpose_b, double alpha, ConstMatrixView a, const DenseMatrix& b, double beta,
          DenseMatrix& c) {
  const std::size_t m = transpose_a ? a.cols : a.rows;
  const std::size_t k = transpose_a ? a.rows : a.cols;
  const std::size_t kb = transpose_b ? b.cols() : b.rows();
  const std::size_t n = transpose_b ? b.rows() : b.cols();
  PB_REQUIRE(k == kb && c.rows() == m && c.cols() == n, "gemm: shapes do not agree");
  PB_REQUIRE(a.leading >= a.rows, "gemm: leading dimension ", a.leading, " below the ", a.rows, " rows");
  if (m == 0 || n == 0) {
    return;
  }
  if (k == 0) {
    for (double& value : c.values()) value *= beta;
    return;
  }
  const PetscBLASInt bm = blas_int(m), bn = blas_int(n), bk = blas_int(k);
  const PetscBLASInt lda = blas_int(a.leading), ldb = blas_int(b.rows()), ldc = blas_int(c.rows());
  BLASgemm_(transpose_a ? "T" : "N", transpose_b ? "T" : "N", &bm, &bn, &bk, &alpha, a.data, &lda, b.data(), &ldb,
            &beta, c.data(), &ldc);
}

void gemv(bool transpose, double alpha, const DenseMatrix& a, std::span<const double> x, double beta,
          std::span<double> y) {
  PB_REQUIRE(x.size() == (transpose ? a.rows() : a.cols()) && y.size() == (transpose ? a.cols() : a.rows()),
             "gemv: shapes do not agree");
  if (y.empty()) {
    return;
  }
  if (x.empty()) {
    for (double& value : y) value *= beta;
    return;
  }
  const PetscBLASInt m = blas_int(a.rows()), n = blas_int(a.cols()), one = 1;
  BLASgemv_(transpose ? "T" : "N", &m, &n, &alpha, a.data(), &m, x.data(), &one, &beta, y.data(), &one);
}

void cholesky_in_place(DenseMatrix& matrix, const std::string& what) {
  PB_REQUIRE(matrix.rows() == matrix.cols(), what, " is not square");
  if (matrix.rows() == 0) {
    return;
  }
  const PetscBLASInt n = blas_int(matrix.rows());
  PetscBLASInt info = 0;
  LAPACKpotrf_("L", &n, matrix.data(), &n, &info);
  PB_REQUIRE(info == 0, what, " is not positive definite (Cholesky failed at column ", info, ")");
  for (std::size_t j = 1; j < matrix.cols(); ++j) {
    for (std::size_t i = 0; i < j; ++i) {
      matrix(i, j) = 0.0;
    }
  }
}

void cholesky_solve(const DenseMatrix& factor, std::span<double> b) {
  PB_REQUIRE(b.size() == factor.rows(), "cholesky_solve: shapes do not agree");
  if (b.empty()) {
    return;
  }
  const PetscBLASInt n = blas_int(factor.rows()), one = 1;
  PetscBLASInt info = 0;
  LAPACKpotrs_("L", &n, &one, factor.data(), &n, b.data(), &n, &info);
  PB_REQUIRE(info == 0, "cholesky_solve: LAPACK potrs failed with info ", info);
}

void right_solve_lower_transpose(const DenseMatrix& lower, DenseMatrix& x) {
  PB_REQUIRE(lower.rows() == x.cols(), "right_solve_lower_transpose: shapes do not agree");
  if (x.rows() == 0 || x.cols() == 0) {
    return;
  }
  const PetscBLASInt m = blas_int(x.rows()), n = blas_int(x.cols());
  const double one = 1.0;
  BLAStrsm_("R", "L", "T", "N", &m, &n, &one, lower.data(), &n, x.data(), &m);
}

SymmetricEigen symmetric_eigen(const DenseMatrix& matrix) {
  PB_REQUIRE(matrix.rows() == matrix.cols(), "symmetric_eigen: matrix is not square");
  SymmetricEigen result{std::vector<double>(matrix.rows()), matrix};
  if (matrix.rows() == 0) {
    return result;
  }
  const PetscBLASInt n = blas_int(matrix.rows());
  PetscBLASInt info = 0;
  PetscBLASInt work_size = -1;
  double optimal = 0;
  LAPACKsyev_("V", "L", &n, result.vectors.data(), &n, result.values.data(), &optimal, &work_size, &info);
  work_size = static_cast<PetscBLASInt>(optimal);
  std::vector<double> work(static_cast<std::size_t>(work_size));
  LAPACKsyev_("V", "L", &n, result.vectors.data(), &n, result.values.data(), work.data(), &work_size, &info);
  PB_REQUIRE(info == 0, "symmetric eigen-decomposition failed (LAPACK syev info ", info, ")");
  return result;
}

}  // namespace priorbench
