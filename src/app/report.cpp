// `priorbench report`: tables (Markdown, LaTeX, CSV), contraction rates, floors and
// figures from the results file of a study run. Reads serially on rank 0; under mpirun
// the other ranks do nothing. How to read the output: docs/report.md.
//
// Sample runs:
//   priorbench report results/quickstart.h5                  # → results/quickstart-report/
//   priorbench report results/fmnist.h5 -o paper/fmnist --force --bootstrap 5000 --seed 7
//   priorbench report results/quickstart.h5 --no-figures     # tables only, no Python needed

#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "app/command.hpp"
#include "core/error.hpp"
#include "core/output_files.hpp"
#include "core/run_lock.hpp"
#include "core/task_checksum.hpp"
#include "report/analysis.hpp"
#include "report/claims.hpp"
#include "report/figures.hpp"
#include "report/results_reader.hpp"
#include "report/tables.hpp"

namespace priorbench::app {
namespace {

namespace fs = std::filesystem;

struct ReportOptions {
  std::string results;
  std::string output;
  bool force = false;
  std::size_t bootstrap = 2000;
  std::uint64_t seed = 1;
  double level = 0.95;
  bool no_figures = false;
  report::FigureOptions figures;
};

void add_options(CLI::App& command, ReportOptions& o) {
  command.add_option("results", o.results, "Results file of `priorbench run` (format priorbench-study-2 or -1)")
      ->required();
  command.add_option("-o,--output", o.output, "Report directory (default: RESULTS without .h5, plus -report)")
      ->check(non_empty_path());
  command.add_flag("--force", o.force, "Replace the files of an earlier report in the directory (nothing else)");
  command.add_option("--bootstrap", o.bootstrap, "Bootstrap replicates B of every interval")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command.add_option("--seed", o.seed, "Seed of the bootstrap (the report is a function of file and seed)")
      ->capture_default_str();
  command.add_option("--level", o.level, "Confidence level of the intervals")
      ->check(CLI::Range(0.5, 0.999))
      ->capture_default_str();
  command.add_flag("--no-figures", o.no_figures, "Tables only: do not run Python/matplotlib");
  command
      .add_option("--gallery", o.figures.gallery_tasks,
                  "Saved tasks shown in the gallery (default: every task the study saved)")
      ->check(CLI::NonNegativeNumber);
  command.add_option("--plot-script", o.figures.script, "Plotting script (default: scripts/plot_report.py)");
  command.add_option("--python", o.figures.python, "Python with matplotlib and h5py")->capture_default_str();
}

fs::path default_output(const std::string& results) {
  fs::path path(results);
  if (path.extension() == ".h5") path.replace_extension();
  return fs::path(path.string() + "-report");
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  PB_REQUIRE(out.good(), "cannot write ", path.string());
}

// A file a run is still writing is reported as it stands: only its complete tasks.
void warn_if_being_written(const std::string& results) {
  const std::optional<LockHolder> holder = read_lock_holder(lock_path_for(results));
  if (!holder || is_stale(*holder)) return;
  std::cerr << "priorbench report: warning: " << results << " is being written by " << describe_holder(*holder)
            << "; the report covers the tasks complete now" << std::endl;
}

void warn_about_records(const report::Results& results) {
  if (!results.damaged.empty()) {
    std::cerr << "priorbench report: warning: " << results.path << ": task(s) " << task_list_text(results.damaged)
              << " are marked done but their rows do not match their checksums (damaged); they are left out "
                 "(`priorbench run` on the file runs them again)"
              << std::endl;
  }
  if (!results.checksums_recorded) {
    std::cerr << "priorbench report: note: " << results.path << " is of format " << report::kResultsFormatV1
              << ", which records no task checksums: its rows are read unverified" << std::endl;
  }
}

void run_report(const ReportOptions& o) {
  const fs::path output = o.output.empty() ? default_output(o.results) : fs::path(o.output);
  PB_REQUIRE(fs::exists(o.results), "results file ", o.results, " does not exist");
  // Written in a staging directory and moved in when complete; --force replaces only the
  // files of the previous report (its manifest), never anything else in the directory.
  OutputDirectory staging(output, "priorbench report");
  staging.check_writable(o.force);
  // One writer per report directory (core/run_lock.hpp), held until the report is in place.
  const FileLock lock(output, "priorbench report", command_line_text(),
                      [](const std::string& line) { std::cerr << line << std::endl; });
  if (!o.no_figures) {
    report::find_plot_script(o.figures.script);
    report::check_plotting_available(o.figures.python);
  }

  warn_if_being_written(o.results);
  const report::Results results = report::read_results(o.results);
  report::AnalysisOptions options;
  options.bootstrap = {o.bootstrap, o.level, o.seed};
  const report::Analysis analysis = report::analyze(results, options);

  const fs::path& dir = staging.staging();
  fs::create_directories(dir / "figures");
  const report::ClaimsReport claims = report::judge_claims(analysis);
  std::vector<std::string> files;
  const auto write = [&](const std::string& name, const std::string& text) {
    write_text(dir / name, text);
    files.push_back(name);
  };
  write("claims.md", report::claims_markdown(analysis, claims));
  write("claims.csv", report::claims_csv(analysis, claims));
  write("summary.md", report::summary_markdown(analysis));
  write("summary.tex", report::summary_latex(analysis));
  write("summary.csv", report::summary_csv(analysis));
  write("compact.md", report::compact_markdown(analysis));
  write("compact.tex", report::compact_latex(analysis));
  write("compact.csv", report::compact_csv(analysis));
  write("coverage.md", report::coverage_markdown(analysis));
  write("coverage.tex", report::coverage_latex(analysis));
  write("coverage.csv", report::coverage_csv(analysis));
  write("paired.md", report::paired_markdown(analysis));
  write("paired.tex", report::paired_latex(analysis));
  write("paired.csv", report::paired_csv(analysis));
  write("contraction.md", report::contraction_markdown(analysis));
  write("contraction.tex", report::contraction_latex(analysis));
  write("contraction.csv", report::contraction_csv(analysis));
  write("nonconverged.csv", report::nonconverged_csv(analysis));
  if (!analysis.data_size_rates.empty()) write("rates_d.csv", report::data_size_rates_csv(analysis));
  const std::vector<std::string> figures =
      o.no_figures ? std::vector<std::string>{} : report::draw_figures(o.figures, o.results, dir.string());
  if (std::error_code ignored; figures.empty()) fs::remove(dir / "figures", ignored);
  write_text(dir / "report.md",
             report::report_markdown(analysis, report::claims_summary_markdown(claims, analysis), figures, files));
  staging.commit();
  warn_about_records(results);  // after the report is in place: a refusal stays one line

  std::cout << "priorbench report: " << (results.study_name.empty() ? o.results : results.study_name) << " ("
            << o.results << ")\n"
            << report::overview_markdown(analysis) << "\n"
            << "Seed claims (claims.md):\n"
            << report::claims_summary_markdown(claims, analysis) << "\n"
            << report::compact_markdown(analysis, false)
            << "Error and uncertainty per method (coverage, width, interval score, CRPS, range/null parts): "
               "compact.md, coverage.md; paired comparisons: paired.md.\n\n"
            << report::contraction_markdown(analysis, "relative_error", false) << "Rates against log d: "
            << (analysis.data_size_rates.empty() ? "need two or more data sizes" : "in contraction.md and rates_d.csv")
            << "\nwrote " << output.string() << "/: report.md, ";
  for (std::size_t i = 0; i < files.size(); ++i) std::cout << files[i] << (i + 1 < files.size() ? ", " : "");
  if (!figures.empty()) std::cout << ", " << figures.size() << " figures in figures/";
  std::cout << std::endl;
}

}  // namespace

CommandRunner register_report(CLI::App& app) {
  auto* command = app.add_subcommand("report", "Tables, contraction rates and figures from a study's results file");
  auto options = std::make_shared<ReportOptions>();
  add_options(*command, *options);
  return [options](const Session& session) {
    if (session.rank() == 0) run_report(*options);
  };
}

}  // namespace priorbench::app
