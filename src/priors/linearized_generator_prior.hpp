#pragma once
// `laplace` (DESIGN §2, method 3): the variable-space prior obtained by linearizing the
// decoder at a latent point z0. With μ(z) ≈ μ(z0) + J (z − z0), Γ(z) ≈ Γ(z0),
// J = ∂μ/∂z(z0) (n×m) and z ~ N(0, I), the prior on x is exactly
//   x ~ N( μ(z0) − J z0 ,  J Jᵀ + Γ(z0) + η² I ),
// a DiagonalPlusLowRankPrior with W = J and D = diag Γ(z0) + η². The nugget η² (default 0)
// is required (> 0) wherever Γ(z0) vanishes, e.g. for a GAN (DecoderVariance::none).
//
// The point z0 is given: choosing it (zero, the latent MAP, the encoder mean) is the
// `laplace` method's business (methods/linearization_point.hpp) — a prior knows no solver.
//
// Recorded in prior->parameters(): nugget (η²), linearization (how z0 was chosen: 0 zero,
// 1 latent_map, 2 encoder, 3 given), z0_norm and every z0[j]; the prior's name is "laplace".

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "generative/generator.hpp"
#include "priors/diagonal_low_rank_prior.hpp"

namespace priorbench {

// "zero", "latent_map", "encoder", "given" (in the order of their recorded codes).
const std::vector<std::string>& linearization_names();

// The prior linearized at a given z0, in PETSc's default layout on `comm`.
std::shared_ptr<DiagonalPlusLowRankPrior> make_linearized_generator_prior(MPI_Comm comm, const Generator& generator,
                                                                          std::span<const double> linearization_point,
                                                                          double nugget,
                                                                          const std::string& linearization = "given");

}  // namespace priorbench
