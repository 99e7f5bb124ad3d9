#include "hdf5_layout.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <set>

#include "core/hdf5.hpp"
#include "core/memory_budget.hpp"

namespace priorbench::fuzz {
namespace {

using h5::Object;

// Datasets of more elements are chunked and never written.
constexpr std::uint64_t kMaxWrittenElements = 1 << 14;
// Larger attributes do not fit in an object header; HDF5 refuses them.
constexpr std::uint64_t kMaxAttributeElements = 1 << 10;

struct ComplexValue {
  double r;
  double i;
};

struct OtherValue {
  double a;
  std::int32_t b;
};

bool is_text(ValueType type) { return type == ValueType::text_fixed || type == ValueType::text_variable; }
bool is_complex(ValueType type) { return type == ValueType::complex64 || type == ValueType::complex128; }

Object copy_type(hid_t type) { return {H5Tcopy(type), H5Tclose}; }

Object compound_type(std::size_t size,
                     std::initializer_list<std::pair<const char*, std::pair<std::size_t, hid_t>>> members) {
  Object type(H5Tcreate(H5T_COMPOUND, size), H5Tclose);
  for (const auto& [name, placement] : members) H5Tinsert(type, name, placement.first, placement.second);
  return type;
}

std::size_t fixed_text_size(const Hdf5Object& object) {
  std::size_t size = 1;
  for (const auto& text : object.texts) size = std::max(size, text.size());
  return size;
}

// The type of `object` in the file.
Object file_type(const Hdf5Object& object) {
  switch (object.type) {
    case ValueType::f64:
      return copy_type(H5T_IEEE_F64LE);
    case ValueType::f32:
      return copy_type(H5T_IEEE_F32LE);
    case ValueType::f64_big_endian:
      return copy_type(H5T_IEEE_F64BE);
    case ValueType::i64:
      return copy_type(H5T_STD_I64LE);
    case ValueType::i32:
      return copy_type(H5T_STD_I32LE);
    case ValueType::i8:
      return copy_type(H5T_STD_I8LE);
    case ValueType::u8:
      return copy_type(H5T_STD_U8LE);
    case ValueType::u64:
      return copy_type(H5T_STD_U64LE);
    case ValueType::text_fixed:
    case ValueType::text_variable: {
      Object type = copy_type(H5T_C_S1);
      H5Tset_size(type, object.type == ValueType::text_fixed ? fixed_text_size(object) : H5T_VARIABLE);
      H5Tset_cset(type, H5T_CSET_UTF8);
      return type;
    }
    case ValueType::complex64:
      return compound_type(8, {{"r", {0, H5T_IEEE_F32LE}}, {"i", {4, H5T_IEEE_F32LE}}});
    case ValueType::complex128:
      return compound_type(16, {{"r", {0, H5T_IEEE_F64LE}}, {"i", {8, H5T_IEEE_F64LE}}});
    default:
      return compound_type(12, {{"a", {0, H5T_IEEE_F64LE}}, {"b", {8, H5T_STD_I32LE}}});
  }
}

// What a value of `type` looks like in memory, for reading and writing.
Object memory_type(const Hdf5Object& object, hid_t stored) {
  if (is_text(object.type)) return copy_type(stored);
  if (is_complex(object.type)) {
    return compound_type(sizeof(ComplexValue), {{"r", {offsetof(ComplexValue, r), H5T_NATIVE_DOUBLE}},
                                                {"i", {offsetof(ComplexValue, i), H5T_NATIVE_DOUBLE}}});
  }
  if (object.type == ValueType::other_compound) {
    return compound_type(sizeof(OtherValue), {{"a", {offsetof(OtherValue, a), H5T_NATIVE_DOUBLE}},
                                              {"b", {offsetof(OtherValue, b), H5T_NATIVE_INT32}}});
  }
  return copy_type(H5T_NATIVE_DOUBLE);
}

std::optional<ValueType> classify(hid_t type) {
  const std::size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_FLOAT:
      if (size == 4) return ValueType::f32;
      return H5Tget_order(type) == H5T_ORDER_BE ? ValueType::f64_big_endian : ValueType::f64;
    case H5T_INTEGER:
      if (size == 1) return H5Tget_sign(type) == H5T_SGN_NONE ? ValueType::u8 : ValueType::i8;
      if (size <= 4) return ValueType::i32;
      return H5Tget_sign(type) == H5T_SGN_NONE ? ValueType::u64 : ValueType::i64;
    case H5T_STRING:
      return H5Tis_variable_str(type) > 0 ? ValueType::text_variable : ValueType::text_fixed;
    case H5T_COMPOUND:
      if (H5Tget_nmembers(type) == 2 && H5Tget_member_index(type, "r") >= 0 && H5Tget_member_index(type, "i") >= 0) {
        return size <= 8 ? ValueType::complex64 : ValueType::complex128;
      }
      return ValueType::other_compound;
    default:
      return std::nullopt;
  }
}

// --- reading -----------------------------------------------------------------------------

// H5Dread or H5Aread of everything into `buffer`.
herr_t read_all(hid_t object, bool attribute, hid_t type, void* buffer) {
  return attribute ? H5Aread(object, type, buffer) : H5Dread(object, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
}

void read_values(hid_t object, bool attribute, hid_t stored, std::size_t count, Hdf5Object& entry) {
  const Object type = memory_type(entry, stored);
  if (entry.type == ValueType::text_variable) {
    std::vector<char*> texts(count, nullptr);
    if (read_all(object, attribute, type, texts.data()) < 0) return;
    for (char* text : texts) {
      entry.texts.emplace_back(text != nullptr ? text : "");
      H5free_memory(text);
    }
  } else if (entry.type == ValueType::text_fixed) {
    const std::size_t size = H5Tget_size(stored);
    std::vector<char> bytes(count * size);
    if (read_all(object, attribute, type, bytes.data()) < 0) return;
    for (std::size_t i = 0; i < count; ++i) {
      const std::string text(bytes.data() + i * size, size);
      entry.texts.push_back(text.substr(0, text.find('\0')));
    }
  } else if (is_complex(entry.type)) {
    std::vector<ComplexValue> values(count);
    if (read_all(object, attribute, type, values.data()) < 0) return;
    for (const auto& value : values) entry.values.insert(entry.values.end(), {value.r, value.i});
  } else if (entry.type != ValueType::other_compound) {
    entry.values.resize(count);
    if (read_all(object, attribute, type, entry.values.data()) < 0) entry.values.clear();
  }
}

std::vector<std::uint64_t> extents_of(hid_t space) {
  const int rank = std::max(H5Sget_simple_extent_ndims(space), 0);
  std::vector<hsize_t> extents(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space, extents.data(), nullptr);
  return {extents.begin(), extents.end()};
}

void add_entry(Hdf5Layout& layout, const std::string& path, const std::string& attribute, hid_t object, hid_t stored,
               hid_t space) {
  const auto type = classify(stored);
  if (!type) return;
  Hdf5Object entry{path, attribute, *type, extents_of(space), {}, {}};
  const auto count = checked_product(entry.shape);
  if (count && *count <= kMaxWrittenElements) read_values(object, !attribute.empty(), stored, *count, entry);
  layout.push_back(std::move(entry));
}

struct Walk {
  Hdf5Layout* layout;
  std::string path;  // of the object whose attributes are visited
};

herr_t visit_attribute(hid_t owner, const char* name, const H5A_info_t*, void* data) {
  auto& walk = *static_cast<Walk*>(data);
  const Object attribute(H5Aopen(owner, name, H5P_DEFAULT), H5Aclose);
  const Object type(H5Aget_type(attribute), H5Tclose);
  const Object space(H5Aget_space(attribute), H5Sclose);
  add_entry(*walk.layout, walk.path, name, attribute, type, space);
  return 0;
}

void visit_attributes(hid_t object, const std::string& path, Hdf5Layout& layout) {
  Walk walk{&layout, path};
  H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, nullptr, visit_attribute, &walk);
}

herr_t visit_link(hid_t file, const char* name, const H5L_info_t*, void* data) {
  auto& layout = *static_cast<Hdf5Layout*>(data);
  const Object object(H5Oopen(file, name, H5P_DEFAULT), H5Oclose);
  if (H5Iget_type(object) == H5I_DATASET) {
    const Object type(H5Dget_type(object), H5Tclose);
    const Object space(H5Dget_space(object), H5Sclose);
    add_entry(layout, name, "", object, type, space);
  }
  visit_attributes(object, name, layout);
  return 0;
}

// --- writing -----------------------------------------------------------------------------

// The elements of `object`, cycled from its values (or texts) into a buffer of `type`.
class Buffer {
 public:
  Buffer(const Hdf5Object& object, std::uint64_t count, hid_t type) {
    if (object.type == ValueType::text_variable) {
      for (std::uint64_t i = 0; i < count; ++i) pointers_.push_back(object.texts[i % object.texts.size()].c_str());
    } else if (object.type == ValueType::text_fixed) {
      const std::size_t size = H5Tget_size(type);
      bytes_.assign(count * size, '\0');
      for (std::uint64_t i = 0; i < count; ++i) {
        const std::string& text = object.texts[i % object.texts.size()];
        std::memcpy(bytes_.data() + i * size, text.data(), std::min(size, text.size()));
      }
    } else if (object.type == ValueType::other_compound) {
      for (std::uint64_t i = 0; i < count; ++i) {
        const double value = object.values[i % object.values.size()];
        others_.push_back({value, static_cast<std::int32_t>(i)});
      }
    } else if (is_complex(object.type)) {
      for (std::uint64_t i = 0; i < count; ++i) {
        complex_.push_back(
            {object.values[(2 * i) % object.values.size()], object.values[(2 * i + 1) % object.values.size()]});
      }
    } else {
      for (std::uint64_t i = 0; i < count; ++i) numbers_.push_back(object.values[i % object.values.size()]);
    }
  }

  const void* data() const {
    if (!pointers_.empty()) return pointers_.data();
    if (!bytes_.empty()) return bytes_.data();
    if (!others_.empty()) return others_.data();
    if (!complex_.empty()) return complex_.data();
    return numbers_.data();
  }

 private:
  std::vector<const char*> pointers_;
  std::vector<char> bytes_;
  std::vector<OtherValue> others_;
  std::vector<ComplexValue> complex_;
  std::vector<double> numbers_;
};

bool has_data(const Hdf5Object& object) {
  return is_text(object.type) ? !object.texts.empty() : !object.values.empty();
}

Object dataspace(const Hdf5Object& object) {
  if (object.shape.empty()) return {H5Screate(H5S_SCALAR), H5Sclose};
  const std::vector<hsize_t> extents(object.shape.begin(), object.shape.end());
  return {H5Screate_simple(static_cast<int>(extents.size()), extents.data(), nullptr), H5Sclose};
}

// Chunked (so nothing is allocated until written) unless small enough to write or empty.
Object dataset_properties(const Hdf5Object& object, std::uint64_t count) {
  Object properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  const bool empty = std::find(object.shape.begin(), object.shape.end(), 0) != object.shape.end();
  if (count > kMaxWrittenElements && !empty && !object.shape.empty()) {
    const hsize_t side = object.shape.size() >= 4 ? 8 : 16;  // at most 4096 elements a chunk
    std::vector<hsize_t> chunk;
    for (const auto extent : object.shape) chunk.push_back(std::min<hsize_t>(extent, side));
    H5Pset_chunk(properties, static_cast<int>(chunk.size()), chunk.data());
  }
  return properties;
}

void write_dataset(hid_t file, hid_t link_properties, const Hdf5Object& object) {
  const auto count = checked_product(object.shape);
  if (!count) return;
  const Object type = file_type(object);
  const Object space = dataspace(object);
  const Object properties = dataset_properties(object, *count);
  const Object dataset(H5Dcreate2(file, object.path.c_str(), type, space, link_properties, properties, H5P_DEFAULT),
                       H5Dclose);
  if (dataset.id() < 0 || *count == 0 || *count > kMaxWrittenElements || !has_data(object)) return;
  const Object memory = memory_type(object, type);
  const Buffer buffer(object, *count, memory);
  H5Dwrite(dataset, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data());
}

void write_attribute(hid_t file, hid_t link_properties, const Hdf5Object& object) {
  const auto count = checked_product(object.shape);
  if (!count || *count > kMaxAttributeElements) return;
  const std::string owner_path = object.path.empty() ? "/" : object.path;
  if (!object.path.empty() && !h5::exists(file, owner_path)) {
    const Object group(H5Gcreate2(file, owner_path.c_str(), link_properties, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  }
  const Object owner(H5Oopen(file, owner_path.c_str(), H5P_DEFAULT), H5Oclose);
  if (owner.id() < 0 || H5Aexists(owner, object.attribute.c_str()) != 0) return;
  const Object type = file_type(object);
  const Object space = dataspace(object);
  const Object attribute(H5Acreate2(owner, object.attribute.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (attribute.id() < 0 || *count == 0 || !has_data(object)) return;
  const Object memory = memory_type(object, type);
  const Buffer buffer(object, *count, memory);
  H5Awrite(attribute, memory, buffer.data());
}

// --- editing -----------------------------------------------------------------------------

double interesting_number(FuzzedDataProvider& input) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  if (input.ConsumeBool()) return input.ConsumeFloatingPoint<double>();
  return input.PickValueInArray<double>({0.0,    -0.0,   1.0,          -1.0,         0.5,          2.0,
                                         3.0,    255.0,  256.0,        kNaN,         kInfinity,    -kInfinity,
                                         1e300,  -1e300, 4.9e-324,     2147483647.0, 2147483648.0, 4294967296.0,
                                         9.3e18, 1e11,   -2147483649.0});
}

std::uint64_t interesting_extent(FuzzedDataProvider& input) {
  if (input.ConsumeBool()) return input.ConsumeIntegralInRange<std::uint64_t>(0, 6);
  return input.PickValueInArray<std::uint64_t>({0, 1, 2, 3, 4, 7, 8, 16, 64, 255, 256, 4096, 65536, 2147483647ull,
                                                2147483648ull, 4294967296ull, 100000000000ull, 1ull << 62, 1ull << 63});
}

std::vector<std::uint64_t> interesting_shape(FuzzedDataProvider& input) {
  std::vector<std::uint64_t> shape(input.ConsumeIntegralInRange<std::size_t>(0, 4));
  for (auto& extent : shape) extent = interesting_extent(input);
  return shape;
}

std::string pick(FuzzedDataProvider& input, const std::vector<std::string>& names) {
  if (names.empty() || input.ConsumeIntegralInRange(0, 7) == 0) return input.ConsumeRandomLengthString(24);
  return names[input.ConsumeIntegralInRange<std::size_t>(0, names.size() - 1)];
}

std::string interesting_text(FuzzedDataProvider& input, const Vocabulary& vocabulary) {
  std::string text = pick(input, vocabulary.texts);
  switch (input.ConsumeIntegralInRange(0, 3)) {
    case 0:  // a piece of it
      return text.substr(0, input.ConsumeIntegralInRange<std::size_t>(0, text.size()));
    case 1:  // with something inserted
      text.insert(input.ConsumeIntegralInRange<std::size_t>(0, text.size()), input.ConsumeRandomLengthString(16));
      return text;
    default:
      return text;
  }
}

void fill(Hdf5Object& object, FuzzedDataProvider& input, const Vocabulary& vocabulary) {
  const std::size_t count = input.ConsumeIntegralInRange<std::size_t>(0, 4);
  for (std::size_t i = 0; i < count; ++i) {
    object.values.push_back(interesting_number(input));
    object.texts.push_back(interesting_text(input, vocabulary));
  }
}

void edit_one(Hdf5Layout& layout, FuzzedDataProvider& input, const Vocabulary& vocabulary) {
  const auto kind = input.ConsumeIntegralInRange(0, 7);
  if (kind == 7 || layout.empty()) {  // a new object under a name the reader knows
    Hdf5Object object;
    object.path = pick(input, vocabulary.paths);
    if (input.ConsumeBool()) object.attribute = pick(input, vocabulary.attributes);
    object.type = static_cast<ValueType>(input.ConsumeIntegralInRange<int>(0, static_cast<int>(ValueType::count) - 1));
    object.shape = interesting_shape(input);
    fill(object, input, vocabulary);
    layout.push_back(std::move(object));
    return;
  }
  const auto index = input.ConsumeIntegralInRange<std::size_t>(0, layout.size() - 1);
  Hdf5Object& object = layout[index];
  switch (kind) {
    case 0:
      layout.erase(layout.begin() + static_cast<std::ptrdiff_t>(index));
      break;
    case 1:
      object.shape = interesting_shape(input);
      break;
    case 2:
      object.type =
          static_cast<ValueType>(input.ConsumeIntegralInRange<int>(0, static_cast<int>(ValueType::count) - 1));
      break;
    case 3: {  // one element, or one of its coordinates
      if (object.values.empty()) object.values.push_back(0);
      object.values[input.ConsumeIntegralInRange<std::size_t>(0, object.values.size() - 1)] = interesting_number(input);
      break;
    }
    case 4:
      if (object.texts.empty()) object.texts.emplace_back();
      object.texts[input.ConsumeIntegralInRange<std::size_t>(0, object.texts.size() - 1)] =
          interesting_text(input, vocabulary);
      break;
    case 5: {  // one extent
      if (object.shape.empty()) object.shape.push_back(1);
      object.shape[input.ConsumeIntegralInRange<std::size_t>(0, object.shape.size() - 1)] = interesting_extent(input);
      break;
    }
    default:  // unwritten: the fill value
      object.values.clear();
      object.texts.clear();
      break;
  }
}

}  // namespace

Hdf5Layout read_layout(const std::string& path) {
  Hdf5Layout layout;
  const Object file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (file.id() < 0) return layout;
  visit_attributes(file, "", layout);
  H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, visit_link, &layout);
  return layout;
}

void write_layout(const Hdf5Layout& layout, const std::string& path) {
  const Object file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  const Object links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(links, 1);
  for (const auto& object : layout) {
    if (object.attribute.empty()) write_dataset(file, links, object);
  }
  for (const auto& object : layout) {
    if (!object.attribute.empty()) write_attribute(file, links, object);
  }
}

void edit_layout(Hdf5Layout& layout, FuzzedDataProvider& input, const Vocabulary& vocabulary, std::size_t max_edits) {
  for (std::size_t edit = 0; edit < max_edits && input.remaining_bytes() > 0; ++edit) {
    edit_one(layout, input, vocabulary);
  }
}

Vocabulary vocabulary_of(const Hdf5Layout& layout) {
  std::set<std::string> paths, attributes, texts;
  for (const auto& object : layout) {
    paths.insert(object.path);
    if (!object.attribute.empty()) attributes.insert(object.attribute);
    texts.insert(object.texts.begin(), object.texts.end());
  }
  return {{paths.begin(), paths.end()}, {attributes.begin(), attributes.end()}, {texts.begin(), texts.end()}};
}

}  // namespace priorbench::fuzz
