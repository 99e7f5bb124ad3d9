// `priorbench merge -o merged.h5 shard0.h5 shard1.h5 ...`: one results file from the
// shards of `priorbench run --shard I/N`. Refuses shards of different studies or code
// versions, and any task done twice or not at all.

#include <CLI/CLI.hpp>

#include <iostream>

#include "app/command.hpp"
#include "study/merge.hpp"

namespace priorbench::app {

CommandRunner register_merge(CLI::App& app) {
  auto* command = app.add_subcommand("merge", "Merge the results files of a sharded study");
  auto shards = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>();
  command->add_option("shards", *shards, "Shard results files (priorbench run --shard I/N)")->required();
  command->add_option("-o,--output", *output, "Merged results file (must not exist)")
      ->required()
      ->check(non_empty_path());
  return [shards, output](const Session& session) {
    if (session.rank() != 0) return;
    const MergeSummary summary = merge_results(*shards, *output, command_line_text());
    std::cout << "priorbench merge: " << summary.tasks << " tasks from " << shards->size() << " shards (";
    for (std::size_t s = 0; s < summary.tasks_per_shard.size(); ++s) {
      std::cout << (s ? ", " : "") << summary.tasks_per_shard[s];
    }
    std::cout << ") into " << *output << "; code " << summary.code << ", "
              << (summary.git_dirty == "true"    ? "built from a DIRTY source tree"
                  : summary.git_dirty == "false" ? "built from a clean source tree"
                                                 : "source tree state not recorded")
              << std::endl;
  };
}

}  // namespace priorbench::app
