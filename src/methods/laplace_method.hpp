#pragma once
// `laplace` (DESIGN §2, method 3): the variable-space prior of the decoder linearized at
// z0 (priors/linearized_generator_prior.hpp), x ~ N(μ(z0) − J z0, J Jᵀ + Γ(z0) + η² I),
// with z0 chosen per observation (methods/linearization_point.hpp), and its exact
// Gaussian posterior. A generator without decoder variance (a GAN) needs a nugget η² > 0.

#include <memory>

#include "methods/latent_common.hpp"
#include "methods/linearization_point.hpp"

namespace priorbench {

struct LaplaceOptions {
  LatentOptions latent;                                    // for z0 = latent_map
  LinearizationPoint z0 = LinearizationPoint::latent_map;  // key z0
  double nugget = 0;                                       // η² (key nugget)
  GaussianStdOptions std;
  void validate(const FieldNamer& field) const;
};

// The refusal of laplace without a nugget on a generator with Γ = 0.
std::string laplace_nugget_message();

std::unique_ptr<ReconstructionMethod> make_laplace_method(const LaplaceOptions& options, GeneratorSource generator);

}  // namespace priorbench
