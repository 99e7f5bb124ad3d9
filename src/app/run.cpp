// `priorbench run STUDY -o results/NAME.h5`: a Monte Carlo study (DESIGN §4) on all MPI
// ranks, resumable. Layout of the results: docs/results-format.md. A build from a dirty
// source tree does not write under results/ unless --allow-dirty (study/provenance.hpp).

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <sstream>
#include <tuple>

#include "app/command.hpp"
#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/progress.hpp"
#include "core/run_lock.hpp"
#include "core/sha256.hpp"
#include "core/version.hpp"
#include "core/versions.hpp"
#include "generative/torch/generator_loader.hpp"
#include "methods/method_resources.hpp"
#include "study/provenance.hpp"
#include "study/results_file.hpp"
#include "study/run_log.hpp"
#include "study/study_runner.hpp"

namespace priorbench::app {
namespace {

struct RunCommandOptions {
  std::string study;
  std::string output;
  std::int64_t max_tasks = -1;
  std::string shard;
  bool allow_dirty = false;
};

// "I/N" → (I, N).
std::pair<int, int> parse_shard(const std::string& text) {
  int index = 0, count = 0;
  char slash = 0;
  std::istringstream in(text);
  PB_REQUIRE((in >> index >> slash >> count) && slash == '/' && in.eof() && count >= 1 && index >= 0 && index < count,
             "--shard: expected I/N with 0 <= I < N, got '", text, "'");
  return {index, count};
}

// A results file written for one shard must not be resumed as another (or as the whole
// study): its tasks would then be done in two shards.
void check_same_shard(const std::string& output, const std::string& shard) {
  if (!std::filesystem::exists(output)) return;
  std::string recorded;
  {
    auto file = h5::open_file(output);
    if (h5::has_attribute(file, "shard")) recorded = read_text_attribute(file, "shard");
  }
  PB_REQUIRE(recorded == shard, "-o ", output, " holds ", recorded.empty() ? "an unsharded run" : "shard " + recorded,
             ", not ", shard.empty() ? "an unsharded run" : "shard " + shard, "; use another output file");
}

std::string number_text(const char* format, double value) {
  char text[32];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// One line per sampler method: how many runs met the convergence contract, the worst R̂ and
// the smallest ESS.
void print_mixing(const SamplerMixing& mixing) {
  std::cout << "priorbench run: " << mixing.label << " mixing: " << mixing.converged << " of " << mixing.runs
            << " runs converged; worst R-hat "
            << (std::isfinite(mixing.max_rhat) ? number_text("%.4f", mixing.max_rhat) : "not finite")
            << ", smallest bulk ESS " << number_text("%.0f", mixing.min_ess_bulk);
  if (!std::isnan(mixing.min_ess_tail)) std::cout << ", smallest tail ESS " << number_text("%.0f", mixing.min_ess_tail);
  std::cout << std::endl;
}

void print_summary(const RunSummary& summary, const std::string& output, const std::string& log) {
  for (const SamplerMixing& mixing : summary.mixing) print_mixing(mixing);
  std::cout << "priorbench run: " << summary.run_now << " tasks run now, " << summary.already_done << " found done, "
            << summary.tasks << " in the study; " << summary.not_converged << " method runs did not converge";
  if (summary.logged > 0) std::cout << " (" << summary.logged << " warnings in " << log << ")";
  std::cout << "; " << Progress::format_duration(summary.seconds) << "; results in " << output << std::endl;
}

}  // namespace

CommandRunner register_run(CLI::App& app) {
  auto* command = app.add_subcommand("run", "Run a Monte Carlo study (resumes an existing results file)");
  auto options = std::make_shared<RunCommandOptions>();
  command->add_option("study", options->study, "Study file (studies/*.toml, docs/study-format.md)")->required();
  command->add_option("-o,--output", options->output, "Results file (HDF5); rerunning resumes it")
      ->required()
      ->check(non_empty_path());
  command->add_option("--max-tasks", options->max_tasks, "Stop after this many tasks per rank (for testing)")
      ->check(CLI::Range(std::int64_t{0}, std::numeric_limits<std::int64_t>::max()));
  command->add_option("--shard", options->shard, "Run only shard I of N (tasks with id % N == I), e.g. 0/4");
  command->add_flag("--allow-dirty", options->allow_dirty,
                    "Write under results/ even from a build of a dirty source tree (recorded in the file)");
  return [options](const Session& session) {
    require_reproducible_output(options->output, kGitTree, kGitVersion, options->allow_dirty);
    const StudySpec study = read_study(options->study);
    const auto directory = std::filesystem::absolute(options->output).parent_path();
    PB_REQUIRE(std::filesystem::is_directory(directory), "-o ", options->output, ": directory ", directory.string(),
               " does not exist");
    // One run per results file: the lock is held until this function returns or throws.
    const auto lock = lock_on_rank0(options->output, "priorbench run", command_line_text(), session.comm());
    if (lock) lock->remove_on_termination_signals();  // scancel and time limits leave no lock behind
    // The model's identity: a results file is never resumed with another model. A model
    // file that cannot be read is left to the loader below, which says what is wrong with it.
    const bool model_readable = !study.model_file.empty() && std::filesystem::is_regular_file(study.model_file);
    const std::string model_sha256 = model_readable ? file_sha256(study.model_file) : "";
    RunOptions run;
    run.output = options->output;
    run.max_tasks = options->max_tasks;
    run.log = log_path_for(options->output);
    if (!options->shard.empty()) std::tie(run.shard_index, run.shard_count) = parse_shard(options->shard);
    run.provenance = {{"priorbench_version", kVersion},
                      {"git_version", kGitVersion},
                      {"git_dirty", git_dirty_attribute(kGitTree)},
                      {"libraries", library_versions()},
                      {"command_line", command_line_text()},
                      {"ranks", std::to_string(session.size())}};
    const std::string shard =
        options->shard.empty() ? "" : std::to_string(run.shard_index) + "/" + std::to_string(run.shard_count);
    if (!shard.empty()) run.provenance["shard"] = shard;
    if (!model_sha256.empty()) run.provenance["model_sha256"] = model_sha256;
    // Refused before the model is loaded: another study or model, an older format, a file
    // HDF5 cannot read. (ResultsFile checks again when it opens the file.)
    if (std::filesystem::exists(options->output) && (study.model_file.empty() || model_readable)) {
      run_on_rank0(session.comm(), [&] { check_resumable(options->output, study, model_sha256); });
    }
    check_same_shard(options->output, shard);
    LazyMethodResources resources(
        study_resource_files(study),
        [route = study.model_route](const std::string& path) -> std::shared_ptr<const Generator> {
          return load_generator(path, route);
        });
    // The model is loaded (and checked) before the results file exists; its route is recorded.
    if (!study.model_file.empty()) run.provenance["generator_route"] = resources.view().generator()->route();
    const RunSummary summary = run_study(study, run, resources.view(), session.comm());
    if (session.rank() == 0) print_summary(summary, options->output, run.log);
  };
}

}  // namespace priorbench::app
