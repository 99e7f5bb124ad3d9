#include "operators/operator_io.hpp"

#include "core/error.hpp"
#include "core/hdf5.hpp"

namespace priorbench::operator_io {

void write_header(hid_t group, const ForwardOperator& op) {
  h5::write_attribute(group, "name", op.name());
  h5::write_attribute(group, "rows", static_cast<std::int64_t>(op.rows()));
  h5::write_attribute(group, "cols", static_cast<std::int64_t>(op.cols()));
}

Header read_header(hid_t group) {
  PB_REQUIRE(h5::has_attribute(group, "name"), h5::describe(group, "name"),
             ": missing; the group holds no saved operator");
  Header header;
  header.name = h5::read_string_attribute(group, "name");
  header.rows = h5::read_integer_attribute(group, "rows");
  header.cols = h5::read_integer_attribute(group, "cols");
  return header;
}

void require_name(hid_t group, const std::string& expected) {
  const std::string name = read_header(group).name;
  PB_REQUIRE(name == expected, h5::describe(group, "name"), ": expected operator '", expected, "', found '", name, "'");
}

}  // namespace priorbench::operator_io
