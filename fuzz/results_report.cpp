// Results files as `priorbench report` reads them (report/results_reader.hpp): a valid
// file written by ResultsFile, edited by the input (fuzz/hdf5_layout.hpp), read whole and
// analysed (with few bootstrap replicates) into its summary table.

#include "report/analysis.hpp"
#include "report/results_reader.hpp"
#include "report/tables.hpp"
#include "results_baseline.hpp"
#include "support.hpp"

namespace pb = priorbench;
namespace pf = priorbench::fuzz;

namespace {

const pf::Hdf5Layout& base() {
  static const pf::Hdf5Layout layout = pf::baseline_results(0, 1);
  return layout;
}

void report(const std::string& path) {
  const pb::report::Results results = pb::report::read_results(path);
  pb::report::AnalysisOptions options;
  options.bootstrap.replicates = 20;
  pb::report::summary_markdown(pb::report::analyze(results, options));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pf::initialize_process_with_petsc();
  base();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const pf::Vocabulary vocabulary = pf::results_vocabulary();
  FuzzedDataProvider input(data, size);
  pf::Hdf5Layout layout = base();
  pf::edit_layout(layout, input, vocabulary);
  const std::string path = pf::scratch_path("results.h5");
  pf::write_layout(layout, path);
  pf::expect_success_or_error([&] { report(path); });
  return 0;
}
