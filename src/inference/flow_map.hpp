#pragma once
// `flow_map` (issue 15): the MAP of the pixel-space posterior under a normalizing-flow
// prior x = f(z) with its exact density (generative/flow_density.hpp),
//
//   x* = argmax_x  log p(y | x) + log N(f⁻¹(x); 0, I) + ℓ(x),   ℓ = log|det ∂f⁻¹/∂x|,
//
// found in the flow's coordinates, x = f(z), by minimizing
//
//   F(z) = Φ(f(z)) + ½‖z‖² − ℓ(f(z))
//
// (Φ of latent_problem.hpp). The substitution changes the point nowhere: f is a bijection,
// so z* = f⁻¹(x*) — but it changes the objective's conditioning for the better (the
// flow's coordinates are where the prior is N(0, I)). Note the −ℓ: without it, F would be
// the latent MAP of the z-posterior (latent_map on a flow), whose image f(z*) is not the
// MAP in x; the two differ by the change-of-variables factor and are both recorded by a
// study that runs both methods.
//
// Solvers (the convergence rule of inference/latent_map.hpp for both):
//   lm (default)  Levenberg–Marquardt on the Gauss–Newton model of Φ + ½‖z‖²
//                 (H = M̃ᵀM̃ + I, one n×n Jacobian per accepted step) with the exact value
//                 and gradient of −ℓ, whose curvature the model leaves out. On the shipped
//                 flow (inpaint, d = 392, σ = 0.05) L-BFGS stopped at 10⁴ function
//                 evaluations after 3908 iterations (76 s) where this takes tens of steps.
//   lbfgs         TAO lmvm (options prefix flow_map_) with the gradient
//                 J_f(z)ᵀ u + z − ∇_z ℓ(f(z)) from one decode and one backward sweep
//                 through decode and the inverse (FlowDensity::decode_and_log_det_gradient). Starts, in this order: z =
//                 0; z = f⁻¹ of the
// adjoint image Aᵀy clamped to [0.02, 0.98] (the zero-filled image for inpainting);
// `prior_draw_starts` draws z ~ N(0, I) keyed as the latent MAP's; the lowest F among
// accepted starts is kept.
//
// The result is a LatentMapResult: `latent` z*, `image` x* = f(z*), `objective` F(z*),
// `misfit` Φ(x*), `prior_term` ½‖z*‖² − ℓ(x*) (the negative log prior density of x* up
// to a constant).

#include "inference/latent_map.hpp"
#include "inference/latent_problem.hpp"

namespace priorbench {

// The defaults of flow_map: Levenberg–Marquardt, TAO prefix "flow_map_" and a larger
// L-BFGS iteration budget than the latent MAP's (n = m unknowns instead of m ≪ n), no
// encoder start.
LatentMapOptions default_flow_map_options();

// F(z) and its gradient (one decode and one backward sweep); `log_det` receives ℓ(f(z)).
double flow_objective_and_gradient(const LatentProblem& problem, std::span<const double> latent,
                                   std::span<double> gradient, double* log_det = nullptr);

// Throws naming the generator when it is not a flow (problem.generator().flow() is null).
LatentMapResult flow_map(const LatentProblem& problem, const LatentMapOptions& options = default_flow_map_options());

}  // namespace priorbench
