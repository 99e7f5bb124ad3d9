#include "inference/levenberg_marquardt.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace priorbench {
namespace {

double norm(std::span<const double> values) {
  double sum = 0;
  for (const double value : values) sum += value * value;
  return std::sqrt(sum);
}

bool finite(const GaussNewtonModel& model) {
  return std::isfinite(model.objective) &&
         std::all_of(model.gradient.begin(), model.gradient.end(), [](double g) { return std::isfinite(g); });
}

// One start's state between iterations.
struct Walker {
  LevenbergMarquardtRun run;
  GaussNewtonModel model;
  double damping = 0;        // λ
  double growth = 2;         // ν
  double damping_limit = 0;  // λ beyond which no descent step is expected
  std::vector<double> step;  // δ of the pending trial
  double predicted = 0;      // L(0) − L(δ) of the pending trial
  bool active = true;
};

void finish(Walker& w, const std::string& reason, bool converged) {
  w.run.reason = reason;
  w.run.converged = converged;
  w.active = false;
}

// δ = −(H + λ I)⁻¹ g and the reduction the damped model predicts for it.
void propose(Walker& w) {
  const std::size_t m = w.model.gradient.size();
  DenseMatrix damped = w.model.normal;
  for (std::size_t j = 0; j < m; ++j) damped(j, j) += w.damping;
  cholesky_in_place(damped, "the damped Gauss-Newton matrix H + lambda I");
  w.step.assign(w.model.gradient.begin(), w.model.gradient.end());
  for (double& value : w.step) value = -value;
  cholesky_solve(damped, w.step);
  double predicted = 0;
  for (std::size_t j = 0; j < m; ++j) predicted += w.step[j] * (w.damping * w.step[j] - w.model.gradient[j]);
  w.predicted = 0.5 * predicted;
}

// The gradient tests; true when the run converged.
bool check_gradient(Walker& w, const LevenbergMarquardtOptions& o) {
  const double gradient_norm = norm(w.model.gradient);
  if (gradient_norm <= o.gradient_atol)
    finish(w, "LM_CONVERGED_GATOL", true);
  else if (gradient_norm <= o.gradient_rtol * w.run.initial_gradient_norm)
    finish(w, "LM_CONVERGED_GRTOL", true);
  return !w.active;
}

// The stopping tests after an accepted step that lowered f by `decrease`.
void check_convergence(Walker& w, double decrease, const LevenbergMarquardtOptions& o) {
  if (check_gradient(w, o)) return;
  if (norm(w.step) <= o.step_rtol * (norm(w.run.point) + o.step_rtol)) return finish(w, "LM_STOPPED_STEPTOL", false);
  if (decrease <= o.objective_rtol * std::max(1.0, w.model.objective)) return finish(w, "LM_STOPPED_FTOL", false);
}

// ½ gᵀ H⁻¹ g, the decrease an undamped Gauss–Newton step would promise (H regularized by a
// trace-relative 1e-12 where it is singular).
double gauss_newton_decrement(const GaussNewtonModel& model) {
  const std::size_t m = model.gradient.size();
  DenseMatrix h = model.normal;
  double trace = 0;
  for (std::size_t j = 0; j < m; ++j) trace += h(j, j);
  for (std::size_t j = 0; j < m; ++j) h(j, j) += 1e-12 * std::max(trace / static_cast<double>(m), 1e-300);
  cholesky_in_place(h, "the Gauss-Newton matrix H");
  std::vector<double> solved = model.gradient;
  cholesky_solve(h, solved);
  double decrement = 0;
  for (std::size_t j = 0; j < m; ++j) decrement += model.gradient[j] * solved[j];
  return 0.5 * decrement;
}

// The smallest change of f that double precision resolves at this f.
double resolution_of(const GaussNewtonModel& model) {
  return 8 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::abs(model.objective));
}

// After a rejected step: is there any decrease left that f can resolve?
bool converged_to_precision(const Walker& w) { return gauss_newton_decrement(w.model) <= resolution_of(w.model); }

void record(Walker& w) {
  w.run.objective = w.model.objective;
  w.run.gradient_norm = norm(w.model.gradient);
}

}  // namespace

std::vector<LevenbergMarquardtRun> levenberg_marquardt(std::span<const double> starts, std::size_t dimension,
                                                       const GaussNewtonModels& models,
                                                       const BatchedObjectives& objectives,
                                                       const LevenbergMarquardtOptions& options) {
  const std::size_t m = dimension;
  PB_REQUIRE(m > 0 && !starts.empty() && starts.size() % m == 0, "levenberg_marquardt: ", starts.size(),
             " start values are not a whole number of points of dimension ", m);
  const std::size_t count = starts.size() / m;
  std::vector<Walker> walkers(count);
  std::vector<GaussNewtonModel> initial = models(starts, count);
  PB_REQUIRE(initial.size() == count, "levenberg_marquardt: ", initial.size(), " models for ", count, " points");
  for (std::size_t s = 0; s < count; ++s) {
    Walker& w = walkers[s];
    w.run.point.assign(starts.begin() + static_cast<std::ptrdiff_t>(s * m),
                       starts.begin() + static_cast<std::ptrdiff_t>((s + 1) * m));
    w.model = std::move(initial[s]);
    record(w);
    w.run.initial_objective = w.run.objective;
    w.run.initial_gradient_norm = w.run.gradient_norm;
    w.run.objective_history.push_back(w.run.objective);
    if (!finite(w.model)) {
      finish(w, "LM_DIVERGED_NAN", false);
      continue;
    }
    double largest = 0;
    for (std::size_t j = 0; j < m; ++j) largest = std::max(largest, w.model.normal(j, j));
    w.damping = options.initial_damping * std::max(largest, 1e-300);
    w.damping_limit = options.max_damping * std::max(largest, 1.0);
    if (w.run.gradient_norm <= options.gradient_atol) finish(w, "LM_CONVERGED_GATOL", true);
  }

  for (int iteration = 0;; ++iteration) {
    std::vector<std::size_t> active;
    for (std::size_t s = 0; s < count; ++s) {
      if (!walkers[s].active) continue;
      if (iteration >= options.max_iterations) {
        finish(walkers[s], "LM_DIVERGED_MAXITS", false);
      } else if (walkers[s].damping > walkers[s].damping_limit) {
        finish(walkers[s], "LM_DIVERGED_DAMPING", false);
      } else {
        active.push_back(s);
      }
    }
    if (active.empty()) break;

    std::vector<double> trials(active.size() * m);
    for (std::size_t k = 0; k < active.size(); ++k) {
      Walker& w = walkers[active[k]];
      propose(w);
      for (std::size_t j = 0; j < m; ++j) trials[k * m + j] = w.run.point[j] + w.step[j];
    }
    std::vector<double> trial_objectives(active.size());
    objectives(trials, active.size(), trial_objectives);

    // Accepted by the gain ratio; or, where both the decrease and the predicted decrease are
    // below what f resolves, judged by the gradient at the trial point (polishing).
    std::vector<std::size_t> modelled;
    std::vector<bool> polishing;
    std::vector<double> modelled_points;
    for (std::size_t k = 0; k < active.size(); ++k) {
      Walker& w = walkers[active[k]];
      ++w.run.iterations;
      const double decrease = w.model.objective - trial_objectives[k];
      const double ratio = w.predicted > 0 ? decrease / w.predicted : -1.0;
      const bool unresolved = std::isfinite(trial_objectives[k]) && std::abs(decrease) <= resolution_of(w.model) &&
                              w.predicted <= resolution_of(w.model);
      if ((std::isfinite(trial_objectives[k]) && ratio > 0) || unresolved) {
        modelled.push_back(active[k]);
        polishing.push_back(unresolved);
        modelled_points.insert(modelled_points.end(), trials.begin() + static_cast<std::ptrdiff_t>(k * m),
                               trials.begin() + static_cast<std::ptrdiff_t>((k + 1) * m));
        if (!unresolved) {
          w.damping *= std::max(1.0 / 3.0, 1.0 - std::pow(2.0 * ratio - 1.0, 3));
          w.growth = 2;
        }
      } else if (converged_to_precision(w)) {
        finish(w, "LM_CONVERGED_PRECISION", true);
      } else {
        w.damping *= w.growth;
        w.growth *= 2;
      }
    }
    if (modelled.empty()) continue;
    std::vector<GaussNewtonModel> next = models(modelled_points, modelled.size());
    for (std::size_t k = 0; k < modelled.size(); ++k) {
      Walker& w = walkers[modelled[k]];
      if (polishing[k] && !(finite(next[k]) && norm(next[k].gradient) < norm(w.model.gradient))) {
        finish(w, "LM_CONVERGED_PRECISION", true);  // no step improves f or ∇f any more
        continue;
      }
      const double decrease = w.model.objective - next[k].objective;
      w.run.point.assign(modelled_points.begin() + static_cast<std::ptrdiff_t>(k * m),
                         modelled_points.begin() + static_cast<std::ptrdiff_t>((k + 1) * m));
      w.model = std::move(next[k]);
      ++w.run.accepted_steps;
      record(w);
      w.run.objective_history.push_back(w.run.objective);
      if (polishing[k]) {
        check_gradient(w, options);
      } else {
        check_convergence(w, decrease, options);
      }
    }
  }
  std::vector<LevenbergMarquardtRun> runs;
  for (auto& w : walkers) runs.push_back(std::move(w.run));
  return runs;
}

}  // namespace priorbench
