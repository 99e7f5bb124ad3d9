#include "data/hdf5_images.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/memory_budget.hpp"

namespace priorbench::data {
namespace {

std::string labels_name(const std::string& name) { return name + "_labels"; }

h5::Shape image_extents(ImageShape shape) {
  return {static_cast<hsize_t>(shape.height), static_cast<hsize_t>(shape.width)};
}

void require_positive(hid_t location, const std::string& name, ImageShape shape) {
  PB_REQUIRE(shape.height > 0 && shape.width > 0, "cannot write ", h5::describe(location, name), ": image shape ",
             shape.height, "x", shape.width, " is empty");
}

h5::Object open_numeric_dataset(hid_t location, const std::string& name) {
  PB_REQUIRE(h5::exists(location, name), h5::describe(location, name), ": dataset does not exist");
  h5::Object dataset(H5Dopen2(location, name.c_str(), H5P_DEFAULT), H5Dclose);
  PB_REQUIRE(dataset.id() >= 0, h5::describe(location, name), ": cannot open as a dataset");
  const h5::Object type(H5Dget_type(dataset), H5Tclose);
  const H5T_class_t type_class = H5Tget_class(type);
  PB_REQUIRE(type_class == H5T_FLOAT || type_class == H5T_INTEGER, h5::describe(location, name),
             ": not a numeric dataset (images must hold floating-point or integer values)");
  return dataset;
}

void check_finite(hid_t location, const std::string& name, const ImageSet& set, std::size_t first) {
  const auto bad =
      std::find_if(set.pixels.begin(), set.pixels.end(), [](double value) { return !std::isfinite(value); });
  if (bad == set.pixels.end()) {
    return;
  }
  const auto offset = static_cast<std::size_t>(bad - set.pixels.begin());
  const auto size = static_cast<std::size_t>(set.shape.size());
  const auto pixel = static_cast<PetscInt>(offset % size);
  PB_FAIL(h5::describe(location, name), ": value ", *bad, " at image ", first + offset / size, ", pixel (",
          pixel / set.shape.width, ", ", pixel % set.shape.width, ") is not finite");
}

std::vector<std::int64_t> read_stack_labels(hid_t location, const std::string& name, std::size_t total,
                                            std::size_t first, std::size_t count) {
  const std::string labels = labels_name(name);
  if (!h5::exists(location, labels)) {
    return {};
  }
  h5::Shape shape;
  const auto all = h5::read_integers(location, labels, &shape);
  PB_REQUIRE(shape.size() == 1 && all.size() == total, h5::describe(location, labels), ": expected ", total,
             " labels, one per image of ", h5::describe(location, name), ", got a dataset of ", all.size(),
             " values in ", shape.size(), " dimensions");
  const auto begin = all.begin() + static_cast<std::ptrdiff_t>(first);
  return {begin, begin + static_cast<std::ptrdiff_t>(count)};
}

}  // namespace

void write_image(hid_t location, const std::string& name, ImageShape shape, std::span<const double> pixels) {
  require_positive(location, name, shape);
  h5::write(location, name, pixels, image_extents(shape));
}

void write_image_stack(hid_t location, const std::string& name, const ImageSet& images) {
  require_positive(location, name, images.shape);
  PB_REQUIRE(images.labels.empty() || images.labels.size() == images.count, "cannot write ",
             h5::describe(location, name), ": ", images.count, " images but ", images.labels.size(), " labels");
  h5::Shape extents = image_extents(images.shape);
  extents.insert(extents.begin(), static_cast<hsize_t>(images.count));
  h5::write(location, name, images.pixels, extents);
  if (!images.labels.empty()) {
    h5::write(location, labels_name(name), images.labels);
  }
}

ImageSetInfo read_image_info(hid_t location, const std::string& name) {
  const h5::Object dataset = open_numeric_dataset(location, name);
  const h5::Shape shape = h5::shape_of(location, name);
  PB_REQUIRE(shape.size() == 2 || shape.size() == 3, h5::describe(location, name), ": has ", shape.size(),
             " dimensions; an image is 2-D (height x width), a stack 3-D (count x height x width)");
  const hsize_t height = shape[shape.size() - 2];
  const hsize_t width = shape[shape.size() - 1];
  const auto limit = static_cast<hsize_t>(std::numeric_limits<PetscInt>::max());
  PB_REQUIRE(height > 0 && width > 0 && height <= limit / width, h5::describe(location, name), ": unusable image size ",
             height, "x", width);
  ImageSetInfo info;
  info.shape = ImageShape{static_cast<PetscInt>(height), static_cast<PetscInt>(width)};
  info.single_image = shape.size() == 2;
  info.count = info.single_image ? 1 : static_cast<std::size_t>(shape[0]);
  return info;
}

ImageSet read_images(hid_t location, const std::string& name, std::size_t limit, std::size_t first) {
  const ImageSetInfo info = read_image_info(location, name);
  PB_REQUIRE(first < info.count || (first == 0 && info.count == 0), h5::describe(location, name), ": image index ",
             first, " out of range [0, ", info.count, ")");
  ImageSet set;
  set.shape = info.shape;
  set.count = limit == 0 ? info.count - first : std::min(limit, info.count - first);
  require_memory({set.count, static_cast<std::uint64_t>(info.shape.size())}, sizeof(double),
                 detail::concat(h5::describe(location, name), ": ", set.count, " images of ", info.shape.height, "x",
                                info.shape.width));
  set.pixels.resize(set.count * static_cast<std::size_t>(info.shape.size()));
  if (!set.pixels.empty()) {
    const h5::Object dataset = open_numeric_dataset(location, name);
    const h5::Object file_space(H5Dget_space(dataset), H5Sclose);
    if (!info.single_image) {
      const std::array<hsize_t, 3> start = {first, 0, 0};
      const std::array<hsize_t, 3> count = {set.count, static_cast<hsize_t>(info.shape.height),
                                            static_cast<hsize_t>(info.shape.width)};
      PB_REQUIRE(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) >= 0,
                 h5::describe(location, name), ": cannot select images ", first, " to ", first + set.count - 1);
    }
    const hsize_t size = set.pixels.size();
    const h5::Object memory_space(H5Screate_simple(1, &size, nullptr), H5Sclose);
    PB_REQUIRE(H5Dread(dataset, H5T_NATIVE_DOUBLE, memory_space, file_space, H5P_DEFAULT, set.pixels.data()) >= 0,
               h5::describe(location, name), ": cannot read the images as numbers");
  }
  check_finite(location, name, set, first);
  if (!info.single_image) {
    set.labels = read_stack_labels(location, name, info.count, first, set.count);
  }
  return set;
}

ImageSet read_images(const std::string& path, const std::string& name, std::size_t limit, std::size_t first) {
  const h5::Object file = h5::open_file(path);
  return read_images(file, name, limit, first);
}

}  // namespace priorbench::data
