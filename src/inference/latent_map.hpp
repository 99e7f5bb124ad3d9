#pragma once
// `latent_map` (DESIGN §2, method 4): z* = argmin Φ(z) + ½‖z‖² (Φ of latent_problem.hpp),
// x̂ = μ(z*). Two solvers (options.solver):
//   levenberg_marquardt (default)  the objective is a sum of squares, ½‖L⁻¹(y − Aμ(z))‖² +
//       ½‖z‖², so each step solves an m×m Gauss–Newton system (M̃ᵀM̃ + I + λI) δ = −∇f with
//       M̃ = L⁻¹ A J(z) (levenberg_marquardt.hpp: gain-ratio trust region, Nielsen's
//       damping update). All starts advance together: the trial points of an iteration are
//       decoded in one batched call. It converges where L-BFGS stalls on the large,
//       ill-conditioned objectives of small σ (σ ≤ 0.003 hit TAO's iteration limit).
//   lbfgs  PETSc TAO (lmvm by default) with the gradient from one vector–Jacobian product.
//
// Starts, in this order: z = 0; the encoder mean of Aᵀy (when the generator has an
// encoder); `prior_draw_starts` draws z ~ N(0, I) from CounterRandom(seed, task,
// Purpose::latent_map_starts, stream = draw number); then any `extra_starts`. The best
// objective among accepted starts is kept.
//
// L-BFGS: TAO is created on the operator's communicator with the latent as a (tiny) distributed
// vector, so -latent_map_tao_monitor prints once; TAO type and tolerances are set from
// the options below and then TaoSetFromOptions lets -latent_map_tao_* win.
//
// Restarts: when TAO stops with DIVERGED_LS_FAILURE and the gradient is not yet small
// (see below), TaoSolve runs again from the point reached, with fresh quasi-Newton memory,
// up to max_restarts times; every solve's reason is kept in reason_history.
//
// Convergence rule (recorded per start as `status`; for L-BFGS applied to the last solve and
// the objective history of all solves, for Levenberg–Marquardt to its run). TAO can stop
// on a line-search failure without an error, and at a ReLU kink the gradient never becomes
// small (DESIGN §6), so:
//   converged          TAO's converged reason is positive (GATOL, GRTOL, GTTOL, STEPTOL, ...),
//                      or Levenberg–Marquardt's (LM_CONVERGED_GATOL, _GRTOL, _PRECISION);
//   small_gradient     TAO stopped with DIVERGED_LS_FAILURE, DIVERGED_MAXITS,
//                      DIVERGED_MAXFCN or DIVERGED_TR_REDUCTION but
//                      ‖∇‖ ≤ accept_gradient_rtol · ‖∇ at the start‖;
//                      (or Levenberg–Marquardt stopped: LM_STOPPED_STEPTOL, _FTOL,
//                      LM_DIVERGED_MAXITS, _DAMPING, with the same tests);
//   stalled_objective  same reasons, and over the last `stall_window` iterations the
//                      objective fell by at most stall_rtol · max(1, |f|);
//   failed             anything else (including DIVERGED_NAN and fewer than stall_window
//                      iterations without a small gradient).
// Accepted = not failed. When no start is accepted the result has converged = false and a
// warning; with require_convergence it is an Error instead.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/petsc.hpp"
#include "generative/generator.hpp"
#include "inference/latent_problem.hpp"
#include "inference/levenberg_marquardt.hpp"
#include "operators/linear_operator.hpp"

namespace priorbench {

enum class LatentMapSolver { levenberg_marquardt, lbfgs };
// "lm", "lbfgs" (in enum order; the names study files and results use).
const std::vector<std::string>& latent_map_solver_names();

struct LatentMapOptions {
  LatentMapSolver solver = LatentMapSolver::levenberg_marquardt;
  LevenbergMarquardtOptions levenberg_marquardt;  // tolerances of the default solver
  bool zero_start = true;
  bool encoder_start = true;  // used only when the generator has an encoder
  int prior_draw_starts = 2;
  std::vector<std::vector<double>> extra_starts;  // each of length m
  // L-BFGS (solver = lbfgs):
  std::string tao_type = "lmvm";               // TAOLMVM (L-BFGS with More–Thuente line search)
  std::string options_prefix = "latent_map_";  // -latent_map_tao_type, -latent_map_tao_gatol, ...
  double gradient_atol = 1e-8;                 // TAO gatol: ‖∇‖ ≤ gatol
  double gradient_rtol = 1e-8;                 // TAO gttol: ‖∇‖ ≤ gttol ‖∇ at the start‖
  int max_iterations = 1000;                   // per solve
  int max_restarts = 3;                        // fresh solves from where a line-search failure stopped
  double accept_gradient_rtol = 1e-4;          // acceptance of a stopped-but-not-converged run, see above
  double stall_rtol = 1e-9;
  int stall_window = 5;
  bool require_convergence = false;
  std::uint64_t seed = 0;
  std::uint64_t task = 0;
};

struct LatentMapStart {
  std::string kind;    // zero | encoder | prior_draw_K | extra_K
  std::string solver;  // lm | lbfgs
  std::vector<double> initial;
  double initial_objective = 0;
  double initial_gradient_norm = 0;
  std::vector<double> latent;  // where TAO stopped
  double objective = 0;
  double gradient_norm = 0;
  PetscInt iterations = 0;
  std::int64_t evaluations = 0;             // objective(-and-gradient) evaluations, models for LM
  int reason = 0;                           // TaoConvergedReason of the last solve; LM: 1 converged, -1 not
  std::string reason_name;                  // e.g. TAO_CONVERGED_GATOL, LM_CONVERGED_STEPTOL
  int restarts = 0;                         // solves restarted after a line-search failure
  std::vector<std::string> reason_history;  // the reason of every solve, restarts included
  std::vector<double> objective_history;    // per iteration of all solves, from the start
  std::string status;                       // converged | small_gradient | stalled_objective | failed
  bool accepted = false;
};

struct LatentMapResult {
  std::vector<double> latent;  // z*, on every rank
  std::vector<double> image;   // μ(z*), on every rank
  petsc::Vector estimate;      // μ(z*) in the operator's domain layout
  double objective = 0;        // Φ(z*) + ½‖z*‖²
  double misfit = 0;           // Φ(z*)
  double prior_term = 0;       // ½‖z*‖²
  double gradient_norm = 0;
  std::string likelihood;   // seeds | marginal
  std::string noise_route;  // scalar | diagonal | dense
  std::vector<LatentMapStart> starts;
  std::size_t best_start = 0;
  bool converged = false;            // the kept start was accepted
  std::string warning;               // empty unless something needs a reader's attention
  PetscInt iterations = 0;           // summed over starts
  GeneratorCounts generator_counts;  // spent by this call
  OperatorCounts operator_counts;
  double seconds = 0;
};

LatentMapResult latent_map(const LatentProblem& problem, const LatentMapOptions& options = {});

// f and ∇f at a point. Called on every rank of the communicator it is used with; rank 0's
// numbers are broadcast, so TAO's decisions cannot diverge by rounding.
using ObjectiveAndGradient = std::function<double(std::span<const double> point, std::span<double> gradient)>;

// One TAO run (options.tao_type, tolerances, restarts after line-search failures, the
// convergence rule above) from `initial`; the building block of the L-BFGS latent MAP and of
// flow_map (inference/flow_map.hpp). `kind` names the start.
LatentMapStart minimize_with_tao(MPI_Comm comm, const ObjectiveAndGradient& objective, const LatentMapOptions& options,
                                 std::string kind, std::vector<double> initial);

// Named starting points, in the order they are run.
using MapStarts = std::vector<std::pair<std::string, std::vector<double>>>;

// Appends the starts every MAP shares after its own: `prior_draw_starts` draws z ~ N(0, I)
// of length `dimension` (keyed as above) and then `extra_starts`.
void append_drawn_starts(const LatentMapOptions& options, std::size_t dimension, MapStarts& starts);

// Levenberg–Marquardt (levenberg_marquardt.hpp) from every start at once, each run judged
// by the rule above; `models` and `objectives` are called on every rank and rank 0's
// numbers are broadcast. The building block of the latent MAP and of flow_map.
std::vector<LatentMapStart> minimize_with_levenberg_marquardt(MPI_Comm comm, std::size_t dimension,
                                                              const GaussNewtonModels& models,
                                                              const BatchedObjectives& objectives,
                                                              const LatentMapOptions& options, MapStarts starts);

// From result.starts: the kept start (best objective among the accepted, else the best
// overall, flagged with a warning naming `what`, or an Error with require_convergence),
// and result.best_start, converged, warning, iterations, latent, objective, gradient_norm.
void keep_best_start(LatentMapResult& result, const LatentMapOptions& options, const std::string& what);

// The convergence rule above, exposed for tests: the status of a TAO run that ended with
// `reason` after the objective history `objectives` (one per iteration, starting with the
// initial point) and gradient norms at the start and the end.
std::string judge_tao_run(int reason, const std::vector<double>& objectives, double initial_gradient_norm,
                          double final_gradient_norm, const LatentMapOptions& options);

}  // namespace priorbench
