#pragma once
// How priorbench writes its outputs without ever losing a user's file.
//
// - AtomicFile: a file is written under a fresh temporary name in the target's directory
//   (created exclusively, so nothing that existed is touched) and renamed over the target
//   only when complete. An error or a crash leaves no half-written target, and the only
//   file ever removed is the temporary this object created.
// - check_replaceable: `--force` replaces only what priorbench itself wrote. An existing
//   output is replaced only when it is a file of the kind the command writes (an HDF5
//   file whose `format` attribute the command writes, a TorchScript archive, ...);
//   anything else is refused even with --force.
// - OutputDirectory: a directory of outputs (the report) keeps a manifest of the files it
//   wrote (MANIFEST_NAME, one relative path per line). Writing again replaces exactly the
//   files of the old manifest and leaves every other file alone; a non-empty directory
//   without a manifest is refused.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace priorbench {

class AtomicFile {
 public:
  // Reserves a temporary `.NAME.tmp-PID-XXXXXX` next to `target`; the target's directory must exist.
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Where to write: an empty file owned by this object until commit.
  const std::filesystem::path& path() const { return temporary_; }
  const std::filesystem::path& target() const { return target_; }

  // Renames the temporary over the target (replacing it).
  void commit();
  // Moves the temporary to the target only if no target exists by then (atomically);
  // throws naming the target otherwise, and the temporary is removed.
  void commit_if_absent();

 private:
  std::filesystem::path target_;
  std::filesystem::path temporary_;
  bool committed_ = false;
};

// Writes `text` to `path` through an AtomicFile.
void write_text_file(const std::filesystem::path& path, const std::string& text);

// Recognizes an existing file as one the command wrote; returns "" when it is, else a
// short description of what the file is (for the error message).
using OwnOutputTest = std::function<std::string(const std::filesystem::path&)>;

// Fails unless `path` may be written: it does not exist, or `force` is set and
// `is_own(path)` accepts it. `option` names the command-line option ("-o", "--report").
void check_replaceable(const std::filesystem::path& path, bool force, const OwnOutputTest& is_own,
                       const std::string& option = "-o");

// An OwnOutputTest for HDF5 outputs: the file's root attribute `format` equals `format`.
OwnOutputTest hdf5_with_format(const std::string& format);

// The directory of `path` (its parent, or the working directory) exists, else an error
// naming `option`.
void check_output_directory(const std::filesystem::path& path, const std::string& option = "-o");

class OutputDirectory {
 public:
  static constexpr const char* kManifestName = ".priorbench-manifest";

  // `owner` names the writing command in the manifest and in messages ("priorbench report").
  OutputDirectory(std::filesystem::path directory, std::string owner);
  ~OutputDirectory();
  OutputDirectory(const OutputDirectory&) = delete;
  OutputDirectory& operator=(const OutputDirectory&) = delete;

  // Fails unless the directory may be written: it does not exist or is empty, or `force`
  // is set and it holds a manifest of `owner`. Nothing is changed.
  void check_writable(bool force) const;

  // A fresh staging directory next to the final one, where the new files are written.
  const std::filesystem::path& staging() const { return staging_; }

  // Moves every regular file under staging() into the directory, removes the files of the
  // old manifest that the new output does not have, and writes the new manifest. Other
  // files in the directory are never touched.
  void commit();

 private:
  std::vector<std::string> staged_files() const;

  std::filesystem::path directory_;
  std::string owner_;
  std::filesystem::path staging_;
  bool committed_ = false;
};

// The files a manifest lists (relative paths), or an error naming the manifest when it is
// malformed or lists a path that leaves the directory.
std::vector<std::string> read_manifest(const std::filesystem::path& directory, const std::string& owner);

}  // namespace priorbench
