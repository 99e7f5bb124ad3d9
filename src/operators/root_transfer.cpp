#include "operators/root_transfer.hpp"

#include <algorithm>

namespace priorbench {

RootTransfer::RootTransfer(MPI_Comm comm, PetscInt size) : size_(size) {
  MPI_Comm_rank(comm, &rank_);
  const petsc::Vector model = petsc::make_vector(comm, size);
  PB_PETSC(VecScatterCreateToZero(model, scatter_.out(), root_.out()));
}

std::vector<double> RootTransfer::gather(Vec distributed) const {
  PB_PETSC(VecScatterBegin(scatter_, distributed, root_, INSERT_VALUES, SCATTER_FORWARD));
  PB_PETSC(VecScatterEnd(scatter_, distributed, root_, INSERT_VALUES, SCATTER_FORWARD));
  const petsc::ReadView view(root_);
  return {view.span().begin(), view.span().end()};
}

void RootTransfer::scatter(std::span<const double> values_on_root, Vec distributed) const {
  {
    const petsc::WriteView view(root_);
    if (on_root()) {
      PB_REQUIRE(values_on_root.size() == static_cast<std::size_t>(size_), "RootTransfer::scatter: expected ", size_,
                 " values on rank 0, got ", values_on_root.size());
      std::copy(values_on_root.begin(), values_on_root.end(), view.span().begin());
    }
  }
  PB_PETSC(VecScatterBegin(scatter_, root_, distributed, INSERT_VALUES, SCATTER_REVERSE));
  PB_PETSC(VecScatterEnd(scatter_, root_, distributed, INSERT_VALUES, SCATTER_REVERSE));
}

}  // namespace priorbench
