#pragma once
// Helpers shared by the tests: dense references built by applying operators to unit
// vectors, and small dense linear algebra that is independent of the code under test.

#include <petscvec.h>

#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "operators/forward_operator.hpp"
#include "operators/linear_operator.hpp"
#include "priors/diagonal_low_rank_prior.hpp"

namespace priorbench::testing_support {

// Row-major dense matrix.
struct Dense {
  int rows = 0;
  int cols = 0;
  std::vector<double> values;
  Dense() = default;
  Dense(int r, int c) : rows(r), cols(c), values(static_cast<std::size_t>(r) * c, 0.0) {}
  double& operator()(int i, int j) { return values[static_cast<std::size_t>(i) * cols + j]; }
  double operator()(int i, int j) const { return values[static_cast<std::size_t>(i) * cols + j]; }
};

// The matrix of `op`, column by column (A e_j), on every rank.
Dense dense_of(const LinearOperator& op);
// The matrix of Aᵀ, column by column (Aᵀ e_i), on every rank.
Dense dense_of_transpose(const LinearOperator& op);

// The prior covariance C0 as a dense matrix (C0 applied to unit vectors), on every rank.
Dense covariance_of(const DiagonalPlusLowRankPrior& prior);

Dense multiply(const Dense& a, const Dense& b);
Dense transpose(const Dense& a);
// Inverse of a symmetric positive definite matrix (Cholesky, written here on purpose).
Dense spd_inverse(const Dense& a);
std::vector<double> multiply(const Dense& a, const std::vector<double>& x);

// A forward operator given by an explicit matrix, applied on every rank from gathered
// vectors: an independent stand-in for the real operators in posterior tests.
class DenseForwardOperator final : public ForwardOperator {
 public:
  DenseForwardOperator(MPI_Comm comm, Dense matrix);
  bool gram_is_diagonal(bool scalar_weight) const override;
  std::string name() const override { return "dense-test"; }
  void save(hid_t) const override {}
  const Dense& matrix() const { return matrix_; }

 protected:
  void apply_impl(Vec x, Vec y) const override;
  void apply_transpose_impl(Vec y, Vec x) const override;
  void apply_squared_impl(Vec x, Vec y) const override;
  void apply_squared_transpose_impl(Vec y, Vec x) const override;

 private:
  Dense matrix_;
  Dense squared_;
};

double max_abs_difference(const std::vector<double>& a, const std::vector<double>& b);
// max |a − b| / max |b|: the difference relative to the magnitude of the result; fails the
// test when the sizes differ or b is all zeros (a zero reference tests nothing).
double max_relative_difference(std::span<const double> a, std::span<const double> b);
double max_abs(const std::vector<double>& a);

// A fresh directory STEM_PID under the system's temporary directory, removed with its contents.
class TempDir {
 public:
  explicit TempDir(const std::string& stem);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Expects `action` to throw priorbench::Error with a one-line message containing every fragment.
void expect_error(const std::function<void()>& action, const std::vector<std::string>& fragments);

}  // namespace priorbench::testing_support
