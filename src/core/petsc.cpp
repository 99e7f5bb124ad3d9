#include "core/petsc.hpp"

#include <algorithm>

namespace priorbench::petsc {

Vector make_vector(MPI_Comm comm, PetscInt size) {
  Vector vector;
  PB_PETSC(VecCreate(comm, vector.out()));
  PB_PETSC(VecSetSizes(vector, PETSC_DECIDE, size));
  PB_PETSC(VecSetType(vector, VECSTANDARD));
  PB_PETSC(VecSet(vector, 0.0));
  return vector;
}

Vector make_vector_like(Vec model) {
  Vector vector;
  PB_PETSC(VecDuplicate(model, vector.out()));
  PB_PETSC(VecSet(vector, 0.0));
  return vector;
}

Vector copy_of(Vec source) {
  Vector vector;
  PB_PETSC(VecDuplicate(source, vector.out()));
  PB_PETSC(VecCopy(source, vector));
  return vector;
}

std::vector<double> gather_all(Vec vector) {
  VecScatter scatter = nullptr;
  Vec all = nullptr;
  PB_PETSC(VecScatterCreateToAll(vector, &scatter, &all));
  Scatter scatter_owner(scatter);
  Vector all_owner(all);
  PB_PETSC(VecScatterBegin(scatter, vector, all, INSERT_VALUES, SCATTER_FORWARD));
  PB_PETSC(VecScatterEnd(scatter, vector, all, INSERT_VALUES, SCATTER_FORWARD));
  ReadView view(all);
  return {view.span().begin(), view.span().end()};
}

std::vector<double> gather_to_zero(Vec vector) {
  VecScatter scatter = nullptr;
  Vec zero = nullptr;
  PB_PETSC(VecScatterCreateToZero(vector, &scatter, &zero));
  Scatter scatter_owner(scatter);
  Vector zero_owner(zero);
  PB_PETSC(VecScatterBegin(scatter, vector, zero, INSERT_VALUES, SCATTER_FORWARD));
  PB_PETSC(VecScatterEnd(scatter, vector, zero, INSERT_VALUES, SCATTER_FORWARD));
  ReadView view(zero);
  return {view.span().begin(), view.span().end()};
}

void set_from_global(Vec vector, std::span<const double> global_values) {
  PetscInt size = 0;
  PB_PETSC(VecGetSize(vector, &size));
  PB_REQUIRE(static_cast<std::size_t>(size) == global_values.size(), "set_from_global: vector has ", size,
             " entries but ", global_values.size(), " values were given");
  const auto [begin, end] = ownership(vector);
  WriteView view(vector);
  std::copy(global_values.begin() + begin, global_values.begin() + end, view.span().begin());
}

void scatter_from_zero(Vec vector, std::span<const double> values_on_zero) {
  VecScatter scatter = nullptr;
  Vec zero = nullptr;
  PB_PETSC(VecScatterCreateToZero(vector, &scatter, &zero));
  Scatter scatter_owner(scatter);
  Vector zero_owner(zero);
  {
    WriteView view(zero);
    PB_REQUIRE(view.size() == values_on_zero.size(), "scatter_from_zero: expected ", view.size(), " values, got ",
               values_on_zero.size());
    std::copy(values_on_zero.begin(), values_on_zero.end(), view.span().begin());
  }
  PB_PETSC(VecScatterBegin(scatter, zero, vector, INSERT_VALUES, SCATTER_REVERSE));
  PB_PETSC(VecScatterEnd(scatter, zero, vector, INSERT_VALUES, SCATTER_REVERSE));
}

std::pair<PetscInt, PetscInt> ownership(Vec vector) {
  PetscInt begin = 0;
  PetscInt end = 0;
  PB_PETSC(VecGetOwnershipRange(vector, &begin, &end));
  return {begin, end};
}

ReadView::ReadView(Vec vector) : vector_(vector) {
  PetscInt local = 0;
  PB_PETSC(VecGetLocalSize(vector, &local));
  PB_PETSC(VecGetArrayRead(vector, &data_));
  size_ = static_cast<std::size_t>(local);
}
ReadView::~ReadView() { VecRestoreArrayRead(vector_, &data_); }

WriteView::WriteView(Vec vector) : vector_(vector) {
  PetscInt local = 0;
  PB_PETSC(VecGetLocalSize(vector, &local));
  PB_PETSC(VecGetArray(vector, &data_));
  size_ = static_cast<std::size_t>(local);
}
WriteView::~WriteView() { VecRestoreArray(vector_, &data_); }

double dot(Vec a, Vec b) {
  PetscScalar value = 0;
  PB_PETSC(VecDot(a, b, &value));
  return value;
}

double norm2(Vec a) {
  PetscReal value = 0;
  PB_PETSC(VecNorm(a, NORM_2, &value));
  return value;
}

MPI_Comm comm_of(PetscObject object) {
  MPI_Comm comm = MPI_COMM_NULL;
  PB_PETSC(PetscObjectGetComm(object, &comm));
  return comm;
}

}  // namespace priorbench::petsc
