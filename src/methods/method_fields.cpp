#include "methods/method_fields.hpp"

#include <sstream>

namespace priorbench {
namespace {

class FieldWriter {
 public:
  void number(const std::string& key, double value) { line(key) << value << "\n"; }
  void integer(const std::string& key, int value) { line(key) << value << "\n"; }
  void count(const std::string& key, std::size_t value) { line(key) << value << "\n"; }
  void flag(const std::string& key, bool value) { line(key) << (value ? "true" : "false") << "\n"; }
  void text(const std::string& key, const std::string& value) { line(key) << '"' << value << "\"\n"; }
  template <class Enum>
  void choice(const std::string& key, Enum value, const std::vector<std::string>& names) {
    line(key) << '"' << names.at(static_cast<std::size_t>(value)) << "\"\n";
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream& line(const std::string& key) {
    out_.precision(17);
    out_ << key << " = ";
    return out_;
  }
  std::ostringstream out_;
};

}  // namespace

std::string describe_fields(const MethodOptions& options) {
  MethodOptions copy = options;
  FieldWriter writer;
  visit_fields(copy, writer);
  return writer.str();
}

std::string field_context(const MethodOptions& options) {
  const auto* mcmc = std::get_if<LatentMcmcOptions>(&options);
  if (mcmc == nullptr) return "";
  return mcmc->sampler == LatentSampler::nuts
             ? " with sampler = \"nuts\" (each sampler has its own keys; pCN's need sampler = \"pcn\")"
             : " with sampler = \"pcn\" (each sampler has its own keys; NUTS's need sampler = \"nuts\")";
}

}  // namespace priorbench
