#include "methods/method_factory.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace priorbench {
namespace {

template <std::size_t Index = 0>
MethodOptions options_at(std::size_t index) {
  if constexpr (Index < std::variant_size_v<MethodOptions>) {
    if (index == Index) return MethodOptions(std::in_place_index<Index>);
    return options_at<Index + 1>(index);
  } else {
    PB_FAIL("method index ", index, " out of range");
  }
}

}  // namespace

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names = {"white",       "empirical",  "file",
                                                 "laplace",     "latent_map", "latent_laplace",
                                                 "latent_mcmc", "flow_map",   "flow_laplace"};
  static_assert(std::variant_size_v<MethodOptions> == 9, "one name per alternative of MethodOptions");
  return names;
}

const std::string& method_name(const MethodOptions& options) { return method_names().at(options.index()); }

MethodOptions default_method_options(const std::string& name, const std::string& where) {
  const auto& names = method_names();
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) {
    std::string valid;
    for (const auto& known : names) valid += (valid.empty() ? "" : ", ") + known;
    PB_FAIL(where, " has unknown method '", name, "' (valid: ", valid, ")");
  }
  return options_at(static_cast<std::size_t>(found - names.begin()));
}

bool needs_generator(const MethodOptions& options) {
  return std::holds_alternative<LaplaceOptions>(options) || std::holds_alternative<LatentMapMethodOptions>(options) ||
         std::holds_alternative<LatentLaplaceMethodOptions>(options) ||
         std::holds_alternative<LatentMcmcOptions>(options) || std::holds_alternative<FlowMapMethodOptions>(options) ||
         std::holds_alternative<FlowLaplaceMethodOptions>(options);
}

bool needs_training(const MethodOptions& options) {
  if (const auto* white = std::get_if<WhiteOptions>(&options)) return white->tau2 == 0;
  return std::holds_alternative<EmpiricalOptions>(options);
}

void validate(const MethodOptions& options, const FieldNamer& field) {
  std::visit([&](const auto& typed) { typed.validate(field); }, options);
}

std::string generator_mismatch(const MethodOptions& options, const Generator& generator) {
  const bool flow_method = std::holds_alternative<FlowMapMethodOptions>(options) ||
                           std::holds_alternative<FlowLaplaceMethodOptions>(options);
  if (flow_method && generator.flow() == nullptr) {
    return method_name(options) + ": needs a normalizing flow (a model of kind 'flow'); " + generator.description() +
           " is not one";
  }
  if (const auto* laplace = std::get_if<LaplaceOptions>(&options)) {
    if (laplace->nugget <= 0 && generator.decoder_variance_kind() == DecoderVariance::none) {
      return laplace_nugget_message();
    }
  }
  return "";
}

std::unique_ptr<ReconstructionMethod> make_method(const MethodOptions& options, const MethodResources& resources) {
  struct Maker {
    const MethodResources& resources;
    std::unique_ptr<ReconstructionMethod> operator()(const WhiteOptions& o) const {
      return make_white_method(o, resources);
    }
    std::unique_ptr<ReconstructionMethod> operator()(const EmpiricalOptions& o) const {
      return make_empirical_method(o, resources);
    }
    std::unique_ptr<ReconstructionMethod> operator()(const FilePriorOptions& o) const {
      return make_file_prior_method(o);
    }
    std::unique_ptr<ReconstructionMethod> operator()(const LaplaceOptions& o) const {
      return make_laplace_method(o, resources.generator);
    }
    std::unique_ptr<ReconstructionMethod> operator()(const LatentMapMethodOptions& o) const {
      return make_latent_map_method(o, resources.generator);
    }
    std::unique_ptr<ReconstructionMethod> operator()(const LatentLaplaceMethodOptions& o) const {
      return make_latent_laplace_method(o, resources.generator);
    }
    std::unique_ptr<ReconstructionMethod> operator()(const LatentMcmcOptions& o) const {
      return make_latent_mcmc_method(o, resources.generator);
    }
    std::unique_ptr<ReconstructionMethod> operator()(const FlowMapMethodOptions& o) const {
      return make_flow_map_method(o, resources.generator);
    }
    std::unique_ptr<ReconstructionMethod> operator()(const FlowLaplaceMethodOptions& o) const {
      return make_flow_laplace_method(o, resources.generator);
    }
  };
  validate(options, [&](const std::string& key) { return method_name(options) + " option '" + key + "'"; });
  return std::visit(Maker{resources}, options);
}

}  // namespace priorbench
