#include "methods/empirical_method.hpp"

#include <cmath>

#include "core/error.hpp"
#include "methods/gaussian_prior_method.hpp"

namespace priorbench {

void EmpiricalOptions::validate(const FieldNamer& field) const {
  PB_REQUIRE(prior.delta > 0 && std::isfinite(prior.delta), field("delta"), " must be positive, got ", prior.delta);
  std.validate(field);
}

std::unique_ptr<ReconstructionMethod> make_empirical_method(const EmpiricalOptions& options,
                                                            const MethodResources& resources) {
  auto builder = [prior = options.prior, resources](const Observation& observation) {
    const TrainingImages training = resources.training();
    PB_REQUIRE(static_cast<PetscInt>(training.pixels_per_image) == observation.forward->cols(),
               "the empirical prior's training images have ", training.pixels_per_image,
               " pixels but the unknown image has ", observation.forward->cols());
    return std::shared_ptr<const DiagonalPlusLowRankPrior>(make_empirical_prior(observation.comm(), training, prior));
  };
  return std::make_unique<GaussianPriorMethod>(builder, options.std);
}

}  // namespace priorbench
