# Finds every dependency and bundles them into the interface target priorbench::deps.
# Each missing package stops the configure step with the Debian package that provides it.

set(_priorbench_install_hint "run scripts/install-deps.sh (Debian 12) to install it")

macro(priorbench_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR "priorbench needs ${what} (Debian package ${package}); ${_priorbench_install_hint}")
  endif()
endmacro()

find_package(MPI COMPONENTS C CXX)
priorbench_require(MPI_FOUND "MPI" "libopenmpi-dev")

find_package(PkgConfig)
priorbench_require(PKG_CONFIG_FOUND "pkg-config" "pkgconf")

pkg_check_modules(PETSC IMPORTED_TARGET petsc>=3.18)
priorbench_require(PETSC_FOUND "PETSc >= 3.18 (real, double)" "petsc-dev")
pkg_check_modules(SLEPC IMPORTED_TARGET slepc>=3.18)
priorbench_require(SLEPC_FOUND "SLEPc >= 3.18" "slepc-dev")
pkg_check_modules(FFTW IMPORTED_TARGET fftw3)
priorbench_require(FFTW_FOUND "FFTW 3" "libfftw3-dev")
pkg_check_modules(OPENBLAS IMPORTED_TARGET openblas)
priorbench_require(OPENBLAS_FOUND "OpenBLAS (so PETSc does not fall back to the reference BLAS)" "libopenblas-dev")
# SLEEF: the vectorized exp and log1p of the native decoder's activations (Torch links it too).
pkg_check_modules(SLEEF IMPORTED_TARGET sleef)
priorbench_require(SLEEF_FOUND "SLEEF (vectorized elementary functions)" "libsleef-dev")

set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 COMPONENTS C)
priorbench_require(HDF5_FOUND "HDF5" "libhdf5-openmpi-dev")
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "priorbench needs a parallel (MPI) HDF5, but CMake found a serial one "
                      "(${HDF5_C_INCLUDE_DIRS}); install libhdf5-openmpi-dev and remove the serial libhdf5-dev "
                      "from the search path, or set HDF5_ROOT")
endif()

find_package(ZLIB)
priorbench_require(ZLIB_FOUND "zlib" "zlib1g-dev")
find_package(tomlplusplus CONFIG)
priorbench_require(tomlplusplus_FOUND "toml++" "libtomlplusplus-dev")
find_package(CLI11 CONFIG)
priorbench_require(CLI11_FOUND "CLI11" "libcli11-dev")
find_path(RANDOM123_INCLUDE_DIR Random123/philox.h)
if(RANDOM123_INCLUDE_DIR)
  set(RANDOM123_FOUND TRUE)
endif()
priorbench_require(RANDOM123_FOUND "Random123" "librandom123-dev")

# nifticlib: nifti2_io reads NIfTI-1 and NIfTI-2 files (with 64-bit extents); never link
# nifti1_io (libniftiio) beside it, the two define the same symbols. Debian's
# NIFTIConfig.cmake is not used because it insists on the nifti_tool executables of the
# separate nifti-bin package.
find_path(NIFTI_INCLUDE_DIR nifti2_io.h PATH_SUFFIXES nifti)
find_library(NIFTI2_LIBRARY nifti2)
find_library(ZNZ_LIBRARY znz)
if(NIFTI_INCLUDE_DIR AND NIFTI2_LIBRARY AND ZNZ_LIBRARY)
  set(NIFTI_FOUND TRUE)
endif()
priorbench_require(NIFTI_FOUND "nifticlib (nifti2_io)" "libnifti2-dev")

add_library(priorbench_deps INTERFACE)
add_library(priorbench::deps ALIAS priorbench_deps)
target_include_directories(priorbench_deps SYSTEM INTERFACE ${RANDOM123_INCLUDE_DIR} ${HDF5_C_INCLUDE_DIRS}
                                                           ${NIFTI_INCLUDE_DIR})
target_compile_definitions(priorbench_deps INTERFACE ${HDF5_C_DEFINITIONS})
target_link_libraries(priorbench_deps INTERFACE
  PkgConfig::SLEPC PkgConfig::PETSC MPI::MPI_CXX MPI::MPI_C PkgConfig::FFTW PkgConfig::OPENBLAS PkgConfig::SLEEF
  ${HDF5_C_LIBRARIES} ${NIFTI2_LIBRARY} ${ZNZ_LIBRARY} ZLIB::ZLIB tomlplusplus::tomlplusplus)
