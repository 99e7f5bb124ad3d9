#pragma once
// Levenberg–Marquardt for objectives that are a sum of squares, f(x) = ½‖R(x)‖², from
// several starting points advanced together. The caller gives, at a batch of points, the
// Gauss–Newton model — f, the gradient g = J_Rᵀ R and the normal matrix H = J_Rᵀ J_R —
// and, separately, f alone at a batch of trial points (cheaper: no Jacobian).
//
// Step (Levenberg's damping, D = I):   (H + λ I) δ = −g.
// Gain ratio (Madsen, Nielsen & Tingleff 2004, "Methods for non-linear least squares
// problems", §3.2):  ρ = (f(x) − f(x + δ)) / (L(0) − L(δ)),  L(0) − L(δ) = ½ δᵀ(λ δ − g),
// the reduction the damped quadratic model predicts (positive whenever g ≠ 0).
//   ρ > 0: accept, λ ← λ · max(1/3, 1 − (2ρ − 1)³), ν ← 2   (Nielsen's update);
//   ρ ≤ 0: reject, λ ← λ · ν, ν ← 2ν.
// λ starts at τ · max diag(H). A point whose f is not finite is a rejected step.
//
// Converged (`converged` is set), checked after every accepted step, or after a rejected one
// for PRECISION:
//   LM_CONVERGED_GATOL      ‖g‖ ≤ gradient_atol
//   LM_CONVERGED_GRTOL      ‖g‖ ≤ gradient_rtol · ‖g at the start‖
//   LM_CONVERGED_PRECISION  the undamped Gauss–Newton decrement ½ gᵀH⁻¹g is below what f
//                           can resolve in double precision (8 ε max(1, |f|)), or no step
//                           lowers f or ‖g‖ any more: a stationary point to working precision.
// Polishing: where both the decrease and the predicted decrease are below that resolution,
// the gain ratio is rounding noise, so a step is accepted when it lowers ‖g‖ instead (the
// last steps of Gauss–Newton toward a small gradient).
// Stopped without that proof — the caller judges such a run by its gradient and progress
// (DESIGN §6: at a kink of a ReLU decoder the steps shrink while the gradient stays large):
//   LM_STOPPED_STEPTOL      an accepted step with ‖δ‖ ≤ step_rtol · (‖x‖ + step_rtol)
//   LM_STOPPED_FTOL         an accepted step with f(x) − f(x + δ) ≤ objective_rtol · max(1, f)
//   LM_DIVERGED_MAXITS      max_iterations reached
//   LM_DIVERGED_DAMPING     λ above max_damping: no descent step is found
//   LM_DIVERGED_NAN         f or g not finite at the start
// Every run records its reason, iterations and the objective after each accepted step.
//
// Cost per iteration: one batched f evaluation of all active trial points, and one
// batched model evaluation of the points just accepted.

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/dense.hpp"

namespace priorbench {

struct GaussNewtonModel {
  double objective = 0;          // f
  std::vector<double> gradient;  // g, length m
  DenseMatrix normal;            // H (m×m, symmetric positive semi-definite)
};

struct LevenbergMarquardtOptions {
  double gradient_atol = 1e-8;
  double gradient_rtol = 1e-8;
  double step_rtol = 1e-10;
  // The tail of Gauss–Newton converges linearly where the residual is not small (a truth
  // off the generator's range: rate ~0.15 per step on the shipped VAE), so a step that
  // lowers f by less than 1e-9 f leaves about 2e-10 f to gain.
  double objective_rtol = 1e-9;
  int max_iterations = 200;
  double initial_damping = 1e-3;  // τ
  double max_damping = 1e16;      // relative to max diag(H) at the start
};

struct LevenbergMarquardtRun {
  std::vector<double> point;
  double objective = 0;
  double gradient_norm = 0;
  double initial_objective = 0;
  double initial_gradient_norm = 0;
  int iterations = 0;  // accepted and rejected steps
  int accepted_steps = 0;
  std::string reason;  // LM_CONVERGED_*, LM_STOPPED_*, LM_DIVERGED_* (see above)
  bool converged = false;
  std::vector<double> objective_history;  // f at the start and after every accepted step
};

// `models(points, count)`: the Gauss–Newton model at each of `count` points (count × m,
// row-major). `objectives(points, count, out)`: f at each.
using GaussNewtonModels = std::function<std::vector<GaussNewtonModel>(std::span<const double>, std::size_t)>;
using BatchedObjectives = std::function<void(std::span<const double>, std::size_t, std::span<double>)>;

// One run per start (starts: count × m, row-major).
std::vector<LevenbergMarquardtRun> levenberg_marquardt(std::span<const double> starts, std::size_t dimension,
                                                       const GaussNewtonModels& models,
                                                       const BatchedObjectives& objectives,
                                                       const LevenbergMarquardtOptions& options = {});

}  // namespace priorbench
