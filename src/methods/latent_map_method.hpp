#pragma once
// `latent_map` (DESIGN §2, method 4): x̂ = μ(z*), z* = argmin Φ(z) + ½‖z‖² over several
// starts (inference/latent_map.hpp). No uncertainty.

#include <memory>

#include "methods/latent_common.hpp"

namespace priorbench {

struct LatentMapMethodOptions {
  LatentOptions latent;
  void validate(const FieldNamer& field) const { latent.validate(field); }
};

std::unique_ptr<ReconstructionMethod> make_latent_map_method(const LatentMapMethodOptions& options,
                                                             GeneratorSource generator);

}  // namespace priorbench
