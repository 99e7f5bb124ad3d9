// Data layer: IDX/Fashion-MNIST reading against synthetic gzip files with known bytes,
// HDF5 image round trips, the --image specification parser, and, when the Debian
// package is installed, documented properties of the real Fashion-MNIST test split.

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "data/fashion_mnist.hpp"
#include "data/hdf5_images.hpp"
#include "data/idx.hpp"
#include "data/image_set.hpp"
#include "data/image_source.hpp"

#include "test_support.hpp"

namespace pb = priorbench;
namespace fs = std::filesystem;
using Bytes = std::vector<unsigned char>;

namespace {

void append_big_endian(Bytes& bytes, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    bytes.push_back(static_cast<unsigned char>(value >> shift));
  }
}

Bytes idx_images(std::uint32_t declared_count, std::uint32_t rows, std::uint32_t cols, const Bytes& pixels,
                 std::uint32_t magic = 0x00000803) {
  Bytes bytes;
  append_big_endian(bytes, magic);
  append_big_endian(bytes, declared_count);
  append_big_endian(bytes, rows);
  append_big_endian(bytes, cols);
  bytes.insert(bytes.end(), pixels.begin(), pixels.end());
  return bytes;
}

Bytes idx_labels(std::uint32_t declared_count, const Bytes& labels) {
  Bytes bytes;
  append_big_endian(bytes, 0x00000801);
  append_big_endian(bytes, declared_count);
  bytes.insert(bytes.end(), labels.begin(), labels.end());
  return bytes;
}

void write_gzip(const fs::path& path, const Bytes& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

void write_plain(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

using priorbench::testing_support::expect_error;

// Three 4x5 images whose bytes cover 0 and 255, and their labels.
constexpr std::uint32_t kCount = 3;
constexpr std::uint32_t kRows = 4;
constexpr std::uint32_t kCols = 5;

Bytes synthetic_pixels() {
  Bytes pixels(kCount * kRows * kCols);
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    pixels[i] = static_cast<unsigned char>((i * 37 + 11) % 256);
  }
  pixels[0] = 0;
  pixels[1] = 255;
  return pixels;
}

const Bytes kLabels = {7, 0, 9};

class TempDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::temp_directory_path() /
                 ("priorbench_data_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::string path(const std::string& name) const { return (directory_ / name).string(); }

  // A complete synthetic Fashion-MNIST test split in the temporary directory.
  void write_synthetic_test_split() {
    write_gzip(path("t10k-images-idx3-ubyte.gz"), idx_images(kCount, kRows, kCols, synthetic_pixels()));
    write_gzip(path("t10k-labels-idx1-ubyte.gz"), idx_labels(kCount, kLabels));
  }

  fs::path directory_;
};

using Idx = TempDirectory;

TEST_F(Idx, ReadsSyntheticImagesExactlyScaledBy255WithLabels) {
  write_synthetic_test_split();
  const auto set = pb::data::read_idx_images(path("t10k-images-idx3-ubyte.gz"), path("t10k-labels-idx1-ubyte.gz"));
  EXPECT_EQ(set.count, kCount);
  EXPECT_EQ(set.shape, (pb::ImageShape{kRows, kCols}));
  const Bytes pixels = synthetic_pixels();
  ASSERT_EQ(set.pixels.size(), pixels.size());
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    ASSERT_EQ(set.pixels[i], static_cast<double>(pixels[i]) / 255.0) << "pixel " << i;
  }
  EXPECT_EQ(set.pixels[0], 0.0);
  EXPECT_EQ(set.pixels[1], 1.0);
  EXPECT_EQ(set.labels, (std::vector<std::int64_t>{7, 0, 9}));
  const auto second = set.image(1);
  ASSERT_EQ(second.size(), kRows * kCols);
  EXPECT_EQ(second[0], static_cast<double>(pixels[kRows * kCols]) / 255.0);
  EXPECT_THROW(set.image(3), pb::Error);
}

TEST_F(Idx, LimitAndFirstSelectAContiguousRangeWithMatchingLabels) {
  write_synthetic_test_split();
  const auto images = path("t10k-images-idx3-ubyte.gz");
  const auto labels = path("t10k-labels-idx1-ubyte.gz");
  const auto all = pb::data::read_idx_images(images, labels);
  const auto middle = pb::data::read_idx_images(images, labels, 1, 1);
  EXPECT_EQ(middle.count, 1u);
  EXPECT_EQ(middle.labels, (std::vector<std::int64_t>{0}));
  EXPECT_TRUE(std::equal(middle.pixels.begin(), middle.pixels.end(), all.image(1).begin()));
  const auto tail = pb::data::read_idx_images(images, "", 10, 1);
  EXPECT_EQ(tail.count, 2u);
  EXPECT_TRUE(tail.labels.empty());
  EXPECT_EQ(pb::data::read_idx_images(images, labels, 2).count, 2u);
  expect_error([&] { pb::data::read_idx_images(images, labels, 1, 3); }, {images, "out of range [0, 3)"});
  const auto info = pb::data::read_idx_image_info(images);
  EXPECT_EQ(info.count, kCount);
  EXPECT_EQ(info.shape, (pb::ImageShape{kRows, kCols}));
}

TEST_F(Idx, ReadsUncompressedFilesToo) {
  write_plain(path("images"), idx_images(kCount, kRows, kCols, synthetic_pixels()));
  const auto set = pb::data::read_idx_images(path("images"), "");
  EXPECT_EQ(set.count, kCount);
  EXPECT_EQ(set.pixels[1], 1.0);
}

TEST_F(Idx, MissingFileIsAnErrorNamingIt) {
  const auto missing = path("nothing-here.gz");
  expect_error([&] { pb::data::read_idx_images(missing, ""); }, {missing, "does not exist"});
}

TEST_F(Idx, BadMagicNumberIsAnErrorNamingFileAndMagic) {
  const auto images = path("images.gz");
  write_gzip(images, idx_images(kCount, kRows, kCols, synthetic_pixels(), 0x00000801));
  expect_error([&] { pb::data::read_idx_images(images, ""); }, {images, "bad magic number 0x00000801", "0x00000803"});
  write_gzip(images, Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  expect_error([&] { pb::data::read_idx_images(images, ""); }, {images, "bad magic number", "not an IDX file"});
}

TEST_F(Idx, TruncatedPixelsAreAnErrorGivingExpectedAndActualByteCounts) {
  const auto images = path("images.gz");
  Bytes pixels = synthetic_pixels();
  pixels.resize(25);
  write_gzip(images, idx_images(kCount, kRows, kCols, pixels));
  expect_error([&] { pb::data::read_idx_images(images, ""); }, {images, "truncated: expected 60 pixel bytes, got 25"});
  // A header cut short.
  write_gzip(images, Bytes{0, 0, 8, 3, 0, 0});
  expect_error([&] { pb::data::read_idx_images(images, ""); }, {images, "truncated", "IDX header"});
  // An empty file.
  write_gzip(images, Bytes{});
  expect_error([&] { pb::data::read_idx_images(images, ""); }, {images, "truncated"});
}

TEST_F(Idx, CutOffGzipStreamIsAnErrorNamingTheFile) {
  Bytes pixels(kCount * 100 * 100);
  std::iota(pixels.begin(), pixels.end(), 0);
  const auto whole = path("whole.gz");
  write_gzip(whole, idx_images(kCount, 100, 100, pixels));
  std::ifstream in(whole, std::ios::binary);
  const std::string compressed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto cut = path("cut.gz");
  std::ofstream(cut, std::ios::binary).write(compressed.data(), static_cast<std::streamsize>(compressed.size() / 2));
  expect_error([&] { pb::data::read_idx_images(cut, ""); }, {cut, "truncated"});
}

TEST_F(Idx, CorruptGzipDataIsAnErrorNamingTheFile) {
  const auto images = path("images.gz");
  write_gzip(images, idx_images(kCount, kRows, kCols, synthetic_pixels()));
  std::fstream file(images, std::ios::binary | std::ios::in | std::ios::out);
  file.seekp(-8, std::ios::end);  // the gzip trailer's CRC-32 of the data
  file.put('\x5A').put('\x5A');
  file.close();
  expect_error([&] { pb::data::read_idx_images(images, ""); }, {images, "corrupt gzip data"});
  expect_error([&] { pb::data::read_idx_images(directory_.string(), ""); }, {directory_.string(), "is a directory"});
}

TEST_F(Idx, ExtraDataAfterTheDeclaredImagesIsAnError) {
  const auto images = path("images.gz");
  Bytes pixels = synthetic_pixels();
  pixels.push_back(1);
  write_gzip(images, idx_images(kCount, kRows, kCols, pixels));
  expect_error([&] { pb::data::read_idx_images(images, ""); }, {images, "unexpected data after the 3 images"});
  // Reading only a prefix does not look at the end.
  EXPECT_EQ(pb::data::read_idx_images(images, "", 2).count, 2u);
}

TEST_F(Idx, LabelCountDifferentFromImageCountIsAnErrorNamingBothFiles) {
  const auto images = path("images.gz");
  const auto labels = path("labels.gz");
  write_gzip(images, idx_images(kCount, kRows, kCols, synthetic_pixels()));
  write_gzip(labels, idx_labels(2, Bytes{7, 0}));
  expect_error([&] { pb::data::read_idx_images(images, labels); }, {labels, "holds 2 labels", images, "3 images"});
  write_gzip(labels, idx_labels(kCount, Bytes{7, 0}));
  expect_error([&] { pb::data::read_idx_images(images, labels); },
               {labels, "truncated: expected 3 label bytes, got 2"});
  write_gzip(labels, idx_images(kCount, kRows, kCols, synthetic_pixels()));
  expect_error([&] { pb::data::read_idx_images(images, labels); }, {labels, "bad magic number 0x00000803"});
}

TEST_F(Idx, FashionMnistSplitsMapToTheirFilesAndUnknownSplitsAreNamed) {
  write_synthetic_test_split();
  const auto set = pb::data::read_fashion_mnist("test", directory_.string());
  EXPECT_EQ(set.count, kCount);
  EXPECT_EQ(set.labels.size(), kCount);
  expect_error([&] { pb::data::read_fashion_mnist("validation", directory_.string()); },
               {"'validation'", "train, test"});
  expect_error([&] { pb::data::read_fashion_mnist("train", directory_.string()); },
               {path("train-images-idx3-ubyte.gz"), "dataset-fashion-mnist", "PRIORBENCH_FASHION_MNIST_DIR"});
  EXPECT_EQ(pb::data::fashion_mnist_class_name(9), "Ankle boot");
  EXPECT_THROW(pb::data::fashion_mnist_class_name(10), pb::Error);
}

TEST(FashionMnistDirectory, EnvironmentVariableOverridesTheDebianDefault) {
  const char* saved = std::getenv("PRIORBENCH_FASHION_MNIST_DIR");
  const std::string previous = saved != nullptr ? saved : "";
  ::unsetenv("PRIORBENCH_FASHION_MNIST_DIR");
  EXPECT_EQ(pb::data::fashion_mnist_directory(), "/usr/share/datasets/fashion-mnist");
  ::setenv("PRIORBENCH_FASHION_MNIST_DIR", "/somewhere/else", 1);
  EXPECT_EQ(pb::data::fashion_mnist_directory(), "/somewhere/else");
  if (saved != nullptr) {
    ::setenv("PRIORBENCH_FASHION_MNIST_DIR", previous.c_str(), 1);
  } else {
    ::unsetenv("PRIORBENCH_FASHION_MNIST_DIR");
  }
}

// Writes `values` as a dataset of `file_type` (HDF5 converts from `memory_type`).
template <class Value>
void write_raw(hid_t location, const std::string& name, hid_t file_type, hid_t memory_type,
               const std::vector<Value>& values, const pb::h5::Shape& shape) {
  pb::h5::Object space(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr), H5Sclose);
  pb::h5::Object dataset(H5Dcreate2(location, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                         H5Dclose);
  ASSERT_GE(dataset.id(), 0);
  ASSERT_GE(H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
}

// Three 2x3 images with distinct, non-representable-in-float values.
pb::data::ImageSet small_stack() {
  pb::data::ImageSet set;
  set.shape = {2, 3};
  set.count = 3;
  set.pixels.resize(18);
  for (std::size_t i = 0; i < set.pixels.size(); ++i) {
    set.pixels[i] = 0.1 * static_cast<double>(i) + 1.0 / 3.0;
  }
  set.labels = {4, 1, 8};
  return set;
}

using Hdf5Images = TempDirectory;

TEST_F(Hdf5Images, SingleImageAndStackRoundTripExactly) {
  const auto file_path = path("images.h5");
  const auto stack = small_stack();
  const auto first = stack.image(0);
  {
    auto file = pb::h5::create_file(file_path, false);
    pb::data::write_image(file, "image", stack.shape, first);
    pb::data::write_image_stack(file, "stack", stack);
    auto unlabelled = stack;
    unlabelled.labels.clear();
    pb::data::write_image_stack(file, "unlabelled", unlabelled);
  }
  const auto image = pb::data::read_images(file_path, "image");
  EXPECT_EQ(image.count, 1u);
  EXPECT_EQ(image.shape, stack.shape);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), image.pixels.begin(), image.pixels.end()));
  EXPECT_TRUE(image.labels.empty());

  const auto read = pb::data::read_images(file_path, "stack");
  EXPECT_EQ(read.count, stack.count);
  EXPECT_EQ(read.shape, stack.shape);
  EXPECT_EQ(read.pixels, stack.pixels);
  EXPECT_EQ(read.labels, stack.labels);
  EXPECT_TRUE(pb::data::read_images(file_path, "unlabelled").labels.empty());

  const auto last_two = pb::data::read_images(file_path, "/stack", 0, 1);
  EXPECT_EQ(last_two.count, 2u);
  EXPECT_EQ(last_two.labels, (std::vector<std::int64_t>{1, 8}));
  EXPECT_TRUE(std::equal(last_two.pixels.begin(), last_two.pixels.end(), stack.pixels.begin() + 6));
  const auto middle = pb::data::read_images(file_path, "stack", 1, 1);
  EXPECT_EQ(middle.count, 1u);
  EXPECT_TRUE(std::equal(middle.pixels.begin(), middle.pixels.end(), stack.image(1).begin()));

  auto file = pb::h5::open_file(file_path);
  const auto info = pb::data::read_image_info(file, "stack");
  EXPECT_EQ(info.count, 3u);
  EXPECT_FALSE(info.single_image);
  EXPECT_TRUE(pb::data::read_image_info(file, "image").single_image);
}

TEST_F(Hdf5Images, Float32AndIntegerDatasetsAreReadAsStoredWithoutScaling) {
  const auto file_path = path("types.h5");
  const std::vector<float> floats = {0.5F, 0.25F, -1.5F, 0.125F, 3.0F, 0.1F};
  const std::vector<unsigned char> bytes = {0, 1, 127, 128, 254, 255};
  const std::vector<std::int16_t> shorts = {-300, 0, 7, 12000, -1, 2};
  {
    auto file = pb::h5::create_file(file_path, false);
    write_raw(file, "float32", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, floats, {2, 3});
    write_raw(file, "uint8", H5T_STD_U8LE, H5T_NATIVE_UCHAR, bytes, {1, 2, 3});
    write_raw(file, "int16", H5T_STD_I16BE, H5T_NATIVE_INT16, shorts, {2, 3});
  }
  const auto from_floats = pb::data::read_images(file_path, "float32");
  ASSERT_EQ(from_floats.pixels.size(), floats.size());
  for (std::size_t i = 0; i < floats.size(); ++i) {
    EXPECT_EQ(from_floats.pixels[i], static_cast<double>(floats[i]));
  }
  const auto from_bytes = pb::data::read_images(file_path, "uint8");
  EXPECT_EQ(from_bytes.count, 1u);
  EXPECT_EQ(from_bytes.pixels, (std::vector<double>{0, 1, 127, 128, 254, 255}));
  EXPECT_EQ(pb::data::read_images(file_path, "int16").pixels, (std::vector<double>{-300, 0, 7, 12000, -1, 2}));
}

TEST_F(Hdf5Images, BadDatasetsAreErrorsNamingFileAndDataset) {
  const auto file_path = path("bad.h5");
  {
    auto file = pb::h5::create_file(file_path, false);
    pb::h5::write(file, "vector", std::vector<double>{1, 2, 3});
    pb::h5::write_string(file, "text", "not an image");
    pb::h5::write(file, "nan", std::vector<double>{0, 1, 2, std::nan("")}, {2, 2});
    auto stack = small_stack();
    pb::data::write_image_stack(file, "stack", stack);
    pb::h5::write(file, "short_labels", std::vector<std::int64_t>{1, 2});
    stack.labels.clear();
    pb::data::write_image_stack(file, "short", stack);
    EXPECT_THROW(pb::data::write_image(file, "wrong", {2, 2}, std::vector<double>{1, 2, 3}), pb::Error);
  }
  expect_error([&] { pb::data::read_images(file_path, "missing"); }, {file_path + ":/missing", "does not exist"});
  expect_error([&] { pb::data::read_images(file_path, "vector"); }, {file_path + ":/vector", "1 dimensions"});
  expect_error([&] { pb::data::read_images(file_path, "text"); }, {file_path + ":/text", "not a numeric dataset"});
  expect_error([&] { pb::data::read_images(file_path, "nan"); }, {file_path + ":/nan", "pixel (1, 1)", "not finite"});
  expect_error([&] { pb::data::read_images(file_path, "stack", 1, 3); },
               {file_path + ":/stack", "out of range [0, 3)"});
  expect_error([&] { pb::data::read_images(file_path, "short"); }, {file_path + ":/short_labels", "expected 3 labels"});
  expect_error([&] { pb::data::read_images(path("absent.h5"), "stack"); }, {path("absent.h5"), "does not exist"});
}

// Points PRIORBENCH_FASHION_MNIST_DIR at a synthetic test split (and an HDF5 file) for
// the duration of each test.
class ImageSpecification : public TempDirectory {
 protected:
  void SetUp() override {
    TempDirectory::SetUp();
    const char* saved = std::getenv(pb::data::kFashionMnistDirectoryVariable);
    saved_ = saved != nullptr ? std::optional<std::string>(saved) : std::nullopt;
    ::setenv(pb::data::kFashionMnistDirectoryVariable, directory_.c_str(), 1);
    write_synthetic_test_split();
    h5_ = path("user.h5");
    auto file = pb::h5::create_file(h5_, false);
    const auto stack = small_stack();
    pb::data::write_image_stack(file, "stack", stack);
    pb::data::write_image(file, "image", stack.shape, stack.image(2));
    auto one = stack;
    one.count = 1;
    one.pixels.resize(6);
    one.labels.resize(1);
    pb::data::write_image_stack(file, "one", one);
  }
  void TearDown() override {
    if (saved_) {
      ::setenv(pb::data::kFashionMnistDirectoryVariable, saved_->c_str(), 1);
    } else {
      ::unsetenv(pb::data::kFashionMnistDirectoryVariable);
    }
    TempDirectory::TearDown();
  }

  // The exact message load_image throws for `specification`.
  static std::string message_of(const std::string& specification) {
    try {
      pb::data::load_image(specification);
    } catch (const pb::Error& error) {
      return error.what();
    }
    return "(no error)";
  }

  std::string h5_;
  std::optional<std::string> saved_;
};

TEST_F(ImageSpecification, FashionMnistSplitAndIndexSelectOneLabelledImage) {
  const auto selection = pb::data::load_image("fashion-mnist:test:2");
  EXPECT_EQ(selection.shape, (pb::ImageShape{kRows, kCols}));
  EXPECT_EQ(selection.source, "fashion-mnist:test:2");
  EXPECT_EQ(selection.label, std::optional<std::int64_t>(9));
  const Bytes pixels = synthetic_pixels();
  ASSERT_EQ(selection.pixels.size(), kRows * kCols);
  for (std::size_t i = 0; i < selection.pixels.size(); ++i) {
    EXPECT_EQ(selection.pixels[i], static_cast<double>(pixels[2 * kRows * kCols + i]) / 255.0);
  }
}

TEST_F(ImageSpecification, FashionMnistMistakesNameTheSpecificationAndTheFault) {
  EXPECT_EQ(message_of("fashion-mnist:test:3"), "--image fashion-mnist:test:3: index out of range [0, 3)");
  EXPECT_EQ(
      message_of("fashion-mnist:validation:0"),
      "--image fashion-mnist:validation:0: unknown Fashion-MNIST split 'validation'; valid splits are train, test");
  EXPECT_EQ(message_of("fashion-mnist:test:-1"),
            "--image fashion-mnist:test:-1: index '-1' is not a non-negative integer");
  EXPECT_EQ(message_of("fashion-mnist:test:x"),
            "--image fashion-mnist:test:x: index 'x' is not a non-negative integer");
  EXPECT_NE(message_of("fashion-mnist:test").find("expected fashion-mnist:SPLIT:INDEX"), std::string::npos);
  EXPECT_NE(message_of("fashion-mnist:test:1:2").find("expected fashion-mnist:SPLIT:INDEX"), std::string::npos);
  const auto missing = message_of("fashion-mnist:train:0");
  EXPECT_EQ(missing.rfind("--image fashion-mnist:train:0: ", 0), 0u) << missing;
  EXPECT_NE(missing.find(path("train-images-idx3-ubyte.gz")), std::string::npos) << missing;
}

TEST_F(ImageSpecification, Hdf5StackIndexAndSingleImagesAreSelected) {
  const auto stack = small_stack();
  const auto from_stack = pb::data::load_image(h5_ + ":stack:1");
  EXPECT_EQ(from_stack.source, h5_ + ":/stack:1");
  EXPECT_EQ(from_stack.shape, stack.shape);
  EXPECT_TRUE(std::equal(from_stack.pixels.begin(), from_stack.pixels.end(), stack.image(1).begin()));
  EXPECT_EQ(from_stack.label, std::optional<std::int64_t>(1));

  const auto single = pb::data::load_image(h5_ + ":/image");
  EXPECT_EQ(single.source, h5_ + ":/image");
  EXPECT_TRUE(std::equal(single.pixels.begin(), single.pixels.end(), stack.image(2).begin()));
  EXPECT_FALSE(single.label.has_value());

  const auto only = pb::data::load_image(h5_ + ":one");
  EXPECT_EQ(only.source, h5_ + ":/one:0");
  EXPECT_EQ(only.label, std::optional<std::int64_t>(4));

  // The file name may itself contain a colon.
  const auto colon_path = path("a:b.h5");
  fs::copy_file(h5_, colon_path);
  EXPECT_EQ(pb::data::load_image(colon_path + ":stack:0").source, colon_path + ":/stack:0");
}

TEST_F(ImageSpecification, Hdf5MistakesNameTheSpecificationAndTheFault) {
  EXPECT_EQ(message_of(h5_ + ":stack:3"), "--image " + h5_ + ":stack:3: index out of range [0, 3)");
  EXPECT_EQ(message_of(h5_ + ":stack"), "--image " + h5_ + ":stack: " + h5_ +
                                            ":/stack is a stack of 3 images; add an index, e.g. " + h5_ + ":stack:0");
  EXPECT_EQ(message_of(h5_ + ":image:0"),
            "--image " + h5_ + ":image:0: " + h5_ + ":/image is a single 2x3 image; drop the index");
  EXPECT_NE(message_of(h5_ + ":nothing").find(h5_ + ":/nothing"), std::string::npos);
  EXPECT_NE(message_of(path("absent.h5") + ":stack:0").find(path("absent.h5")), std::string::npos);
  EXPECT_EQ(message_of("picture.png"),
            "--image picture.png: expected fashion-mnist:SPLIT:INDEX, mri:VOLUME:AXIS:SIZE:PART:INDEX, "
            "fastmri:FILE:SIZE[:INDEX] or FILE:DATASET[:INDEX]");
  EXPECT_NE(message_of(":stack").find("must not be empty"), std::string::npos);
}

TEST_F(ImageSpecification, TrainingSetsComeFromFashionMnistOrHdf5Stacks) {
  write_gzip(path("train-images-idx3-ubyte.gz"), idx_images(kCount, kRows, kCols, synthetic_pixels()));
  write_gzip(path("train-labels-idx1-ubyte.gz"), idx_labels(kCount, kLabels));
  const auto train = pb::data::load_training_set("fashion-mnist");
  EXPECT_EQ(train.count, kCount);
  EXPECT_EQ(train.labels.size(), kCount);
  EXPECT_EQ(pb::data::load_training_set("fashion-mnist:test", 2).count, 2u);
  const auto user = pb::data::load_training_set(h5_ + ":stack", 2);
  EXPECT_EQ(user.count, 2u);
  EXPECT_EQ(user.labels, (std::vector<std::int64_t>{4, 1}));
  expect_error([] { pb::data::load_training_set("fashion-mnist:dev"); },
               {"training set fashion-mnist:dev: ", "'dev'", "train, test"});
  expect_error([] { pb::data::load_training_set("mnist"); }, {"training set mnist: ", "expected"});
}

// The real data, when the Debian package dataset-fashion-mnist is installed.
TEST(RealFashionMnist, TestSplitHasTheDocumentedSizeRangeAndBalancedClasses) {
  const std::string directory = pb::data::kFashionMnistDefaultDirectory;
  if (!fs::exists(fs::path(directory) / "t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Fashion-MNIST is not installed in " << directory << " (Debian package dataset-fashion-mnist)";
  }
  const auto set = pb::data::read_fashion_mnist("test", directory);
  EXPECT_EQ(set.count, 10000u);
  EXPECT_EQ(set.shape, (pb::ImageShape{28, 28}));
  ASSERT_EQ(set.pixels.size(), 10000u * 784u);
  const auto [low, high] = std::minmax_element(set.pixels.begin(), set.pixels.end());
  EXPECT_GE(*low, 0.0);
  EXPECT_LE(*high, 1.0);
  // Fashion-MNIST images are mostly dark background around a bright garment.
  const double mean = std::accumulate(set.pixels.begin(), set.pixels.end(), 0.0) / set.pixels.size();
  EXPECT_GT(mean, 0.2);
  EXPECT_LT(mean, 0.4);
  // Ten classes, 1000 test images each (Xiao, Rasul & Vollgraf 2017).
  ASSERT_EQ(set.labels.size(), 10000u);
  std::vector<int> per_class(10, 0);
  for (const auto label : set.labels) {
    ASSERT_GE(label, 0);
    ASSERT_LE(label, 9);
    ++per_class[static_cast<std::size_t>(label)];
  }
  EXPECT_EQ(per_class, std::vector<int>(10, 1000));
}

TEST(RealFashionMnist, TrainSplitDeclaresSixtyThousandImagesOf28By28) {
  const std::string directory = pb::data::kFashionMnistDefaultDirectory;
  if (!fs::exists(fs::path(directory) / "train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Fashion-MNIST is not installed in " << directory << " (Debian package dataset-fashion-mnist)";
  }
  const auto files = pb::data::fashion_mnist_files("train", directory);
  const auto info = pb::data::read_idx_image_info(files.images);
  EXPECT_EQ(info.count, 60000u);
  EXPECT_EQ(info.shape, (pb::ImageShape{28, 28}));
  const auto last = pb::data::read_fashion_mnist("train", directory, 1, 59999);
  ASSERT_EQ(last.count, 1u);
  ASSERT_EQ(last.labels.size(), 1u);
  EXPECT_GE(last.labels[0], 0);
  EXPECT_LE(last.labels[0], 9);
}

}  // namespace
