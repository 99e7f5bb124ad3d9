#include "methods/linearization_point.hpp"

#include "core/error.hpp"

namespace priorbench {

const std::vector<std::string>& linearization_point_names() {
  static const std::vector<std::string> names = {"zero", "latent_map", "encoder"};
  return names;
}

const std::string& linearization_point_name(LinearizationPoint point) {
  return linearization_point_names().at(static_cast<std::size_t>(point));
}

ChosenLinearization choose_linearization_point(const LatentProblem& problem, LinearizationPoint point,
                                               const LatentMapOptions& map_options) {
  const std::size_t m = problem.latent_dimension();
  ChosenLinearization chosen;
  switch (point) {
    case LinearizationPoint::zero:
      chosen.point.assign(m, 0.0);
      break;
    case LinearizationPoint::encoder: {
      PB_REQUIRE(problem.generator().has_encoder(),
                 "the laplace prior's 'encoder' linearization point needs a generator with an encoder (",
                 problem.generator().description(), ")");
      std::vector<double> variance(m);
      chosen.point.assign(m, 0.0);
      problem.generator().encode(problem.adjoint_image(), chosen.point, variance);
      break;
    }
    case LinearizationPoint::latent_map:
      chosen.latent_map = latent_map(problem, map_options);
      chosen.point = chosen.latent_map->latent;
      break;
  }
  return chosen;
}

}  // namespace priorbench
