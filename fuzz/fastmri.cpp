// fastMRI files (data/fastmri.hpp): multi-coil k-space (complex64 compounds, as h5py
// writes them) and a root-sum-of-squares reconstruction, edited by the input
// (fuzz/hdf5_layout.hpp), then read as the generators read them (scaled, cropped and
// resampled slices) and reconstructed from k-space with FFTW.

#include <cmath>

#include "data/fastmri.hpp"
#include "hdf5_layout.hpp"
#include "support.hpp"

namespace pb = priorbench;
namespace pf = priorbench::fuzz;

namespace {

// 2 slices x 2 coils x 4 x 6 k-space, 2 slices of 4 x 3 reconstruction.
pf::Hdf5Layout baseline() {
  std::vector<double> kspace, reconstruction;
  for (int i = 0; i < 2 * 2 * 4 * 6; ++i) kspace.insert(kspace.end(), {std::cos(i * 0.7), std::sin(i * 0.3)});
  for (int i = 0; i < 2 * 4 * 3; ++i) reconstruction.push_back(0.1 * i);
  return {{pb::data::kFastMriKspace, "", pf::ValueType::complex64, {2, 2, 4, 6}, kspace, {}},
          {pb::data::kFastMriRss, "", pf::ValueType::f32, {2, 4, 3}, reconstruction, {}},
          {"", "acquisition", pf::ValueType::text_variable, {}, {}, {"CORPD_FBK"}}};
}

const pf::Vocabulary& vocabulary() {
  static const pf::Vocabulary words = [] {
    pf::Vocabulary words = pf::vocabulary_of(baseline());
    words.paths.push_back(pb::data::kFastMriEsc);
    return words;
  }();
  return words;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pf::initialize_process();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  pf::Hdf5Layout layout = baseline();
  pf::edit_layout(layout, input, vocabulary());
  const std::string path = pf::scratch_path("file_brain.h5");
  pf::write_layout(layout, path);
  pf::expect_success_or_error([&] { pb::data::read_fastmri_slices(path, 8); });
  pf::expect_success_or_error([&] { pb::data::reconstruct_rss(path); });
  return 0;
}
