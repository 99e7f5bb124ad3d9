#include "core/paths.hpp"

#include <filesystem>
#include <system_error>

#include "core/error.hpp"

namespace priorbench {
namespace {

std::filesystem::file_status status_of(const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  // A missing file, or a missing or non-directory parent, is an answer, not a failure.
  const bool missing = error == std::errc::no_such_file_or_directory || error == std::errc::not_a_directory;
  PB_REQUIRE(!error || missing, path, ": cannot access: ", error.message());
  return status;
}

}  // namespace

bool path_exists(const std::string& path) { return std::filesystem::exists(status_of(path)); }

bool is_directory_path(const std::string& path) { return std::filesystem::is_directory(status_of(path)); }

}  // namespace priorbench
