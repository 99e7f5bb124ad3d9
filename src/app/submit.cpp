// `priorbench submit STUDY -o results/NAME.h5`: runs a study on a SLURM cluster, as one
// MPI job or as a job array of shards plus a merge job (study/slurm_jobs.hpp has the file
// layout). Resubmitting resumes: finished shards are not rerun, unfinished ones resume
// their files. Runs on rank 0 only (it is meant for a login node).
//
// Sample runs:
//   priorbench submit studies/fmnist-consistency.toml -o results/fmnist.h5 --shards 8
//       --partition compute --account proj42 --time 02:00:00 --tasks-per-node 16 --site site.sh
//   priorbench submit studies/quickstart.toml -o results/quickstart.h5 --dry-run
//   priorbench submit studies/quickstart.toml -o results/quickstart.h5 --shards 2 --status

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "app/command.hpp"
#include "core/error.hpp"
#include "core/output_files.hpp"
#include "core/subprocess.hpp"
#include "study/merge.hpp"
#include "study/slurm_jobs.hpp"
#include "study/study_spec.hpp"
#include "study/tasks.hpp"

namespace priorbench::app {
namespace {

namespace fs = std::filesystem;
using slurm::BatchScript;
using slurm::StudyJobs;

struct SubmitOptions {
  std::string study;
  std::string output;
  int shards = 1;
  slurm::SiteOptions site;
  std::string templates;
  bool no_report = false;
  bool dry_run = false;
  bool status = false;
  bool wait = false;
  double poll_seconds = 10;
};

void add_options(CLI::App& command, SubmitOptions& o) {
  command.add_option("study", o.study, "Study file (studies/*.toml, docs/study-format.md)")->required();
  command.add_option("-o,--output", o.output, "Results file (HDF5); the jobs' files go to OUTPUT without .h5 + .jobs/")
      ->required();
  command.add_option("--shards", o.shards, "1: one MPI job; N > 1: a job array of N shards and a merge job")
      ->capture_default_str();
  command.add_option("--partition", o.site.partition, "SLURM partition");
  command.add_option("--account", o.site.account, "SLURM account to charge");
  command.add_option("--qos", o.site.qos, "SLURM quality of service");
  command.add_option("--nodes", o.site.nodes, "Nodes per job (per shard)")->capture_default_str();
  command.add_option("--tasks-per-node", o.site.tasks_per_node, "MPI ranks per node")->capture_default_str();
  command.add_option("--time", o.site.time_limit, "Time limit per job, as sbatch takes it (e.g. 02:00:00)");
  command.add_option("--mem", o.site.memory, "Memory per node, as sbatch takes it (e.g. 8G)");
  command.add_option("--sbatch", o.site.extra_lines, "Extra #SBATCH option for every job (repeatable)");
  command.add_option("--site", o.site.site_file, "Shell set-up (module loads, exports) copied into every script");
  command.add_option("--launcher", o.site.launcher, "Command that starts the MPI ranks in a job")
      ->capture_default_str();
  command.add_option("--templates", o.templates, "Directory of run/shard/merge.sbatch.in (default: the built-in ones)");
  command.add_flag("--no-report", o.no_report, "Do not run `priorbench report` at the end");
  command.add_flag("--dry-run", o.dry_run, "Print the scripts and sbatch commands; submit nothing");
  command.add_flag("--status", o.status, "Print what is done and queued; submit nothing");
  command.add_flag("--wait", o.wait, "Wait for the jobs and report how each ended (exit status 1 if any failed)");
  command.add_option("--poll-seconds", o.poll_seconds, "How often --wait asks squeue")->capture_default_str();
}

// ---- talking to SLURM -------------------------------------------------------------------

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

ProgramResult run_slurm_command(const std::vector<std::string>& arguments) {
  ProgramResult result = run_program(arguments, ChildOutput::capture);
  PB_REQUIRE(result.started, arguments.front(),
             " cannot be started: is SLURM's client installed and on PATH? (Debian: slurm-client)");
  return result;
}

// Submits `script`; returns the job id (`sbatch --parsable` prints "ID" or "ID;CLUSTER").
std::string sbatch(const std::vector<std::string>& options, const fs::path& script) {
  std::vector<std::string> arguments = {"sbatch", "--parsable"};
  arguments.insert(arguments.end(), options.begin(), options.end());
  arguments.push_back(script.string());
  const ProgramResult result = run_slurm_command(arguments);
  PB_REQUIRE(result.status == 0, "sbatch refused ", script.string(), ": ", trim(result.errors));
  const std::string id = trim(result.output.substr(0, result.output.find(';')));
  PB_REQUIRE(!id.empty() && id.find_first_not_of("0123456789") == std::string::npos, "sbatch ", script.string(),
             " printed no job id: '", trim(result.output), "'");
  return id;
}

struct QueuedJob {
  std::string id;  // "123" or "123_4" for an array element
  std::string name;
  std::string state;
  std::string reason;
};

// This user's jobs in the queue whose name is one of `names`.
std::vector<QueuedJob> queued_jobs(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ",") + name;
  const ProgramResult result =
      run_slurm_command({"squeue", "--me", "--noheader", "--name=" + joined, "--format=%i %j %T %r"});
  PB_REQUIRE(result.status == 0, "squeue failed: ", trim(result.errors));
  std::vector<QueuedJob> jobs;
  std::istringstream lines(result.output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    QueuedJob job;
    if (fields >> job.id >> job.name >> job.state) {
      std::getline(fields >> std::ws, job.reason);
      jobs.push_back(job);
    }
  }
  return jobs;
}

std::vector<std::string> job_names(const StudyJobs& jobs) {
  return {jobs.job_name("run"), jobs.job_name("shard"), jobs.job_name("merge")};
}

// ---- what is done ------------------------------------------------------------------------

std::string progress_text(const ResultsProgress& progress) {
  if (!progress.exists) return "not started";
  return std::to_string(progress.done) + " of " + std::to_string(progress.expected) + " tasks done";
}

struct Progress {
  ResultsProgress output;
  std::vector<ResultsProgress> shards;
};

Progress read_progress(const StudySpec& study, const StudyJobs& jobs) {
  Progress progress;
  progress.output = read_results_progress(jobs.output.string(), study);
  if (jobs.shard_count > 1) {
    for (int i = 0; i < jobs.shard_count; ++i) {
      progress.shards.push_back(read_results_progress(jobs.shard_file(i).string(), study, i, jobs.shard_count));
    }
  }
  return progress;
}

void print_status(const StudyJobs& jobs, const Progress& progress, const std::vector<QueuedJob>& queued) {
  std::cout << "study '" << jobs.study_name << "': " << jobs.output.string() << ": " << progress_text(progress.output)
            << "\n";
  for (std::size_t i = 0; i < progress.shards.size(); ++i) {
    std::cout << "  shard " << i << "/" << jobs.shard_count << " (" << jobs.shard_file(static_cast<int>(i)).string()
              << "): " << progress_text(progress.shards[i]) << "\n";
  }
  if (queued.empty()) std::cout << "no jobs of this study in the queue\n";
  for (const auto& job : queued) {
    std::cout << "  job " << job.id << " " << job.name << " " << job.state << (job.reason.empty() ? "" : " ")
              << job.reason << "\n";
  }
  std::cout << std::flush;
}

// ---- submitting --------------------------------------------------------------------------

struct Submission {
  std::string shard_job;  // array (or single run) job id, empty if none
  std::vector<int> shards_submitted;
  std::string merge_job;
};

void write_script(const BatchScript& script) {
  AtomicFile output(script.path);
  {
    std::ofstream out(output.path(), std::ios::trunc);
    PB_REQUIRE(out << script.text, "cannot write ", script.path.string());
  }
  // mkstemp creates the temporary as 0600: a batch script is read by the scheduler's user too.
  fs::permissions(output.path(),
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                      fs::perms::others_exec,
                  fs::perm_options::replace);
  output.commit();
}

void show(const BatchScript& script, const std::string& command) {
  std::cout << "==> " << script.path.string() << " <==\n" << script.text << "\n$ " << command << "\n\n";
}

void log_submission(const StudyJobs& jobs, const std::string& what) {
  std::ofstream log(jobs.job_directory() / "submissions.log", std::ios::app);
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S%z", std::localtime(&now));
  log << stamp << " " << what << " (" << command_line_text() << ")\n";
}

Submission submit_single(const StudyJobs& jobs, const SubmitOptions& o) {
  const BatchScript script = slurm::run_script(jobs, o.site, o.templates);
  Submission submission;
  if (o.dry_run) {
    show(script, "sbatch --parsable " + script.path.string());
    return submission;
  }
  write_script(script);
  submission.shard_job = sbatch({}, script.path);
  log_submission(jobs, "run job " + submission.shard_job);
  std::cout << "priorbench submit: job " << submission.shard_job << " (" << jobs.job_name("run") << ") runs the study"
            << (jobs.report.empty() ? "" : " and writes the report to " + jobs.report.string()) << "; log "
            << jobs.log_file("run", submission.shard_job).string() << std::endl;
  return submission;
}

Submission submit_sharded(const StudyJobs& jobs, const SubmitOptions& o, const Progress& progress) {
  Submission submission;
  for (int i = 0; i < jobs.shard_count; ++i) {
    if (!progress.shards[static_cast<std::size_t>(i)].complete()) submission.shards_submitted.push_back(i);
  }
  const BatchScript shards = slurm::shard_script(jobs, o.site, o.templates);
  const BatchScript merge = slurm::merge_script(jobs, o.site, o.templates);
  const std::string array = slurm::array_ranges(submission.shards_submitted);
  if (o.dry_run) {
    if (!array.empty()) show(shards, "sbatch --parsable --array=" + array + " " + shards.path.string());
    show(merge, "sbatch --parsable " + std::string(array.empty() ? "" : "--dependency=afterok:<array job id> ") +
                    merge.path.string());
    return submission;
  }
  if (!array.empty()) {
    write_script(shards);
    submission.shard_job = sbatch({"--array=" + array}, shards.path);
  }
  write_script(merge);
  submission.merge_job =
      sbatch(array.empty() ? std::vector<std::string>{}
                           : std::vector<std::string>{"--dependency=afterok:" + submission.shard_job},
             merge.path);
  log_submission(jobs, "shard array " +
                           (array.empty() ? std::string("none") : submission.shard_job + " [" + array + "]") +
                           ", merge job " + submission.merge_job);
  const int skipped = jobs.shard_count - static_cast<int>(submission.shards_submitted.size());
  if (!array.empty()) {
    std::cout << "priorbench submit: job array " << submission.shard_job << " (" << jobs.job_name("shard") << ") runs "
              << submission.shards_submitted.size() << " of " << jobs.shard_count << " shards (indices " << array
              << ")";
    if (skipped > 0)
      std::cout << "; " << skipped << (skipped == 1 ? " finished shard" : " finished shards") << " skipped";
    std::cout << "\n";
  } else {
    std::cout << "priorbench submit: all " << jobs.shard_count << " shards are finished\n";
  }
  std::cout << "priorbench submit: job " << submission.merge_job << " (" << jobs.job_name("merge") << ") merges them"
            << (array.empty() ? "" : " once every shard succeeded") << " into " << jobs.output.string()
            << (jobs.report.empty() ? "" : " and writes the report") << "; logs in " << jobs.log_directory().string()
            << std::endl;
  return submission;
}

// ---- waiting -----------------------------------------------------------------------------

// The last non-empty line of a log, which is where priorbench puts its error.
std::string last_line(const fs::path& log) {
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!trim(line).empty()) last = trim(line);
  }
  return last;
}

// Waits until no job of this submission is queued. A merge job whose dependency can never
// be satisfied (a shard failed, on clusters without kill_invalid_depend) is cancelled.
void wait_for_jobs(const StudyJobs& jobs, const Submission& submission, double poll_seconds) {
  const auto mine = [&](const QueuedJob& job) {
    const std::string base = job.id.substr(0, job.id.find('_'));
    return base == submission.shard_job || base == submission.merge_job;
  };
  while (true) {
    std::vector<QueuedJob> queued;
    for (const auto& job : queued_jobs(job_names(jobs))) {
      if (mine(job)) queued.push_back(job);
    }
    if (queued.empty()) return;
    for (const auto& job : queued) {
      if (job.reason.find("DependencyNeverSatisfied") != std::string::npos) {
        run_slurm_command({"scancel", job.id});
        std::cout << "priorbench submit: cancelled job " << job.id << " (" << job.name
                  << "): its dependency can never be satisfied" << std::endl;
      }
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(poll_seconds));
  }
}

// After the jobs ended: how each shard and the merge ended, judged by the results files
// (the truth, whatever the accounting of the cluster keeps). True when all succeeded.
bool report_outcome(const StudySpec& study, const StudyJobs& jobs, const Submission& submission) {
  const Progress progress = read_progress(study, jobs);
  bool success = progress.output.complete();
  for (const int i : submission.shards_submitted) {
    const ResultsProgress& shard = progress.shards[static_cast<std::size_t>(i)];
    if (shard.complete()) continue;
    const fs::path log = jobs.log_file("shard", submission.shard_job, i);
    std::cout << "priorbench submit: shard " << i << "/" << jobs.shard_count
              << " failed: " << jobs.shard_file(i).string() << " " << progress_text(shard) << "; log " << log.string()
              << ": " << last_line(log) << "\n";
  }
  if (jobs.shard_count == 1 && !success) {
    const fs::path log = jobs.log_file("run", submission.shard_job);
    std::cout << "priorbench submit: job " << submission.shard_job << " failed: " << jobs.output.string() << " "
              << progress_text(progress.output) << "; log " << log.string() << ": " << last_line(log) << "\n";
  } else if (!success) {
    const fs::path log = jobs.log_file("merge", submission.merge_job);
    std::cout << "priorbench submit: merge job " << submission.merge_job
              << (fs::exists(log) ? " failed; log " + log.string() + ": " + last_line(log)
                                  : " did not run (SLURM cancelled it because a shard failed)")
              << "\n";
  }
  if (success) {
    std::cout << "priorbench submit: done: " << jobs.output.string() << " holds all " << progress.output.expected
              << " tasks" << (jobs.report.empty() ? "" : "; report in " + jobs.report.string()) << "\n";
  }
  std::cout << std::flush;
  return success;
}

// ---- the command -------------------------------------------------------------------------

// Nothing to do, or something in the way: returns the reason, or "" to go on.
std::string reason_not_to_submit(const StudyJobs& jobs, const Progress& progress) {
  if (progress.output.complete()) {
    return jobs.output.string() + " already holds all " + std::to_string(progress.output.expected) + " tasks";
  }
  PB_REQUIRE(jobs.shard_count == 1 || !progress.output.exists, "-o ", jobs.output.string(), " exists with ",
             progress_text(progress.output),
             " but a sharded submission writes it only by merging; resubmit with --shards 1 to resume it, or move it "
             "away");
  return "";
}

void run_submit(const SubmitOptions& o) {
  const StudySpec study = read_study(o.study);
  const auto task_count = static_cast<int>(enumerate_tasks(study).size());
  PB_REQUIRE(o.shards >= 1 && o.shards <= task_count, "--shards ", o.shards, ": must be between 1 and the study's ",
             task_count, " tasks");
  PB_REQUIRE(o.poll_seconds > 0, "--poll-seconds ", o.poll_seconds, ": must be positive");
  slurm::check_site_options(o.site);
  const StudyJobs jobs(study.name, o.study, o.output, !o.no_report, executable_path(), o.shards);
  PB_REQUIRE(fs::is_directory(jobs.output.parent_path()), "-o ", o.output, ": directory ",
             jobs.output.parent_path().string(), " does not exist");
  const Progress progress = read_progress(study, jobs);
  if (o.status) {
    print_status(jobs, progress, queued_jobs(job_names(jobs)));
    return;
  }
  if (const std::string reason = reason_not_to_submit(jobs, progress); !reason.empty()) {
    std::cout << "priorbench submit: nothing to submit: " << reason << std::endl;
    return;
  }
  if (!o.dry_run) {
    const auto queued = queued_jobs(job_names(jobs));
    PB_REQUIRE(queued.empty(), "jobs of study '", study.name, "' are still queued or running (", queued.front().id, " ",
               queued.front().name, " ", queued.front().state, "); wait for them or scancel them before resubmitting");
    fs::create_directories(jobs.log_directory());
  }
  const Submission submission = o.shards == 1 ? submit_single(jobs, o) : submit_sharded(jobs, o, progress);
  if (o.wait && !o.dry_run) {
    wait_for_jobs(jobs, submission, o.poll_seconds);
    PB_REQUIRE(report_outcome(study, jobs, submission), "study '", study.name, "' did not finish (see above)");
  }
}

}  // namespace

CommandRunner register_submit(CLI::App& app) {
  auto* command = app.add_subcommand("submit", "Submit a study to SLURM (one job, or a job array of shards + merge)");
  auto options = std::make_shared<SubmitOptions>();
  add_options(*command, *options);
  return [options](const Session& session) {
    if (session.rank() == 0) run_submit(*options);
  };
}

}  // namespace priorbench::app
