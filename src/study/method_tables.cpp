#include "study/method_tables.hpp"

#include "methods/method_fields.hpp"
#include "study/table_reader.hpp"

namespace priorbench {
namespace {

// Reads each option of a method from its [[method]] table (methods/method_fields.hpp).
class TableFields {
 public:
  explicit TableFields(TableReader& reader) : r_(reader) {}

  void number(const std::string& key, double& value) { value = r_.get<double>(key, value); }
  void integer(const std::string& key, int& value) { value = r_.get<int>(key, value); }
  void count(const std::string& key, std::size_t& value) { value = r_.get<std::size_t>(key, value); }
  void flag(const std::string& key, bool& value) { value = r_.get<bool>(key, value); }
  void text(const std::string& key, std::string& value) { value = r_.get<std::string>(key, value); }
  template <class Enum>
  void choice(const std::string& key, Enum& value, const std::vector<std::string>& names) {
    const std::string given = r_.get<std::string>(key, names.at(static_cast<std::size_t>(value)));
    value = static_cast<Enum>(parse_choice(
        given, names, [this](const std::string& k) { return r_.where(k); }, key));
  }

 private:
  TableReader& r_;
};

}  // namespace

MethodSpec read_method_table(const toml::table& table, const std::string& path, std::size_t index) {
  TableReader head(&table, path, "method[" + std::to_string(index) + "]");
  MethodSpec spec;
  spec.name = head.require<std::string>("name");
  spec.label = head.get<std::string>("label", spec.name);
  PB_REQUIRE(!spec.label.empty(), head.where("label"), " must not be empty");
  spec.options = default_method_options(spec.name, head.where("name"));
  spec.model = head.get<std::string>("model", "");
  PB_REQUIRE(!head.has("model") || !spec.model.empty(), head.where("model"),
             " must name one of the study's [models.NAME] tables, not be empty");

  TableReader options(&table, path, "method." + spec.label);
  options.skip("name");
  options.skip("label");
  options.skip("model");
  TableFields fields(options);
  visit_fields(spec.options, fields);
  options.refuse_unknown(" for method '" + spec.name + "'" + field_context(spec.options));
  validate(spec.options, [&options](const std::string& key) { return options.where(key); });
  return spec;
}

}  // namespace priorbench
