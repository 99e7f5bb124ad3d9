#pragma once
// The distance of an image x† to the generator's range (DESIGN §3):
//
//   dist(x†) = min_z ‖x† − μ(z)‖,
//
// the floor below which no latent-space estimate x̂ = μ(z) can go, however small σ and
// however large d. Zero for a truth on the range (x† = μ(z†)); for a held-out image the
// inconsistency of latent-space methods.
//
// The nonlinear least-squares problem is solved by a Levenberg–Marquardt iteration with
// the full Jacobian J(z) (n×m, m small): J forms the Gauss–Newton matrix JᵀJ exactly, the
// step solves (JᵀJ + λI) δ = −Jᵀr through the eigen-decomposition of JᵀJ (safe for a
// singular JᵀJ), and λ follows Nielsen's gain-ratio rule. On a linear generator the
// iteration converges to the orthogonal projection. Stopping rules, in the order tested:
//   converged_zero_residual   ‖r‖ ≤ zero_residual_tolerance · ‖x†‖;
//   converged_gradient        ‖Jᵀr‖ ≤ gradient_tolerance · ‖J‖₂ ‖r‖ (r is orthogonal to
//                             the range of J to that relative accuracy);
//   converged_step            ‖δ‖ ≤ step_tolerance · (‖z‖ + step_tolerance);
//   converged_objective       the undamped Gauss–Newton model predicts a decrease of
//                             ½‖r‖² below objective_tolerance · ½‖r‖², which floating
//                             point cannot verify (that last step is taken unless it
//                             raises the objective beyond rounding), or an accepted step
//                             lowered ½‖r‖² by less than that (judges progress, not only
//                             the gradient: a ReLU decoder has kinks, DESIGN §6);
//   diverged_max_iterations   max_iterations Jacobians without meeting a rule above;
//   diverged_stalled          no step lowers the objective even with λ = λ_max;
//   diverged_nan              the generator returned a non-finite value.
// Starts, in this order: z = 0; the encoder mean of x† (when the generator has one);
// `prior_draws` draws z ~ N(0, I) from CounterRandom(seed, task,
// Purpose::range_distance_starts, stream = draw number); then `extra_starts` (e.g. the
// latent MAP). The smallest distance over all starts is kept: it is an upper bound of the
// true minimum in any case, and the minimum itself when its start converged.
// A normalizing flow maps onto the whole image space: its one start is z = f⁻¹(x†)
// ("inverse"), where the residual is the round trip's rounding (the other starts would
// spend tens of n×n Jacobians finding the same zero); when f⁻¹(x†) is not finite (x†
// outside a logit flow's support) the usual starts are used.
//
// Every rank runs the same replicated computation and returns the same result; there is
// no communication.

#include <hdf5.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "generative/generator.hpp"

namespace priorbench {

struct RangeDistanceOptions {
  bool zero_start = true;
  bool encoder_start = true;  // used only when the generator has an encoder
  int prior_draws = 3;
  std::vector<std::vector<double>> extra_starts;  // each of length m
  std::uint64_t seed = 0;
  std::uint64_t task = 0;
  int max_iterations = 200;  // Jacobians per start
  double zero_residual_tolerance = 1e-12;
  double gradient_tolerance = 1e-10;
  double step_tolerance = 1e-12;
  double objective_tolerance = 1e-14;
};

struct RangeDistanceStart {
  std::string kind;  // zero | encoder | prior_draw_K | extra_K
  std::vector<double> initial;
  double initial_distance = 0;
  std::vector<double> latent;  // where the iteration stopped
  double distance = 0;         // ‖x† − μ(latent)‖
  int iterations = 0;          // Jacobians evaluated
  int reason = 0;              // > 0 converged, < 0 diverged (names above)
  std::string reason_name;
  bool converged() const { return reason > 0; }
};

struct RangeDistanceResult {
  double distance = 0;             // min over starts of ‖x† − μ(z)‖
  double relative_distance = 0;    // distance / ‖x†‖ (distance itself when x† = 0)
  double image_norm = 0;           // ‖x†‖
  ImageShape shape;                // of x†, for saving the projection as an image
  std::vector<double> latent;      // the minimizing z
  std::vector<double> projection;  // μ(latent), the nearest image on the range found
  std::size_t best_start = 0;
  bool converged = false;  // the best start converged (otherwise `distance` is an upper bound only)
  std::vector<RangeDistanceStart> starts;
  GeneratorCounts generator_counts;  // spent by this call
  double seconds = 0;
  std::vector<std::string> warnings;

  std::string summary() const;
  // Writes the result into `group` (call on one rank; layout in docs/diagnostics.md).
  void save(hid_t group) const;
};

RangeDistanceResult distance_to_range(const Generator& generator, std::span<const double> image,
                                      const RangeDistanceOptions& options = {});

}  // namespace priorbench
