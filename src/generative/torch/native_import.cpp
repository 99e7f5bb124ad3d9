#include "generative/torch/native_import.hpp"

#include <cmath>
#include <map>
#include <mutex>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>

#include "core/error.hpp"
#include "generative/torch/flow_module.hpp"
#include "generative/torch/gan_module.hpp"
#include "generative/torch/torch_model.hpp"
#include "generative/torch/vae_module.hpp"

namespace priorbench {
namespace {

// Building the reference module draws its (discarded) parameters from Torch's default
// generator; loading a model must not move that stream, so its state is put back.
class DefaultGeneratorRestorer {
 public:
  DefaultGeneratorRestorer() : generator_(at::detail::getDefaultCPUGenerator()) {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    state_ = generator_.get_state();
  }
  ~DefaultGeneratorRestorer() {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(state_);
  }
  DefaultGeneratorRestorer(const DefaultGeneratorRestorer&) = delete;
  DefaultGeneratorRestorer& operator=(const DefaultGeneratorRestorer&) = delete;

 private:
  at::Generator generator_;
  at::Tensor state_;
};

bool has_parameter(const torch::jit::Module& module, const std::string& name) {
  return module.hasattr(name) && module.attr(name).isTensor();
}

at::Tensor parameter(const torch::jit::Module& module, const std::string& name) {
  PB_REQUIRE(has_parameter(module, name), "parameter '", name, "' missing");
  return module.attr(name).toTensor().to(at::kDouble).contiguous();
}

std::vector<double> values_of(const at::Tensor& tensor) {
  return std::vector<double>(tensor.data_ptr<double>(), tensor.data_ptr<double>() + tensor.numel());
}

std::string string_attribute(const torch::jit::Module& module, const char* name) {
  PB_REQUIRE(module.hasattr(name) && module.attr(name).isString(), "no str attribute '", name, "'");
  return module.attr(name).toStringRef();
}

double float_attribute(const torch::jit::Module& module, const char* name) {
  PB_REQUIRE(module.hasattr(name) && module.attr(name).isDouble(), "no float attribute '", name, "'");
  return module.attr(name).toDouble();
}

// Sizes along dimension 0 of `prefix`0_w, `prefix`1_w, … while they exist.
std::vector<std::size_t> leading_sizes(const torch::jit::Module& module, const std::string& prefix) {
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; has_parameter(module, prefix + std::to_string(i) + "_w"); ++i) {
    sizes.push_back(static_cast<std::size_t>(parameter(module, prefix + std::to_string(i) + "_w").size(0)));
  }
  return sizes;
}

// The options `priorbench train` would have been given for this module, read off its
// attributes and the encoder's parameter shapes (the decoder mirrors them).
VaeModelOptions inferred_options(const torch::jit::Module& module, const ModelInfo& info) {
  VaeModelOptions options;
  options.architecture = parse_architecture(string_attribute(module, "architecture"));
  options.latent_dim = info.latent_dim;
  options.shape = info.shape;
  options.variance = info.variance_kind;
  options.variance_floor = std::exp(float_attribute(module, "log_variance_floor"));
  options.initial_variance = 2 * options.variance_floor + 0.1;  // only the discarded initial values use it
  if (options.architecture == VaeArchitecture::mlp) {
    options.hidden = leading_sizes(module, "enc");
  } else {
    options.channels = leading_sizes(module, "enc_conv");
    options.hidden = {static_cast<std::size_t>(parameter(module, "enc0_w").size(0))};
  }
  validate(options);
  return options;
}

// The same for a GAN generator (gan_model.hpp), which has no encoder: read off the
// decoder's parameter shapes (dense widths of dec0 …; the channels of dec_conv0 … and
// dec_mean, coarsest first).
GanModelOptions inferred_gan_options(const torch::jit::Module& module, const ModelInfo& info) {
  GanModelOptions options;
  options.architecture = parse_architecture(string_attribute(module, "architecture"));
  options.latent_dim = info.latent_dim;
  options.shape = info.shape;
  if (options.architecture == VaeArchitecture::mlp) {
    const auto widths = leading_sizes(module, "dec");
    options.hidden.assign(widths.rbegin(), widths.rend());
  } else {
    const auto coarse_to_fine = leading_sizes(module, "dec_conv");  // output channels of each
    options.channels.assign(coarse_to_fine.rbegin(), coarse_to_fine.rend());
    options.channels.insert(options.channels.begin(),
                            static_cast<std::size_t>(parameter(module, "dec_mean_w").size(0)));
    options.hidden = {static_cast<std::size_t>(parameter(module, "dec0_w").size(0))};
  }
  validate(options);
  return options;
}

// A module as it reads after a save and a load: the form whose code a model file holds.
torch::jit::Module reloaded(const torch::jit::Module& module) {
  std::stringstream archive;
  module.save(archive);
  return torch::jit::load(archive, at::kCPU);
}

std::string shape_text(at::IntArrayRef sizes) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < sizes.size(); ++i) out << (i ? ", " : "") << sizes[i];
  out << "]";
  return out.str();
}

// "" when both have the same parameters (names and shapes), else the first difference.
std::string parameter_mismatch(const torch::jit::Module& reference, const torch::jit::Module& model) {
  std::map<std::string, std::vector<std::int64_t>> expected, actual;
  for (const auto& named : reference.named_parameters()) expected[named.name] = named.value.sizes().vec();
  for (const auto& named : model.named_parameters()) actual[named.name] = named.value.sizes().vec();
  for (const auto& [name, sizes] : expected) {
    const auto found = actual.find(name);
    if (found == actual.end()) return "parameter '" + name + "' missing";
    if (found->second != sizes) {
      return "parameter '" + name + "' has shape " + shape_text(found->second) + ", expected " + shape_text(sizes);
    }
  }
  for (const auto& [name, sizes] : actual) {
    if (!expected.count(name)) return "unexpected parameter '" + name + "'";
  }
  return "";
}

// "" when every method of the reference exists in the model with the same graph.
std::string code_mismatch(const torch::jit::Module& reference, const torch::jit::Module& model) {
  for (const auto& method : reference.get_methods()) {
    const auto counterpart = model.find_method(method.name());
    if (!counterpart) return "method '" + method.name() + "' missing";
    if (counterpart->graph()->toString(false) != method.graph()->toString(false)) {
      return "method '" + method.name() + "' differs from the code priorbench train writes";
    }
  }
  return "";
}

native::DenseWeights dense_weights(const torch::jit::Module& module, const std::string& layer) {
  const auto weight = parameter(module, layer + "_w");
  return {static_cast<std::size_t>(weight.size(1)), static_cast<std::size_t>(weight.size(0)), values_of(weight),
          values_of(parameter(module, layer + "_b"))};
}

native::TransposedConvolutionWeights convolution_weights(const torch::jit::Module& module, const std::string& layer,
                                                         std::size_t height, std::size_t width) {
  const auto weight = parameter(module, layer + "_w");  // [in, out, 4, 4]
  return {static_cast<std::size_t>(weight.size(0)),
          static_cast<std::size_t>(weight.size(1)),
          height,
          width,
          values_of(weight),
          values_of(parameter(module, layer + "_b"))};
}

// The decoder of vae_model.cpp: mlp dec0 … dec_{L−1}, dec_mean (and dec_logvar); conv
// dec0, dec1, then dec_conv0 … dec_conv_{L−2} and the heads on maps doubling from H/2^L.
native::NativeDecoderWeights decoder_weights(const torch::jit::Module& module, const VaeModelOptions& options) {
  native::NativeDecoderWeights weights;
  weights.latent_dim = options.latent_dim;
  weights.shape = options.shape;
  weights.variance = options.variance;
  if (options.variance != DecoderVariance::none)
    weights.log_variance_floor = float_attribute(module, "log_variance_floor");
  const auto head = [&](const std::string& layer, std::size_t height, std::size_t width) -> native::LayerWeights {
    if (options.architecture == VaeArchitecture::mlp) return dense_weights(module, layer);
    return convolution_weights(module, layer, height, width);
  };
  std::size_t height = 0, width = 0;
  if (options.architecture == VaeArchitecture::mlp) {
    for (std::size_t i = 0; i < options.hidden.size(); ++i) {
      weights.trunk.emplace_back(dense_weights(module, "dec" + std::to_string(i)));
    }
  } else {
    const std::size_t layers = options.channels.size();
    height = static_cast<std::size_t>(options.shape.height) >> layers;
    width = static_cast<std::size_t>(options.shape.width) >> layers;
    weights.trunk.emplace_back(dense_weights(module, "dec0"));
    weights.trunk.emplace_back(dense_weights(module, "dec1"));
    for (std::size_t j = 0; j + 1 < layers; ++j, height *= 2, width *= 2) {
      weights.trunk.emplace_back(convolution_weights(module, "dec_conv" + std::to_string(j), height, width));
    }
  }
  weights.mean_head = head("dec_mean", height, width);
  if (options.variance == DecoderVariance::per_pixel) {
    weights.log_variance_head = head("dec_logvar", height, width);
  } else if (options.variance == DecoderVariance::scalar) {
    weights.raw_log_variance = parameter(module, "dec_logvar_raw").item<double>();
  }
  return weights;
}

// c{level}_{step}, as flow_model.cpp names a step's parameters.
std::string flow_step_name(std::size_t level, std::size_t step) {
  std::string name = "c";
  name += std::to_string(level);
  name += '_';
  name += std::to_string(step);
  return name;
}

std::vector<std::int64_t> int_list_attribute(const torch::jit::Module& module, const std::string& name) {
  PB_REQUIRE(module.hasattr(name) && module.attr(name).isIntList(), "no int list attribute '", name, "'");
  const auto list = module.attr(name).toIntList();
  return std::vector<std::int64_t>(list.begin(), list.end());
}

// The options `priorbench train --kind flow` would have been given: steps per level and
// conditioner widths read off the parameters c{level}_{step}_…
FlowModelOptions inferred_flow_options(const torch::jit::Module& module, const ModelInfo& info) {
  FlowModelOptions options;
  options.shape = info.shape;
  options.preprocessing =
      string_attribute(module, "preprocessing") == "logit" ? FlowPreprocessing::logit : FlowPreprocessing::none;
  if (options.preprocessing == FlowPreprocessing::logit) options.alpha = float_attribute(module, "alpha");
  options.couplings.clear();
  options.hidden.clear();
  for (std::size_t level = 0; has_parameter(module, flow_step_name(level, 0) + "_an_logs"); ++level) {
    std::size_t steps = 0;
    while (has_parameter(module, flow_step_name(level, steps) + "_an_logs")) ++steps;
    options.couplings.push_back(steps);
    options.hidden.push_back(static_cast<std::size_t>(parameter(module, flow_step_name(level, 0) + "_c0_w").size(0)));
  }
  validate(options);
  return options;
}

native::NativeFlowWeights flow_weights(const torch::jit::Module& module, const FlowModelOptions& options) {
  native::NativeFlowWeights weights;
  weights.shape = options.shape;
  weights.level_sizes = flow_level_sizes(options);
  for (std::size_t level = 0; level < options.couplings.size(); ++level) {
    weights.steps.emplace_back();
    for (std::size_t step = 0; step < options.couplings[level]; ++step) {
      const std::string name = flow_step_name(level, step);
      native::FlowStepWeights w;
      w.actnorm_log_scale = values_of(parameter(module, name + "_an_logs"));
      w.actnorm_bias = values_of(parameter(module, name + "_an_bias"));
      w.permutation = int_list_attribute(module, name + "_perm");
      for (int layer = 0; layer < 3; ++layer) {
        w.conditioner[layer] = dense_weights(module, name + "_c" + std::to_string(layer));
      }
      weights.steps.back().push_back(std::move(w));
    }
  }
  return weights;
}

// "" when every permutation of the model is the reference's (they are attributes, not code).
std::string permutation_mismatch(const torch::jit::Module& reference, const torch::jit::Module& model,
                                 const FlowModelOptions& options) {
  for (std::size_t level = 0; level < options.couplings.size(); ++level) {
    for (std::size_t step = 0; step < options.couplings[level]; ++step) {
      for (const char* suffix : {"_perm", "_iperm"}) {
        const std::string name = flow_step_name(level, step) + suffix;
        if (int_list_attribute(model, name) != int_list_attribute(reference, name)) {
          return "attribute '" + name + "' differs from the permutation priorbench train writes";
        }
      }
    }
  }
  return "";
}

}  // namespace

NativeFlowImport import_native_flow(const TorchGenerator& generator) {
  const auto& module = generator.implementation().module;
  if (generator.info().kind != GeneratorKind::flow) return {std::nullopt, "not a flow"};
  try {
    const FlowModelOptions options = inferred_flow_options(module, generator.info());
    if (options.preprocessing != FlowPreprocessing::none) {
      return {std::nullopt, "the native route takes flows with centred pixels; this one has the logit pre-processing"};
    }
    torch::jit::Module reference;
    {
      const DefaultGeneratorRestorer restorer;
      reference = reloaded(torch_detail::build_flow_module(options, at::kDouble));
    }
    auto mismatch = parameter_mismatch(reference, module);
    if (mismatch.empty()) mismatch = code_mismatch(reference, module);
    if (mismatch.empty()) mismatch = permutation_mismatch(reference, module, options);
    if (!mismatch.empty()) return {std::nullopt, mismatch};
    return {flow_weights(module, options), ""};
  } catch (const Error& error) {
    return {std::nullopt, error.what()};
  } catch (const std::exception& error) {
    return {std::nullopt, torch_detail::summarize(error)};
  }
}

NativeImport import_native_decoder(const TorchGenerator& generator) {
  const auto& module = generator.implementation().module;
  if (generator.info().kind == GeneratorKind::flow) {
    return {std::nullopt, "a flow, not a decoder (import_native_flow reads flows)"};
  }
  try {
    const bool gan = generator.info().kind == GeneratorKind::gan;
    std::optional<GanModelOptions> gan_options;
    if (gan) gan_options = inferred_gan_options(module, generator.info());
    const VaeModelOptions options = gan ? decoder_options(*gan_options) : inferred_options(module, generator.info());
    torch::jit::Module reference;
    {
      const DefaultGeneratorRestorer restorer;
      reference = reloaded(gan ? torch_detail::build_gan_module(*gan_options, at::kDouble)
                               : torch_detail::build_vae_module(options, at::kDouble));
    }
    auto mismatch = parameter_mismatch(reference, module);
    if (mismatch.empty()) mismatch = code_mismatch(reference, module);
    if (!mismatch.empty()) return {std::nullopt, mismatch};
    return {decoder_weights(module, options), ""};
  } catch (const Error& error) {
    return {std::nullopt, error.what()};
  } catch (const std::exception& error) {
    return {std::nullopt, torch_detail::summarize(error)};
  }
}

}  // namespace priorbench
