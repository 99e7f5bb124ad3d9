#pragma once
// The one operator abstraction (after MFEM's Operator and Ginkgo's LinOp): a linear map
// R^cols -> R^rows on an MPI communicator, applied to PETSc vectors with PETSc's default
// layout. The public apply functions check sizes and count applications (a cost measure
// that does not depend on the machine), then call the protected virtual *_impl.

#include <petscvec.h>

#include <cstdint>
#include <memory>

#include "core/petsc.hpp"

namespace priorbench {

struct OperatorCounts {
  std::int64_t forward = 0;
  std::int64_t adjoint = 0;
};

class LinearOperator {
 public:
  LinearOperator(MPI_Comm comm, PetscInt rows, PetscInt cols);
  virtual ~LinearOperator() = default;
  LinearOperator(const LinearOperator&) = delete;
  LinearOperator& operator=(const LinearOperator&) = delete;

  MPI_Comm comm() const { return comm_; }
  PetscInt rows() const { return rows_; }
  PetscInt cols() const { return cols_; }

  void apply(Vec x, Vec y) const;            // y = A x
  void apply_transpose(Vec y, Vec x) const;  // x = Aᵀ y

  petsc::Vector make_domain_vector() const;  // length cols, zero
  petsc::Vector make_range_vector() const;   // length rows, zero

  // Applications so far; cost is measured as the difference of two readings.
  const OperatorCounts& counts() const { return counts_; }

 protected:
  virtual void apply_impl(Vec x, Vec y) const = 0;
  virtual void apply_transpose_impl(Vec y, Vec x) const = 0;
  void check_sizes(Vec in, PetscInt in_size, Vec out, PetscInt out_size, const char* what) const;
  // For operations that apply A (or Aᵀ) to several vectors at once without `apply`.
  void count_applications(std::int64_t forward, std::int64_t adjoint) const {
    counts_.forward += forward;
    counts_.adjoint += adjoint;
  }

 private:
  MPI_Comm comm_;
  PetscInt rows_;
  PetscInt cols_;
  mutable OperatorCounts counts_;
};

}  // namespace priorbench
