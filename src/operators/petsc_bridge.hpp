#pragma once
// The one bridge from LinearOperator to PETSc: a MatShell (for KSP, SLEPc SVD) and a
// PCSHELL. The PETSc object owns the operator through a shared_ptr released by its
// context destroyer, and no C++ exception ever crosses a PETSc callback: each callback
// catches and returns a PETSc error carrying the message.

#include <petscksp.h>

#include <memory>

#include "core/petsc.hpp"
#include "operators/linear_operator.hpp"

namespace priorbench {

// A MATSHELL of size rows x cols with MatMult and MatMultTranspose.
petsc::Matrix make_shell_matrix(std::shared_ptr<const LinearOperator> op);

// Makes `ksp`'s preconditioner apply `preconditioner` (which must be square and
// symmetric positive definite for CG).
void set_shell_preconditioner(KSP ksp, std::shared_ptr<const LinearOperator> preconditioner);

}  // namespace priorbench
