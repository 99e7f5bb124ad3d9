// Forward operators on 2 MPI ranks: each operator's dense matrix, built column by column
// from distributed applications, equals a reference computed independently on every rank
// (the identity, the selection matrix of the mask, the Gaussian entries regenerated from
// CounterRandom, the CSR arrays; for blur and fourier the same operator on
// PETSC_COMM_SELF, which the unit tests check against direct sums). The adjoint identity,
// the squared maps and a save (rank 0) → load (all ranks) round trip hold too.

#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <limits>

#include "core/hdf5.hpp"
#include "core/petsc.hpp"
#include "core/random.hpp"
#include "operators/blur_operator.hpp"
#include "operators/fourier_mask.hpp"
#include "operators/fourier_operator.hpp"
#include "operators/gaussian_operator.hpp"
#include "operators/identity_operator.hpp"
#include "operators/inpaint_operator.hpp"
#include "operators/matrix_operator.hpp"
#include "operators/operator_factory.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::testing_support::Dense;

namespace {

constexpr double eps = std::numeric_limits<double>::epsilon();
const pb::ImageShape shape{8, 6};
const PetscInt n = 48;

MPI_Comm world() { return PETSC_COMM_WORLD; }

int rank() {
  int value = 0;
  MPI_Comm_rank(world(), &value);
  return value;
}

std::vector<double> random_values(std::size_t size, std::uint64_t stream) {
  const pb::CounterRandom random(77, 0, pb::Purpose::test_values, stream);
  std::vector<double> values(size);
  random.fill_normal(values, 0);
  return values;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

// The matrix of A∘A (or of (A∘A)ᵀ), column by column, on every rank.
Dense dense_of_squared(const pb::ForwardOperator& op, bool transpose) {
  const PetscInt cols = transpose ? op.rows() : op.cols();
  const PetscInt rows = transpose ? op.cols() : op.rows();
  Dense result(rows, cols);
  auto in = transpose ? op.make_range_vector() : op.make_domain_vector();
  auto out = transpose ? op.make_domain_vector() : op.make_range_vector();
  std::vector<double> unit(static_cast<std::size_t>(cols), 0.0);
  for (PetscInt j = 0; j < cols; ++j) {
    unit[static_cast<std::size_t>(j)] = 1.0;
    pb::petsc::set_from_global(in, unit);
    unit[static_cast<std::size_t>(j)] = 0.0;
    transpose ? op.apply_squared_transpose(in, out) : op.apply_squared(in, out);
    const auto column = pb::petsc::gather_all(out);
    for (PetscInt i = 0; i < rows; ++i) result(i, j) = column[static_cast<std::size_t>(i)];
  }
  return result;
}

Dense entrywise_square(Dense a) {
  for (double& value : a.values) value *= value;
  return a;
}

// Checks the distributed operator against `expected` (its dense matrix, on every rank):
// forward, transpose, both squared maps, and the adjoint identity for random vectors.
void check_against(const pb::ForwardOperator& op, const Dense& expected, double tolerance) {
  ASSERT_EQ(op.rows(), expected.rows);
  ASSERT_EQ(op.cols(), expected.cols);
  const double scale = std::max(1.0, pb::testing_support::max_abs(expected.values));
  const Dense square = entrywise_square(expected);
  EXPECT_LE(pb::testing_support::max_abs_difference(pb::testing_support::dense_of(op).values, expected.values),
            tolerance * scale);
  EXPECT_LE(pb::testing_support::max_abs_difference(pb::testing_support::dense_of_transpose(op).values,
                                                    pb::testing_support::transpose(expected).values),
            tolerance * scale);
  EXPECT_LE(pb::testing_support::max_abs_difference(dense_of_squared(op, false).values, square.values),
            tolerance * scale * scale);
  EXPECT_LE(pb::testing_support::max_abs_difference(dense_of_squared(op, true).values,
                                                    pb::testing_support::transpose(square).values),
            tolerance * scale * scale);

  const auto x_values = random_values(static_cast<std::size_t>(op.cols()), 1);
  const auto y_values = random_values(static_cast<std::size_t>(op.rows()), 2);
  auto x = op.make_domain_vector();
  auto y = op.make_range_vector();
  auto ax = op.make_range_vector();
  auto aty = op.make_domain_vector();
  pb::petsc::set_from_global(x, x_values);
  pb::petsc::set_from_global(y, y_values);
  op.apply(x, ax);
  op.apply_transpose(y, aty);
  const double lhs = pb::petsc::dot(ax, y);
  const double rhs = pb::petsc::dot(x, aty);
  // ‖A‖₂ ≤ ‖A‖_F, computed from the reference.
  const double frobenius = std::sqrt(dot(expected.values, expected.values));
  EXPECT_LE(std::abs(lhs - rhs),
            10 * eps * frobenius * std::sqrt(dot(x_values, x_values)) * std::sqrt(dot(y_values, y_values)));
}

// A path every rank agrees on (rank 0's process id).
std::string shared_temporary_path(const std::string& stem) {
  long id = static_cast<long>(getpid());
  MPI_Bcast(&id, 1, MPI_LONG, 0, world());
  return (std::filesystem::temp_directory_path() /
          ("priorbench_mpi_operators_" + stem + "_" + std::to_string(id) + ".h5"))
      .string();
}

}  // namespace

TEST(OperatorsMpi, RunsOnTwoRanks) {
  int size = 0;
  MPI_Comm_size(world(), &size);
  EXPECT_EQ(size, 2);
}

TEST(OperatorsMpi, IdentityIsTheIdentity) {
  const pb::IdentityOperator op(world(), n);
  Dense expected(n, n);
  for (int i = 0; i < n; ++i) expected(i, i) = 1.0;
  check_against(op, expected, 0.0);
}

TEST(OperatorsMpi, InpaintIsTheSelectionMatrixOfItsMask) {
  for (const PetscInt d : {1, 17, 48}) {
    SCOPED_TRACE(d);
    // Rank-independent mask, so both ranks agree on it without communication.
    const auto observed = pb::InpaintOperator::random_mask(n, d, 21);
    const pb::InpaintOperator op(world(), n, observed);
    Dense expected(d, n);
    for (int i = 0; i < d; ++i) expected(i, static_cast<int>(observed[static_cast<std::size_t>(i)])) = 1.0;
    check_against(op, expected, 0.0);
  }
}

TEST(OperatorsMpi, GaussianEntriesAreRegeneratedFromCounterRandom) {
  for (const PetscInt d : {1, 5, 31, 60}) {  // d = 1: rank 1 owns no rows
    SCOPED_TRACE(d);
    const pb::GaussianOperator op(world(), n, d, 13);
    const pb::CounterRandom random(13, 0, pb::Purpose::gaussian_matrix);
    Dense expected(d, n);
    for (int i = 0; i < d; ++i)
      for (int j = 0; j < n; ++j)
        expected(i, j) = random.normal(static_cast<std::uint64_t>(i) * n + j) / std::sqrt(static_cast<double>(d));
    check_against(op, expected, 0.0);
  }
}

TEST(OperatorsMpi, MatrixFromAnHdf5CsrFileEqualsItsArrays) {
  const auto path = shared_temporary_path("csr");
  // 11 rows (odd, so the ranks own different counts), an empty row, a repeated column.
  pb::CsrMatrix csr;
  csr.rows = 11;
  csr.cols = n;
  csr.indptr = {0};
  const pb::CounterRandom random(5, 0, pb::Purpose::test_values);
  std::uint64_t draw = 0;
  for (std::int64_t i = 0; i < csr.rows; ++i) {
    const int count = i == 4 ? 0 : 1 + static_cast<int>(i % 4);
    for (int p = 0; p < count; ++p) {
      csr.indices.push_back(static_cast<std::int64_t>(random.bits(draw++) % n));
      csr.data.push_back(random.normal(draw++));
    }
    if (i == 6) {
      csr.indices.push_back(csr.indices.back());
      csr.data.push_back(0.25);
    }
    csr.indptr.push_back(static_cast<std::int64_t>(csr.indices.size()));
  }
  if (rank() == 0) {
    auto file = pb::h5::create_file(path, true);
    pb::write_csr(file, csr);
  }
  MPI_Barrier(world());
  pb::OperatorSpec spec;
  spec.name = "matrix";
  spec.matrix_file = path;
  const auto op = pb::make_operator(world(), shape, spec);
  Dense expected(static_cast<int>(csr.rows), n);
  for (int i = 0; i < csr.rows; ++i)
    for (auto p = csr.indptr[i]; p < csr.indptr[i + 1]; ++p)
      expected(i, static_cast<int>(csr.indices[p])) += csr.data[p];
  check_against(*op, expected, 0.0);
  MPI_Barrier(world());
  if (rank() == 0) std::filesystem::remove(path);
}

TEST(OperatorsMpi, MatrixWithFewerRowsThanRanks) {
  pb::CsrMatrix csr;
  csr.rows = 1;
  csr.cols = n;
  csr.indptr = {0, 2};
  csr.indices = {40, 3};
  csr.data = {2.0, -0.5};
  const pb::MatrixOperator op(world(), csr);
  Dense expected(1, n);
  expected(0, 3) = -0.5;
  expected(0, 40) = 2.0;
  check_against(op, expected, 0.0);
  EXPECT_TRUE(op.gram_is_diagonal(false));
}

TEST(OperatorsMpi, BlurAndFourierEqualTheirSerialSelves) {
  const std::vector<std::shared_ptr<pb::ForwardOperator>> distributed = {
      std::make_shared<pb::BlurOperator>(world(), shape, 1.3),
      std::make_shared<pb::FourierOperator>(world(), shape, pb::fourier::variable_density_mask(shape, 19, 0.1, 2)),
      std::make_shared<pb::FourierOperator>(world(), shape, pb::fourier::lines_mask(shape, 30, 0.1, 2)),
  };
  const std::vector<std::shared_ptr<pb::ForwardOperator>> serial = {
      std::make_shared<pb::BlurOperator>(PETSC_COMM_SELF, shape, 1.3),
      std::make_shared<pb::FourierOperator>(PETSC_COMM_SELF, shape,
                                            pb::fourier::variable_density_mask(shape, 19, 0.1, 2)),
      std::make_shared<pb::FourierOperator>(PETSC_COMM_SELF, shape, pb::fourier::lines_mask(shape, 30, 0.1, 2)),
  };
  for (std::size_t i = 0; i < distributed.size(); ++i) {
    SCOPED_TRACE(distributed[i]->name());
    check_against(*distributed[i], pb::testing_support::dense_of(*serial[i]), 10 * eps);
  }
}

TEST(OperatorsMpi, SavedOnRankZeroLoadsOnEveryRank) {
  const auto path = shared_temporary_path("saved");
  std::vector<pb::OperatorSpec> specs;
  for (const auto& name : {"identity", "inpaint", "blur", "fourier", "gaussian"}) {
    pb::OperatorSpec spec;
    spec.name = name;
    spec.seed = 8;
    specs.push_back(spec);
  }
  std::vector<std::shared_ptr<pb::ForwardOperator>> originals;
  for (const auto& spec : specs) originals.push_back(pb::make_operator(world(), shape, spec));
  if (rank() == 0) {
    // save() is local: no collective calls, so one rank may write.
    auto file = pb::h5::create_file(path, true);
    for (const auto& op : originals) op->save(pb::h5::create_group(file, op->name()));
  }
  MPI_Barrier(world());
  {
    auto file = pb::h5::open_file(path);
    for (const auto& original : originals) {
      SCOPED_TRACE(original->name());
      const auto loaded = pb::load_operator(world(), shape, pb::h5::open_group(file, original->name()));
      EXPECT_EQ(pb::testing_support::dense_of(*loaded).values, pb::testing_support::dense_of(*original).values);
    }
  }
  MPI_Barrier(world());
  if (rank() == 0) std::filesystem::remove(path);
}
