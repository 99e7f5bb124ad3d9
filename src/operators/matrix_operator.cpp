#include "operators/matrix_operator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/hdf5.hpp"
#include "core/memory_budget.hpp"
#include "operators/operator_io.hpp"

namespace priorbench {
namespace {

constexpr std::int64_t petsc_int_max = std::numeric_limits<PetscInt>::max();

// Columns sorted within each row and repeated columns summed.
CsrMatrix canonical(const CsrMatrix& csr) {
  CsrMatrix result;
  result.rows = csr.rows;
  result.cols = csr.cols;
  result.indptr.reserve(csr.indptr.size());
  result.indptr.push_back(0);
  std::vector<std::size_t> order;
  for (std::int64_t row = 0; row < csr.rows; ++row) {
    const auto begin = static_cast<std::size_t>(csr.indptr[static_cast<std::size_t>(row)]);
    const auto end = static_cast<std::size_t>(csr.indptr[static_cast<std::size_t>(row) + 1]);
    order.resize(end - begin);
    std::iota(order.begin(), order.end(), begin);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return csr.indices[a] < csr.indices[b]; });
    for (std::size_t p = 0; p < order.size(); ++p) {
      const std::int64_t column = csr.indices[order[p]];
      if (p > 0 && column == result.indices.back()) {
        result.data.back() += csr.data[order[p]];
      } else {
        result.indices.push_back(column);
        result.data.push_back(csr.data[order[p]]);
      }
    }
    result.indptr.push_back(static_cast<std::int64_t>(result.indices.size()));
  }
  return result;
}

bool columns_have_at_most_one_nonzero(const CsrMatrix& csr) {
  std::vector<std::uint8_t> seen(static_cast<std::size_t>(csr.cols), 0);
  for (std::size_t p = 0; p < csr.indices.size(); ++p) {
    if (csr.data[p] == 0.0) {
      continue;
    }
    auto& count = seen[static_cast<std::size_t>(csr.indices[p])];
    if (count != 0) {
      return false;
    }
    count = 1;
  }
  return true;
}

PetscInt checked_rows(const CsrMatrix& csr) {
  validate_csr(csr, "CSR matrix ");
  return static_cast<PetscInt>(csr.rows);
}

// The AIJ matrix of `csr` with each value passed through `transform`; each rank inserts
// the rows of PETSc's default layout that it owns.
template <class Transform>
petsc::Matrix aij_matrix(MPI_Comm comm, const CsrMatrix& csr, Vec row_layout, Transform&& transform) {
  const auto [begin, end] = petsc::ownership(row_layout);
  const std::int64_t offset = csr.indptr[static_cast<std::size_t>(begin)];
  std::vector<PetscInt> row_starts;
  for (PetscInt row = begin; row <= end; ++row) {
    row_starts.push_back(static_cast<PetscInt>(csr.indptr[static_cast<std::size_t>(row)] - offset));
  }
  const auto first = static_cast<std::size_t>(offset);
  const auto last = static_cast<std::size_t>(csr.indptr[static_cast<std::size_t>(end)]);
  std::vector<PetscInt> columns(csr.indices.begin() + first, csr.indices.begin() + last);
  std::vector<PetscScalar> values(last - first);
  std::transform(csr.data.begin() + first, csr.data.begin() + last, values.begin(), transform);

  petsc::Matrix matrix;
  PB_PETSC(MatCreate(comm, matrix.out()));
  PB_PETSC(
      MatSetSizes(matrix, end - begin, PETSC_DECIDE, static_cast<PetscInt>(csr.rows), static_cast<PetscInt>(csr.cols)));
  PB_PETSC(MatSetType(matrix, MATAIJ));
  // Only the call matching the actual type (SEQAIJ at one rank, MPIAIJ otherwise) acts.
  PB_PETSC(MatSeqAIJSetPreallocationCSR(matrix, row_starts.data(), columns.data(), values.data()));
  PB_PETSC(MatMPIAIJSetPreallocationCSR(matrix, row_starts.data(), columns.data(), values.data()));
  PB_PETSC(MatAssemblyBegin(matrix, MAT_FINAL_ASSEMBLY));
  PB_PETSC(MatAssemblyEnd(matrix, MAT_FINAL_ASSEMBLY));
  return matrix;
}

}  // namespace

void validate_csr(const CsrMatrix& csr, const std::string& origin) {
  PB_REQUIRE(csr.rows >= 1 && csr.cols >= 1 && csr.rows <= petsc_int_max && csr.cols <= petsc_int_max, origin,
             "shape: [", csr.rows, ", ", csr.cols, "] must be positive and at most ", petsc_int_max);
  // The operator's vectors have rows and cols entries, whatever few values the file stores.
  require_memory(static_cast<std::uint64_t>(csr.rows + csr.cols), sizeof(double),
                 detail::concat(origin, "shape: [", csr.rows, ", ", csr.cols, "] (vectors of rows + cols values)"));
  PB_REQUIRE(static_cast<std::int64_t>(csr.indptr.size()) == csr.rows + 1, origin, "indptr: has ", csr.indptr.size(),
             " entries, but a matrix of ", csr.rows, " rows needs ", csr.rows + 1);
  PB_REQUIRE(csr.indptr.front() == 0, origin, "indptr: must start at 0, starts at ", csr.indptr.front());
  for (std::size_t row = 0; row + 1 < csr.indptr.size(); ++row) {
    PB_REQUIRE(csr.indptr[row] <= csr.indptr[row + 1], origin, "indptr: decreases at row ", row, " (", csr.indptr[row],
               " then ", csr.indptr[row + 1], ")");
  }
  PB_REQUIRE(csr.indptr.back() == static_cast<std::int64_t>(csr.indices.size()), origin, "indptr: ends at ",
             csr.indptr.back(), " but ", origin, "indices has ", csr.indices.size(), " entries");
  PB_REQUIRE(csr.indices.size() <= static_cast<std::size_t>(petsc_int_max), origin, "indices: ", csr.indices.size(),
             " stored values exceed PETSc's 32-bit index range");
  PB_REQUIRE(csr.data.size() == csr.indices.size(), origin, "data: has ", csr.data.size(), " entries but ", origin,
             "indices has ", csr.indices.size());
  for (std::size_t p = 0; p < csr.indices.size(); ++p) {
    PB_REQUIRE(csr.indices[p] >= 0 && csr.indices[p] < csr.cols, origin, "indices: column index ", csr.indices[p],
               " out of range [0, ", csr.cols, ")");
    PB_REQUIRE(std::isfinite(csr.data[p]), origin, "data: entry ", p, " is not finite (", csr.data[p], ")");
  }
}

CsrMatrix read_csr(hid_t location) {
  const std::string origin = h5::describe(location, "");
  h5::Shape shape_extents;
  const auto shape = h5::read_integers(location, "shape", &shape_extents);
  PB_REQUIRE(shape.size() == 2, origin, "shape: must hold the 2 values [rows, cols], holds ", shape.size());
  CsrMatrix csr;
  csr.rows = shape[0];
  csr.cols = shape[1];
  csr.indptr = h5::read_integers(location, "indptr");
  csr.indices = h5::read_integers(location, "indices");
  csr.data = h5::read_doubles(location, "data");
  validate_csr(csr, origin);
  return csr;
}

CsrMatrix read_csr_file(const std::string& path) {
  const h5::Object file = h5::open_file(path);
  return read_csr(file);
}

void write_csr(hid_t location, const CsrMatrix& csr) {
  const std::vector<std::int64_t> shape = {csr.rows, csr.cols};
  h5::write(location, "shape", shape);
  h5::write(location, "indptr", csr.indptr);
  h5::write(location, "indices", csr.indices);
  h5::write(location, "data", csr.data);
}

MatrixOperator::MatrixOperator(MPI_Comm comm, CsrMatrix csr, std::string source_file)
    : ForwardOperator(comm, checked_rows(csr), static_cast<PetscInt>(csr.cols)),
      csr_(canonical(csr)),
      source_file_(std::move(source_file)),
      gram_is_diagonal_(columns_have_at_most_one_nonzero(csr_)) {
  const petsc::Vector row_layout = make_range_vector();
  matrix_ = aij_matrix(comm, csr_, row_layout, [](double value) { return value; });
  squared_ = aij_matrix(comm, csr_, row_layout, [](double value) { return value * value; });
}

std::shared_ptr<MatrixOperator> MatrixOperator::from_file(MPI_Comm comm, const std::string& path) {
  return std::make_shared<MatrixOperator>(comm, read_csr_file(path), path);
}

void MatrixOperator::save(hid_t group) const {
  operator_io::write_header(group, *this);
  write_csr(group, csr_);
  if (!source_file_.empty()) {
    h5::write_attribute(group, "source_file", source_file_);
  }
}

std::shared_ptr<MatrixOperator> MatrixOperator::load(MPI_Comm comm, hid_t group) {
  operator_io::require_name(group, "matrix");
  std::string source = h5::has_attribute(group, "source_file") ? h5::read_string_attribute(group, "source_file") : "";
  return std::make_shared<MatrixOperator>(comm, read_csr(group), std::move(source));
}

}  // namespace priorbench
