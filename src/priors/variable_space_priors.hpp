#pragma once
// The data-driven Gaussian priors of DESIGN §2, built from a training set given as
// `count` images of `n` pixels each (image-major). Both are DiagonalPlusLowRankPrior.

#include <cstddef>
#include <memory>
#include <span>

#include "priors/diagonal_low_rank_prior.hpp"

namespace priorbench {

struct TrainingImages {
  std::size_t count = 0;
  std::size_t pixels_per_image = 0;
  std::span<const double> pixels;  // count × pixels_per_image
};

// τ² = mean squared pixel value over the training set.
double mean_squared_pixel(const TrainingImages& training);

// `white`: N(0, τ² I).
std::shared_ptr<DiagonalPlusLowRankPrior> make_white_prior(MPI_Comm comm, PetscInt n, double tau2);

struct EmpiricalPriorOptions {
  double delta = 0.01;  // nugget δ: C0 = S + δ² I keeps the prior proper where S is singular
  // Number of principal components kept; 0 keeps all (exact sample covariance). With
  // k < n the discarded variance is spread isotropically (probabilistic PCA):
  // C0 = V_k (Λ_k − s² I) V_kᵀ + (s² + δ²) I with s² the mean discarded eigenvalue.
  std::size_t rank = 0;
  // Above this many pixels the full sample covariance (n×n) is not formed; the leading
  // components then come from the data by a randomized range finder.
  std::size_t full_covariance_limit = 4096;
  // With a rank k < n, the randomized range finder is used already above this many
  // pixels: the exact route's dense eigendecomposition (LAPACK dsyev, O(n³)) took 77 s at
  // n = 64² = 4096 on the 2-core test machine, the range finder about a second.
  std::size_t exact_rank_limit = 1024;
};

// `empirical`: N(x̄, S + δ² I), S the sample covariance (divisor count − 1).
std::shared_ptr<DiagonalPlusLowRankPrior> make_empirical_prior(MPI_Comm comm, const TrainingImages& training,
                                                               const EmpiricalPriorOptions& options);

}  // namespace priorbench
