#pragma once
// Batch scripts for SLURM (`priorbench submit`), rendered from the templates in jobs/.
//
// A study is submitted either as one MPI job (run.sbatch: `run`, then `report`) or as a
// job array of N shards (shard.sbatch: element I runs `run --shard I/N` into its own
// file) followed by a merge job (merge.sbatch: `merge`, then `report`) that depends on
// the array with afterok. Everything of one submission lives beside the results file:
//
//   results/NAME.h5                      the results (merged, or written by the single job)
//   results/NAME-report/                 the report
//   results/NAME.jobs/run.sbatch         the rendered scripts (rewritten at each submission)
//   results/NAME.jobs/shard.sbatch, merge.sbatch
//   results/NAME.jobs/shard-I-of-N.h5    the shard files
//   results/NAME.jobs/logs/JOB-%A_%a.out the job logs (JOB = pb-STUDY-run|shard|merge)
//   results/NAME.jobs/submissions.log    one line per submission: time, job ids, command
//
// A template is text with placeholders {{name}} (jobs/README.md lists them). A line that
// holds nothing but a placeholder whose value is empty is dropped, so optional #SBATCH
// lines and set-up leave no blank lines behind.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace priorbench::slurm {

// What a site needs in its batch scripts. Empty strings are left out.
struct SiteOptions {
  std::string partition;
  std::string account;
  std::string qos;
  std::string time_limit;                // as sbatch takes it: MM, HH:MM:SS, D-HH:MM, ...
  std::string memory;                    // per node, as sbatch takes it: 4G, 16000M, ...
  int nodes = 1;                         // per job (per shard of an array)
  int tasks_per_node = 1;                // MPI ranks per node
  std::vector<std::string> extra_lines;  // "--constraint=x" or "#SBATCH --constraint=x"
  std::string site_file;                 // shell set-up (module loads) copied into every script
  std::string launcher = "srun";         // starts the MPI ranks inside a job
};

// Where the files of one submitted study go (see the layout above); paths are absolute.
struct StudyJobs {
  std::string study_name;
  std::filesystem::path study;
  std::filesystem::path output;
  std::filesystem::path report;  // empty: no report
  std::filesystem::path priorbench;
  int shard_count = 1;
  bool allow_dirty = false;  // the run and shard jobs pass --allow-dirty to `priorbench run`

  // `output` is made absolute; the report directory is OUTPUT without .h5 plus -report,
  // as `priorbench report` chooses by default.
  StudyJobs(std::string study_name, const std::filesystem::path& study, const std::filesystem::path& output,
            bool with_report, const std::filesystem::path& priorbench, int shard_count);

  std::filesystem::path job_directory() const;
  std::filesystem::path log_directory() const { return job_directory() / "logs"; }
  std::filesystem::path shard_file(int index) const;
  std::vector<std::filesystem::path> shard_files() const;
  // "pb-STUDY-run", "pb-STUDY-shard", "pb-STUDY-merge", the study name reduced to
  // letters, digits, '.', '_' and '-'.
  std::string job_name(std::string_view role) const;
  // The log of one job: `job_id` is the job (or array job) id; `array_index` < 0 for a
  // job that is not an array.
  std::filesystem::path log_file(std::string_view role, const std::string& job_id, int array_index = -1) const;
};

struct BatchScript {
  std::string role;  // "run", "shard" or "merge"
  std::filesystem::path path;
  std::string text;
};

// `word` as one shell word: unchanged when it holds only safe characters, else in single quotes.
std::string shell_quote(std::string_view word);
// {0, 1, 2, 5, 7, 8} → "0-2,5,7-8" (sbatch --array); `indices` sorted and distinct.
std::string array_ranges(const std::vector<int>& indices);
// Replaces every {{name}}; an unknown placeholder, or one left unclosed, is an error
// naming `template_name`.
std::string render(std::string_view text, const std::map<std::string, std::string>& values,
                   const std::string& template_name);
// Template `name` ("run", "shard", "merge"): DIRECTORY/NAME.sbatch.in when a directory is
// given, else the copy of jobs/NAME.sbatch.in compiled into the program.
std::string load_template(const std::string& name, const std::string& directory);

// Checks the site options (positive counts; no line breaks or stray characters that would
// break a script) and reads the site file. Errors name the option and value.
void check_site_options(const SiteOptions& site);

BatchScript run_script(const StudyJobs& jobs, const SiteOptions& site, const std::string& template_directory);
BatchScript shard_script(const StudyJobs& jobs, const SiteOptions& site, const std::string& template_directory);
BatchScript merge_script(const StudyJobs& jobs, const SiteOptions& site, const std::string& template_directory);

}  // namespace priorbench::slurm
