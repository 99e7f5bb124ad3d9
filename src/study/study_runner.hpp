#pragma once
// Runs a study (DESIGN §4) on all ranks of `comm`: tasks are handed out dynamically, each
// runs on one rank (PETSC_COMM_SELF), and its record goes straight into the results file.
// Rerunning with the same output resumes: finished tasks are skipped.

#include <mpi.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "methods/method.hpp"
#include "study/study_spec.hpp"
#include "study/task_inputs.hpp"

namespace priorbench {

// How the runs of one sampler method (latent_mcmc) mixed in this invocation, all ranks.
struct SamplerMixing {
  std::string label;
  std::int64_t runs = 0;
  std::int64_t converged = 0;  // by the method's contract (latent_mcmc: R̂, ESS, divergences)
  double max_rhat = 0;         // the worst over the runs; +∞ when some R̂ was not finite
  double min_ess_bulk = 0;     // the smallest over the runs
  double min_ess_tail = 0;     // the smallest over the runs; NaN when no run reports it (pCN did not)
};

struct RunSummary {
  std::int64_t tasks = 0;          // in the study (or in this shard)
  std::int64_t already_done = 0;   // found complete in the file
  std::int64_t run_now = 0;        // run by this invocation, all ranks
  std::int64_t not_converged = 0;  // method runs recorded as not converged, all ranks
  double seconds = 0;
  double write_seconds = 0;           // writing task records (HDF5), summed over ranks
  double busy_seconds = 0;            // running and writing tasks, summed over ranks
  std::vector<SamplerMixing> mixing;  // one per latent_mcmc method that ran
  std::int64_t logged = 0;            // per-task warnings written to the log, all ranks
};

struct RunOptions {
  std::string output;
  std::map<std::string, std::string> provenance;  // root attributes of a new results file
  std::int64_t max_tasks = -1;                    // stop after this many tasks per rank (testing); −1: all
  // Run only the tasks with id % shard_count == shard_index (disjoint shards of a job
  // array, merged afterwards with `priorbench merge`).
  int shard_index = 0;
  int shard_count = 1;
  // Per-task warnings are appended here (study/run_log.hpp); empty: stderr.
  std::string log;
};

// `resources` give the methods and the generated truths their training set and generators
// (each method those of its model).
RunSummary run_study(const StudySpec& study, const RunOptions& options, const ModelResources& resources, MPI_Comm comm);

}  // namespace priorbench
