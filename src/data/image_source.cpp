#include "data/image_source.hpp"

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "data/fashion_mnist.hpp"
#include "data/fastmri.hpp"
#include "data/hdf5_images.hpp"
#include "data/idx.hpp"
#include "data/mri_source.hpp"
#include "data/source_fields.hpp"

namespace priorbench::data {
namespace {

constexpr const char* kFashionMnist = "fashion-mnist";
constexpr const char* kMri = "mri";
constexpr const char* kFastMri = "fastmri";
constexpr const char* kImageForms =
    "expected fashion-mnist:SPLIT:INDEX, mri:VOLUME:AXIS:SIZE:PART:INDEX, fastmri:FILE:SIZE[:INDEX] or "
    "FILE:DATASET[:INDEX]";
constexpr const char* kSetForms =
    "expected fashion-mnist[:SPLIT], mri:VOLUME:AXIS:SIZE:PART, fastmri:FILE:SIZE or FILE:DATASET";
constexpr const char* kFastMriImageForm = "expected fastmri:FILE:SIZE[:INDEX], e.g. fastmri:file_brain.h5:64:3";
constexpr const char* kFastMriSetForm = "expected fastmri:FILE:SIZE, e.g. fastmri:file_brain.h5:64";

std::string normalized_dataset(const std::string& dataset) { return dataset.front() == '/' ? dataset : "/" + dataset; }

// FILE:DATASET[:INDEX], split from the right so FILE may hold colons.
struct Hdf5Reference {
  std::string file;
  std::string dataset;
  std::optional<std::size_t> index;
};

Hdf5Reference parse_hdf5_reference(const std::vector<std::string>& fields, bool allow_index) {
  PB_REQUIRE(fields.size() >= 2, allow_index ? kImageForms : kSetForms);
  Hdf5Reference reference;
  std::size_t file_fields = fields.size() - 1;
  if (allow_index && fields.size() >= 3 && looks_like_integer(fields.back())) {
    reference.index = parse_index(fields.back());
    --file_fields;
  }
  reference.file = join_fields(fields, 0, file_fields);
  reference.dataset = fields[file_fields];
  PB_REQUIRE(!reference.file.empty() && !reference.dataset.empty(),
             "the file name and the dataset name must not be empty");
  return reference;
}

// The first `limit` images of `set` (0: all of them).
ImageSet first_images(ImageSet set, std::size_t limit) {
  if (limit != 0 && limit < set.count) {
    set.count = limit;
    set.pixels.resize(limit * static_cast<std::size_t>(set.shape.size()));
    if (!set.labels.empty()) {
      set.labels.resize(limit);
    }
    set.description += detail::concat("  first ", limit, " of them used\n");
  }
  return set;
}

ImageSelection select(ImageSet set, std::string source) {
  ImageSelection selection;
  selection.shape = set.shape;
  selection.pixels = std::move(set.pixels);
  if (!set.labels.empty()) {
    selection.label = set.labels.front();
  }
  selection.source = std::move(source);
  return selection;
}

ImageSelection load_fashion_mnist_image(const std::vector<std::string>& fields) {
  PB_REQUIRE(fields.size() == 3, "expected fashion-mnist:SPLIT:INDEX, e.g. fashion-mnist:test:17");
  const std::string& split = fields[1];
  const std::size_t index = parse_index(fields[2]);
  const FashionMnistFiles files = fashion_mnist_files(split);
  const ImageSetInfo info = read_idx_image_info(files.images);
  PB_REQUIRE(index < info.count, "index out of range [0, ", info.count, ")");
  return select(read_idx_images(files.images, files.labels, 1, index),
                detail::concat(kFashionMnist, ":", split, ":", index));
}

ImageSelection load_hdf5_image(const std::vector<std::string>& fields, const std::string& specification) {
  const Hdf5Reference reference = parse_hdf5_reference(fields, true);
  const h5::Object file = h5::open_file(reference.file);
  const ImageSetInfo info = read_image_info(file, reference.dataset);
  std::string source = reference.file + ":" + normalized_dataset(reference.dataset);
  if (reference.index) {
    PB_REQUIRE(!info.single_image, h5::describe(file, reference.dataset), " is a single ", info.shape.height, "x",
               info.shape.width, " image; drop the index");
    PB_REQUIRE(*reference.index < info.count, "index out of range [0, ", info.count, ")");
    source += detail::concat(":", *reference.index);
  } else if (!info.single_image) {
    PB_REQUIRE(info.count == 1, h5::describe(file, reference.dataset), " is a stack of ", info.count,
               " images; add an index, e.g. ", specification, ":0");
    source += ":0";
  }
  return select(read_images(file, reference.dataset, 1, reference.index.value_or(0)), std::move(source));
}

ImageSelection load_mri_image(const std::string& specification) {
  const MriSpecification mri = parse_mri_specification(specification);
  PB_REQUIRE(mri.index.has_value(), "one image needs an index, e.g. ", specification, ":0");
  ImageSet set = load_mri_images(mri);
  PB_REQUIRE(*mri.index < set.count, "index out of range [0, ", set.count, ")");
  const auto image = set.image(*mri.index);
  ImageSelection selection;
  selection.shape = set.shape;
  selection.pixels.assign(image.begin(), image.end());
  selection.source = mri.text();
  return selection;
}

// fastmri:FILE:SIZE[:INDEX], split from the right so FILE may hold colons.
struct FastMriReference {
  std::string file;
  PetscInt size = 0;
  std::optional<std::size_t> index;
};

FastMriReference parse_fastmri_reference(const std::vector<std::string>& fields, bool allow_index) {
  const char* form = allow_index ? kFastMriImageForm : kFastMriSetForm;
  PB_REQUIRE(fields.size() >= 3 && looks_like_integer(fields.back()), form);
  std::size_t file_fields = fields.size() - 2;
  FastMriReference reference;
  if (fields.size() >= 4 && looks_like_integer(fields[fields.size() - 2])) {
    PB_REQUIRE(allow_index, "a training set takes no index; ", form);
    reference.index = parse_index(fields.back());
    --file_fields;
  }
  const std::size_t size = parse_count(fields[file_fields + 1], "size");
  PB_REQUIRE(size >= static_cast<std::size_t>(kMriMinimumSize) && size <= static_cast<std::size_t>(kMriMaximumSize),
             "size ", size, " is not in [", kMriMinimumSize, ", ", kMriMaximumSize, "]");
  reference.size = static_cast<PetscInt>(size);
  reference.file = join_fields(fields, 1, file_fields);
  PB_REQUIRE(!reference.file.empty(), "the file name must not be empty");
  return reference;
}

ImageSelection load_fastmri_image(const std::vector<std::string>& fields, const std::string& specification) {
  const FastMriReference reference = parse_fastmri_reference(fields, true);
  ImageSet set = read_fastmri_slices(reference.file, reference.size);
  std::string source = detail::concat(kFastMri, ":", reference.file, ":", reference.size);
  if (reference.index) {
    PB_REQUIRE(*reference.index < set.count, "index out of range [0, ", set.count, ")");
  } else {
    PB_REQUIRE(set.count == 1, reference.file, " holds ", set.count, " slices; add an index, e.g. ", specification,
               ":0");
  }
  const std::size_t index = reference.index.value_or(0);
  const auto image = set.image(index);
  return ImageSelection{set.shape, {image.begin(), image.end()}, std::nullopt, detail::concat(source, ":", index)};
}

// Runs `body`, prefixing any error message with `context`.
template <class Body>
auto with_context(const std::string& context, Body&& body) {
  try {
    return body();
  } catch (const Error& error) {
    throw Error(context + ": " + error.what(), error.file(), error.line());
  }
}

}  // namespace

ImageSelection load_image(const std::string& specification) {
  return with_context("--image " + specification, [&] {
    const std::vector<std::string> fields = split_fields(specification);
    if (fields.front() == kFashionMnist) {
      return load_fashion_mnist_image(fields);
    }
    if (fields.front() == kMri) {
      return load_mri_image(specification);
    }
    if (fields.front() == kFastMri) {
      return load_fastmri_image(fields, specification);
    }
    return load_hdf5_image(fields, specification);
  });
}

ImageSet load_training_set(const std::string& name, std::size_t limit) {
  return with_context("training set " + name, [&] {
    const std::vector<std::string> fields = split_fields(name);
    if (fields.front() == kFashionMnist) {
      PB_REQUIRE(fields.size() <= 2, "expected fashion-mnist or fashion-mnist:SPLIT");
      return read_fashion_mnist(fields.size() == 2 ? fields[1] : "train", fashion_mnist_directory(), limit);
    }
    if (fields.front() == kMri) {
      const MriSpecification mri = parse_mri_specification(name);
      PB_REQUIRE(!mri.index, "a training set takes no index; expected mri:VOLUME:AXIS:SIZE:PART[:KEY=VALUE]...");
      return first_images(load_mri_images(mri), limit);
    }
    if (fields.front() == kFastMri) {
      const FastMriReference reference = parse_fastmri_reference(fields, false);
      return first_images(read_fastmri_slices(reference.file, reference.size), limit);
    }
    const Hdf5Reference reference = parse_hdf5_reference(fields, false);
    return read_images(reference.file, reference.dataset, limit);
  });
}

}  // namespace priorbench::data
