// Images in HDF5 files (data/hdf5_images.hpp): a 3-D stack with its labels and a 2-D
// image, written by write_image_stack and write_image, edited by the input
// (fuzz/hdf5_layout.hpp), then read whole, by index and by their info.

#include "data/hdf5_images.hpp"
#include "core/hdf5.hpp"
#include "hdf5_layout.hpp"
#include "support.hpp"

namespace pb = priorbench;
namespace pf = priorbench::fuzz;

namespace {

pf::Hdf5Layout baseline() {
  const std::string path = pf::scratch_path("baseline.h5");
  {
    const pb::h5::Object file = pb::h5::create_file(path, true);
    pb::data::ImageSet stack;
    stack.shape = {3, 2};
    stack.count = 4;
    for (int i = 0; i < 24; ++i) stack.pixels.push_back(i / 24.0);
    stack.labels = {0, 9, 3, 3};
    pb::data::write_image_stack(file, "stack", stack);
    pb::data::write_image(file, "single", {2, 2}, std::vector<double>{0, 0.25, 0.5, 1});
  }
  return pf::read_layout(path);
}

const pf::Hdf5Layout& base() {
  static const pf::Hdf5Layout layout = baseline();
  return layout;
}

const pf::Vocabulary& vocabulary() {
  static const pf::Vocabulary words = [] {
    pf::Vocabulary words = pf::vocabulary_of(base());
    words.paths.insert(words.paths.end(), {"group/stack", "stack/x", "single_labels"});
    return words;
  }();
  return words;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pf::initialize_process();
  base();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  pf::Hdf5Layout layout = base();
  pf::edit_layout(layout, input, vocabulary());
  const std::string path = pf::scratch_path("images.h5");
  pf::write_layout(layout, path);
  pf::expect_success_or_error([&] { pb::data::read_images(path, "stack"); });
  pf::expect_success_or_error([&] { pb::data::read_images(path, "stack", 2, 1); });
  pf::expect_success_or_error([&] { pb::data::read_images(path, "single"); });
  pf::expect_success_or_error([&] { pb::data::read_images(path, "group/stack", 1, 0); });
  return 0;
}
