#include "operators/identity_operator.hpp"

#include "operators/operator_io.hpp"

namespace priorbench {

IdentityOperator::IdentityOperator(MPI_Comm comm, PetscInt n) : ForwardOperator(comm, n, n) {}

void IdentityOperator::apply_impl(Vec x, Vec y) const { PB_PETSC(VecCopy(x, y)); }
void IdentityOperator::apply_transpose_impl(Vec y, Vec x) const { PB_PETSC(VecCopy(y, x)); }
void IdentityOperator::apply_squared_impl(Vec x, Vec y) const { PB_PETSC(VecCopy(x, y)); }
void IdentityOperator::apply_squared_transpose_impl(Vec y, Vec x) const { PB_PETSC(VecCopy(y, x)); }

void IdentityOperator::save(hid_t group) const { operator_io::write_header(group, *this); }

std::shared_ptr<IdentityOperator> IdentityOperator::load(MPI_Comm comm, hid_t group) {
  operator_io::require_name(group, "identity");
  return std::make_shared<IdentityOperator>(comm, static_cast<PetscInt>(operator_io::read_header(group).cols));
}

}  // namespace priorbench
