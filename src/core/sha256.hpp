#pragma once
// SHA-256 (FIPS 180-4), for the identity of files whose results must not be mixed: the
// generator model a results file was made with (docs/results-format.md) and the rows of
// each recorded task. Self-contained, so core needs no cryptographic library; it guards
// against accidents (a replaced model, a flipped byte), not against an adversary who can
// rewrite the results file as well.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace priorbench {

class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  Sha256();
  void update(std::span<const std::uint8_t> bytes);
  void update(const void* data, std::size_t size);
  // The digest of everything given so far; the object may not be updated afterwards.
  Digest finish();

 private:
  void compress(const std::uint8_t* block);

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;  // bytes so far
  bool finished_ = false;
};

// Lower-case hexadecimal, 64 digits.
std::string hex_text(const Sha256::Digest& digest);

// The SHA-256 of a file's bytes as 64 hex digits, read in blocks; an error naming the file
// when it cannot be read.
std::string file_sha256(const std::filesystem::path& path);

}  // namespace priorbench
