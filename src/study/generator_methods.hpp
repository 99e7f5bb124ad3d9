#pragma once
// The generator-based methods of DESIGN §2 as study methods: laplace (the linearized
// decoder prior, solved exactly by GaussianPosterior), latent_map, latent_laplace and
// latent_mcmc. Options are documented in docs/study-format.md.

#include <memory>

#include "study/study_method.hpp"

namespace priorbench {

std::unique_ptr<StudyMethod> make_generator_method(const MethodSpec& spec, const StudySpec& study,
                                                   const StudyResources& resources);

}  // namespace priorbench
