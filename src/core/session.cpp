#include "core/session.hpp"

#include <hdf5.h>
#include <slepcsys.h>

#include <cctype>
#include <cstdlib>

#include "core/error.hpp"

namespace priorbench {

Session::Session(std::vector<std::string> petsc_arguments) : argument_storage_(std::move(petsc_arguments)) {
  if (argument_storage_.empty()) {
    argument_storage_.emplace_back("priorbench");
  }
  for (auto& argument : argument_storage_) {
    argument_pointers_.push_back(argument.data());
  }
  argument_pointers_.push_back(nullptr);
  int argc = static_cast<int>(argument_storage_.size());
  char** argv = argument_pointers_.data();
  PB_PETSC(SlepcInitialize(&argc, &argv, nullptr, nullptr));
  finish_setup();
}

Session::Session(int* argc, char*** argv) {
  PB_PETSC(SlepcInitialize(argc, argv, nullptr, nullptr));
  finish_setup();
}

// From OpenBLAS (libopenblas, linked by the build).
extern "C" void openblas_set_num_threads(int threads);

void Session::finish_setup() {
  // One BLAS thread per MPI rank unless OPENBLAS_NUM_THREADS says otherwise: ranks
  // already fill the cores, and a fixed thread count keeps every sum in the same order,
  // so results are bitwise the same at any rank count.
  if (std::getenv("OPENBLAS_NUM_THREADS") == nullptr) {
    openblas_set_num_threads(1);
  }
  // Errors come back as codes that PB_PETSC turns into exceptions; PETSc's own
  // traceback printer would print every failure a second time, on every rank.
  PB_PETSC(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr));
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Session::~Session() {
  PetscPopErrorHandler();
  SlepcFinalize();
}

SplitArguments split_petsc_arguments(int argc, const char* const* argv) {
  SplitArguments split;
  if (argc > 0) {
    split.petsc.emplace_back(argv[0]);
    split.application.emplace_back(argv[0]);
  }
  auto is_petsc_option = [](const std::string& token) {
    return token.size() > 2 && token[0] == '-' && std::isalpha(static_cast<unsigned char>(token[1]));
  };
  for (int i = 1; i < argc; ++i) {
    const std::string token = argv[i];
    if (!is_petsc_option(token)) {
      split.application.push_back(token);
      continue;
    }
    split.petsc.push_back(token);
    const bool has_value = i + 1 < argc &&
                           !(argv[i + 1][0] == '-' && std::isalpha(static_cast<unsigned char>(argv[i + 1][1]))) &&
                           std::string(argv[i + 1]).rfind("--", 0) != 0;
    if (has_value) {
      split.petsc.emplace_back(argv[++i]);
    }
  }
  return split;
}

int world_rank() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) {
    return 0;
  }
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

void run_on_rank0(MPI_Comm comm, const std::function<void()>& work) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string refusal;
  if (rank == 0) {
    try {
      work();
    } catch (const Error& error) {
      refusal = error.what();
    }
  }
  int length = static_cast<int>(refusal.size());
  MPI_Bcast(&length, 1, MPI_INT, 0, comm);
  refusal.resize(static_cast<std::size_t>(length));
  if (length > 0) MPI_Bcast(refusal.data(), length, MPI_CHAR, 0, comm);
  PB_REQUIRE(refusal.empty(), refusal);
}

}  // namespace priorbench
