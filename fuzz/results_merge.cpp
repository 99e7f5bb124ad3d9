// Shard files as `priorbench merge` and `priorbench submit` read them (study/merge.hpp):
// the two shards of a study written by ResultsFile, each edited by its part of the input
// (fuzz/hdf5_layout.hpp), merged into a new file, and checked for progress as submit
// does.

#include <filesystem>

#include "results_baseline.hpp"
#include "study/merge.hpp"
#include "support.hpp"

namespace pb = priorbench;
namespace pf = priorbench::fuzz;

namespace {

const pf::Hdf5Layout& shard(int index) {
  static const pf::Hdf5Layout shards[] = {pf::baseline_results(0, 2), pf::baseline_results(1, 2)};
  return shards[index];
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pf::initialize_process_with_petsc();
  shard(0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const pf::Vocabulary vocabulary = pf::results_vocabulary();
  FuzzedDataProvider input(data, size);
  std::vector<std::string> paths;
  for (int index = 0; index < 2; ++index) {
    pf::Hdf5Layout layout = shard(index);
    pf::edit_layout(layout, input, vocabulary, input.ConsumeIntegralInRange<std::size_t>(0, 12));
    paths.push_back(pf::scratch_path("shard-" + std::to_string(index) + ".h5"));
    pf::write_layout(layout, paths.back());
  }
  const std::string merged = pf::scratch_path("merged.h5");
  pf::expect_success_or_error([&] { pb::merge_results(paths, merged); });
  pf::expect_success_or_error([&] { pb::read_results_progress(paths[0], pf::baseline_study(), 0, 2); });
  return 0;
}
