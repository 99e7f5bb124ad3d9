// Batch scripts of `priorbench submit` (study/slurm_jobs.hpp): the template language,
// shell quoting (checked by running the quoted words through bash), array ranges, and the
// rendered scripts' #SBATCH lines, commands and file layout.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/subprocess.hpp"
#include "study/slurm_jobs.hpp"

namespace priorbench::slurm {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(SlurmTemplates, ReplacesPlaceholdersAndDropsLinesLeftEmpty) {
  const std::map<std::string, std::string> values = {{"a", "x"}, {"b", "y z"}, {"empty", ""}};
  EXPECT_EQ(render("one {{a}} two {{b}}\n{{empty}}\n  {{empty}}{{empty}}\nkeep {{empty}}\n{{a}}{{b}}\n", values, "t"),
            "one x two y z\nkeep \nxy z\n");
}

TEST(SlurmTemplates, RefusesUnknownAndUnclosedPlaceholders) {
  EXPECT_TRUE(contains(error_of([] {
                         render("a\n#SBATCH {{nodez}}\n", {{"nodes", "1"}}, "run.sbatch.in");
                       }),
                       "template run.sbatch.in line 2: unknown placeholder {{nodez}}"));
  EXPECT_TRUE(contains(error_of([] {
                         render("{{nodes\n", {{"nodes", "1"}}, "t");
                       }),
                       "template t line 1: '{{' without a closing '}}'"));
}

TEST(SlurmTemplates, ShellQuotingSurvivesBash) {
  const std::vector<std::string> words = {"plain/path.h5", "with space", "it's", "$HOME", "a\"b", "*", "", "x;y"};
  std::string script = "printf '%s\\n'";
  std::string expected;
  for (const auto& word : words) {
    script += " " + shell_quote(word);
    expected += word + "\n";
  }
  const ProgramResult result = run_program({"bash", "-c", script}, ChildOutput::capture);
  ASSERT_EQ(result.status, 0) << result.errors;
  EXPECT_EQ(result.output, expected);
  EXPECT_EQ(shell_quote("results/a-b_c.h5"), "results/a-b_c.h5");
}

TEST(SlurmTemplates, ArrayRanges) {
  EXPECT_EQ(array_ranges({}), "");
  EXPECT_EQ(array_ranges({3}), "3");
  EXPECT_EQ(array_ranges({0, 1, 2, 5, 7, 8}), "0-2,5,7-8");
  EXPECT_EQ(array_ranges({1, 3, 5}), "1,3,5");
}

TEST(SlurmTemplates, TheBuiltInTemplatesAreTheFilesInJobs) {
  const char* source = std::getenv("PRIORBENCH_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  for (const char* name : {"run", "shard", "merge"}) {
    std::ifstream in(fs::path(source) / "jobs" / (std::string(name) + ".sbatch.in"));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(load_template(name, ""), text) << name;
  }
}

class SlurmScripts : public ::testing::Test {
 protected:
  StudyJobs jobs{"my study", "studies/s.toml", "/data/results/s.h5", true, "/opt/pb/bin/priorbench", 3};
  SiteOptions site;
};

TEST_F(SlurmScripts, LayoutBesideTheResultsFile) {
  EXPECT_EQ(jobs.job_directory(), fs::path("/data/results/s.jobs"));
  EXPECT_EQ(jobs.report, fs::path("/data/results/s-report"));
  EXPECT_EQ(jobs.shard_file(2), fs::path("/data/results/s.jobs/shard-2-of-3.h5"));
  EXPECT_EQ(jobs.job_name("shard"), "pb-my-study-shard");
  EXPECT_EQ(jobs.log_file("shard", "41", 2), fs::path("/data/results/s.jobs/logs/pb-my-study-shard-41_2.out"));
  EXPECT_EQ(jobs.log_file("merge", "42"), fs::path("/data/results/s.jobs/logs/pb-my-study-merge-42.out"));
  EXPECT_EQ(jobs.study, fs::absolute("studies/s.toml"));
  EXPECT_TRUE(contains(error_of([] { StudyJobs("s", "s.toml", "out.hdf5", true, "pb", 1); }), "must end in .h5"));
}

TEST_F(SlurmScripts, ShardArrayScript) {
  site.partition = "compute";
  site.account = "proj42";
  site.qos = "normal";
  site.time_limit = "02:00:00";
  site.memory = "8G";
  site.nodes = 2;
  site.tasks_per_node = 16;
  site.extra_lines = {"--constraint=haswell", "#SBATCH --exclusive"};
  site.launcher = "srun --mpi=pmix";
  const BatchScript script = shard_script(jobs, site, "");
  EXPECT_EQ(script.path, fs::path("/data/results/s.jobs/shard.sbatch"));
  for (const char* line :
       {"#SBATCH --job-name=pb-my-study-shard\n",
        "#SBATCH --output=/data/results/s.jobs/logs/pb-my-study-shard-%A_%a.out\n", "#SBATCH --nodes=2\n",
        "#SBATCH --ntasks-per-node=16\n", "#SBATCH --partition=compute\n", "#SBATCH --account=proj42\n",
        "#SBATCH --qos=normal\n", "#SBATCH --time=02:00:00\n", "#SBATCH --mem=8G\n", "#SBATCH --constraint=haswell\n",
        "#SBATCH --exclusive\n", "srun --mpi=pmix /opt/pb/bin/priorbench run " /* study path follows */}) {
    EXPECT_TRUE(contains(script.text, line)) << line << " not in\n" << script.text;
  }
  EXPECT_TRUE(contains(script.text, "-o /data/results/s.jobs/shard-${shard}-of-3.h5 --shard ${shard}/3\n"));
  EXPECT_FALSE(contains(script.text, "{{"));
  EXPECT_FALSE(contains(script.text, "\n\n\n"));
  // Every #SBATCH line comes before the first command, or sbatch ignores it.
  EXPECT_LT(script.text.rfind("#SBATCH"), script.text.find("\nset -euo pipefail"));
}

TEST_F(SlurmScripts, MergeAndRunScripts) {
  const BatchScript merge = merge_script(jobs, site, "");
  EXPECT_TRUE(contains(merge.text,
                       "/opt/pb/bin/priorbench merge -o /data/results/s.h5 "
                       "/data/results/s.jobs/shard-0-of-3.h5 /data/results/s.jobs/shard-1-of-3.h5 "
                       "/data/results/s.jobs/shard-2-of-3.h5\n"));
  EXPECT_TRUE(contains(merge.text, "/opt/pb/bin/priorbench report /data/results/s.h5 -o /data/results/s-report\n"));
  EXPECT_TRUE(contains(merge.text, "#SBATCH --ntasks=1\n"));
  const StudyJobs no_report("s", "s.toml", "/r/s.h5", false, "/pb", 1);
  const BatchScript run = run_script(no_report, site, "");
  EXPECT_TRUE(contains(run.text, "srun /pb run "));
  EXPECT_TRUE(contains(run.text, " -o /r/s.h5\n"));
  EXPECT_FALSE(contains(run.text, " report "));
}

TEST_F(SlurmScripts, SiteFileGoesIntoEveryScriptBeforeStrictMode) {
  const fs::path file = fs::temp_directory_path() / "priorbench-test-site.sh";
  std::ofstream(file) << "module load openmpi/4\nexport OMP_NUM_THREADS=1\n";
  site.site_file = file.string();
  for (const auto& script : {run_script(jobs, site, ""), shard_script(jobs, site, ""), merge_script(jobs, site, "")}) {
    const auto setup = script.text.find("module load openmpi/4\nexport OMP_NUM_THREADS=1\n");
    ASSERT_NE(setup, std::string::npos) << script.role;
    // Module systems often trip over `set -u`, so the set-up runs before it.
    EXPECT_LT(setup, script.text.find("set -euo pipefail")) << script.role;
  }
  fs::remove(file);
}

TEST_F(SlurmScripts, TemplatesFromADirectory) {
  const fs::path directory = fs::temp_directory_path() / "priorbench-test-templates";
  fs::create_directories(directory);
  std::ofstream(directory / "run.sbatch.in") << "#!/bin/sh\n#SBATCH -J {{job_name}}\n{{launcher}} {{priorbench}}\n";
  EXPECT_EQ(run_script(jobs, site, directory.string()).text,
            "#!/bin/sh\n#SBATCH -J pb-my-study-run\nsrun /opt/pb/bin/priorbench\n");
  EXPECT_TRUE(
      contains(error_of([&] { shard_script(jobs, site, directory.string()); }), "shard.sbatch.in cannot be read"));
  fs::remove_all(directory);
}

TEST(SlurmSiteOptions, RefusedWithTheOptionAndValue) {
  const auto refusal = [](auto change) {
    SiteOptions site;
    change(site);
    return error_of([&] { check_site_options(site); });
  };
  EXPECT_TRUE(contains(refusal([](SiteOptions& s) { s.nodes = 0; }), "--nodes 0: must be at least 1"));
  EXPECT_TRUE(contains(refusal([](SiteOptions& s) { s.tasks_per_node = -2; }), "--tasks-per-node -2"));
  EXPECT_TRUE(contains(refusal([](SiteOptions& s) { s.partition = "a b"; }), "--partition 'a b' must not contain"));
  EXPECT_TRUE(contains(refusal([](SiteOptions& s) { s.extra_lines = {"exclusive"}; }),
                       "--sbatch 'exclusive': expected an sbatch option"));
  EXPECT_TRUE(contains(refusal([](SiteOptions& s) { s.extra_lines = {"--a\n--b"}; }), "without line breaks"));
  EXPECT_TRUE(contains(refusal([](SiteOptions& s) { s.site_file = "/no/such/site.sh"; }),
                       "--site /no/such/site.sh: no such file"));
  EXPECT_EQ(refusal([](SiteOptions&) {}), "");
}

}  // namespace
}  // namespace priorbench::slurm
