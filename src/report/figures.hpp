#pragma once
// The figures of a report are drawn by scripts/plot_report.py (matplotlib, Agg backend)
// run with Debian's /usr/bin/python3, which sees python3-matplotlib and python3-h5py.
// It reads the report's CSV tables and, for the gallery, the results file itself.

#include <string>
#include <vector>

namespace priorbench::report {

struct FigureOptions {
  std::string python = "/usr/bin/python3";
  std::string script;      // empty: find_plot_script()
  int gallery_tasks = -1;  // saved tasks shown in the gallery; -1: every saved task
};

// The plotting script: `explicit_path` if given, else $PRIORBENCH_PLOT_SCRIPT, else
// scripts/plot_report.py of the source tree holding the executable (build/<preset>/ or
// build/), else <prefix>/share/priorbench/plot_report.py. An error lists where it looked.
std::string find_plot_script(const std::string& explicit_path);

// Fails with an error that says what to install unless `python` runs and imports
// matplotlib, h5py and numpy.
void check_plotting_available(const std::string& python);

// Runs the script on a report directory holding summary.csv and contraction.csv; the
// PNGs go to `report_directory`/figures. Returns their paths relative to the directory.
std::vector<std::string> draw_figures(const FigureOptions& options, const std::string& results_path,
                                      const std::string& report_directory);

}  // namespace priorbench::report
