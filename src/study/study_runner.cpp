#include "study/study_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/random.hpp"
#include "data/image_source.hpp"
#include "diagnostics/error_split.hpp"
#include "diagnostics/metrics.hpp"
#include "diagnostics/range_distance.hpp"
#include "generative/generator.hpp"
#include "methods/method_factory.hpp"
#include "methods/observation.hpp"
#include "operators/operator_factory.hpp"
#include "study/results_file.hpp"
#include "study/run_log.hpp"
#include "study/task_inputs.hpp"
#include "study/task_scheduler.hpp"

namespace priorbench {
namespace {

double elapsed_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct MethodRun {
  std::optional<ReconstructionMetrics> metrics;  // absent when the method gave no estimate
  std::optional<ErrorSplit> split;               // with the metrics
  double latent_level = std::numeric_limits<double>::quiet_NaN();
  MethodOutcome outcome;
  double seconds = 0;
  bool converged = false;
};

// A method-specific number (MethodOutcome::details), NaN for methods that have none.
double detail_or_nan(const MethodOutcome& outcome, const std::string& name) {
  const auto found = outcome.details.find(name);
  return found == outcome.details.end() ? std::numeric_limits<double>::quiet_NaN() : found->second;
}

// What a task's metrics need besides the method's outcome: x†, the range projector of its
// operator and, for a generated truth, z†.
struct TruthReference {
  Vec truth = nullptr;
  const RangeProjector* projector = nullptr;
  std::span<const double> latent;
};

// The range/null split of the error and the latent credible level of z† (when the truth is
// generated and the method gives a latent covariance). A split whose CG solve did not
// converge is logged; its reason is recorded with the numbers.
void add_truth_diagnostics(MethodRun& run, const TruthReference& reference, const std::string& where, RunLog& log) {
  run.split = split_error(*reference.projector, run.outcome.mean, reference.truth);
  if (!run.split->record.converged()) {
    log.write(where + "the range/null split's CG solve " + run.split->record.reason_name + " after " +
              std::to_string(run.split->record.iterations) + " iterations; its range and null errors are approximate");
  }
  const MethodOutcome& o = run.outcome;
  if (!reference.latent.empty() && o.latent.size() == reference.latent.size() &&
      o.latent_covariance.rows() == o.latent.size()) {
    run.latent_level = latent_credible_level(o.latent, o.latent_covariance, reference.latent);
  }
}

// A method's warnings go to the run's log; an error that stopped it also to stderr.
MethodRun run_method(ReconstructionMethod& method, const MethodSpec& spec, const Observation& observation,
                     std::int64_t task, const TruthReference& reference, RunLog& log) {
  const Vec truth = reference.truth;
  MethodRun run;
  const auto start = std::chrono::steady_clock::now();
  const std::string where = "task " + std::to_string(task) + ", method " + spec.label + ": ";
  bool estimated = false;
  try {
    run.outcome = method.reconstruct(observation);
    estimated = true;
    run.converged = run.outcome.converged;
  } catch (const ConvergenceError& error) {
    const std::string line = where + error.what() + "; recorded as not converged";
    std::cerr << "priorbench run: " << line << std::endl;
    log.write(line);
  }
  run.seconds = elapsed_since(start);
  if (estimated) {
    run.metrics = compute_metrics(run.outcome.mean, run.outcome.std, truth);
    add_truth_diagnostics(run, reference, where, log);
    if (!run.outcome.warning.empty()) {
      log.write(where + run.outcome.warning + (run.converged ? "" : "; recorded as not converged"));
    }
  }
  return run;
}

// The mixing of each latent_mcmc method over the runs of this rank (SamplerMixing).
class MixingTally {
 public:
  explicit MixingTally(const StudySpec& study) : study_(study), methods_(study.methods.size()) {}

  void add(std::size_t method, const MethodRun& run) {
    if (!std::holds_alternative<LatentMcmcOptions>(study_.methods[method].options)) return;
    Tally& tally = methods_[method];
    tally.counts[0] += 1;
    tally.counts[1] += run.converged ? 1 : 0;
    const auto value = [&](const char* name) { return detail_or_nan(run.outcome, name); };
    const double rhat = value("max_rhat");
    tally.worst[0] = std::max(tally.worst[0], std::isnan(rhat) ? kInfinity : rhat);
    for (const auto& [k, name] : {std::pair{1, "min_ess_bulk"}, std::pair{2, "min_ess_tail"}}) {
      if (!std::isnan(value(name))) tally.worst[k] = std::max(tally.worst[k], -value(name));  // max of −ESS
    }
  }

  // Collective: the tallies of all ranks.
  std::vector<SamplerMixing> combine(MPI_Comm comm) {
    std::vector<SamplerMixing> mixing;
    for (std::size_t m = 0; m < methods_.size(); ++m) {
      if (!std::holds_alternative<LatentMcmcOptions>(study_.methods[m].options)) continue;
      Tally& tally = methods_[m];
      MPI_Allreduce(MPI_IN_PLACE, tally.counts, 2, MPI_INT64_T, MPI_SUM, comm);
      MPI_Allreduce(MPI_IN_PLACE, tally.worst, 3, MPI_DOUBLE, MPI_MAX, comm);
      if (tally.counts[0] == 0) continue;
      const double nan = std::numeric_limits<double>::quiet_NaN();
      mixing.push_back({study_.methods[m].label, tally.counts[0], tally.counts[1], tally.worst[0],
                        tally.worst[1] == -kInfinity ? nan : -tally.worst[1],
                        tally.worst[2] == -kInfinity ? nan : -tally.worst[2]});
    }
    return mixing;
  }

 private:
  static constexpr double kInfinity = std::numeric_limits<double>::infinity();
  struct Tally {
    std::int64_t counts[2] = {0, 0};                         // runs, converged
    double worst[3] = {-kInfinity, -kInfinity, -kInfinity};  // R̂, −bulk ESS, −tail ESS
  };
  const StudySpec& study_;
  std::vector<Tally> methods_;
};

void add_method_metrics(TaskRecord& record, const MethodRun& run) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto& m = run.metrics;
  const auto& o = run.outcome;
  auto put = [&](const char* name, double value) { record.metrics[name].push_back(value); };
  put("relative_error", m ? m->relative_error : nan);
  put("psnr", m ? m->psnr : nan);
  put("expected_squared_error", m ? m->expected_squared_error : nan);
  put("coverage_95", m ? m->coverage_95 : nan);
  put("mean_interval_width", m ? m->mean_interval_width : nan);
  put("seconds", run.seconds);
  put("iterations", m ? static_cast<double>(o.iterations) : nan);
  put("forward_applications", m ? static_cast<double>(o.forward_applications) : nan);
  put("adjoint_applications", m ? static_cast<double>(o.adjoint_applications) : nan);
  put("decoder_passes", m ? static_cast<double>(o.decoder_passes) : nan);
  put("converged", run.converged ? 1.0 : 0.0);
  put("std_exact", m && o.std ? (o.std_exact ? 1.0 : 0.0) : nan);
  put("max_rhat", m ? detail_or_nan(o, "max_rhat") : nan);
  put("min_ess_bulk", m ? detail_or_nan(o, "min_ess_bulk") : nan);
  put("min_ess_tail", m ? detail_or_nan(o, "min_ess_tail") : nan);
  put("divergences", m ? detail_or_nan(o, "divergences") : nan);
  put("ess_per_second", m ? detail_or_nan(o, "ess_per_second") : nan);
}

// The uncertainty metrics at each credible level, the CRPS, the range/null split and the
// latent credible level (docs/results-format.md).
void add_uncertainty_metrics(TaskRecord& record, const MethodRun& run) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto& m = run.metrics;
  const auto& split = run.split;
  auto put = [&](const std::string& name, double value) { record.metrics[name].push_back(value); };
  for (const auto& [k, suffix] : {std::pair{0, "_50"}, std::pair{1, "_90"}}) {
    put(std::string("coverage") + suffix, m ? m->intervals[k].coverage : nan);
    put(std::string("mean_interval_width") + suffix, m ? m->intervals[k].mean_width : nan);
  }
  for (const auto& [k, suffix] : {std::pair{0, "_50"}, std::pair{1, "_90"}, std::pair{2, "_95"}}) {
    put(std::string("interval_score") + suffix, m ? m->intervals[k].interval_score : nan);
  }
  put("crps", m ? m->crps : nan);
  put("range_error", split ? split->range_error : nan);
  put("null_error", split ? split->null_error : nan);
  put("split_iterations", split ? static_cast<double>(split->record.iterations) : nan);
  put("split_ksp_reason", split ? static_cast<double>(split->record.reason) : nan);
  put("latent_credible_level", run.latent_level);
}

std::vector<double> image_or_nan(Vec vector, std::size_t size) {
  if (vector == nullptr) return std::vector<double>(size, std::numeric_limits<double>::quiet_NaN());
  return petsc::gather_all(vector);
}

class TaskRunner {
 public:
  TaskRunner(const StudySpec& study, const TaskInputs& context,
             std::vector<std::unique_ptr<ReconstructionMethod>>& methods, const std::vector<std::int64_t>& saved_tasks,
             RunLog& log)
      : study_(study), context_(context), methods_(methods), saved_tasks_(saved_tasks), log_(log) {}

  TaskRecord run(const Task& task, std::int64_t& not_converged, MixingTally& mixing) const {
    const auto start = std::chrono::steady_clock::now();
    const ImageShape shape = context_.shape();
    const std::shared_ptr<const ForwardOperator> forward = context_.forward(task);
    const std::vector<double> truth_pixels = context_.truth(task);
    auto truth = forward->make_domain_vector();
    petsc::set_from_global(truth, truth_pixels);
    const Observation observation = context_.observe(task, forward, truth_pixels);
    const Vec data = observation.data;
    const RangeProjector projector(forward);
    const std::vector<double> truth_latent = context_.truth_latent(task);
    // z† means something only in the latent space of the model that made the truth: a
    // method of another model (a GAN against a VAE's truth) gets none, even when the two
    // latent dimensions agree.
    const TruthReference own_model{truth, &projector, truth_latent}, other_model{truth, &projector, {}};

    TaskRecord record;
    record.task = task.id;
    record.data_size = forward->rows();
    record.truth_norm = petsc::norm2(truth);
    record.range_distance = context_.range_distance(task, truth_pixels);
    const bool saved = std::binary_search(saved_tasks_.begin(), saved_tasks_.end(), task.id);
    if (saved) {
      record.truth = truth_pixels;
      auto backprojection = forward->make_domain_vector();
      forward->apply_transpose(data, backprojection);
      record.backprojection = petsc::gather_all(backprojection);
      auto zero_filled = forward->make_domain_vector();
      if (forward->apply_pseudo_inverse(data, zero_filled)) record.zero_filled = petsc::gather_all(zero_filled);
      record.sampling = forward->sampling_pattern();
    }
    for (std::size_t m = 0; m < methods_.size(); ++m) {
      const TruthReference& reference = study_.methods[m].model == task.truth_model ? own_model : other_model;
      const MethodRun method_run = run_method(*methods_[m], study_.methods[m], observation, task.id, reference, log_);
      not_converged += method_run.converged ? 0 : 1;
      mixing.add(m, method_run);
      add_method_metrics(record, method_run);
      add_uncertainty_metrics(record, method_run);
      record.metrics["range_distance"].push_back(own_range_distance(study_.methods[m], task, truth_pixels));
      if (saved) {
        const bool estimated = method_run.metrics.has_value();
        record.means.push_back(
            image_or_nan(estimated ? method_run.outcome.mean.get() : nullptr, static_cast<std::size_t>(shape.size())));
        record.stds.push_back(
            image_or_nan(estimated ? method_run.outcome.std.get() : nullptr, static_cast<std::size_t>(shape.size())));
      }
    }
    record.seconds = elapsed_since(start);
    return record;
  }

 private:
  // The floor of a generator method is the distance to its own generator's range: a GAN's
  // latent_map is judged against the GAN's range, not the [model]'s (docs/results-format.md).
  double own_range_distance(const MethodSpec& method, const Task& task, std::span<const double> truth) const {
    if (!needs_generator(method.options)) return std::numeric_limits<double>::quiet_NaN();
    return context_.range_distance(task, truth, method.model);
  }

  const StudySpec& study_;
  const TaskInputs& context_;
  std::vector<std::unique_ptr<ReconstructionMethod>>& methods_;
  std::vector<std::int64_t> saved_tasks_;  // ascending ids
  RunLog& log_;
};

}  // namespace

RunSummary run_study(const StudySpec& study, const RunOptions& options, const ModelResources& resources,
                     MPI_Comm comm) {
  const auto start = std::chrono::steady_clock::now();
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const std::vector<Task> tasks = enumerate_tasks(study);
  const TaskInputs context(study, resources);
  std::vector<std::unique_ptr<ReconstructionMethod>> methods;
  for (const auto& spec : study.methods) methods.push_back(make_method(spec.options, resources(spec.model)));

  ResultsFile results(options.output, study, tasks, context.shape(), comm, options.provenance);
  PB_REQUIRE(options.shard_count >= 1 && options.shard_index >= 0 && options.shard_index < options.shard_count,
             "--shard ", options.shard_index, "/", options.shard_count, ": expected I/N with 0 <= I < N");
  std::vector<std::int64_t> pending;
  std::int64_t in_shard = 0;
  for (const Task& task : tasks) {
    if (task.id % options.shard_count != options.shard_index) continue;
    ++in_shard;
    if (!results.done()[static_cast<std::size_t>(task.id)]) pending.push_back(task.id);
  }
  if (rank == 0 && !results.damaged().empty()) {
    std::cerr << "priorbench run: " << options.output << ": task(s) " << task_list_text(results.damaged())
              << " were marked done but their rows do not match their checksums (damaged, e.g. by an interrupted "
                 "write or copy); running them again"
              << std::endl;
  }
  RunSummary summary;
  summary.tasks = in_shard;
  summary.already_done = summary.tasks - static_cast<std::int64_t>(pending.size());
  if (rank == 0) {
    std::cout << "priorbench run: study '" << study.name << "', " << summary.tasks << " tasks (" << summary.already_done
              << " already done), " << methods.size() << " methods" << std::endl;
  }

  TaskScheduler scheduler(comm, longest_first(pending, tasks));
  RunLog log(options.log);
  if (rank == 0 && !pending.empty()) {
    log.write("priorbench run: study '" + study.name + "', " + std::to_string(pending.size()) + " tasks to run" +
              (summary.already_done > 0 ? " (resumed)" : ""));
  }
  MixingTally mixing(study);
  const TaskRunner runner(study, context, methods, results.saved_task_ids(), log);
  Progress progress("tasks", static_cast<std::int64_t>(pending.size()), 0.0, 5.0);
  std::int64_t run_here = 0, not_converged = 0;
  double times[2] = {0, 0};  // writing, busy
  while (options.max_tasks < 0 || run_here < options.max_tasks) {
    const auto id = scheduler.next();
    if (!id) break;
    const auto task_start = std::chrono::steady_clock::now();
    const TaskRecord record = runner.run(tasks[static_cast<std::size_t>(*id)], not_converged, mixing);
    const auto write_start = std::chrono::steady_clock::now();
    results.record(record, rank);
    times[0] += elapsed_since(write_start);
    times[1] += elapsed_since(task_start);
    ++run_here;
    const std::int64_t finished = scheduler.finish_one();
    if (rank == 0) progress.advance(finished - progress.done());
  }
  const std::int64_t header = rank == 0 && !pending.empty() ? 1 : 0;
  std::int64_t totals[3] = {run_here, not_converged, log.lines() - header};
  MPI_Allreduce(MPI_IN_PLACE, totals, 3, MPI_INT64_T, MPI_SUM, comm);
  summary.run_now = totals[0];
  summary.not_converged = totals[1];
  summary.logged = totals[2];
  summary.mixing = mixing.combine(comm);
  MPI_Allreduce(MPI_IN_PLACE, times, 2, MPI_DOUBLE, MPI_SUM, comm);
  summary.write_seconds = times[0];
  summary.busy_seconds = times[1];
  summary.seconds = elapsed_since(start);
  return summary;
}

}  // namespace priorbench
