#include "core/versions.hpp"

#include <hdf5.h>
#include <petscsys.h>
#include <slepcsys.h>

#include <sstream>

// From OpenBLAS (libopenblas, linked by the build): its version, build options and the
// kernels it chose for this CPU, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell
// MAX_THREADS=64". The kernels decide the last bits of every BLAS result.
extern "C" char* openblas_get_config();

namespace priorbench {

std::string library_versions() {
  char petsc[256] = {0}, slepc[256] = {0};
  PetscGetVersion(petsc, sizeof petsc);
  SlepcGetVersion(slepc, sizeof slepc);
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  std::ostringstream out;
  out << petsc << "; " << slepc << "; HDF5 " << major << "." << minor << "." << release << "; "
      << openblas_get_config();
  return out.str();
}

}  // namespace priorbench
