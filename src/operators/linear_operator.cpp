#include "operators/linear_operator.hpp"

namespace priorbench {

LinearOperator::LinearOperator(MPI_Comm comm, PetscInt rows, PetscInt cols) : comm_(comm), rows_(rows), cols_(cols) {
  PB_REQUIRE(rows > 0 && cols > 0, "an operator needs positive dimensions, got ", rows, " x ", cols);
}

void LinearOperator::check_sizes(Vec in, PetscInt in_size, Vec out, PetscInt out_size, const char* what) const {
  PetscInt in_actual = 0;
  PetscInt out_actual = 0;
  PB_PETSC(VecGetSize(in, &in_actual));
  PB_PETSC(VecGetSize(out, &out_actual));
  PB_REQUIRE(in_actual == in_size && out_actual == out_size, what, ": operator of size ", rows_, " x ", cols_,
             " applied to a vector of length ", in_actual, " into one of length ", out_actual);
}

void LinearOperator::apply(Vec x, Vec y) const {
  check_sizes(x, cols_, y, rows_, "apply");
  apply_impl(x, y);
  ++counts_.forward;
}

void LinearOperator::apply_transpose(Vec y, Vec x) const {
  check_sizes(y, rows_, x, cols_, "apply_transpose");
  apply_transpose_impl(y, x);
  ++counts_.adjoint;
}

petsc::Vector LinearOperator::make_domain_vector() const { return petsc::make_vector(comm_, cols_); }
petsc::Vector LinearOperator::make_range_vector() const { return petsc::make_vector(comm_, rows_); }

}  // namespace priorbench
