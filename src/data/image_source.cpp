#include "data/image_source.hpp"

#include <charconv>
#include <string_view>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "data/fashion_mnist.hpp"
#include "data/hdf5_images.hpp"
#include "data/idx.hpp"

namespace priorbench::data {
namespace {

constexpr const char* kFashionMnist = "fashion-mnist";
constexpr const char* kImageForms = "expected fashion-mnist:SPLIT:INDEX or FILE:DATASET[:INDEX]";

std::vector<std::string> split_fields(const std::string& text) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = text.find(':', start);
    fields.push_back(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) {
      return fields;
    }
    start = colon + 1;
  }
}

std::string join_fields(const std::vector<std::string>& fields, std::size_t count) {
  std::string joined;
  for (std::size_t i = 0; i < count; ++i) {
    joined += (i == 0 ? "" : ":") + fields[i];
  }
  return joined;
}

bool looks_like_integer(std::string_view text) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    text.remove_prefix(1);
  }
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::size_t parse_index(const std::string& text) {
  std::size_t index = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), index);
  PB_REQUIRE(!text.empty() && error == std::errc() && end == text.data() + text.size(), "index '", text,
             "' is not a non-negative integer");
  return index;
}

std::string normalized_dataset(const std::string& dataset) { return dataset.front() == '/' ? dataset : "/" + dataset; }

// FILE:DATASET[:INDEX], split from the right so FILE may hold colons.
struct Hdf5Reference {
  std::string file;
  std::string dataset;
  std::optional<std::size_t> index;
};

Hdf5Reference parse_hdf5_reference(const std::vector<std::string>& fields, bool allow_index) {
  PB_REQUIRE(fields.size() >= 2, allow_index ? kImageForms : "expected fashion-mnist[:SPLIT] or FILE:DATASET");
  Hdf5Reference reference;
  std::size_t file_fields = fields.size() - 1;
  if (allow_index && fields.size() >= 3 && looks_like_integer(fields.back())) {
    reference.index = parse_index(fields.back());
    --file_fields;
  }
  reference.file = join_fields(fields, file_fields);
  reference.dataset = fields[file_fields];
  PB_REQUIRE(!reference.file.empty() && !reference.dataset.empty(),
             "the file name and the dataset name must not be empty");
  return reference;
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
    return fields.front() == kFashionMnist ? load_fashion_mnist_image(fields) : load_hdf5_image(fields, specification);
  });
}

ImageSet load_training_set(const std::string& name, std::size_t limit) {
  return with_context("training set " + name, [&] {
    const std::vector<std::string> fields = split_fields(name);
    if (fields.front() == kFashionMnist) {
      PB_REQUIRE(fields.size() <= 2, "expected fashion-mnist or fashion-mnist:SPLIT");
      return read_fashion_mnist(fields.size() == 2 ? fields[1] : "train", fashion_mnist_directory(), limit);
    }
    const Hdf5Reference reference = parse_hdf5_reference(fields, false);
    return read_images(reference.file, reference.dataset, limit);
  });
}

}  // namespace priorbench::data
