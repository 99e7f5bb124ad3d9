#include "methods/white_method.hpp"

#include <cmath>

#include "core/error.hpp"
#include "methods/gaussian_prior_method.hpp"
#include "priors/variable_space_priors.hpp"

namespace priorbench {

void WhiteOptions::validate(const FieldNamer& field) const {
  PB_REQUIRE(tau2 >= 0 && std::isfinite(tau2), field("tau2"), " must be positive, got ", tau2);
  std.validate(field);
}

std::unique_ptr<ReconstructionMethod> make_white_method(const WhiteOptions& options, const MethodResources& resources) {
  auto builder = [tau2 = options.tau2, resources](const Observation& observation) {
    const double variance = tau2 > 0 ? tau2 : mean_squared_pixel(resources.training());
    return std::shared_ptr<const DiagonalPlusLowRankPrior>(
        make_white_prior(observation.comm(), observation.forward->cols(), variance));
  };
  return std::make_unique<GaussianPriorMethod>(builder, options.std);
}

}  // namespace priorbench
