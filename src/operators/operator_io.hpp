#pragma once
// What every operator's save() writes first, and the checks load() makes against it.
// Attributes of the operator group: `name` (string), `rows` = d and `cols` = n (int64).

#include <hdf5.h>

#include <cstdint>
#include <string>

#include "operators/forward_operator.hpp"

namespace priorbench::operator_io {

void write_header(hid_t group, const ForwardOperator& op);

struct Header {
  std::string name;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
};
Header read_header(hid_t group);

// Fails naming the group unless its `name` attribute is `expected`.
void require_name(hid_t group, const std::string& expected);

}  // namespace priorbench::operator_io
