#pragma once
// A Gaussian prior N(m0, C0) with C0 = D + W Wᵀ: D diagonal (n), W an n×k factor.
// All three variable-space priors of DESIGN §2 (white, empirical, laplace) have this
// shape; it is never expanded into an n×n matrix. Vectors live on an MPI communicator
// with PETSc's default layout; each rank keeps the rows of W that match its pixels.

#include <hdf5.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dense.hpp"
#include "core/petsc.hpp"
#include "core/random.hpp"

namespace priorbench {

class DiagonalPlusLowRankPrior {
 public:
  // `factor_local_rows` holds this rank's rows of W (local size × k, column-major).
  DiagonalPlusLowRankPrior(std::string name, petsc::Vector mean, petsc::Vector diagonal, DenseMatrix factor_local_rows);

  const std::string& name() const { return name_; }
  MPI_Comm comm() const { return petsc::comm_of(mean_.get()); }
  PetscInt size() const;
  std::size_t rank() const { return factor_.cols(); }
  Vec mean() const { return mean_; }
  Vec diagonal() const { return diagonal_; }
  const DenseMatrix& factor_local_rows() const { return factor_; }
  // True when D = c I (then more operators admit an exact Woodbury solve).
  bool diagonal_is_scalar() const { return diagonal_is_scalar_; }

  // y = C0 x.
  void apply_covariance(Vec x, Vec y) const;
  // Wᵀ x, the same k numbers on every rank.
  std::vector<double> factor_transpose_times(Vec x) const;
  // y = W c + beta y for k coefficients c given on every rank.
  void factor_times(std::span<const double> coefficients, double beta, Vec y) const;
  // Column j of W as a distributed vector.
  petsc::Vector factor_column(std::size_t j) const;
  // diag(C0) = D + rowwise ‖W‖².
  petsc::Vector covariance_diagonal() const;
  // C0 = D + W Wᵀ as a dense n×n matrix, for the dense data-space route of small problems
  // on one rank: formed (n²k multiply-adds) on the first call and kept, so a prior shared by
  // every replicate of a study forms it once.
  const DenseMatrix& dense_covariance() const;

  // A draw m0 + D^{1/2} ξ + W η with ξ from counter positions [0, n), η from [n, n + k).
  void sample(const CounterRandom& random, Vec out) const;

  // Descriptive numbers recorded with the prior (e.g. tau2, delta2).
  std::map<std::string, double>& parameters() { return parameters_; }
  const std::map<std::string, double>& parameters() const { return parameters_; }

  // Collective: gathers m0, D and W to rank 0, which writes them into `group`
  // (datasets mean, diagonal, factor[n × k], attributes name and parameters).
  void save(hid_t group) const;

 private:
  std::string name_;
  petsc::Vector mean_;
  petsc::Vector diagonal_;
  DenseMatrix factor_;
  bool diagonal_is_scalar_ = false;
  std::map<std::string, double> parameters_;
  mutable std::shared_ptr<const DenseMatrix> dense_covariance_;
};

// Reads a prior written by save() (or by a user in the same layout) from `group`;
// `where` names the source in errors.
std::shared_ptr<DiagonalPlusLowRankPrior> load_prior(MPI_Comm comm, hid_t group, const std::string& where);

// This rank's rows [begin, end) of a full row-major n×k array, as a local column-major block.
DenseMatrix local_rows_of(std::span<const double> row_major, std::size_t k, PetscInt begin, PetscInt end);

}  // namespace priorbench
