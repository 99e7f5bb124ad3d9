// The log of a study run (study/run_log.hpp): lines appended whole by several writers, never
// truncated, next to the results file under a name a shell redirection would not take.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "study/run_log.hpp"
#include "test_support.hpp"

namespace pb = priorbench;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RunLog, WritersAppendWholeLinesAndNeverTruncate) {
  const pb::testing_support::TempDir directory("run_log");
  const std::string path = directory.file("study.warnings.log");
  {
    std::ofstream earlier(path);
    earlier << "from an earlier run\n";
  }
  {
    pb::RunLog first(path), second(path);  // two ranks on one file
    first.write("task 0, method a: one");
    second.write("task 1, method a: two");
    first.write(std::string(100000, 'x'));  // longer than any pipe buffer: still one line
    second.write("task 2, method a: three");
    EXPECT_EQ(first.lines(), 2);
    EXPECT_EQ(second.lines(), 2);
  }
  EXPECT_EQ(read_all(path), "from an earlier run\ntask 0, method a: one\ntask 1, method a: two\n" +
                                std::string(100000, 'x') + "\ntask 2, method a: three\n");
  pb::testing_support::expect_error([&] { pb::RunLog(directory.file("no/such/dir/x.log")); },
                                    {"cannot open the run log", "no/such/dir/x.log"});
}

TEST(RunLog, SitsNextToTheResultsFile) {
  EXPECT_EQ(pb::log_path_for("results/quickstart.h5"), "results/quickstart.warnings.log");
  EXPECT_EQ(pb::log_path_for("/data/run"), "/data/run.warnings.log");
}

}  // namespace
