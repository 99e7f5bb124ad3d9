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

#include <CLI/CLI.hpp>

#include <iostream>

#include "app/command.hpp"
#include "core/subprocess.hpp"
#include "core/version.hpp"
#include "study/slurm_submission.hpp"

namespace priorbench::app {
namespace {

void add_options(CLI::App& command, slurm::SubmitRequest& o) {
  command.add_option("study", o.study, "Study file (studies/*.toml, docs/study-format.md)")->required();
  command.add_option("-o,--output", o.output, "Results file (HDF5); the jobs' files go to OUTPUT without .h5 + .jobs/")
      ->required()
      ->check(non_empty_path());
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
  command.add_flag("--allow-dirty", o.allow_dirty,
                   "Let the jobs write under results/ although this priorbench was built from a dirty tree");
  command.add_flag("--dry-run", o.dry_run, "Print the scripts and sbatch commands; submit nothing");
  command.add_flag("--status", o.status, "Print what is done and queued; submit nothing");
  command.add_flag("--wait", o.wait, "Wait for the jobs and report how each ended (exit status 1 if any failed)");
  command.add_option("--poll-seconds", o.poll_seconds, "How often --wait asks squeue")->capture_default_str();
}

}  // namespace

CommandRunner register_submit(CLI::App& app) {
  auto* command = app.add_subcommand("submit", "Submit a study to SLURM (one job, or a job array of shards + merge)");
  auto request = std::make_shared<slurm::SubmitRequest>();
  add_options(*command, *request);
  return [request](const Session& session) {
    if (session.rank() != 0) return;
    request->priorbench = executable_path();
    request->command_line = command_line_text();
    request->tree_state = kGitTree;
    request->version = kGitVersion;
    slurm::submit_study(*request, std::cout);
  };
}

}  // namespace priorbench::app
