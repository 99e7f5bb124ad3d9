#include "operators/petsc_bridge.hpp"

#include <exception>

namespace priorbench {
namespace {

using Owner = std::shared_ptr<const LinearOperator>;

// Runs `body`; an exception becomes a PETSc error with its message.
template <class Body>
PetscErrorCode guarded(MPI_Comm comm, const char* function, Body&& body) {
  try {
    body();
    return 0;
  } catch (const std::exception& error) {
    return PetscError(comm, __LINE__, function, __FILE__, PETSC_ERR_LIB, PETSC_ERROR_INITIAL, "%s", error.what());
  } catch (...) {
    return PetscError(comm, __LINE__, function, __FILE__, PETSC_ERR_LIB, PETSC_ERROR_INITIAL, "unknown exception");
  }
}

const LinearOperator& operator_of(Mat matrix) {
  void* context = nullptr;
  MatShellGetContext(matrix, &context);
  return **static_cast<Owner*>(context);
}

PetscErrorCode shell_mult(Mat matrix, Vec x, Vec y) {
  const LinearOperator& op = operator_of(matrix);
  return guarded(op.comm(), "MatMult(priorbench shell)", [&] { op.apply(x, y); });
}

PetscErrorCode shell_mult_transpose(Mat matrix, Vec y, Vec x) {
  const LinearOperator& op = operator_of(matrix);
  return guarded(op.comm(), "MatMultTranspose(priorbench shell)", [&] { op.apply_transpose(y, x); });
}

PetscErrorCode destroy_owner(void* context) {
  delete static_cast<Owner*>(context);
  return 0;
}

PetscErrorCode shell_pc_apply(PC pc, Vec x, Vec y) {
  void* context = nullptr;
  PCShellGetContext(pc, &context);
  const LinearOperator& op = **static_cast<Owner*>(context);
  return guarded(op.comm(), "PCApply(priorbench shell)", [&] { op.apply(x, y); });
}

PetscErrorCode shell_pc_destroy(PC pc) {
  void* context = nullptr;
  PCShellGetContext(pc, &context);
  delete static_cast<Owner*>(context);
  return 0;
}

}  // namespace

petsc::Matrix make_shell_matrix(std::shared_ptr<const LinearOperator> op) {
  PB_REQUIRE(op != nullptr, "make_shell_matrix: no operator");
  PetscInt local_rows = PETSC_DECIDE;
  PetscInt local_cols = PETSC_DECIDE;
  PetscInt rows = op->rows();
  PetscInt cols = op->cols();
  PB_PETSC(PetscSplitOwnership(op->comm(), &local_rows, &rows));
  PB_PETSC(PetscSplitOwnership(op->comm(), &local_cols, &cols));
  auto* owner = new Owner(op);
  petsc::Matrix matrix;
  const PetscErrorCode code = MatCreateShell(op->comm(), local_rows, local_cols, rows, cols, owner, matrix.out());
  if (code != 0) {
    delete owner;
    PB_PETSC(code);
  }
  PB_PETSC(MatShellSetContextDestroy(matrix, destroy_owner));
  PB_PETSC(MatShellSetOperation(matrix, MATOP_MULT, reinterpret_cast<void (*)(void)>(shell_mult)));
  PB_PETSC(MatShellSetOperation(matrix, MATOP_MULT_TRANSPOSE, reinterpret_cast<void (*)(void)>(shell_mult_transpose)));
  return matrix;
}

void set_shell_preconditioner(KSP ksp, std::shared_ptr<const LinearOperator> preconditioner) {
  PB_REQUIRE(preconditioner != nullptr && preconditioner->rows() == preconditioner->cols(),
             "a preconditioner must be a square operator");
  PC pc = nullptr;
  PB_PETSC(KSPGetPC(ksp, &pc));
  PB_PETSC(PCSetType(pc, PCSHELL));
  PB_PETSC(PCShellSetContext(pc, new Owner(std::move(preconditioner))));
  PB_PETSC(PCShellSetApply(pc, shell_pc_apply));
  PB_PETSC(PCShellSetDestroy(pc, shell_pc_destroy));
  PB_PETSC(PCShellSetName(pc, "priorbench Woodbury"));
}

}  // namespace priorbench
