#pragma once
// `latent_laplace` (DESIGN §2, method 5): the Gauss–Newton Laplace approximation of the
// latent posterior at the latent MAP, pushed to the image through the linearized decoder
// (inference/latent_laplace.hpp): x̂ = μ(z*), pixel std sqrt diag(J Σ_z Jᵀ).

#include <memory>

#include "methods/latent_common.hpp"

namespace priorbench {

struct LatentLaplaceMethodOptions {
  LatentOptions latent;
  void validate(const FieldNamer& field) const { latent.validate(field); }
};

std::unique_ptr<ReconstructionMethod> make_latent_laplace_method(const LatentLaplaceMethodOptions& options,
                                                                 GeneratorSource generator);

}  // namespace priorbench
