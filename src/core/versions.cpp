#include "core/versions.hpp"

#include <hdf5.h>
#include <petscsys.h>
#include <slepcsys.h>

#include <sstream>

namespace priorbench {

std::string library_versions() {
  char petsc[256] = {0}, slepc[256] = {0};
  PetscGetVersion(petsc, sizeof petsc);
  SlepcGetVersion(slepc, sizeof slepc);
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  std::ostringstream out;
  out << petsc << "; " << slepc << "; HDF5 " << major << "." << minor << "." << release;
  return out.str();
}

}  // namespace priorbench
