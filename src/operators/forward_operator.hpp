#pragma once
// A forward operator A of DESIGN §1: a LinearOperator that also knows its entrywise
// square A∘A (which gives exact diagonals of A D Aᵀ and Aᵀ Λ A for diagonal D, Λ:
// diag(A D Aᵀ) = (A∘A) diag(D), diag(Aᵀ Λ A) = (A∘A)ᵀ diag(Λ)), whether A D Aᵀ is itself
// diagonal, and how to record its definition so a result file can rebuild it.

#include <hdf5.h>

#include <string>
#include <vector>

#include "core/dense.hpp"
#include "operators/linear_operator.hpp"

namespace priorbench {

class ForwardOperator : public LinearOperator {
 public:
  using LinearOperator::LinearOperator;

  void apply_squared(Vec x, Vec y) const;            // y = (A∘A) x
  void apply_squared_transpose(Vec y, Vec x) const;  // x = (A∘A)ᵀ y

  // True when A D Aᵀ is diagonal for every diagonal D (or, with `scalar_weight`, for
  // D = c I). Then the Woodbury preconditioner of the posterior solve is exact.
  virtual bool gram_is_diagonal(bool scalar_weight) const = 0;

  // True when A is injective by construction (null(A) = {0}, so range(Aᵀ) is all of Rⁿ):
  // a Gaussian matrix with d ≥ n (with probability one). False when it is not, or when that
  // is not known (a blur whose truncated kernel's symbol crosses zero, a user's matrix).
  virtual bool injective() const { return false; }

  // Short name as used on the command line ("inpaint").
  virtual std::string name() const = 0;
  // Writes the definition (name, parameters, index sets, matrices) into `group`.
  virtual void save(hid_t group) const = 0;

  // x = A⁺y = Aᵀ(A Aᵀ)⁻¹y, the minimum-norm solution of A x = y, when A Aᵀ is diagonal
  // (identity, inpaint, fourier: there it is the zero-filled reconstruction); its diagonal
  // is (A∘A) 1. Returns false, leaving x alone, for operators where A Aᵀ is not diagonal.
  bool apply_pseudo_inverse(Vec y, Vec x) const;

  // Y = A X for the c columns of X (n×c) into Y (d×c, resized), whole matrices, for the
  // dense routes of small problems on a one-rank communicator. Counts c applications. By
  // default A is applied column by column; operators that only select entries (identity,
  // inpaint) gather rows instead.
  void apply_to_columns(const DenseMatrix& x, DenseMatrix& y) const;

  // A picture of what is observed, row-major on the image's H×W grid, for reports: 1 where
  // observed, 0 elsewhere. Empty for operators without one (the default). What the grid
  // means is the operator's: pixels for inpaint, k-space for fourier.
  virtual std::vector<double> sampling_pattern() const { return {}; }

 protected:
  virtual void apply_squared_impl(Vec x, Vec y) const = 0;
  virtual void apply_to_columns_impl(const DenseMatrix& x, DenseMatrix& y) const;
  virtual void apply_squared_transpose_impl(Vec y, Vec x) const = 0;
};

}  // namespace priorbench
