#!/usr/bin/env bash
# Installs every Debian package priorbench needs to build, test and run.
# Idempotent: packages already present are skipped by apt. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkgconf git clang-format
  libopenmpi-dev openmpi-bin
  petsc-dev slepc-dev
  libhdf5-openmpi-dev hdf5-tools
  libopenblas-dev libopenblas0-pthread libsleef-dev
  libfftw3-dev zlib1g-dev
  libtomlplusplus-dev libcli11-dev librandom123-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtorch-dev python3-torch
  dataset-fashion-mnist
  libnifti2-dev mricron-data
  slurmctld slurmd slurm-client munge
  python3-h5py python3-numpy python3-matplotlib python3-scipy
  clang libclang-rt-14-dev llvm-14   # the fuzzers (libFuzzer, sanitizer runtimes, symbolizer)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
