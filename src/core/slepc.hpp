#pragma once
// RAII handles for SLEPc objects, on the same Handle template as the PETSc ones.

#include <slepcsvd.h>

#include "core/petsc.hpp"

namespace priorbench::petsc {

using SingularValueSolver = Handle<SVD, SVDDestroy>;

}  // namespace priorbench::petsc
