#include "test_support.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/error.hpp"
#include "core/petsc.hpp"

namespace priorbench::testing_support {
namespace {

void set_unit(Vec v, PetscInt index) {
  PB_PETSC(VecSet(v, 0.0));
  const auto [begin, end] = petsc::ownership(v);
  if (index >= begin && index < end) {
    petsc::WriteView view(v);
    view[static_cast<std::size_t>(index - begin)] = 1.0;
  }
}

}  // namespace

Dense dense_of(const LinearOperator& op) {
  Dense result(op.rows(), op.cols());
  auto x = op.make_domain_vector();
  auto y = op.make_range_vector();
  for (PetscInt j = 0; j < op.cols(); ++j) {
    set_unit(x, j);
    op.apply(x, y);
    const auto column = petsc::gather_all(y);
    for (PetscInt i = 0; i < op.rows(); ++i) {
      result(i, j) = column[static_cast<std::size_t>(i)];
    }
  }
  return result;
}

Dense dense_of_transpose(const LinearOperator& op) {
  Dense result(op.cols(), op.rows());
  auto x = op.make_domain_vector();
  auto y = op.make_range_vector();
  for (PetscInt i = 0; i < op.rows(); ++i) {
    set_unit(y, i);
    op.apply_transpose(y, x);
    const auto column = petsc::gather_all(x);
    for (PetscInt j = 0; j < op.cols(); ++j) {
      result(j, i) = column[static_cast<std::size_t>(j)];
    }
  }
  return result;
}

Dense covariance_of(const DiagonalPlusLowRankPrior& prior) {
  const auto n = prior.size();
  Dense c0(n, n);
  auto unit = petsc::make_vector(prior.comm(), n);
  auto image = petsc::make_vector(prior.comm(), n);
  for (PetscInt j = 0; j < n; ++j) {
    set_unit(unit, j);
    prior.apply_covariance(unit, image);
    const auto column = petsc::gather_all(image);
    for (PetscInt i = 0; i < n; ++i) c0(i, j) = column[static_cast<std::size_t>(i)];
  }
  return c0;
}

Dense multiply(const Dense& a, const Dense& b) {
  if (a.cols != b.rows) throw std::invalid_argument("multiply: shape mismatch");
  Dense c(a.rows, b.cols);
  for (int i = 0; i < a.rows; ++i) {
    for (int k = 0; k < a.cols; ++k) {
      const double aik = a(i, k);
      if (aik == 0.0) continue;
      for (int j = 0; j < b.cols; ++j) c(i, j) += aik * b(k, j);
    }
  }
  return c;
}

Dense transpose(const Dense& a) {
  Dense t(a.cols, a.rows);
  for (int i = 0; i < a.rows; ++i)
    for (int j = 0; j < a.cols; ++j) t(j, i) = a(i, j);
  return t;
}

Dense spd_inverse(const Dense& a) {
  const int n = a.rows;
  Dense l(n, n);
  for (int j = 0; j < n; ++j) {
    double diagonal = a(j, j);
    for (int k = 0; k < j; ++k) diagonal -= l(j, k) * l(j, k);
    if (diagonal <= 0) throw std::runtime_error("spd_inverse: matrix is not positive definite");
    l(j, j) = std::sqrt(diagonal);
    for (int i = j + 1; i < n; ++i) {
      double value = a(i, j);
      for (int k = 0; k < j; ++k) value -= l(i, k) * l(j, k);
      l(i, j) = value / l(j, j);
    }
  }
  // Solve L Lᵀ X = I column by column.
  Dense inverse(n, n);
  std::vector<double> z(static_cast<std::size_t>(n));
  for (int c = 0; c < n; ++c) {
    for (int i = 0; i < n; ++i) {
      double value = (i == c) ? 1.0 : 0.0;
      for (int k = 0; k < i; ++k) value -= l(i, k) * z[k];
      z[i] = value / l(i, i);
    }
    for (int i = n - 1; i >= 0; --i) {
      double value = z[i];
      for (int k = i + 1; k < n; ++k) value -= l(k, i) * inverse(k, c);
      inverse(i, c) = value / l(i, i);
    }
  }
  return inverse;
}

std::vector<double> multiply(const Dense& a, const std::vector<double>& x) {
  std::vector<double> y(static_cast<std::size_t>(a.rows), 0.0);
  for (int i = 0; i < a.rows; ++i)
    for (int j = 0; j < a.cols; ++j) y[i] += a(i, j) * x[j];
  return y;
}

DenseForwardOperator::DenseForwardOperator(MPI_Comm comm, Dense matrix)
    : ForwardOperator(comm, matrix.rows, matrix.cols), matrix_(std::move(matrix)), squared_(matrix_) {
  for (double& value : squared_.values) value *= value;
}

bool DenseForwardOperator::gram_is_diagonal(bool scalar_weight) const {
  // A D Aᵀ is diagonal for every diagonal D iff no column has two nonzeros; for D = I
  // iff the rows are orthogonal.
  for (int i = 0; i < matrix_.rows; ++i) {
    for (int l = i + 1; l < matrix_.rows; ++l) {
      double inner = 0;
      bool overlap = false;
      for (int j = 0; j < matrix_.cols; ++j) {
        inner += matrix_(i, j) * matrix_(l, j);
        overlap = overlap || (matrix_(i, j) != 0 && matrix_(l, j) != 0);
      }
      if (scalar_weight ? std::abs(inner) > 1e-14 : overlap) return false;
    }
  }
  return true;
}

namespace {

void dense_apply(const Dense& matrix, bool transpose, Vec in, Vec out) {
  const auto x = petsc::gather_all(in);
  std::vector<double> y(static_cast<std::size_t>(transpose ? matrix.cols : matrix.rows), 0.0);
  for (int i = 0; i < matrix.rows; ++i)
    for (int j = 0; j < matrix.cols; ++j) {
      if (transpose) {
        y[j] += matrix(i, j) * x[i];
      } else {
        y[i] += matrix(i, j) * x[j];
      }
    }
  petsc::set_from_global(out, y);
}

}  // namespace

void DenseForwardOperator::apply_impl(Vec x, Vec y) const { dense_apply(matrix_, false, x, y); }
void DenseForwardOperator::apply_transpose_impl(Vec y, Vec x) const { dense_apply(matrix_, true, y, x); }
void DenseForwardOperator::apply_squared_impl(Vec x, Vec y) const { dense_apply(squared_, false, x, y); }
void DenseForwardOperator::apply_squared_transpose_impl(Vec y, Vec x) const { dense_apply(squared_, true, y, x); }

double max_abs_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double result = 0;
  for (std::size_t i = 0; i < a.size(); ++i) result = std::max(result, std::abs(a[i] - b[i]));
  return result;
}

double max_relative_difference(std::span<const double> a, std::span<const double> b) {
  EXPECT_EQ(a.size(), b.size());
  double difference = 0, magnitude = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    difference = std::max(difference, std::abs(a[i] - b[i]));
    magnitude = std::max(magnitude, std::abs(b[i]));
  }
  EXPECT_GT(magnitude, 0.0) << "a zero reference tests nothing";
  return difference / magnitude;
}

double max_abs(const std::vector<double>& a) {
  double result = 0;
  for (const double v : a) result = std::max(result, std::abs(v));
  return result;
}

TempDir::TempDir(const std::string& stem)
    : path_(std::filesystem::temp_directory_path() / (stem + "_" + std::to_string(::getpid()))) {
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() { std::filesystem::remove_all(path_); }

void expect_error(const std::function<void()>& action, const std::vector<std::string>& fragments) {
  try {
    action();
    ADD_FAILURE() << "expected a priorbench::Error mentioning " << fragments.front();
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const auto& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos) << "'" << fragment << "' not in: " << message;
    }
  }
}

}  // namespace priorbench::testing_support
