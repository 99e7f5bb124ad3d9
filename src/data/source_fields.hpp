#pragma once
// Parsing of the colon-separated image source specifications (image_source.hpp): the
// fields, and the numbers in them. Errors say what is wrong with the field; the caller
// adds which specification it came from.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace priorbench::data {

// "a:b::c" -> {"a", "b", "", "c"}.
std::vector<std::string> split_fields(const std::string& text);
// The first `count` fields joined with ':' again (a FILE that held colons).
std::string join_fields(const std::vector<std::string>& fields, std::size_t first, std::size_t count);

bool looks_like_integer(std::string_view text);
std::size_t parse_index(const std::string& text);
// A non-negative integer named `what` in messages ("size", "seed", ...).
std::size_t parse_count(const std::string& text, const char* what);
// A finite number named `what` in messages.
double parse_number(const std::string& text, const char* what);
// The shortest text that reads back as `value` ("0.2", not "0.20000000000000001").
std::string number_text(double value);

}  // namespace priorbench::data
