#include "report/figures.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"
#include "core/subprocess.hpp"

namespace priorbench::report {
namespace {

namespace fs = std::filesystem;

fs::path executable_directory() {
  const fs::path self = executable_path();
  return self.empty() ? fs::path() : self.parent_path();
}

}  // namespace

std::string find_plot_script(const std::string& explicit_path) {
  if (!explicit_path.empty()) {
    PB_REQUIRE(fs::is_regular_file(explicit_path), "plotting script ", explicit_path, " does not exist");
    return explicit_path;
  }
  std::vector<fs::path> candidates;
  if (const char* from_environment = std::getenv("PRIORBENCH_PLOT_SCRIPT"); from_environment && *from_environment) {
    candidates.emplace_back(from_environment);
  }
  if (const fs::path bin = executable_directory(); !bin.empty()) {
    candidates.push_back(bin / "../../scripts/plot_report.py");  // build/release/priorbench
    candidates.push_back(bin / "../scripts/plot_report.py");     // build/priorbench
    candidates.push_back(bin / "../share/priorbench/plot_report.py");
  }
  std::string searched;
  for (const auto& candidate : candidates) {
    if (fs::is_regular_file(candidate)) return fs::weakly_canonical(candidate).string();
    searched += (searched.empty() ? "" : ", ") + candidate.lexically_normal().string();
  }
  PB_FAIL("cannot find the plotting script plot_report.py (looked in: ", searched,
          "); set PRIORBENCH_PLOT_SCRIPT, pass --plot-script, or use --no-figures");
}

void check_plotting_available(const std::string& python) {
  PB_REQUIRE(fs::exists(python), "figures need ", python,
             ", which does not exist; install Debian's python3-matplotlib and python3-h5py (scripts/install-deps.sh) "
             "or pass --no-figures");
  const int status = run_program({python, "-c", "import matplotlib, h5py, numpy"}, ChildOutput::discard).status;
  PB_REQUIRE(status == 0, "figures need matplotlib, h5py and numpy for ", python,
             ", which cannot import them; install Debian's python3-matplotlib and python3-h5py "
             "(scripts/install-deps.sh) or pass --no-figures");
}

std::vector<std::string> draw_figures(const FigureOptions& options, const std::string& results_path,
                                      const std::string& report_directory) {
  const std::string script = find_plot_script(options.script);
  const fs::path directory(report_directory);
  const int status =
      run_program({options.python, script, "--results", results_path, "--summary", (directory / "summary.csv").string(),
                   "--contraction", (directory / "contraction.csv").string(), "--out", (directory / "figures").string(),
                   "--gallery", std::to_string(options.gallery_tasks)},
                  ChildOutput::inherit)
          .status;
  PB_REQUIRE(status == 0, "drawing the figures failed (", script, " exited with status ", status,
             "; its messages are above); --no-figures skips them");
  std::vector<std::string> figures;
  if (fs::is_directory(directory / "figures")) {
    for (const auto& entry : fs::directory_iterator(directory / "figures")) {
      if (entry.path().extension() == ".png") figures.push_back("figures/" + entry.path().filename().string());
    }
  }
  // The order of docs/report.md: error against σ and d, coverage and calibration, the failed
  // runs, then the gallery.
  const auto rank = [](const std::string& name) {
    const std::vector<std::string> order = {"error_vs_sigma", "error_vs_d", "coverage_vs_sigma", "coverage_levels",
                                            "gallery_failures"};
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (name.find(order[i]) != std::string::npos) return i;
    }
    return order.size();
  };
  std::sort(figures.begin(), figures.end(),
            [&](const std::string& a, const std::string& b) { return rank(a) != rank(b) ? rank(a) < rank(b) : a < b; });
  return figures;
}

}  // namespace priorbench::report
