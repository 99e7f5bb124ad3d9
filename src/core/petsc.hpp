#pragma once
// RAII handles for PETSc objects and the few vector helpers the rest of the code needs.
// Business code never calls XxxDestroy itself.

#include <petscksp.h>
#include <petsctao.h>
#include <petscvec.h>

#include <span>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace priorbench::petsc {

// Owns one PETSc object; moves, never copies.
template <class Object, PetscErrorCode (*destroy)(Object*)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(Object object) : object_(object) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      object_ = std::exchange(other.object_, nullptr);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  Object get() const { return object_; }
  operator Object() const { return object_; }  // NOLINT: pass straight to PETSc calls
  Object* out() {                              // for PETSc's XxxCreate(..., &object)
    reset();
    return &object_;
  }
  explicit operator bool() const { return object_ != nullptr; }
  void reset() {
    if (object_ != nullptr) {
      destroy(&object_);
      object_ = nullptr;
    }
  }

 private:
  Object object_ = nullptr;
};

using Vector = Handle<Vec, VecDestroy>;
using Matrix = Handle<Mat, MatDestroy>;
using Krylov = Handle<KSP, KSPDestroy>;
using Scatter = Handle<VecScatter, VecScatterDestroy>;
using IndexSet = Handle<IS, ISDestroy>;
using Optimizer = Handle<Tao, TaoDestroy>;

// A vector of global size `size` with PETSc's default layout on `comm`.
Vector make_vector(MPI_Comm comm, PetscInt size);
Vector make_vector_like(Vec model);
Vector copy_of(Vec source);

// The whole vector on every rank (for small vectors, output and tests).
std::vector<double> gather_all(Vec vector);
// The whole vector on rank 0 only (empty elsewhere).
std::vector<double> gather_to_zero(Vec vector);
// Sets each rank's local part from a full-length array present on every rank.
void set_from_global(Vec vector, std::span<const double> global_values);
// Sets each rank's local part from a full-length array present on rank 0 only.
void scatter_from_zero(Vec vector, std::span<const double> values_on_zero);

// [begin, end) of the locally owned entries.
std::pair<PetscInt, PetscInt> ownership(Vec vector);

// Read-only access to the local part, returned on destruction.
class ReadView {
 public:
  explicit ReadView(Vec vector);
  ~ReadView();
  ReadView(const ReadView&) = delete;
  ReadView& operator=(const ReadView&) = delete;
  std::span<const double> span() const { return {data_, size_}; }
  const double& operator[](std::size_t i) const { return data_[i]; }
  std::size_t size() const { return size_; }

 private:
  Vec vector_;
  const PetscScalar* data_ = nullptr;
  std::size_t size_ = 0;
};

// Read-write access to the local part.
class WriteView {
 public:
  explicit WriteView(Vec vector);
  ~WriteView();
  WriteView(const WriteView&) = delete;
  WriteView& operator=(const WriteView&) = delete;
  std::span<double> span() const { return {data_, size_}; }
  double& operator[](std::size_t i) const { return data_[i]; }
  std::size_t size() const { return size_; }

 private:
  Vec vector_;
  PetscScalar* data_ = nullptr;
  std::size_t size_ = 0;
};

double dot(Vec a, Vec b);
double norm2(Vec a);
MPI_Comm comm_of(PetscObject object);
inline MPI_Comm comm_of(Vec v) { return comm_of(reinterpret_cast<PetscObject>(v)); }

}  // namespace priorbench::petsc
