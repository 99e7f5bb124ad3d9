#include "study/slurm_submission.hpp"

#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.hpp"
#include "core/output_files.hpp"
#include "core/subprocess.hpp"
#include "study/merge.hpp"
#include "study/provenance.hpp"
#include "study/tasks.hpp"

namespace priorbench::slurm {
namespace {

namespace fs = std::filesystem;

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

struct StudyProgress {
  ResultsProgress output;
  std::vector<ResultsProgress> shards;
};

StudyProgress read_progress(const StudySpec& study, const StudyJobs& jobs) {
  StudyProgress progress;
  progress.output = read_results_progress(jobs.output.string(), study);
  if (jobs.shard_count > 1) {
    for (int i = 0; i < jobs.shard_count; ++i) {
      progress.shards.push_back(read_results_progress(jobs.shard_file(i).string(), study, i, jobs.shard_count));
    }
  }
  return progress;
}

void print_status(const StudyJobs& jobs, const StudyProgress& progress, const std::vector<QueuedJob>& queued,
                  std::ostream& out) {
  out << "study '" << jobs.study_name << "': " << jobs.output.string() << ": " << progress_text(progress.output)
      << "\n";
  for (std::size_t i = 0; i < progress.shards.size(); ++i) {
    out << "  shard " << i << "/" << jobs.shard_count << " (" << jobs.shard_file(static_cast<int>(i)).string()
        << "): " << progress_text(progress.shards[i]) << "\n";
  }
  if (queued.empty()) out << "no jobs of this study in the queue\n";
  for (const auto& job : queued) {
    out << "  job " << job.id << " " << job.name << " " << job.state << (job.reason.empty() ? "" : " ") << job.reason
        << "\n";
  }
  out << std::flush;
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

void show(const BatchScript& script, const std::string& command, std::ostream& out) {
  out << "==> " << script.path.string() << " <==\n" << script.text << "\n$ " << command << "\n\n";
}

void log_submission(const StudyJobs& jobs, const std::string& what, const std::string& command_line) {
  std::ofstream log(jobs.job_directory() / "submissions.log", std::ios::app);
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S%z", std::localtime(&now));
  log << stamp << " " << what << " (" << command_line << ")\n";
}

Submission submit_single(const StudyJobs& jobs, const SubmitRequest& o, std::ostream& out) {
  const BatchScript script = slurm::run_script(jobs, o.site, o.templates);
  Submission submission;
  if (o.dry_run) {
    show(script, "sbatch --parsable " + script.path.string(), out);
    return submission;
  }
  write_script(script);
  submission.shard_job = sbatch({}, script.path);
  log_submission(jobs, "run job " + submission.shard_job, o.command_line);
  out << "priorbench submit: job " << submission.shard_job << " (" << jobs.job_name("run") << ") runs the study"
      << (jobs.report.empty() ? "" : " and writes the report to " + jobs.report.string()) << "; log "
      << jobs.log_file("run", submission.shard_job).string() << std::endl;
  return submission;
}

Submission submit_sharded(const StudyJobs& jobs, const SubmitRequest& o, const StudyProgress& progress,
                          std::ostream& out) {
  Submission submission;
  for (int i = 0; i < jobs.shard_count; ++i) {
    if (!progress.shards[static_cast<std::size_t>(i)].complete()) submission.shards_submitted.push_back(i);
  }
  const BatchScript shards = slurm::shard_script(jobs, o.site, o.templates);
  const BatchScript merge = slurm::merge_script(jobs, o.site, o.templates);
  const std::string array = slurm::array_ranges(submission.shards_submitted);
  if (o.dry_run) {
    if (!array.empty()) show(shards, "sbatch --parsable --array=" + array + " " + shards.path.string(), out);
    show(merge,
         "sbatch --parsable " + std::string(array.empty() ? "" : "--dependency=afterok:<array job id> ") +
             merge.path.string(),
         out);
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
  log_submission(jobs,
                 "shard array " + (array.empty() ? std::string("none") : submission.shard_job + " [" + array + "]") +
                     ", merge job " + submission.merge_job,
                 o.command_line);
  const int skipped = jobs.shard_count - static_cast<int>(submission.shards_submitted.size());
  if (!array.empty()) {
    out << "priorbench submit: job array " << submission.shard_job << " (" << jobs.job_name("shard") << ") runs "
        << submission.shards_submitted.size() << " of " << jobs.shard_count << " shards (indices " << array << ")";
    if (skipped > 0) out << "; " << skipped << (skipped == 1 ? " finished shard" : " finished shards") << " skipped";
    out << "\n";
  } else {
    out << "priorbench submit: all " << jobs.shard_count << " shards are finished\n";
  }
  out << "priorbench submit: job " << submission.merge_job << " (" << jobs.job_name("merge") << ") merges them"
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
void wait_for_jobs(const StudyJobs& jobs, const Submission& submission, double poll_seconds, std::ostream& out) {
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
        out << "priorbench submit: cancelled job " << job.id << " (" << job.name
            << "): its dependency can never be satisfied" << std::endl;
      }
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(poll_seconds));
  }
}

// After the jobs ended: how each shard and the merge ended, judged by the results files
// (the truth, whatever the accounting of the cluster keeps). True when all succeeded.
bool report_outcome(const StudySpec& study, const StudyJobs& jobs, const Submission& submission, std::ostream& out) {
  const StudyProgress progress = read_progress(study, jobs);
  bool success = progress.output.complete();
  for (const int i : submission.shards_submitted) {
    const ResultsProgress& shard = progress.shards[static_cast<std::size_t>(i)];
    if (shard.complete()) continue;
    const fs::path log = jobs.log_file("shard", submission.shard_job, i);
    out << "priorbench submit: shard " << i << "/" << jobs.shard_count << " failed: " << jobs.shard_file(i).string()
        << " " << progress_text(shard) << "; log " << log.string() << ": " << last_line(log) << "\n";
  }
  if (jobs.shard_count == 1 && !success) {
    const fs::path log = jobs.log_file("run", submission.shard_job);
    out << "priorbench submit: job " << submission.shard_job << " failed: " << jobs.output.string() << " "
        << progress_text(progress.output) << "; log " << log.string() << ": " << last_line(log) << "\n";
  } else if (!success) {
    const fs::path log = jobs.log_file("merge", submission.merge_job);
    out << "priorbench submit: merge job " << submission.merge_job
        << (fs::exists(log) ? " failed; log " + log.string() + ": " + last_line(log)
                            : " did not run (SLURM cancelled it because a shard failed)")
        << "\n";
  }
  if (success) {
    out << "priorbench submit: done: " << jobs.output.string() << " holds all " << progress.output.expected << " tasks"
        << (jobs.report.empty() ? "" : "; report in " + jobs.report.string()) << "\n";
  }
  out << std::flush;
  return success;
}

// Nothing to do, or something in the way: returns the reason, or "" to go on.
std::string reason_not_to_submit(const StudyJobs& jobs, const StudyProgress& progress) {
  if (progress.output.complete()) {
    return jobs.output.string() + " already holds all " + std::to_string(progress.output.expected) + " tasks";
  }
  PB_REQUIRE(jobs.shard_count == 1 || !progress.output.exists, "-o ", jobs.output.string(), " exists with ",
             progress_text(progress.output),
             " but a sharded submission writes it only by merging; resubmit with --shards 1 to resume it, or move it "
             "away");
  return "";
}

}  // namespace

void submit_study(const SubmitRequest& o, std::ostream& out) {
  const StudySpec study = read_study(o.study);
  const auto task_count = static_cast<int>(enumerate_tasks(study).size());
  PB_REQUIRE(o.shards >= 1 && o.shards <= task_count, "--shards ", o.shards, ": must be between 1 and the study's ",
             task_count, " tasks");
  PB_REQUIRE(o.poll_seconds > 0, "--poll-seconds ", o.poll_seconds, ": must be positive");
  check_site_options(o.site);
  StudyJobs jobs(study.name, o.study, o.output, !o.no_report, o.priorbench, o.shards);
  jobs.allow_dirty = o.allow_dirty;
  PB_REQUIRE(fs::is_directory(jobs.output.parent_path()), "-o ", o.output, ": directory ",
             jobs.output.parent_path().string(), " does not exist");
  const StudyProgress progress = read_progress(study, jobs);
  if (o.status) {
    print_status(jobs, progress, queued_jobs(job_names(jobs)), out);
    return;
  }
  if (const std::string reason = reason_not_to_submit(jobs, progress); !reason.empty()) {
    out << "priorbench submit: nothing to submit: " << reason << std::endl;
    return;
  }
  // The jobs' `run` would refuse a results/ file from a dirty build (study/provenance.hpp)
  // after waiting in the queue; refuse here, before anything is submitted.
  require_reproducible_output(o.output, o.tree_state, o.version, o.allow_dirty);
  if (!o.dry_run) {
    const auto queued = queued_jobs(job_names(jobs));
    PB_REQUIRE(queued.empty(), "jobs of study '", study.name, "' are still queued or running (", queued.front().id, " ",
               queued.front().name, " ", queued.front().state, "); wait for them or scancel them before resubmitting");
    fs::create_directories(jobs.log_directory());
  }
  const Submission submission = o.shards == 1 ? submit_single(jobs, o, out) : submit_sharded(jobs, o, progress, out);
  if (o.wait && !o.dry_run) {
    wait_for_jobs(jobs, submission, o.poll_seconds, out);
    PB_REQUIRE(report_outcome(study, jobs, submission, out), "study '", study.name, "' did not finish (see above)");
  }
}

}  // namespace priorbench::slurm
