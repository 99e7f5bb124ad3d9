#include "data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/memory_budget.hpp"
#include "core/paths.hpp"

namespace priorbench::data {
namespace {

constexpr std::uint32_t kImagesMagic = 0x00000803;
constexpr std::uint32_t kLabelsMagic = 0x00000801;
// Decompress in large blocks: with one gzread per 16 MiB the 47 MB of training images
// come out at zlib's own speed.
constexpr std::size_t kBlockBytes = std::size_t{1} << 24;
// The largest expansion of deflate data (the zlib FAQ: 1032:1).
constexpr std::uintmax_t kMaxGzipExpansion = 1032;
// zlib's input buffer (gzbuffer): its default 8 KiB up to 1 MiB.
constexpr std::uintmax_t kMinimumBuffer = 8192;
constexpr std::uintmax_t kMaximumBuffer = std::uintmax_t{1} << 20;
// Never reserve more than this many pixels ahead of reading them, so a corrupt header
// declaring billions of images fails as truncated rather than as an allocation failure.
constexpr std::size_t kMaxReservedPixels = std::size_t{1} << 27;

std::string hex(std::uint32_t value) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "0x%08X", static_cast<unsigned>(value));
  return text.data();
}

// What a magic number means, for error messages.
std::string describe_magic(std::uint32_t magic) {
  if ((magic >> 16) != 0) {
    return "not an IDX file";
  }
  const unsigned dimensions = magic & 0xFFu;
  const char* kind = nullptr;
  switch ((magic >> 8) & 0xFFu) {
    case 0x08:
      kind = "unsigned bytes";
      break;
    case 0x09:
      kind = "signed bytes";
      break;
    case 0x0B:
      kind = "16-bit integers";
      break;
    case 0x0C:
      kind = "32-bit integers";
      break;
    case 0x0D:
      kind = "32-bit floats";
      break;
    case 0x0E:
      kind = "64-bit floats";
      break;
    default:
      return "unknown IDX element type";
  }
  return detail::concat("IDX ", kind, ", ", dimensions, dimensions == 1 ? " dimension" : " dimensions");
}

// One file open for reading through zlib, which passes uncompressed files through
// unchanged, so plain IDX files work too.
class GzipInput {
 public:
  explicit GzipInput(std::string path) : path_(std::move(path)) {
    PB_REQUIRE(path_exists(path_), path_, ": file does not exist");
    PB_REQUIRE(!is_directory_path(path_), path_, ": is a directory, not a file");
    errno = 0;
    file_ = gzopen(path_.c_str(), "rb");
    PB_REQUIRE(file_ != nullptr, path_, ": cannot open: ", errno != 0 ? std::strerror(errno) : "out of memory");
    std::error_code unknown;  // not a regular file (a pipe): no size known
    file_size_ = std::filesystem::file_size(path_, unknown);
    if (unknown) file_size_ = std::numeric_limits<std::uintmax_t>::max();
    // A 1 MiB buffer (zlib adds 2 MiB of output) is for the large files; a small one
    // needs no more than its size.
    gzbuffer(file_, static_cast<unsigned>(std::clamp(file_size_, kMinimumBuffer, kMaximumBuffer)));
  }
  ~GzipInput() { gzclose(file_); }
  GzipInput(const GzipInput&) = delete;
  GzipInput& operator=(const GzipInput&) = delete;

  const std::string& path() const { return path_; }

  // An upper bound on the bytes the file can deliver: its size, or for gzip data the
  // largest expansion of deflate (1032:1). Nothing is reserved beyond it, however much
  // a header declares.
  std::uintmax_t max_data_bytes() {
    const std::uintmax_t unlimited = std::numeric_limits<std::uintmax_t>::max();
    if (gzdirect(file_)) return file_size_;
    return file_size_ > unlimited / kMaxGzipExpansion ? unlimited : file_size_ * kMaxGzipExpansion;
  }

  // Reads up to `size` bytes and returns how many arrived; fewer means the data ended.
  std::size_t read(unsigned char* data, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
      const auto block = static_cast<unsigned>(std::min(size - done, kBlockBytes));
      const int got = gzread(file_, data + done, block);
      if (got < 0) {
        int code = Z_OK;
        // zlib's message starts with the path; keep only what follows it.
        std::string message = gzerror(file_, &code);
        if (message.starts_with(path_ + ": ")) {
          message.erase(0, path_.size() + 2);
        }
        PB_FAIL(path_, ": corrupt gzip data: ", message);
      }
      if (got == 0) {
        break;
      }
      done += static_cast<std::size_t>(got);
    }
    return done;
  }

  // Appended to "truncated" messages when zlib saw the compressed stream itself cut off.
  std::string end_note() {
    int code = Z_OK;
    gzerror(file_, &code);
    return code == Z_BUF_ERROR ? " (the gzip stream is cut off)" : "";
  }

  std::uint32_t read_big_endian(const char* field) {
    std::array<unsigned char, 4> bytes{};
    PB_REQUIRE(read(bytes.data(), bytes.size()) == bytes.size(), path_,
               ": truncated: the file ends inside the IDX header, at the ", field, end_note());
    return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) | (std::uint32_t{bytes[2]} << 8) |
           std::uint32_t{bytes[3]};
  }

  bool at_end() {
    unsigned char byte = 0;
    return read(&byte, 1) == 0;
  }

  // Passes the next `size` bytes to `sink(data, count)` block by block; returns how many
  // bytes there were (fewer than `size` if the data ended).
  template <class Sink>
  std::size_t stream(std::size_t size, Sink&& sink) {
    const auto block_size =
        static_cast<std::size_t>(std::clamp<std::uintmax_t>(std::min(size, max_data_bytes()), 1, kBlockBytes));
    std::vector<unsigned char> block(block_size);
    std::size_t done = 0;
    while (done < size) {
      const std::size_t wanted = std::min(size - done, block.size());
      const std::size_t got = read(block.data(), wanted);
      sink(block.data(), got);
      done += got;
      if (got < wanted) {
        break;
      }
    }
    return done;
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
  std::uintmax_t file_size_ = 0;
};

void require_magic(GzipInput& input, std::uint32_t expected) {
  const std::uint32_t magic = input.read_big_endian("magic number");
  PB_REQUIRE(magic == expected, input.path(), ": bad magic number ", hex(magic), " (", describe_magic(magic),
             "), expected ", hex(expected), " (", describe_magic(expected), ")");
}

ImageSetInfo read_image_header(GzipInput& input) {
  require_magic(input, kImagesMagic);
  const std::uint32_t count = input.read_big_endian("image count");
  const std::uint32_t rows = input.read_big_endian("row count");
  const std::uint32_t cols = input.read_big_endian("column count");
  const auto pixels = std::uint64_t{rows} * cols;
  PB_REQUIRE(rows > 0 && cols > 0 && pixels <= static_cast<std::uint64_t>(std::numeric_limits<PetscInt>::max()),
             input.path(), ": implausible image size ", rows, "x", cols, " in the IDX header");
  return {ImageShape{static_cast<PetscInt>(rows), static_cast<PetscInt>(cols)}, count};
}

void require_index(const std::string& path, std::size_t first, std::size_t count, const char* what) {
  PB_REQUIRE(first < count || first == 0, path, ": first ", what, " index ", first, " out of range [0, ", count, ")");
}

std::vector<double> read_pixels(GzipInput& input, std::size_t skip, std::size_t wanted) {
  static const auto scaled = [] {
    std::array<double, 256> table{};
    for (std::size_t value = 0; value < table.size(); ++value) {
      table[value] = static_cast<double>(value) / 255.0;
    }
    return table;
  }();
  const std::size_t skipped = input.stream(skip, [](const unsigned char*, std::size_t) {});
  std::vector<double> pixels;
  pixels.reserve(std::min<std::uintmax_t>({wanted, kMaxReservedPixels, input.max_data_bytes()}));
  const std::size_t got = skipped < skip ? 0 : input.stream(wanted, [&](const unsigned char* bytes, std::size_t size) {
    const std::size_t offset = pixels.size();
    pixels.resize(offset + size);
    std::transform(bytes, bytes + size, pixels.begin() + static_cast<std::ptrdiff_t>(offset),
                   [](unsigned char byte) { return scaled[byte]; });
  });
  PB_REQUIRE(got == wanted, input.path(), ": truncated: expected ", skip + wanted, " pixel bytes, got ", skipped + got,
             input.end_note());
  return pixels;
}

std::vector<std::int64_t> read_labels(const std::string& labels_path, const std::string& images_path,
                                      std::size_t image_count, std::size_t first, std::size_t count) {
  GzipInput input(labels_path);
  require_magic(input, kLabelsMagic);
  const std::uint32_t label_count = input.read_big_endian("label count");
  PB_REQUIRE(label_count == image_count, labels_path, ": holds ", label_count, " labels but ", images_path, " holds ",
             image_count, " images");
  const std::size_t skipped = input.stream(first, [](const unsigned char*, std::size_t) {});
  std::vector<std::int64_t> labels;
  labels.reserve(std::min<std::uintmax_t>(count, input.max_data_bytes()));
  const std::size_t got = skipped < first ? 0 : input.stream(count, [&](const unsigned char* bytes, std::size_t size) {
    labels.insert(labels.end(), bytes, bytes + size);
  });
  PB_REQUIRE(got == count, labels_path, ": truncated: expected ", first + count, " label bytes, got ", skipped + got,
             input.end_note());
  PB_REQUIRE(first + count < image_count || input.at_end(), labels_path, ": unexpected data after the ", image_count,
             " labels the header declares");
  return labels;
}

}  // namespace

ImageSetInfo read_idx_image_info(const std::string& images_path) {
  GzipInput input(images_path);
  return read_image_header(input);
}

ImageSet read_idx_images(const std::string& images_path, const std::string& labels_path, std::size_t limit,
                         std::size_t first) {
  GzipInput input(images_path);
  const ImageSetInfo header = read_image_header(input);
  require_index(images_path, first, header.count, "image");
  const std::size_t available = header.count - first;
  ImageSet set;
  set.shape = header.shape;
  set.count = limit == 0 ? available : std::min(limit, available);
  const auto size = static_cast<std::size_t>(header.shape.size());
  require_memory(static_cast<std::uint64_t>(set.count) * size, sizeof(double),
                 detail::concat(images_path, ": ", set.count, " images of ", header.shape.height, "x",
                                header.shape.width, " (the count the IDX header declares)"));
  set.pixels = read_pixels(input, first * size, set.count * size);
  PB_REQUIRE(first + set.count < header.count || input.at_end(), images_path, ": unexpected data after the ",
             header.count, " images of ", header.shape.height, "x", header.shape.width, " the header declares");
  if (!labels_path.empty()) {
    set.labels = read_labels(labels_path, images_path, header.count, first, set.count);
  }
  return set;
}

}  // namespace priorbench::data
