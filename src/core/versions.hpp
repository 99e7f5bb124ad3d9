#pragma once
// The versions of the libraries a result was computed with, recorded in every output file.

#include <string>

namespace priorbench {

// "PETSc ...; SLEPc ...; HDF5 x.y.z".
std::string library_versions();

}  // namespace priorbench
