#include "priors/diagonal_low_rank_prior.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>

#include "core/hdf5.hpp"

namespace priorbench {

DiagonalPlusLowRankPrior::DiagonalPlusLowRankPrior(std::string name, petsc::Vector mean, petsc::Vector diagonal,
                                                   DenseMatrix factor_local_rows)
    : name_(std::move(name)),
      mean_(std::move(mean)),
      diagonal_(std::move(diagonal)),
      factor_(std::move(factor_local_rows)) {
  PetscInt n_mean = 0, n_diagonal = 0, local = 0;
  PB_PETSC(VecGetSize(mean_, &n_mean));
  PB_PETSC(VecGetSize(diagonal_, &n_diagonal));
  PB_PETSC(VecGetLocalSize(mean_, &local));
  PB_REQUIRE(n_mean == n_diagonal, "prior '", name_, "': mean has ", n_mean, " entries but the diagonal has ",
             n_diagonal);
  PB_REQUIRE(factor_.cols() == 0 || factor_.rows() == static_cast<std::size_t>(local), "prior '", name_,
             "': the low-rank factor's local rows do not match the vector layout");
  if (factor_.cols() == 0) {
    factor_ = DenseMatrix(static_cast<std::size_t>(local), 0);
  }
  PetscReal smallest = 0, largest = 0;
  PB_PETSC(VecMin(diagonal_, nullptr, &smallest));
  PB_PETSC(VecMax(diagonal_, nullptr, &largest));
  PB_REQUIRE(smallest > 0, "prior '", name_, "': the diagonal D must be positive, its smallest entry is ", smallest);
  diagonal_is_scalar_ = smallest == largest;
}

PetscInt DiagonalPlusLowRankPrior::size() const {
  PetscInt n = 0;
  PB_PETSC(VecGetSize(mean_, &n));
  return n;
}

std::vector<double> DiagonalPlusLowRankPrior::factor_transpose_times(Vec x) const {
  std::vector<double> coefficients(rank(), 0.0);
  if (rank() == 0) {
    return coefficients;
  }
  {
    petsc::ReadView view(x);
    gemv(true, 1.0, factor_, view.span(), 0.0, coefficients);
  }
  MPI_Allreduce(MPI_IN_PLACE, coefficients.data(), static_cast<int>(coefficients.size()), MPI_DOUBLE, MPI_SUM, comm());
  return coefficients;
}

void DiagonalPlusLowRankPrior::factor_times(std::span<const double> coefficients, double beta, Vec y) const {
  PB_REQUIRE(coefficients.size() == rank(), "factor_times: expected ", rank(), " coefficients, got ",
             coefficients.size());
  petsc::WriteView view(y);
  if (rank() == 0) {
    for (double& value : view.span()) value *= beta;
    return;
  }
  gemv(false, 1.0, factor_, coefficients, beta, view.span());
}

void DiagonalPlusLowRankPrior::apply_covariance(Vec x, Vec y) const {
  const auto coefficients = factor_transpose_times(x);
  PB_PETSC(VecPointwiseMult(y, diagonal_, x));
  factor_times(coefficients, 1.0, y);
}

petsc::Vector DiagonalPlusLowRankPrior::factor_column(std::size_t j) const {
  auto column = petsc::make_vector_like(mean_);
  petsc::WriteView view(column);
  std::copy(factor_.column(j).begin(), factor_.column(j).end(), view.span().begin());
  return column;
}

const DenseMatrix& DiagonalPlusLowRankPrior::dense_covariance() const {
  if (dense_covariance_) return *dense_covariance_;
  int ranks = 1;
  MPI_Comm_size(comm(), &ranks);
  PB_REQUIRE(ranks == 1, "the dense covariance of prior '", name_, "' is formed on one rank only, not ", ranks);
  const auto n = static_cast<std::size_t>(size());
  auto covariance = std::make_shared<DenseMatrix>(n, n);
  if (rank() > 0) gemm(false, true, 1.0, factor_, factor_, 0.0, *covariance);
  const petsc::ReadView diagonal(diagonal_);
  for (std::size_t j = 0; j < n; ++j) (*covariance)(j, j) += diagonal[j];
  dense_covariance_ = std::move(covariance);
  return *dense_covariance_;
}

petsc::Vector DiagonalPlusLowRankPrior::covariance_diagonal() const {
  auto result = petsc::copy_of(diagonal_);
  petsc::WriteView view(result);
  for (std::size_t j = 0; j < rank(); ++j) {
    const auto column = factor_.column(j);
    for (std::size_t i = 0; i < view.size(); ++i) view[i] += column[i] * column[i];
  }
  return result;
}

void DiagonalPlusLowRankPrior::sample(const CounterRandom& random, Vec out) const {
  const auto n = static_cast<std::uint64_t>(size());
  std::vector<double> eta(rank());
  random.fill_normal(eta, n);
  {
    const auto [begin, end] = petsc::ownership(out);
    petsc::WriteView draw(out);
    petsc::ReadView mean(mean_), diagonal(diagonal_);
    for (std::size_t i = 0; i < draw.size(); ++i) {
      draw[i] = mean[i] + std::sqrt(diagonal[i]) * random.normal(static_cast<std::uint64_t>(begin) + i);
    }
  }
  factor_times(eta, 1.0, out);
}

namespace {

// Gathers the local column-major rows of W into a row-major n×k array on rank 0.
std::vector<double> gather_factor_row_major(const DenseMatrix& local, MPI_Comm comm, PetscInt n) {
  int size = 1, rank = 0;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  const std::size_t k = local.cols();
  std::vector<double> local_row_major(local.rows() * k);
  for (std::size_t i = 0; i < local.rows(); ++i)
    for (std::size_t j = 0; j < k; ++j) local_row_major[i * k + j] = local(i, j);
  const int send = static_cast<int>(local_row_major.size());
  std::vector<int> counts(static_cast<std::size_t>(size)), offsets(static_cast<std::size_t>(size));
  MPI_Gather(&send, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
  std::vector<double> all;
  if (rank == 0) {
    for (int r = 1; r < size; ++r) offsets[r] = offsets[r - 1] + counts[r - 1];
    all.resize(static_cast<std::size_t>(n) * k);
  }
  MPI_Gatherv(local_row_major.data(), send, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE, 0, comm);
  return all;
}

}  // namespace

void DiagonalPlusLowRankPrior::save(hid_t group) const {
  const auto mean = petsc::gather_to_zero(mean_);
  const auto diagonal = petsc::gather_to_zero(diagonal_);
  const auto factor = gather_factor_row_major(factor_, comm(), size());
  int rank_in_comm = 0;
  MPI_Comm_rank(comm(), &rank_in_comm);
  if (rank_in_comm != 0) {
    return;
  }
  h5::write_attribute(group, "name", name_);
  h5::write_attribute(group, "rank", static_cast<std::int64_t>(rank()));
  h5::write_attribute(group, "diagonal_is_scalar", static_cast<std::int64_t>(diagonal_is_scalar_));
  for (const auto& [key, value] : parameters_) {
    h5::write_attribute(group, key, value);
  }
  h5::write(group, "mean", mean);
  h5::write(group, "diagonal", diagonal);
  h5::write(group, "factor", factor, {static_cast<hsize_t>(size()), static_cast<hsize_t>(rank())});
}

DenseMatrix local_rows_of(std::span<const double> row_major, std::size_t k, PetscInt begin, PetscInt end) {
  DenseMatrix local(static_cast<std::size_t>(end - begin), k);
  for (PetscInt i = begin; i < end; ++i)
    for (std::size_t j = 0; j < k; ++j) local(static_cast<std::size_t>(i - begin), j) = row_major[i * k + j];
  return local;
}

std::shared_ptr<DiagonalPlusLowRankPrior> load_prior(MPI_Comm comm, hid_t group, const std::string& where) {
  h5::Shape mean_shape, diagonal_shape, factor_shape;
  const auto mean = h5::read_doubles(group, "mean", &mean_shape);
  const auto diagonal = h5::read_doubles(group, "diagonal", &diagonal_shape);
  PB_REQUIRE(mean_shape.size() == 1 && diagonal_shape == mean_shape, where,
             ": 'mean' and 'diagonal' must be vectors of the same length");
  const auto n = static_cast<PetscInt>(mean.size());
  std::vector<double> factor;
  std::size_t k = 0;
  if (h5::exists(group, "factor")) {
    factor = h5::read_doubles(group, "factor", &factor_shape);
    PB_REQUIRE(factor_shape.size() == 2 && factor_shape[0] == mean.size(), where, ": 'factor' must be an ", n,
               " x k matrix");
    k = factor_shape[1];
  }
  for (std::size_t i = 0; i < diagonal.size(); ++i) {
    PB_REQUIRE(diagonal[i] > 0 && std::isfinite(diagonal[i]), where, ":/diagonal entry ", i,
               " must be positive and finite, got ", diagonal[i]);
  }
  auto mean_vector = petsc::make_vector(comm, n);
  auto diagonal_vector = petsc::make_vector(comm, n);
  petsc::set_from_global(mean_vector, mean);
  petsc::set_from_global(diagonal_vector, diagonal);
  const auto [begin, end] = petsc::ownership(mean_vector);
  const std::string name = h5::has_attribute(group, "name") ? h5::read_string_attribute(group, "name") : "file";
  return std::make_shared<DiagonalPlusLowRankPrior>(name, std::move(mean_vector), std::move(diagonal_vector),
                                                    local_rows_of(factor, k, begin, end));
}

}  // namespace priorbench
