#pragma once
// Reads the fields of one TOML table of a study file, remembering which were read so that
// unknown ones are refused; every error names the file and the field ("studies/x.toml:
// field 'noise.sigmas' must be an array").

#include <toml++/toml.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace priorbench {

class TableReader {
 public:
  TableReader(const toml::table* table, std::string path, std::string prefix)
      : table_(table), path_(std::move(path)), prefix_(std::move(prefix)) {}

  bool has(const std::string& key) const { return table_ != nullptr && table_->contains(key); }

  std::string field(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  // "studies/x.toml: field 'method.laplace.nugget'", for messages about a value.
  std::string where(const std::string& key) const { return path_ + ": field '" + field(key) + "'"; }

  template <class Value>
  Value get(const std::string& key, Value fallback) {
    seen_.insert(key);
    if (!has(key)) return fallback;
    return convert<Value>(*table_->get(key), where(key));
  }

  template <class Value>
  Value require(const std::string& key) {
    PB_REQUIRE(has(key), where(key), " is required");
    return get<Value>(key, Value{});
  }

  template <class Value>
  std::vector<Value> get_array(const std::string& key) {
    seen_.insert(key);
    std::vector<Value> values;
    if (!has(key)) return values;
    const toml::array* array = table_->get(key)->as_array();
    PB_REQUIRE(array != nullptr, where(key), " must be an array");
    for (std::size_t i = 0; i < array->size(); ++i) {
      values.push_back(convert<Value>(*array->get(i), where(key) + " entry " + std::to_string(i)));
    }
    return values;
  }

  // Marks `key` as known without reading it (read by someone else).
  void skip(const std::string& key) { seen_.insert(key); }

  void refuse_unknown(const std::string& context = "") const {
    if (table_ == nullptr) return;
    for (const auto& [key, node] : *table_) {
      const std::string name(key.str());
      if (seen_.count(name)) continue;
      std::string known;
      for (const auto& k : seen_) known += (known.empty() ? "" : ", ") + k;
      PB_FAIL(path_, ": unknown field '", field(name), "'", context, " (known: ", known, ")");
    }
  }

 private:
  template <class Value>
  static Value convert(const toml::node& node, const std::string& where) {
    if constexpr (std::is_same_v<Value, std::string>) {
      const auto value = node.value<std::string>();
      PB_REQUIRE(value.has_value(), where, " must be a string");
      return *value;
    } else if constexpr (std::is_same_v<Value, bool>) {
      const auto value = node.value<bool>();
      PB_REQUIRE(value.has_value() && node.is_boolean(), where, " must be true or false");
      return *value;
    } else if constexpr (std::is_same_v<Value, double>) {
      const auto value = node.value<double>();  // integers convert too
      PB_REQUIRE(value.has_value(), where, " must be a number");
      return *value;
    } else {
      // The node's type first: value<std::int64_t>() of a float node converts it, which
      // is undefined behaviour for 2e24 (found by fuzz/study_toml.cpp).
      PB_REQUIRE(node.is_integer(), where, " must be an integer");
      const auto value = node.value<std::int64_t>();
      PB_REQUIRE(value.has_value(), where, " must be an integer");
      // Refused rather than wrapped: 4294967297 replicates must not become 1.
      PB_REQUIRE(std::in_range<Value>(*value), where, " must be an integer in [", std::numeric_limits<Value>::min(),
                 ", ", std::numeric_limits<Value>::max(), "], got ", *value);
      return static_cast<Value>(*value);
    }
  }

  const toml::table* table_;
  std::string path_;
  std::string prefix_;
  std::set<std::string> seen_;
};

}  // namespace priorbench
