#include "core/error.hpp"

namespace priorbench {

void throw_petsc_error(PetscErrorCode code, const char* call, const char* file, int line) {
  const char* text = nullptr;
  PetscErrorMessage(code, &text, nullptr);
  throw Error(detail::concat("PETSc error ", static_cast<int>(code), " (", text ? text : "unknown", ") in ", call),
              file, line);
}

}  // namespace priorbench
