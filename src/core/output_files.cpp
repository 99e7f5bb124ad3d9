#include "core/output_files.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "core/error.hpp"
#include "core/hdf5.hpp"

namespace priorbench {

namespace fs = std::filesystem;

namespace {

fs::path parent_or_current(const fs::path& path) { return path.has_parent_path() ? path.parent_path() : fs::path("."); }

// `directory/.NAME.KIND-PID-XXXXXX`, the pattern mkstemp and mkdtemp fill in.
std::string temporary_pattern(const fs::path& target, const std::string& kind) {
  return (parent_or_current(target) /
          ("." + target.filename().string() + "." + kind + "-" + std::to_string(::getpid()) + "-XXXXXX"))
      .string();
}

}  // namespace

AtomicFile::AtomicFile(fs::path target) : target_(std::move(target)) {
  PB_REQUIRE(!target_.filename().empty(), "cannot write '", target_.string(), "': it names no file");
  check_output_directory(target_);
  std::string pattern = temporary_pattern(target_, "tmp");
  const int descriptor = ::mkstemp(pattern.data());
  PB_REQUIRE(descriptor >= 0, "cannot create a temporary file next to ", target_.string(), ": ", std::strerror(errno));
  ::close(descriptor);
  temporary_ = pattern;
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove(temporary_, ignored);
}

void AtomicFile::commit() {
  std::error_code error;
  fs::rename(temporary_, target_, error);
  PB_REQUIRE(!error, "cannot move the finished ", target_.string(), " into place: ", error.message());
  committed_ = true;
}

void AtomicFile::commit_if_absent() {
  // A hard link fails atomically when the target exists (rename would replace it).
  if (::link(temporary_.c_str(), target_.c_str()) != 0) {
    const int code = errno;
    PB_REQUIRE(code != EEXIST, target_.string(), " appeared while it was being written; it was not replaced");
    PB_FAIL("cannot move the finished ", target_.string(), " into place: ", std::strerror(code));
  }
  std::error_code ignored;
  fs::remove(temporary_, ignored);
  committed_ = true;
}

void write_text_file(const fs::path& path, const std::string& text) {
  AtomicFile file(path);
  {
    std::ofstream out(file.path(), std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    PB_REQUIRE(out.good(), "cannot write ", path.string());
  }
  file.commit();
}

void check_output_directory(const fs::path& path, const std::string& option) {
  const fs::path directory = parent_or_current(path);
  PB_REQUIRE(fs::is_directory(directory), option, " ", path.string(), ": directory ", directory.string(),
             " does not exist");
}

void check_replaceable(const fs::path& path, bool force, const OwnOutputTest& is_own, const std::string& option) {
  PB_REQUIRE(!path.empty(), option, ": the output path is empty");
  std::error_code error;
  const auto status = fs::symlink_status(path, error);
  if (!fs::exists(status)) return;
  PB_REQUIRE(force, "output file ", path.string(), " already exists; pass --force to replace it (", option, ")");
  PB_REQUIRE(fs::is_regular_file(status), option, " ", path.string(),
             " exists and is not a regular file; --force replaces only files priorbench wrote, so it is left "
             "untouched");
  const std::string what = is_own(path);
  PB_REQUIRE(what.empty(), option, " ", path.string(), " exists and is ", what,
             "; --force replaces only files priorbench wrote, so it is left untouched");
}

OwnOutputTest hdf5_with_format(const std::string& format) {
  return [format](const fs::path& path) -> std::string {
    if (H5Fis_hdf5(path.c_str()) <= 0) return "not an HDF5 file";
    const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (id < 0) return "an HDF5 file that cannot be opened";
    const h5::Object file(id, H5Fclose);
    if (!h5::has_attribute(file, "format")) return "an HDF5 file without a 'format' attribute";
    const std::string found = h5::read_string_attribute(file, "format");
    return found == format ? "" : "a file of format '" + found + "', not '" + format + "'";
  };
}

// ---- OutputDirectory --------------------------------------------------------------------

namespace {

std::string manifest_header(const std::string& owner) {
  return "# " + owner + ": the files it wrote here; --force replaces these and nothing else";
}

bool leaves_directory(const fs::path& relative) {
  if (relative.empty() || relative.is_absolute()) return true;
  return std::any_of(relative.begin(), relative.end(), [](const fs::path& part) { return part == ".."; });
}

// Removes `path` if it is an empty directory, then its parents up to (excluding) `top`.
void remove_empty_directories(fs::path path, const fs::path& top) {
  std::error_code error;
  while (path != top && fs::is_directory(path, error) && fs::is_empty(path, error)) {
    fs::remove(path, error);
    path = path.parent_path();
  }
}

}  // namespace

std::vector<std::string> read_manifest(const fs::path& directory, const std::string& owner) {
  const fs::path manifest = directory / OutputDirectory::kManifestName;
  std::ifstream in(manifest);
  PB_REQUIRE(in.good(), "cannot read ", manifest.string());
  std::string line;
  PB_REQUIRE(std::getline(in, line) && line == manifest_header(owner), manifest.string(), " is not a manifest of ",
             owner, " (first line '", line.substr(0, 80), "')");
  std::vector<std::string> files;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    PB_REQUIRE(!leaves_directory(fs::path(line).lexically_normal()) && line != OutputDirectory::kManifestName,
               manifest.string(), " lists '", line, "', which is not a file inside ", directory.string());
    files.push_back(fs::path(line).lexically_normal().generic_string());
  }
  return files;
}

OutputDirectory::OutputDirectory(fs::path directory, std::string owner)
    : directory_(std::move(directory)), owner_(std::move(owner)) {
  PB_REQUIRE(!directory_.empty(), "-o: the output directory is empty");
  if (directory_.filename().empty()) directory_ = directory_.parent_path();  // "dir/" → "dir"
  if (directory_.filename() == "." || directory_.filename() == "..") directory_ = fs::weakly_canonical(directory_);
  const fs::path parent = parent_or_current(directory_);
  fs::create_directories(parent);
  std::string pattern = temporary_pattern(directory_, "staging");
  PB_REQUIRE(::mkdtemp(pattern.data()) != nullptr, "cannot create a staging directory next to ", directory_.string(),
             ": ", std::strerror(errno));
  staging_ = pattern;
}

OutputDirectory::~OutputDirectory() {
  std::error_code ignored;
  fs::remove_all(staging_, ignored);  // created by this object and holding only what it wrote
}

void OutputDirectory::check_writable(bool force) const {
  std::error_code error;
  const auto status = fs::symlink_status(directory_, error);
  if (!fs::exists(status)) return;
  PB_REQUIRE(fs::is_directory(status), directory_.string(), " exists and is not a directory; refusing to replace it");
  if (fs::is_empty(directory_)) return;
  PB_REQUIRE(fs::exists(directory_ / kManifestName), directory_.string(), " holds files that ", owner_,
             " did not write (there is no ", kManifestName,
             " listing its own); nothing in it was changed: choose another directory");
  PB_REQUIRE(force, "output directory ", directory_.string(), " already exists; pass --force to replace the files ",
             owner_, " wrote there (other files are left alone)");
  read_manifest(directory_, owner_);
}

std::vector<std::string> OutputDirectory::staged_files() const {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(staging_)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), staging_).generic_string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void OutputDirectory::commit() {
  PB_REQUIRE(!committed_, "output directory ", directory_.string(), " committed twice");
  const std::vector<std::string> files = staged_files();
  std::string listing = manifest_header(owner_) + "\n";
  for (const auto& file : files) listing += file + "\n";

  if (!fs::exists(directory_)) {
    write_text_file(staging_ / kManifestName, listing);
    fs::rename(staging_, directory_);
    committed_ = true;
    return;
  }
  const std::vector<std::string> old =
      fs::exists(directory_ / kManifestName) ? read_manifest(directory_, owner_) : std::vector<std::string>{};
  const std::set<std::string> old_set(old.begin(), old.end()), new_set(files.begin(), files.end());
  for (const auto& file : files) {
    PB_REQUIRE(old_set.count(file) || !fs::exists(fs::symlink_status(directory_ / file)), directory_.string(),
               " already has ", file, ", which ", owner_, " did not write; nothing in it was changed");
  }
  // While files move, the manifest lists the old and the new ones: an interruption leaves
  // every file of ours recorded as ours.
  std::set<std::string> both = old_set;
  both.insert(files.begin(), files.end());
  std::string union_listing = manifest_header(owner_) + "\n";
  for (const auto& file : both) union_listing += file + "\n";
  write_text_file(directory_ / kManifestName, union_listing);

  for (const auto& file : files) {
    fs::create_directories((directory_ / file).parent_path());
    fs::rename(staging_ / file, directory_ / file);
  }
  for (const auto& file : old) {
    if (new_set.count(file)) continue;
    std::error_code ignored;
    if (fs::is_regular_file(fs::symlink_status(directory_ / file, ignored))) fs::remove(directory_ / file, ignored);
    remove_empty_directories((directory_ / file).parent_path(), directory_);
  }
  write_text_file(directory_ / kManifestName, listing);
  committed_ = true;
}

}  // namespace priorbench
