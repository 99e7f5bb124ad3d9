#include "operators/gaussian_operator.hpp"

#include <cmath>
#include <vector>

#include "core/hdf5.hpp"
#include "core/random.hpp"
#include "operators/operator_io.hpp"

namespace priorbench {
namespace {

petsc::Matrix dense_matrix(MPI_Comm comm, PetscInt rows, PetscInt cols) {
  petsc::Matrix matrix;
  PB_PETSC(MatCreateDense(comm, PETSC_DECIDE, PETSC_DECIDE, rows, cols, nullptr, matrix.out()));
  return matrix;
}

// Fills the local rows of `matrix` (column-major local block) with entry(i, j).
template <class Entry>
void fill_local_rows(Mat matrix, Entry&& entry) {
  PetscInt begin = 0;
  PetscInt end = 0;
  PetscInt cols = 0;
  PetscInt leading = 0;
  PB_PETSC(MatGetOwnershipRange(matrix, &begin, &end));
  PB_PETSC(MatGetSize(matrix, nullptr, &cols));
  PB_PETSC(MatDenseGetLDA(matrix, &leading));
  PetscScalar* values = nullptr;
  PB_PETSC(MatDenseGetArrayWrite(matrix, &values));
  for (PetscInt j = 0; j < cols; ++j) {
    for (PetscInt i = begin; i < end; ++i) {
      values[static_cast<std::size_t>(j) * leading + (i - begin)] = entry(i, j);
    }
  }
  PB_PETSC(MatDenseRestoreArrayWrite(matrix, &values));
  PB_PETSC(MatAssemblyBegin(matrix, MAT_FINAL_ASSEMBLY));
  PB_PETSC(MatAssemblyEnd(matrix, MAT_FINAL_ASSEMBLY));
}

// The array of a dense PETSc matrix, read-only, returned to PETSc on destruction.
class DenseArrayRead {
 public:
  explicit DenseArrayRead(Mat matrix) : matrix_(matrix) { PB_PETSC(MatDenseGetArrayRead(matrix_, &values_)); }
  ~DenseArrayRead() { MatDenseRestoreArrayRead(matrix_, &values_); }
  DenseArrayRead(const DenseArrayRead&) = delete;
  DenseArrayRead& operator=(const DenseArrayRead&) = delete;
  const PetscScalar* data() const { return values_; }

 private:
  Mat matrix_;
  const PetscScalar* values_ = nullptr;
};

PetscInt checked_rows(PetscInt n, PetscInt d) {
  PB_REQUIRE(n >= 1 && d >= 1, "gaussian: the matrix needs positive dimensions, got ", d, " x ", n);
  return d;
}

}  // namespace

GaussianOperator::GaussianOperator(MPI_Comm comm, PetscInt n, PetscInt d, std::uint64_t seed)
    : ForwardOperator(comm, checked_rows(n, d), n),
      seed_(seed),
      matrix_(dense_matrix(comm, d, n)),
      squared_(dense_matrix(comm, d, n)) {
  const auto entry = [this](PetscInt i, PetscInt j) { return this->entry(i, j); };
  fill_local_rows(matrix_, entry);
  fill_local_rows(squared_, [&](PetscInt i, PetscInt j) {
    const double value = entry(i, j);
    return value * value;
  });
}

double GaussianOperator::entry(PetscInt i, PetscInt j) const {
  const auto index = static_cast<std::uint64_t>(i) * static_cast<std::uint64_t>(cols()) + static_cast<std::uint64_t>(j);
  return CounterRandom(seed_, 0, Purpose::gaussian_matrix).normal(index) / std::sqrt(static_cast<double>(rows()));
}

void GaussianOperator::apply_to_columns_impl(const DenseMatrix& x, DenseMatrix& y) const {
  // One rank (apply_to_columns checks it): the local block is the whole d×n matrix.
  PetscInt leading = 0;
  PB_PETSC(MatDenseGetLDA(matrix_, &leading));
  const DenseArrayRead values(matrix_);
  const ConstMatrixView a{values.data(), static_cast<std::size_t>(rows()), static_cast<std::size_t>(cols()),
                          static_cast<std::size_t>(leading)};
  gemm(false, false, 1.0, a, x, 0.0, y);
}

void GaussianOperator::save(hid_t group) const {
  operator_io::write_header(group, *this);
  h5::write_attribute(group, "seed", static_cast<std::int64_t>(seed_));
  // The seed defines the matrix, but reading it back needs Random123's Philox; small
  // matrices are also stored explicitly so any tool can check a result.
  if (static_cast<double>(rows()) * static_cast<double>(cols()) <= kStoredMatrixLimit) {
    std::vector<double> values(static_cast<std::size_t>(rows()) * static_cast<std::size_t>(cols()));
    for (PetscInt i = 0; i < rows(); ++i)
      for (PetscInt j = 0; j < cols(); ++j) values[static_cast<std::size_t>(i * cols() + j)] = entry(i, j);
    h5::write(group, "matrix", values, {static_cast<hsize_t>(rows()), static_cast<hsize_t>(cols())});
  }
}

std::shared_ptr<GaussianOperator> GaussianOperator::load(MPI_Comm comm, hid_t group) {
  operator_io::require_name(group, "gaussian");
  const auto header = operator_io::read_header(group);
  return std::make_shared<GaussianOperator>(comm, static_cast<PetscInt>(header.cols),
                                            static_cast<PetscInt>(header.rows),
                                            static_cast<std::uint64_t>(h5::read_integer_attribute(group, "seed")));
}

}  // namespace priorbench
