#pragma once
// Moves a distributed vector to rank 0 and back, for the operators whose arithmetic is
// serial (blur, fourier). This does not scale across ranks: rank 0 holds the whole
// vector and does all the work while the others wait. It keeps the scatter between
// applications so only the data moves.

#include <petscvec.h>

#include <span>
#include <vector>

#include "core/petsc.hpp"

namespace priorbench {

class RootTransfer {
 public:
  // For vectors of global length `size` with PETSc's default layout on `comm`.
  RootTransfer(MPI_Comm comm, PetscInt size);

  bool on_root() const { return rank_ == 0; }
  // The whole of `distributed` on rank 0; empty on the other ranks. Collective.
  std::vector<double> gather(Vec distributed) const;
  // Sets `distributed` from the full-length `values_on_root` given on rank 0 (ignored
  // elsewhere). Collective.
  void scatter(std::span<const double> values_on_root, Vec distributed) const;

 private:
  int rank_ = 0;
  PetscInt size_ = 0;
  petsc::Scatter scatter_;
  petsc::Vector root_;  // length `size` on rank 0, 0 elsewhere
};

}  // namespace priorbench
