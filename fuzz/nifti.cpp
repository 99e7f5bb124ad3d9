// NIfTI-1 and NIfTI-2 volumes (data/nifti_volume.hpp): header and voxel data. The input
// is the file, named .nii.gz when it starts with the gzip magic bytes (nifticlib decides
// by the name), else .nii.

#include <cstdint>
#include <span>

#include "data/nifti_volume.hpp"
#include "support.hpp"

namespace pf = priorbench::fuzz;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pf::initialize_process();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  const std::string path = pf::write_scratch_file(gzip ? "volume.nii.gz" : "volume.nii", std::span(data, size));
  pf::expect_success_or_error([&] { priorbench::data::read_nifti_volume(path); });
  return 0;
}
