#pragma once
// Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017): 28x28 grey-scale images of clothing in
// ten classes, 60000 for training ("train") and 10000 for testing ("test"), read from
// the gzip IDX files of the Debian package dataset-fashion-mnist.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "data/image_set.hpp"

namespace priorbench::data {

inline constexpr const char* kFashionMnistDefaultDirectory = "/usr/share/datasets/fashion-mnist";
inline constexpr const char* kFashionMnistDirectoryVariable = "PRIORBENCH_FASHION_MNIST_DIR";

// $PRIORBENCH_FASHION_MNIST_DIR when set and non-empty, else the Debian directory.
std::string fashion_mnist_directory();

// The image and label files of `split` ("train" or "test") in `directory`:
// {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz, or the same names without .gz when
// only the uncompressed files are present. Throws naming the missing file, or the split
// and the valid ones.
struct FashionMnistFiles {
  std::string images;
  std::string labels;
};
FashionMnistFiles fashion_mnist_files(const std::string& split,
                                      const std::string& directory = fashion_mnist_directory());

// Images [first, first + limit) of `split` with their labels (limit 0: all), pixels in
// [0, 1]. The counts are whatever the files declare (60000 and 10000 for the real data).
ImageSet read_fashion_mnist(const std::string& split, const std::string& directory = fashion_mnist_directory(),
                            std::size_t limit = 0, std::size_t first = 0);

// "T-shirt/top", "Trouser", ..., "Ankle boot" for labels 0..9; throws for any other.
std::string_view fashion_mnist_class_name(std::int64_t label);

}  // namespace priorbench::data
