#include "data/source_fields.hpp"

#include <charconv>
#include <cmath>

#include "core/error.hpp"

namespace priorbench::data {

std::vector<std::string> split_fields(const std::string& text) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = text.find(':', start);
    fields.push_back(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) {
      return fields;
    }
    start = colon + 1;
  }
}

std::string join_fields(const std::vector<std::string>& fields, std::size_t first, std::size_t count) {
  std::string joined;
  for (std::size_t i = first; i < first + count; ++i) {
    joined += (i == first ? "" : ":") + fields[i];
  }
  return joined;
}

bool looks_like_integer(std::string_view text) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    text.remove_prefix(1);
  }
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::size_t parse_count(const std::string& text, const char* what) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  PB_REQUIRE(!text.empty() && error == std::errc() && end == text.data() + text.size(), what, " '", text,
             "' is not a non-negative integer");
  return value;
}

std::size_t parse_index(const std::string& text) { return parse_count(text, "index"); }

double parse_number(const std::string& text, const char* what) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  PB_REQUIRE(!text.empty() && error == std::errc() && end == text.data() + text.size() && std::isfinite(value), what,
             " '", text, "' is not a number");
  return value;
}

std::string number_text(double value) {
  char buffer[32];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc() ? std::string(buffer, end) : detail::concat(value);
}

}  // namespace priorbench::data
