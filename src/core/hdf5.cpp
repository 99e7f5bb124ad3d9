#include "core/hdf5.hpp"

#include <optional>
#include <utility>

#include "core/error.hpp"
#include "core/memory_budget.hpp"
#include "core/paths.hpp"

namespace priorbench::h5 {

Object::~Object() {
  if (id_ >= 0 && closer_ != nullptr) {
    closer_(id_);
  }
}

Object::Object(Object&& other) noexcept
    : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(std::exchange(other.closer_, nullptr)) {}

Object& Object::operator=(Object&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0 && closer_ != nullptr) {
      closer_(id_);
    }
    id_ = std::exchange(other.id_, H5I_INVALID_HID);
    closer_ = std::exchange(other.closer_, nullptr);
  }
  return *this;
}

std::string describe(hid_t location, const std::string& name) {
  std::string file = "?";
  std::string path;
  if (const ssize_t size = H5Fget_name(location, nullptr, 0); size > 0) {
    file.resize(static_cast<std::size_t>(size) + 1);
    H5Fget_name(location, file.data(), file.size());
    file.resize(static_cast<std::size_t>(size));
  }
  if (const ssize_t size = H5Iget_name(location, nullptr, 0); size > 0) {
    path.resize(static_cast<std::size_t>(size) + 1);
    H5Iget_name(location, path.data(), path.size());
    path.resize(static_cast<std::size_t>(size));
  }
  if (path.empty() || path.back() != '/') {
    path += '/';
  }
  return file + ":" + path + name;
}

Object create_file(const std::string& path, bool overwrite) {
  PB_REQUIRE(overwrite || !path_exists(path), "output file ", path, " already exists; pass --force to replace it");
  const hid_t id = H5Fcreate(path.c_str(), overwrite ? H5F_ACC_TRUNC : H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  PB_REQUIRE(id >= 0, "cannot create HDF5 file ", path);
  return {id, H5Fclose};
}

Object open_file(const std::string& path, Mode mode) {
  PB_REQUIRE(path_exists(path), "file ", path, " does not exist");
  PB_REQUIRE(H5Fis_hdf5(path.c_str()) > 0, "file ", path, " is not an HDF5 file");
  const hid_t id = H5Fopen(path.c_str(), mode == Mode::read_only ? H5F_ACC_RDONLY : H5F_ACC_RDWR, H5P_DEFAULT);
  if (id < 0) {
    const std::string reason = error_stack_reason();
    const bool truncated = reason.find("truncated") != std::string::npos;
    PB_FAIL(
        "cannot open HDF5 file ", path, reason.empty() ? "" : ": " + reason,
        truncated ? " (the file is shorter than HDF5 recorded: cut off by a full disk or an interrupted copy)" : "");
  }
  return {id, H5Fclose};
}

std::string error_stack_reason() {
  std::string reason;
  // Upward walks start at the innermost error, the one that says why.
  const auto innermost = [](unsigned, const H5E_error2_t* error, void* data) -> herr_t {
    auto* text = static_cast<std::string*>(data);
    if (text->empty() && error->desc != nullptr && error->desc[0] != '\0') *text = error->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &reason);
  return reason;
}

Object create_group(hid_t location, const std::string& name) {
  const hid_t id = H5Gcreate2(location, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  PB_REQUIRE(id >= 0, "cannot create HDF5 group ", describe(location, name));
  return {id, H5Gclose};
}

Object open_group(hid_t location, const std::string& name) {
  PB_REQUIRE(exists(location, name), "HDF5 group ", describe(location, name), " does not exist");
  const hid_t id = H5Gopen2(location, name.c_str(), H5P_DEFAULT);
  PB_REQUIRE(id >= 0, "cannot open HDF5 group ", describe(location, name));
  return {id, H5Gclose};
}

Object require_group(hid_t location, const std::string& name) {
  return exists(location, name) ? open_group(location, name) : create_group(location, name);
}

bool exists(hid_t location, const std::string& path) {
  // H5Lexists needs every intermediate link to exist, so walk the path.
  std::string prefix;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty()) {
      prefix += (prefix.empty() ? "" : "/") + part;
      if (H5Lexists(location, prefix.c_str(), H5P_DEFAULT) <= 0) {
        return false;
      }
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  return true;
}

namespace {

// The number of values of a dataset of `shape`; nullopt when it overflows 64 bits (a
// file may declare any extents).
std::optional<std::uint64_t> element_count(const Shape& shape) {
  const std::vector<std::uint64_t> extents(shape.begin(), shape.end());
  return checked_product(extents);
}

void write_dataset(hid_t location, const std::string& name, hid_t file_type, hid_t memory_type, const void* data,
                   std::size_t size, const Shape& shape) {
  PB_REQUIRE(element_count(shape) == size, "cannot write ", describe(location, name), ": shape ", shape_text(shape),
             " does not hold the ", size, " elements given");
  Object space(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr), H5Sclose);
  Object dataset(H5Dcreate2(location, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  PB_REQUIRE(dataset.id() >= 0, "cannot create HDF5 dataset ", describe(location, name));
  if (size > 0) {
    PB_REQUIRE(H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0, "cannot write HDF5 dataset ",
               describe(location, name));
  }
}

Object open_dataset(hid_t location, const std::string& name) {
  PB_REQUIRE(exists(location, name), "HDF5 dataset ", describe(location, name), " does not exist");
  Object dataset(H5Dopen2(location, name.c_str(), H5P_DEFAULT), H5Dclose);
  PB_REQUIRE(dataset.id() >= 0, "cannot open HDF5 dataset ", describe(location, name));
  return dataset;
}

template <class Value>
std::vector<Value> read_dataset(hid_t location, const std::string& name, hid_t memory_type, Shape* shape) {
  Object dataset = open_dataset(location, name);
  const Shape extents = shape_of(location, name);
  const auto count = element_count(extents);
  PB_REQUIRE(count.has_value(), describe(location, name), ": shape ", shape_text(extents),
             " holds more values than 64 bits count");
  require_memory(*count, sizeof(Value), describe(location, name));
  std::vector<Value> values(*count);
  if (!values.empty()) {
    PB_REQUIRE(H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0,
               "cannot read HDF5 dataset ", describe(location, name), " as numbers");
  }
  if (shape != nullptr) {
    *shape = extents;
  }
  return values;
}

Object string_type() {
  Object type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  return type;
}

Object open_attribute(hid_t location, const std::string& name) {
  PB_REQUIRE(has_attribute(location, name), "HDF5 attribute ", describe(location, name), " does not exist");
  Object attribute(H5Aopen(location, name.c_str(), H5P_DEFAULT), H5Aclose);
  PB_REQUIRE(attribute.id() >= 0, "cannot open HDF5 attribute ", describe(location, name));
  require_single_value(attribute, "HDF5 attribute " + describe(location, name));
  return attribute;
}

void write_attribute_raw(hid_t location, const std::string& name, hid_t type, const void* value) {
  if (has_attribute(location, name)) {
    H5Adelete(location, name.c_str());
  }
  Object space(H5Screate(H5S_SCALAR), H5Sclose);
  Object attribute(H5Acreate2(location, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  PB_REQUIRE(attribute.id() >= 0 && H5Awrite(attribute, type, value) >= 0, "cannot write HDF5 attribute ",
             describe(location, name));
}

}  // namespace

void write(hid_t location, const std::string& name, std::span<const double> values, const Shape& shape) {
  write_dataset(location, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values.data(), values.size(), shape);
}

void write(hid_t location, const std::string& name, std::span<const std::int64_t> values, const Shape& shape) {
  write_dataset(location, name, H5T_STD_I64LE, H5T_NATIVE_INT64, values.data(), values.size(), shape);
}

void write_string(hid_t location, const std::string& name, const std::string& value) {
  Object type = string_type();
  Object space(H5Screate(H5S_SCALAR), H5Sclose);
  Object dataset(H5Dcreate2(location, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  const char* text = value.c_str();
  PB_REQUIRE(dataset.id() >= 0 && H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) >= 0,
             "cannot write HDF5 string ", describe(location, name));
}

void write_attribute(hid_t location, const std::string& name, double value) {
  write_attribute_raw(location, name, H5T_NATIVE_DOUBLE, &value);
}

void write_attribute(hid_t location, const std::string& name, std::int64_t value) {
  write_attribute_raw(location, name, H5T_NATIVE_INT64, &value);
}

void write_attribute(hid_t location, const std::string& name, const std::string& value) {
  Object type = string_type();
  const char* text = value.c_str();
  write_attribute_raw(location, name, type, &text);
}

Shape shape_of(hid_t location, const std::string& name) {
  Object dataset = open_dataset(location, name);
  Object space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space);
  PB_REQUIRE(rank >= 0, "cannot read the shape of ", describe(location, name));
  Shape shape(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space, shape.data(), nullptr);
  return shape;
}

std::vector<double> read_doubles(hid_t location, const std::string& name, Shape* shape) {
  return read_dataset<double>(location, name, H5T_NATIVE_DOUBLE, shape);
}

std::vector<std::uint64_t> read_unsigned_integers(hid_t location, const std::string& name, Shape* shape) {
  return read_dataset<std::uint64_t>(location, name, H5T_NATIVE_UINT64, shape);
}

std::vector<std::int64_t> read_integers(hid_t location, const std::string& name, Shape* shape) {
  return read_dataset<std::int64_t>(location, name, H5T_NATIVE_INT64, shape);
}

std::string read_string(hid_t location, const std::string& name) {
  Object dataset = open_dataset(location, name);
  require_single_value(dataset, "HDF5 dataset " + describe(location, name));
  Object type = string_type();
  char* text = nullptr;
  PB_REQUIRE(H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) >= 0, "cannot read ",
             describe(location, name), " as a string");
  std::string value = text != nullptr ? text : "";
  H5free_memory(text);
  return value;
}

std::string shape_text(const Shape& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

void require_single_value(hid_t object, const std::string& where) {
  const bool attribute = H5Iget_type(object) == H5I_ATTR;
  const Object space(attribute ? H5Aget_space(object) : H5Dget_space(object), H5Sclose);
  const hssize_t count = H5Sget_simple_extent_npoints(space);
  PB_REQUIRE(count == 1, where, " holds ", count, " values; expected a single value");
}

bool has_attribute(hid_t location, const std::string& name) { return H5Aexists(location, name.c_str()) > 0; }

double read_double_attribute(hid_t location, const std::string& name) {
  Object attribute = open_attribute(location, name);
  double value = 0;
  PB_REQUIRE(H5Aread(attribute, H5T_NATIVE_DOUBLE, &value) >= 0, "cannot read ", describe(location, name),
             " as a number");
  return value;
}

std::int64_t read_integer_attribute(hid_t location, const std::string& name) {
  Object attribute = open_attribute(location, name);
  std::int64_t value = 0;
  PB_REQUIRE(H5Aread(attribute, H5T_NATIVE_INT64, &value) >= 0, "cannot read ", describe(location, name),
             " as an integer");
  return value;
}

std::string read_string_attribute(hid_t location, const std::string& name) {
  Object attribute = open_attribute(location, name);
  Object type = string_type();
  char* text = nullptr;
  PB_REQUIRE(H5Aread(attribute, type, &text) >= 0, "cannot read ", describe(location, name), " as a string");
  std::string value = text != nullptr ? text : "";
  H5free_memory(text);
  return value;
}

}  // namespace priorbench::h5
