#pragma once
// A reconstruction method (DESIGN §2): an Observation in, an estimate x̂ with pixel
// standard deviations and an account of how it was reached out. The rows of every
// comparison table. A method keeps what does not depend on the observation between calls
// (e.g. a prior built once from the training set); it knows no study.
//
// Non-virtual interface, as LinearOperator: `reconstruct` checks the observation, times
// the call and checks the outcome, then calls the method's `reconstruct_impl`.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dense.hpp"
#include "core/petsc.hpp"
#include "generative/generator.hpp"
#include "methods/observation.hpp"
#include "priors/diagonal_low_rank_prior.hpp"
#include "priors/variable_space_priors.hpp"

namespace priorbench {

struct MethodOutcome {
  petsc::Vector mean;           // x̂, in the operator's domain layout
  petsc::Vector std;            // pixel standard deviations; empty when the method gives none
  bool std_exact = false;       // exact for the posterior the method defines (not estimated)
  std::string std_method;       // the route: woodbury, dense, samples, gauss-newton, mcmc
  std::string generator_route;  // how the generator was evaluated (native, torchscript, ...); empty without one
  // False when the method returned an estimate but a solver or sampler did not converge
  // (no latent MAP start accepted, chains not mixed): the estimate is recorded and flagged.
  bool converged = true;
  std::string warning;
  std::string solver_reason;                              // the main solver's reason
  std::shared_ptr<const DiagonalPlusLowRankPrior> prior;  // variable-space methods
  std::vector<double> latent;                             // z*, z0 of laplace (if any)
  DenseMatrix latent_covariance;          // m×m covariance of a latent posterior about `latent` (empty if none)
  std::map<std::string, double> details;  // method-specific numbers
  std::int64_t iterations = 0;
  std::int64_t forward_applications = 0;
  std::int64_t adjoint_applications = 0;
  std::int64_t decoder_passes = 0;  // in item-passes (see add_generator_cost)
  double seconds = 0;               // wall time of reconstruct()
};

class ReconstructionMethod {
 public:
  virtual ~ReconstructionMethod() = default;
  MethodOutcome reconstruct(const Observation& observation);

 protected:
  virtual MethodOutcome reconstruct_impl(const Observation& observation) = 0;
};

// What a method may need beyond the observation, loaded on first use and shared between
// methods (methods/method_resources.hpp makes one from files).
struct MethodResources {
  std::function<TrainingImages()> training;  // a view, valid while the provider lives
  std::function<std::shared_ptr<const Generator>()> generator;
};

// Decoder work in item-passes: a decode or a JVP or VJP per item counts one, a full
// Jacobian m (one batched forward-mode pass over m copies of z).
void add_generator_cost(MethodOutcome& outcome, const GeneratorCounts& generator, std::size_t latent_dimension);
void add_operator_cost(MethodOutcome& outcome, const OperatorCounts& forward);

}  // namespace priorbench
