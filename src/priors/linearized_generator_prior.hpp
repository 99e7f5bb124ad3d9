#pragma once
// `laplace` (DESIGN §2, method 3): the variable-space prior obtained by linearizing the
// decoder at a latent point z0. With μ(z) ≈ μ(z0) + J (z − z0), Γ(z) ≈ Γ(z0),
// J = ∂μ/∂z(z0) (n×m) and z ~ N(0, I), the prior on x is exactly
//   x ~ N( μ(z0) − J z0 ,  J Jᵀ + Γ(z0) + η² I ),
// a DiagonalPlusLowRankPrior with W = J and D = diag Γ(z0) + η². The nugget η² (default 0)
// is required (> 0) wherever Γ(z0) vanishes, e.g. for a GAN (DecoderVariance::none).
//
// Linearization points (options.linearization):
//   zero        z0 = 0 (then the mean is μ(0));
//   latent_map  z0 = the latent MAP (latent_map.hpp) for the same data, σ and likelihood —
//               makes the prior data-driven (the seeds' "guidance");
//   encoder     z0 = the encoder mean of the simple reconstruction Aᵀy (identity: y;
//               inpaint: the zero-filled image; fourier: the zero-filled inverse DFT;
//               blur and gaussian: the back-projection); needs a generator with an encoder.
//   given       z0 passed by the caller (make_linearized_generator_prior).
//
// Recorded in prior->parameters(): nugget (η²), linearization (0 zero, 1 latent_map,
// 2 encoder, 3 given), z0_norm and every z0[j]; the prior's name is "laplace".

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "generative/generator.hpp"
#include "inference/latent_map.hpp"
#include "inference/latent_problem.hpp"
#include "priors/diagonal_low_rank_prior.hpp"

namespace priorbench {

struct LinearizedPriorOptions {
  std::string linearization = "zero";  // zero | latent_map | encoder
  double nugget = 0;                   // η²
  LatentMapOptions latent_map;         // for linearization = latent_map
};

struct LinearizedPrior {
  std::shared_ptr<DiagonalPlusLowRankPrior> prior;
  std::string linearization;
  std::vector<double> linearization_point;    // z0
  std::optional<LatentMapResult> latent_map;  // for linearization = latent_map
};

// "zero", "latent_map", "encoder", "given" (in the order of their recorded codes).
const std::vector<std::string>& linearization_names();

// The prior linearized at a given z0, in PETSc's default layout on `comm`.
std::shared_ptr<DiagonalPlusLowRankPrior> make_linearized_generator_prior(MPI_Comm comm, const Generator& generator,
                                                                          std::span<const double> linearization_point,
                                                                          double nugget,
                                                                          const std::string& linearization = "given");

// Chooses z0 by options.linearization for the data of `problem`, then builds the prior
// on the operator's communicator.
LinearizedPrior make_laplace_prior(const LatentProblem& problem, const LinearizedPriorOptions& options);

}  // namespace priorbench
