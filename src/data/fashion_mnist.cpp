#include "data/fashion_mnist.hpp"

#include <array>
#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"
#include "core/paths.hpp"
#include "data/idx.hpp"

namespace priorbench::data {
namespace {

std::string find_file(const std::filesystem::path& directory, const std::string& name) {
  const std::filesystem::path compressed = directory / (name + ".gz");
  if (path_exists(compressed.string())) {
    return compressed.string();
  }
  if (const std::filesystem::path plain = directory / name; path_exists(plain.string())) {
    return plain.string();
  }
  PB_FAIL(compressed.string(), ": Fashion-MNIST file does not exist; install the Debian package ",
          "dataset-fashion-mnist or set ", kFashionMnistDirectoryVariable, " to a directory holding it");
}

}  // namespace

std::string fashion_mnist_directory() {
  const char* directory = std::getenv(kFashionMnistDirectoryVariable);
  return directory != nullptr && *directory != '\0' ? directory : kFashionMnistDefaultDirectory;
}

FashionMnistFiles fashion_mnist_files(const std::string& split, const std::string& directory) {
  std::string prefix;
  if (split == "train") {
    prefix = "train";
  } else if (split == "test") {
    prefix = "t10k";
  } else {
    PB_FAIL("unknown Fashion-MNIST split '", split, "'; valid splits are train, test");
  }
  return {find_file(directory, prefix + "-images-idx3-ubyte"), find_file(directory, prefix + "-labels-idx1-ubyte")};
}

ImageSet read_fashion_mnist(const std::string& split, const std::string& directory, std::size_t limit,
                            std::size_t first) {
  const FashionMnistFiles files = fashion_mnist_files(split, directory);
  return read_idx_images(files.images, files.labels, limit, first);
}

std::string_view fashion_mnist_class_name(std::int64_t label) {
  static constexpr std::array<std::string_view, 10> names = {
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  PB_REQUIRE(label >= 0 && label < static_cast<std::int64_t>(names.size()), "Fashion-MNIST label ", label,
             " out of range [0, 10)");
  return names[static_cast<std::size_t>(label)];
}

}  // namespace priorbench::data
