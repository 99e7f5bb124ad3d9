#pragma once
// The MPI + PETSc + SLEPc lifetime as one object: construct it first in main (after
// GoogleTest or Google Benchmark have taken their own flags), destroy it last.

#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

namespace priorbench {

class Session {
 public:
  // `petsc_arguments` are the options PETSc and SLEPc should see (e.g. -ksp_type cg);
  // the first element is the program name.
  explicit Session(std::vector<std::string> petsc_arguments);
  Session(int* argc, char*** argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  MPI_Comm comm() const { return MPI_COMM_WORLD; }
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  void finish_setup();

  std::vector<std::string> argument_storage_;
  std::vector<char*> argument_pointers_;
  int rank_ = 0;
  int size_ = 1;
};

// Splits a command line into PETSc options (-name [value], a single dash followed by a
// letter and at least one more character) and everything else, in order. Element 0, the
// program name, goes to both.
struct SplitArguments {
  std::vector<std::string> petsc;
  std::vector<std::string> application;
};
SplitArguments split_petsc_arguments(int argc, const char* const* argv);

// Rank in MPI_COMM_WORLD, usable before and after the session (0 when MPI is down).
int world_rank();

// Collective: runs `work` on rank 0 of `comm` only (a check of a shared file, a lock), and
// throws the priorbench::Error it threw, with the same message, on every rank: every rank
// learns a refusal, none is left waiting in a later collective call.
void run_on_rank0(MPI_Comm comm, const std::function<void()>& work);

}  // namespace priorbench
