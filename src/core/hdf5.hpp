#pragma once
// A small RAII layer over the HDF5 C API: files, groups, datasets of doubles and
// integers, string datasets and attributes. Every failure names the file and the
// object path. Files here are written by one process (rank 0); the parallel layout of
// study results lives with the study code.

#include <hdf5.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace priorbench::h5 {

// Owns one hid_t and closes it with the matching H5xclose.
class Object {
 public:
  using Closer = herr_t (*)(hid_t);
  Object() = default;
  Object(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Object();
  Object(Object&& other) noexcept;
  Object& operator=(Object&& other) noexcept;
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  hid_t id() const { return id_; }
  operator hid_t() const { return id_; }  // NOLINT: pass straight to HDF5 calls

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

enum class Mode { read_only, read_write };

// Creates `path`; refuses to replace an existing file unless `overwrite` is set.
Object create_file(const std::string& path, bool overwrite);
// A file HDF5 cannot open (truncated by a full disk or a killed copy, damaged) is an error
// naming it and HDF5's reason ("truncated file: eof = ..., stored_eof = ...").
Object open_file(const std::string& path, Mode mode = Mode::read_only);

// The innermost description on HDF5's error stack ("" when empty): why a call failed.
std::string error_stack_reason();

Object create_group(hid_t location, const std::string& name);
Object open_group(hid_t location, const std::string& name);
// Opens the group if present, creates it otherwise.
Object require_group(hid_t location, const std::string& name);
bool exists(hid_t location, const std::string& path);

using Shape = std::vector<hsize_t>;

void write(hid_t location, const std::string& name, std::span<const double> values, const Shape& shape);
void write(hid_t location, const std::string& name, std::span<const std::int64_t> values, const Shape& shape);
inline void write(hid_t location, const std::string& name, std::span<const double> values) {
  write(location, name, values, Shape{values.size()});
}
inline void write(hid_t location, const std::string& name, std::span<const std::int64_t> values) {
  write(location, name, values, Shape{values.size()});
}
void write_string(hid_t location, const std::string& name, const std::string& value);

void write_attribute(hid_t location, const std::string& name, double value);
void write_attribute(hid_t location, const std::string& name, std::int64_t value);
void write_attribute(hid_t location, const std::string& name, const std::string& value);
inline void write_attribute(hid_t location, const std::string& name, const char* value) {
  write_attribute(location, name, std::string(value));
}
inline void write_attribute(hid_t location, const std::string& name, int value) {
  write_attribute(location, name, static_cast<std::int64_t>(value));
}

Shape shape_of(hid_t location, const std::string& name);
std::vector<double> read_doubles(hid_t location, const std::string& name, Shape* shape = nullptr);
std::vector<std::int64_t> read_integers(hid_t location, const std::string& name, Shape* shape = nullptr);
std::vector<std::uint64_t> read_unsigned_integers(hid_t location, const std::string& name, Shape* shape = nullptr);
std::string read_string(hid_t location, const std::string& name);

bool has_attribute(hid_t location, const std::string& name);
double read_double_attribute(hid_t location, const std::string& name);
std::int64_t read_integer_attribute(hid_t location, const std::string& name);
std::string read_string_attribute(hid_t location, const std::string& name);

// Fails unless the attribute or dataset `object` holds exactly one value (a scalar, or
// one element): what reads a single value reads it into one variable. `where` names it.
void require_single_value(hid_t object, const std::string& where);

// "[3, 2]", for error messages.
std::string shape_text(const Shape& shape);

// "file.h5:/group/name", for error messages.
std::string describe(hid_t location, const std::string& name);

}  // namespace priorbench::h5
