#include "inference/latent_map.hpp"

#include <mpi.h>
#include <petsctao.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <sstream>

#include "core/error.hpp"
#include "core/random.hpp"

namespace priorbench {
namespace {

struct TaoContext {
  const ObjectiveAndGradient* objective = nullptr;
  MPI_Comm comm = MPI_COMM_NULL;
  std::vector<double> objectives;  // one per TAO iteration, from the monitor
  std::int64_t evaluations = 0;
  std::exception_ptr error;
};

double norm(std::span<const double> values) {
  double sum = 0;
  for (double value : values) sum += value * value;
  return std::sqrt(sum);
}

// f and ∇f at z, identical on every rank: rank 0's numbers are broadcast so that TAO's
// decisions (which every rank takes) cannot diverge by rounding.
double evaluate_everywhere(const ObjectiveAndGradient& objective, MPI_Comm comm, std::span<const double> latent,
                           std::span<double> gradient) {
  std::vector<double> packed(gradient.size() + 1);
  packed[0] = objective(latent, std::span<double>(packed).subspan(1));
  MPI_Bcast(packed.data(), static_cast<int>(packed.size()), MPI_DOUBLE, 0, comm);
  std::copy(packed.begin() + 1, packed.end(), gradient.begin());
  return packed[0];
}

// No C++ exception crosses TAO: it is kept and rethrown after TaoSolve.
PetscErrorCode tao_objective_and_gradient(Tao, Vec x, PetscReal* f, Vec g, void* raw) {
  auto& context = *static_cast<TaoContext*>(raw);
  try {
    const std::vector<double> latent = petsc::gather_all(x);
    std::vector<double> gradient(latent.size());
    *f = evaluate_everywhere(*context.objective, context.comm, latent, gradient);
    petsc::set_from_global(g, gradient);
    ++context.evaluations;
    return 0;
  } catch (...) {
    context.error = std::current_exception();
    return PETSC_ERR_LIB;
  }
}

PetscErrorCode tao_monitor(Tao tao, void* raw) {
  auto& context = *static_cast<TaoContext*>(raw);
  PetscInt iteration = 0;
  PetscReal f = 0, gradient_norm = 0, constraint_norm = 0, step = 0;
  TaoConvergedReason reason = TAO_CONTINUE_ITERATING;
  const PetscErrorCode code =
      TaoGetSolutionStatus(tao, &iteration, &f, &gradient_norm, &constraint_norm, &step, &reason);
  // A restart's iteration 0 repeats the point where the previous solve stopped.
  if (code == 0 && (iteration > 0 || context.objectives.empty())) context.objectives.push_back(f);
  return code;
}

std::string tao_reason_name(int reason) {
  const char* name = TaoConvergedReasons[reason];
  return std::string("TAO_") + (name != nullptr ? name : "UNKNOWN_REASON");
}

}  // namespace

LatentMapStart minimize_with_tao(MPI_Comm comm, const ObjectiveAndGradient& objective, const LatentMapOptions& options,
                                 std::string kind, std::vector<double> initial) {
  const std::size_t m = initial.size();
  LatentMapStart start;
  start.kind = std::move(kind);
  start.solver = "lbfgs";
  start.initial = std::move(initial);
  std::vector<double> gradient(m);
  start.initial_objective = evaluate_everywhere(objective, comm, start.initial, gradient);
  start.initial_gradient_norm = norm(gradient);

  TaoContext context;
  context.objective = &objective;
  context.comm = comm;
  petsc::Optimizer tao;
  PB_PETSC(TaoCreate(comm, tao.out()));
  PB_PETSC(TaoSetOptionsPrefix(tao, options.options_prefix.c_str()));
  PB_PETSC(TaoSetType(tao, options.tao_type.c_str()));
  auto solution = petsc::make_vector(comm, static_cast<PetscInt>(m));
  auto gradient_vector = petsc::make_vector_like(solution);
  petsc::set_from_global(solution, start.initial);
  PB_PETSC(TaoSetSolution(tao, solution));
  PB_PETSC(TaoSetObjectiveAndGradient(tao, gradient_vector, tao_objective_and_gradient, &context));
  PB_PETSC(TaoSetTolerances(tao, options.gradient_atol, 0.0, options.gradient_rtol));
  PB_PETSC(TaoSetMaximumIterations(tao, options.max_iterations));
  PB_PETSC(TaoSetMonitor(tao, tao_monitor, &context, nullptr));
  PB_PETSC(TaoSetFromOptions(tao));  // the command line wins over the defaults above

  // A line-search failure is retried from where TAO stopped with fresh quasi-Newton
  // memory, up to max_restarts times, unless the gradient is already small.
  TaoConvergedReason reason = TAO_CONTINUE_ITERATING;
  for (int attempt = 0;; ++attempt) {
    PB_PETSC(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr));  // our own message, not a trace
    const PetscErrorCode code = TaoSolve(tao);
    PB_PETSC(PetscPopErrorHandler());
    if (context.error) std::rethrow_exception(context.error);
    PB_PETSC(code);
    PetscInt iterations = 0;
    PetscReal f = 0, gradient_norm = 0, constraint_norm = 0, step = 0;
    PB_PETSC(TaoGetSolutionStatus(tao, &iterations, &f, &gradient_norm, &constraint_norm, &step, &reason));
    start.iterations += iterations;
    start.reason_history.push_back(tao_reason_name(static_cast<int>(reason)));
    if (reason != TAO_DIVERGED_LS_FAILURE || attempt == options.max_restarts ||
        gradient_norm <= options.accept_gradient_rtol * start.initial_gradient_norm) {
      break;
    }
    ++start.restarts;
  }
  start.reason = static_cast<int>(reason);
  start.reason_name = start.reason_history.back();
  start.evaluations = context.evaluations;
  start.latent = petsc::gather_all(solution);
  start.objective = evaluate_everywhere(objective, comm, start.latent, gradient);  // exact numbers at the point kept
  start.gradient_norm = norm(gradient);
  start.status =
      judge_tao_run(start.reason, context.objectives, start.initial_gradient_norm, start.gradient_norm, options);
  start.accepted = start.status != "failed";
  start.objective_history = std::move(context.objectives);
  return start;
}

namespace {

LatentMapStart run_start(const LatentProblem& problem, const LatentMapOptions& options, std::string kind,
                         std::vector<double> initial) {
  const std::size_t m = problem.latent_dimension();
  PB_REQUIRE(initial.size() == m, "latent MAP start '", kind, "' has length ", initial.size(), ", expected ", m);
  const ObjectiveAndGradient objective = [&](std::span<const double> latent, std::span<double> gradient) {
    return problem.objective_and_gradient(latent, gradient);
  };
  return minimize_with_tao(problem.comm(), objective, options, std::move(kind), std::move(initial));
}

MapStarts starting_points(const LatentProblem& problem, const LatentMapOptions& options) {
  const std::size_t m = problem.latent_dimension();
  MapStarts starts;
  if (options.zero_start) starts.emplace_back("zero", std::vector<double>(m, 0.0));
  if (options.encoder_start && problem.generator().has_encoder()) {
    std::vector<double> mean(m), variance(m);
    problem.generator().encode(problem.adjoint_image(), mean, variance);
    starts.emplace_back("encoder", std::move(mean));
  }
  append_drawn_starts(options, m, starts);
  PB_REQUIRE(!starts.empty(),
             "the latent MAP has no starting point (zero_start, encoder_start, prior_draw_starts "
             "and extra_starts are all off)");
  return starts;
}

}  // namespace

namespace {

// A run stopped without its own convergence: small_gradient, stalled_objective or failed.
std::string judge_stopped_run(const std::vector<double>& objectives, double initial_gradient_norm,
                              double final_gradient_norm, const LatentMapOptions& options) {
  if (!std::isfinite(final_gradient_norm)) return "failed";
  if (final_gradient_norm <= options.accept_gradient_rtol * initial_gradient_norm) return "small_gradient";
  const auto window = static_cast<std::size_t>(std::max(options.stall_window, 1));
  if (objectives.size() > window) {
    const double last = objectives.back();
    const double earlier = objectives[objectives.size() - 1 - window];
    if (std::isfinite(last) && earlier - last <= options.stall_rtol * std::max(1.0, std::abs(last))) {
      return "stalled_objective";
    }
  }
  return "failed";
}

// Every rank takes rank 0's numbers, so that decisions cannot diverge by rounding.
void broadcast_from_root(std::span<double> values, MPI_Comm comm) {
  MPI_Bcast(values.data(), static_cast<int>(values.size()), MPI_DOUBLE, 0, comm);
}

GaussNewtonModel broadcast_model(GaussNewtonModel model, MPI_Comm comm) {
  broadcast_from_root(std::span<double>(&model.objective, 1), comm);
  broadcast_from_root(model.gradient, comm);
  broadcast_from_root(model.normal.values(), comm);
  return model;
}

LatentMapStart start_of(const LevenbergMarquardtRun& run, std::string kind, std::vector<double> initial,
                        const LatentMapOptions& options) {
  LatentMapStart start;
  start.kind = std::move(kind);
  start.solver = "lm";
  start.initial = std::move(initial);
  start.initial_objective = run.initial_objective;
  start.initial_gradient_norm = run.initial_gradient_norm;
  start.latent = run.point;
  start.objective = run.objective;
  start.gradient_norm = run.gradient_norm;
  start.iterations = run.iterations;
  start.evaluations = run.iterations + run.accepted_steps + 1;  // trial objectives + models
  start.reason = run.converged ? 1 : -1;
  start.reason_name = run.reason;
  start.reason_history = {run.reason};
  start.objective_history = run.objective_history;
  start.status = run.converged ? "converged"
                 : run.reason == "LM_DIVERGED_NAN"
                     ? "failed"
                     : judge_stopped_run(run.objective_history, run.initial_gradient_norm, run.gradient_norm, options);
  start.accepted = start.status != "failed";
  return start;
}

// All starts advanced together by Levenberg–Marquardt: the trial points of each iteration
// in one batched decode, the Gauss–Newton models at the accepted ones.
std::vector<LatentMapStart> run_levenberg_marquardt(const LatentProblem& problem, const LatentMapOptions& options,
                                                    MapStarts starts) {
  const GaussNewtonModels models = [&](std::span<const double> at, std::size_t count) {
    const std::size_t m = problem.latent_dimension();
    std::vector<GaussNewtonModel> out;
    for (std::size_t k = 0; k < count; ++k) out.push_back(problem.gauss_newton_model(at.subspan(k * m, m)));
    return out;
  };
  const BatchedObjectives objectives = [&](std::span<const double> at, std::size_t count, std::span<double> out) {
    problem.objectives(at, count, out);
  };
  return minimize_with_levenberg_marquardt(problem.comm(), problem.latent_dimension(), models, objectives, options,
                                           std::move(starts));
}

}  // namespace

std::vector<LatentMapStart> minimize_with_levenberg_marquardt(MPI_Comm comm, std::size_t dimension,
                                                              const GaussNewtonModels& models,
                                                              const BatchedObjectives& objectives,
                                                              const LatentMapOptions& options, MapStarts starts) {
  std::vector<double> points;
  for (const auto& [kind, initial] : starts) {
    PB_REQUIRE(initial.size() == dimension, "MAP start '", kind, "' has length ", initial.size(), ", expected ",
               dimension);
    points.insert(points.end(), initial.begin(), initial.end());
  }
  const GaussNewtonModels broadcast_models = [&](std::span<const double> at, std::size_t count) {
    auto out = models(at, count);
    for (auto& model : out) model = broadcast_model(std::move(model), comm);
    return out;
  };
  const BatchedObjectives broadcast_objectives = [&](std::span<const double> at, std::size_t count,
                                                     std::span<double> out) {
    objectives(at, count, out);
    broadcast_from_root(out, comm);
  };
  const auto runs =
      levenberg_marquardt(points, dimension, broadcast_models, broadcast_objectives, options.levenberg_marquardt);
  std::vector<LatentMapStart> result;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    result.push_back(start_of(runs[k], std::move(starts[k].first), std::move(starts[k].second), options));
  }
  return result;
}

void append_drawn_starts(const LatentMapOptions& options, std::size_t dimension, MapStarts& starts) {
  for (int k = 0; k < options.prior_draw_starts; ++k) {
    std::vector<double> draw(dimension);
    CounterRandom(options.seed, options.task, Purpose::latent_map_starts, static_cast<std::uint64_t>(k))
        .fill_normal(draw, 0);
    starts.emplace_back("prior_draw_" + std::to_string(k), std::move(draw));
  }
  for (std::size_t k = 0; k < options.extra_starts.size(); ++k) {
    starts.emplace_back("extra_" + std::to_string(k), options.extra_starts[k]);
  }
}

const std::vector<std::string>& latent_map_solver_names() {
  static const std::vector<std::string> names = {"lm", "lbfgs"};
  return names;
}

std::string judge_tao_run(int reason, const std::vector<double>& objectives, double initial_gradient_norm,
                          double final_gradient_norm, const LatentMapOptions& options) {
  if (reason > 0) return "converged";
  const bool stopped = reason == TAO_DIVERGED_LS_FAILURE || reason == TAO_DIVERGED_MAXITS ||
                       reason == TAO_DIVERGED_MAXFCN || reason == TAO_DIVERGED_TR_REDUCTION;
  if (!stopped) return "failed";
  return judge_stopped_run(objectives, initial_gradient_norm, final_gradient_norm, options);
}

LatentMapResult latent_map(const LatentProblem& problem, const LatentMapOptions& options) {
  const CostMeter meter(problem);

  LatentMapResult result;
  result.likelihood = likelihood_name(problem.likelihood());
  result.noise_route = problem.noise_route();
  auto starts = starting_points(problem, options);
  if (options.solver == LatentMapSolver::levenberg_marquardt) {
    result.starts = run_levenberg_marquardt(problem, options, std::move(starts));
  } else {
    for (auto& [kind, initial] : starts) result.starts.push_back(run_start(problem, options, kind, std::move(initial)));
  }
  keep_best_start(result, options, "the latent MAP");
  result.image.resize(problem.image_size());
  problem.generator().decode(result.latent, 1, result.image);
  result.prior_term = 0.5 * norm(result.latent) * norm(result.latent);
  result.misfit = result.objective - result.prior_term;
  result.estimate = problem.forward().distribute_image(result.image);

  result.generator_counts = meter.generator_counts();
  result.operator_counts = meter.operator_counts();
  result.seconds = meter.seconds();
  return result;
}

void keep_best_start(LatentMapResult& result, const LatentMapOptions& options, const std::string& what) {
  for (const auto& start : result.starts) result.iterations += start.iterations;
  // Best objective among accepted starts; if none was accepted, best overall, flagged.
  auto best_of = [&](bool accepted_only) {
    std::size_t best = result.starts.size();
    for (std::size_t k = 0; k < result.starts.size(); ++k) {
      const LatentMapStart& start = result.starts[k];
      if ((start.accepted || !accepted_only) && std::isfinite(start.objective) &&
          (best == result.starts.size() || start.objective < result.starts[best].objective)) {
        best = k;
      }
    }
    return best;
  };
  result.best_start = best_of(true);
  if (result.best_start == result.starts.size()) result.best_start = best_of(false);
  PB_REQUIRE(result.best_start < result.starts.size(), "every start of ", what, " ended with a non-finite objective");
  const LatentMapStart& kept = result.starts[result.best_start];
  result.converged = kept.accepted;
  if (!result.converged) {
    std::ostringstream message;
    message << "no start of " << what << " converged (";
    for (const auto& start : result.starts) {
      message << start.kind << ": " << start.reason_name << ", |grad| " << start.gradient_norm << "; ";
    }
    message << "kept the lowest objective " << kept.objective << ")";
    PB_REQUIRE(!options.require_convergence, message.str());
    result.warning = message.str();
  }

  result.latent = kept.latent;
  result.objective = kept.objective;
  result.gradient_norm = kept.gradient_norm;
}

}  // namespace priorbench
