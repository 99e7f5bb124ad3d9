#pragma once
// The versions of the libraries a result was computed with, recorded in every output file.

#include <string>

namespace priorbench {

// "PETSc ...; SLEPc ...; HDF5 x.y.z; OpenBLAS x.y.z ... CORE ..." (the BLAS kernels in use).
std::string library_versions();

}  // namespace priorbench
