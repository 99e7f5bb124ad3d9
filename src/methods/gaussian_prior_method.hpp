#pragma once
// The methods whose prior is one Gaussian for the whole study (white, empirical, file):
// the prior is built on first use and kept; every observation gets the exact Gaussian
// posterior (inference/gaussian_posterior.hpp).

#include <functional>
#include <memory>

#include "inference/gaussian_posterior.hpp"
#include "methods/method.hpp"
#include "methods/method_options.hpp"

namespace priorbench {

class GaussianPriorMethod final : public ReconstructionMethod {
 public:
  // Builds the prior on the observation's communicator, for its image size.
  using PriorBuilder = std::function<std::shared_ptr<const DiagonalPlusLowRankPrior>(const Observation&)>;
  GaussianPriorMethod(PriorBuilder builder, GaussianStdOptions std);

 protected:
  MethodOutcome reconstruct_impl(const Observation& observation) override;

 private:
  PriorBuilder builder_;
  GaussianStdOptions std_;
  std::shared_ptr<const DiagonalPlusLowRankPrior> prior_;
  MPI_Comm prior_comm_ = MPI_COMM_NULL;  // the communicator prior_ lives on
};

// A GaussianPosterior's result as an outcome (shared with the laplace method).
MethodOutcome gaussian_outcome(PosteriorResult result);

}  // namespace priorbench
