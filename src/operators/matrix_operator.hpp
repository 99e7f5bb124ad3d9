#pragma once
// A user's sparse matrix A (DESIGN §1, `matrix`), read from an HDF5 CSR file.
//
// File format (the layout of scipy.sparse.csr_matrix, 0-based), at the file's root:
//   shape    int64 dataset [2]          = [rows, cols]; cols must equal the pixel count
//   indptr   int64 dataset [rows + 1]   non-decreasing, indptr[0] = 0, indptr[rows] = nnz
//   indices  int64 dataset [nnz]        column of each stored value, in [0, cols)
//   data     float64 dataset [nnz]      the values (finite)
// Any integer or float type HDF5 can convert is accepted. Within a row, columns may come
// in any order and repeat; repeated entries are summed (scipy's rule).
//
// Stored as a PETSc AIJ matrix (MATMPIAIJ at more than one rank, rows distributed), with
// a second one holding the squared entries for A∘A. Every rank keeps the whole CSR arrays
// too, so save() needs no communication; this costs memory for very large matrices.

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/petsc.hpp"
#include "operators/forward_operator.hpp"

namespace priorbench {

struct CsrMatrix {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<std::int64_t> indptr;
  std::vector<std::int64_t> indices;
  std::vector<double> data;
};

// Fails with "<origin>indices: column index 900 out of range [0, 784)" and the like; for
// a file `origin` is "matrix.h5:/".
void validate_csr(const CsrMatrix& csr, const std::string& origin);
// Reads and validates the four datasets under `location` (a file or a group).
CsrMatrix read_csr(hid_t location);
CsrMatrix read_csr_file(const std::string& path);
void write_csr(hid_t location, const CsrMatrix& csr);

class MatrixOperator final : public ForwardOperator {
 public:
  // `csr` is validated and put in canonical form (columns sorted, duplicates summed).
  // `source_file` is only recorded by save().
  MatrixOperator(MPI_Comm comm, CsrMatrix csr, std::string source_file = "");
  static std::shared_ptr<MatrixOperator> from_file(MPI_Comm comm, const std::string& path);

  const CsrMatrix& csr() const { return csr_; }
  const std::string& source_file() const { return source_file_; }
  Mat matrix() const { return matrix_; }

  // A D Aᵀ = Σ_j D_jj a_j a_jᵀ is diagonal for every diagonal D exactly when every
  // column a_j has at most one nonzero. The same test is used for scalar D, where it is
  // sufficient but not necessary (orthogonal rows would do).
  bool gram_is_diagonal(bool) const override { return gram_is_diagonal_; }
  std::string name() const override { return "matrix"; }
  // Writes the four CSR datasets (so the group is itself a CSR file layout) and the
  // attribute `source_file` when known.
  void save(hid_t group) const override;
  static std::shared_ptr<MatrixOperator> load(MPI_Comm comm, hid_t group);

 protected:
  void apply_impl(Vec x, Vec y) const override { PB_PETSC(MatMult(matrix_, x, y)); }
  void apply_transpose_impl(Vec y, Vec x) const override { PB_PETSC(MatMultTranspose(matrix_, y, x)); }
  void apply_squared_impl(Vec x, Vec y) const override { PB_PETSC(MatMult(squared_, x, y)); }
  void apply_squared_transpose_impl(Vec y, Vec x) const override { PB_PETSC(MatMultTranspose(squared_, y, x)); }

 private:
  CsrMatrix csr_;
  std::string source_file_;
  bool gram_is_diagonal_ = false;
  petsc::Matrix matrix_;
  petsc::Matrix squared_;
};

}  // namespace priorbench
