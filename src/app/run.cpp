// `priorbench run STUDY -o results/NAME.h5`: a Monte Carlo study (DESIGN §4) on all MPI
// ranks, resumable. Layout of the results: docs/results-format.md. A build from a dirty
// source tree does not write under results/ unless --allow-dirty (study/provenance.hpp).

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
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

// The identity of a study's models, recorded as `model_sha256`: with [model] alone, the
// SHA-256 of its file (as results files have always recorded it); with [models.NAME] too,
// the SHA-256 of the lines "NAME SHA-256" of every model ("model" for [model]), so a
// results file is never resumed with any of them changed. Empty when a model file cannot
// be read: the loader then says what is wrong with it.
struct ModelIdentity {
  std::string sha256;
  std::string description;  // the `models` attribute: "NAME FILE SHA-256" per line
};

ModelIdentity model_identity(const StudySpec& study) {
  std::vector<std::pair<std::string, std::string>> models;  // (name, file)
  if (!study.model_file.empty()) models.emplace_back("model", study.model_file);
  for (const auto& [name, model] : study.named_models) models.emplace_back("models." + name, model.file);
  ModelIdentity identity;
  std::string lines;
  for (const auto& [name, file] : models) {
    if (!std::filesystem::is_regular_file(file)) return {};
    const std::string sha256 = file_sha256(file);
    lines += name + " " + sha256 + "\n";
    identity.description += name + " " + file + " " + sha256 + "\n";
    if (study.named_models.empty()) identity.sha256 = sha256;
  }
  if (!study.named_models.empty()) {
    Sha256 hash;
    hash.update(lines.data(), lines.size());
    identity.sha256 = hex_text(hash.finish());
  }
  return identity;
}

// Each model file with its route ([model] route, [models.NAME] route; the study refuses
// one file given two routes).
GeneratorLoader study_model_loader(const StudySpec& study) {
  std::map<std::string, GeneratorRoute> routes{{study.model_file, study.model_route}};
  for (const auto& [name, model] : study.named_models) routes[model.file] = model.route;
  return [routes](const std::string& path) -> std::shared_ptr<const Generator> {
    return load_generator(path, routes.at(path));
  };
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
    // scancel and time limits leave no lock behind.
    const auto lock = lock_on_rank0(options->output, "priorbench run", command_line_text(), session.comm(),
                                    OnTerminationSignal::remove_lock);
    // The models' identity: a results file is never resumed with another model.
    const ModelIdentity models = model_identity(study);
    const bool has_models = !study.model_file.empty() || !study.named_models.empty();
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
    if (!models.sha256.empty()) run.provenance["model_sha256"] = models.sha256;
    if (!study.named_models.empty() && !models.description.empty()) run.provenance["models"] = models.description;
    // Refused before the model is loaded: another study or model, an older format, a file
    // HDF5 cannot read. (ResultsFile checks again when it opens the file.)
    if (std::filesystem::exists(options->output) && (!has_models || !models.sha256.empty())) {
      run_on_rank0(session.comm(), [&] { check_resumable(options->output, study, models.sha256); });
    }
    check_same_shard(options->output, shard);
    LazyMethodResources resources(study_resource_files(study), study_model_loader(study));
    // The models are loaded (and checked) before the results file exists; their routes are recorded.
    if (!study.model_file.empty()) run.provenance["generator_route"] = resources.view().generator()->route();
    for (const auto& [name, model] : study.named_models) {
      run.provenance["generator_route_" + name] = resources.view(name).generator()->route();
    }
    const RunSummary summary = run_study(
        study, run, [&resources](const std::string& model) { return resources.view(model); }, session.comm());
    if (session.rank() == 0) print_summary(summary, options->output, run.log);
  };
}

}  // namespace priorbench::app
