#pragma once
// Where the `laplace` method linearizes the decoder (DESIGN §2, method 3):
//   zero        z0 = 0 (then the prior mean is μ(0));
//   latent_map  z0 = the latent MAP for the same data, σ and likelihood — makes the prior
//               data-driven (the seeds' "guidance");
//   encoder     z0 = the encoder mean of the simple reconstruction Aᵀy (identity: y;
//               inpaint: the zero-filled image; fourier: the zero-filled inverse DFT;
//               blur and gaussian: the back-projection); needs a generator with an encoder.
// Choosing z0 may solve (the latent MAP), so it lives here, above the priors, which know
// no solver.

#include <optional>
#include <string>
#include <vector>

#include "inference/latent_map.hpp"
#include "inference/latent_problem.hpp"

namespace priorbench {

enum class LinearizationPoint { zero, latent_map, encoder };
// "zero", "latent_map", "encoder" (in enum order; the names the prior records).
const std::vector<std::string>& linearization_point_names();
const std::string& linearization_point_name(LinearizationPoint point);

struct ChosenLinearization {
  std::vector<double> point;                  // z0
  std::optional<LatentMapResult> latent_map;  // for LinearizationPoint::latent_map
};

ChosenLinearization choose_linearization_point(const LatentProblem& problem, LinearizationPoint point,
                                               const LatentMapOptions& map_options);

}  // namespace priorbench
