#pragma once
// Structure-aware fuzzing of the HDF5 readers. Mutating the bytes of an HDF5 file mostly
// breaks the library's own metadata, and fuzzes HDF5 (which is not ours and not
// instrumented) rather than what our readers do with the objects they find. Instead a
// harness starts from a valid file written by priorbench's own writers, holds it as a
// Layout (every dataset and attribute: path, type, shape, values), lets the fuzz input
// edit that — remove an object, give it another shape (extents up to 2^63), another type
// (integers, floats, strings, compounds), other values (NaN, infinities, huge), other
// text, add objects under the names the reader looks for — and writes the result as a
// real HDF5 file for the reader. Datasets too large to write are chunked and left
// unwritten: they cost no disk space, yet declare every extent a hostile file could.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace priorbench::fuzz {

enum class ValueType : std::uint8_t {
  f64,
  f32,
  f64_big_endian,
  i64,
  i32,
  i8,
  u8,
  u64,
  text_fixed,
  text_variable,
  complex64,   // compound {r, i} of float32, as h5py writes numpy complex64
  complex128,  // compound {r, i} of float64
  other_compound,
  count  // number of types, not a type
};

struct Hdf5Object {
  std::string path;       // of the dataset, or of the attribute's owner ("" for the root group)
  std::string attribute;  // empty for a dataset
  ValueType type = ValueType::f64;
  std::vector<std::uint64_t> shape;  // empty: a scalar
  std::vector<double> values;        // cycled over the elements; empty: never written (the fill value)
  std::vector<std::string> texts;    // the same for text types
};

using Hdf5Layout = std::vector<Hdf5Object>;

// Every dataset and attribute of an HDF5 file (of the types above).
Hdf5Layout read_layout(const std::string& path);

// Writes `layout` as the HDF5 file `path`; objects HDF5 refuses to create are left out,
// as a reader may meet any subset of a layout.
void write_layout(const Hdf5Layout& layout, const std::string& path);

// Names and texts a reader cares about, so edits reach it: object paths, attribute
// names and string values (format names, method labels, study texts).
struct Vocabulary {
  std::vector<std::string> paths;
  std::vector<std::string> attributes;
  std::vector<std::string> texts;
};

// Applies the edits the rest of `input` describes (at most `max_edits`) to `layout`.
void edit_layout(Hdf5Layout& layout, FuzzedDataProvider& input, const Vocabulary& vocabulary,
                 std::size_t max_edits = 24);

// Every object path and attribute name of `layout`, and its texts, as a vocabulary.
Vocabulary vocabulary_of(const Hdf5Layout& layout);

}  // namespace priorbench::fuzz
