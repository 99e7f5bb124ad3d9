#pragma once
// `priorbench submit`'s work with SLURM: read what is done (results and shard files),
// render and write the batch scripts (slurm_jobs.hpp), submit them with sbatch (a job, or
// an array of the unfinished shards plus a merge job that depends on it), log every
// submission, and with `wait` poll squeue until the jobs end, cancel a merge job whose
// dependency can never be satisfied, and judge each shard by its results file. Messages
// for the user go to `out`.

#include <ostream>
#include <string>

#include "study/slurm_jobs.hpp"
#include "study/study_spec.hpp"

namespace priorbench::slurm {

struct SubmitRequest {
  std::string study;   // study file
  std::string output;  // results file
  int shards = 1;
  SiteOptions site;
  std::string templates;  // directory of run/shard/merge.sbatch.in; empty: the built-in ones
  bool no_report = false;
  bool allow_dirty = false;  // the jobs' `run` may write under results/ from a dirty build
  bool dry_run = false;      // print the scripts and sbatch commands; submit nothing
  bool status = false;       // print what is done and queued; submit nothing
  bool wait = false;         // wait for the jobs; an error when any failed
  double poll_seconds = 10;
  std::filesystem::path priorbench;    // the executable the jobs run
  std::string command_line;            // recorded in submissions.log
  std::string tree_state = "unknown";  // of the build: "clean", "dirty" (core/version.hpp)
  std::string version;                 // git describe of the build
};

void submit_study(const SubmitRequest& request, std::ostream& out);

}  // namespace priorbench::slurm
