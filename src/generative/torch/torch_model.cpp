#include "generative/torch/torch_model.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/error.hpp"

namespace priorbench::torch_detail {
namespace {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  const auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

const char* const kContractHint = " (docs/model-format.md)";

// What the contract checks read: the module's attributes of their names.
ModelAttributes contract_attributes(const torch::jit::Module& module) {
  ModelAttributes attributes;
  for (const auto& attribute : model_attribute_names()) {
    if (!module.hasattr(attribute)) continue;
    const auto value = module.attr(attribute);
    ModelAttribute& entry = attributes[attribute];
    entry.kind = value.tagKind();
    if (value.isInt()) {
      entry.value = value.toInt();
    } else if (value.isDouble()) {
      entry.value = value.toDouble();
    } else if (value.isString()) {
      entry.value = value.toStringRef();
    } else if (value.isDoubleList()) {
      const auto values = value.toDoubleList();
      entry.value = std::vector<double>(values.begin(), values.end());
    }
  }
  return attributes;
}

void require_method(const torch::jit::Module& module, const std::string& name, const std::string& method,
                    const std::string& why = "") {
  PB_REQUIRE(module.find_method(method).has_value(), name, ": method '", method, "' missing", why, kContractHint);
}

at::ScalarType module_dtype(const torch::jit::Module& module) {
  for (const auto& parameter : module.parameters()) {
    if (parameter.is_floating_point()) return parameter.scalar_type();
  }
  return at::kDouble;
}

// Runs one probe and turns any Torch failure into an Error naming the call.
template <class Call>
auto probe(const std::string& name, const std::string& call, Call&& run) {
  try {
    return run();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    PB_FAIL(name, ": ", call, " failed: ", summarize(error));
  }
}

void check_probe_result(const at::Tensor& result, const std::string& name, const std::string& call,
                        at::ScalarType dtype) {
  PB_REQUIRE(result.scalar_type() == dtype, name, ": ", call, " returned ", c10::toString(result.scalar_type()),
             " for ", c10::toString(dtype),
             " input; every method must compute in the dtype of its input (priorbench runs models in float64)");
  PB_REQUIRE(at::isfinite(result).all().item<bool>(), name, ": ", call, " returned non-finite values");
}

// A flow's inverse and log-determinant at the probe's images x = decode(z), and the round trip.
void probe_flow(const torch::jit::Module& module, const ModelInfo& info, const std::string& name, const at::Tensor& z,
                const at::Tensor& x, at::ScalarType dtype) {
  const std::int64_t batch = z.size(0);
  const std::string inverse_call = "inverse(x) on x = decode(z) of shape " + shape_text(x.sizes());
  const auto latent = probe(name, inverse_call, [&] { return call_method(module, "inverse", {x}).toTensor(); });
  check_inverse_shape(latent.sizes(), info, batch, name, inverse_call);
  check_probe_result(latent, name, inverse_call, dtype);
  const std::string log_det_call = "log_det_jacobian(x) on x = decode(z) of shape " + shape_text(x.sizes());
  const auto log_det =
      probe(name, log_det_call, [&] { return call_method(module, "log_det_jacobian", {x}).toTensor(); });
  check_log_det_shape(log_det.sizes(), batch, name, log_det_call);
  check_probe_result(log_det, name, log_det_call, dtype);
  check_round_trip((latent - z).abs().max().item<double>(), z.abs().max().item<double>(),
                   flow_round_trip_tolerance(dtype == at::kDouble), name);
}

}  // namespace

std::string summarize(const std::exception& error) {
  std::string text;
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&error)) {
    text = torch_error->what_without_backtrace();
  } else {
    text = error.what();
  }
  // A TorchScript traceback ends with the Python-style exception line.
  const auto marker = text.rfind("Error: ");
  if (marker != std::string::npos && text.find("Traceback") != std::string::npos) {
    text = text.substr(text.rfind('\n', marker) == std::string::npos ? 0 : text.rfind('\n', marker) + 1);
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    line = trim(line);
    if (!line.empty()) return line;
  }
  return "unknown Torch error";
}

int apply_threads(int requested) {
  PB_REQUIRE(requested <= kMaxTorchThreads, "Torch threads: ", requested, " is above the limit of ", kMaxTorchThreads);
  int threads = requested;
  if (threads <= 0) {
    const char* environment = std::getenv("PRIORBENCH_TORCH_THREADS");
    threads = 1;
    if (environment != nullptr && *environment != '\0') {
      char* end = nullptr;
      const long value = std::strtol(environment, &end, 10);
      PB_REQUIRE(*end == '\0' && value > 0 && value <= kMaxTorchThreads,
                 "PRIORBENCH_TORCH_THREADS must be an integer in [1, ", kMaxTorchThreads, "], got '", environment, "'");
      threads = static_cast<int>(value);
    }
  }
  at::set_num_threads(threads);
  return threads;
}

torch::jit::Module load_module(const std::string& path) {
  PB_REQUIRE(std::filesystem::exists(path), path, ": no such model file");
  PB_REQUIRE(!std::filesystem::is_directory(path), path, ": is a directory, not a model file");
  try {
    return torch::jit::load(path, at::kCPU);
  } catch (const std::exception& error) {
    PB_FAIL(path, ": not a readable TorchScript model file (torch::jit::load: ", summarize(error), ")");
  }
}

ModelInfo validate_module(const torch::jit::Module& module, const std::string& name) {
  // Probes: every method once on a batch of two, checking shapes, dtype and finiteness.
  const std::int64_t batch = 2;
  ModelInfo info = check_model_attributes(contract_attributes(module), name, batch);
  const std::string kind_text = variance_kind_name(info.variance_kind);
  require_method(module, name, "decode");
  if (info.variance_kind != DecoderVariance::none) {
    require_method(module, name, "decoder_log_variance", " (required by variance_kind '" + kind_text + "')");
  }
  if (info.kind == GeneratorKind::flow) {
    require_method(module, name, "inverse", " (required by kind 'flow')");
    require_method(module, name, "log_det_jacobian", " (required by kind 'flow')");
  }
  // Only a VAE has an encoder by the contract (a flow's inverse is not q(z|x)); an `encode`
  // another kind carries anyway is not read.
  info.has_encoder = info.kind == GeneratorKind::vae && module.find_method("encode").has_value();

  const auto dtype = module_dtype(module);
  const auto options = at::TensorOptions().dtype(dtype);
  const auto m = static_cast<std::int64_t>(info.latent_dim);
  // Row 0 is z = 0; row 1 is (1, -1, 1, ...), a point of typical size under N(0, I), so a
  // decoder that is finite only at 0 fails here, before a command has made any output.
  auto z = at::zeros({batch, m}, options);
  z[1] = 1 - 2 * at::arange(m, options).remainder(2);
  const std::string decode_call = "decode(z) on z of shape " + shape_text(z.sizes());
  const auto mean = probe(name, decode_call, [&] { return call_method(module, "decode", {z}).toTensor(); });
  check_decode_shape(mean.sizes(), info, batch, name, decode_call);
  check_probe_result(mean, name, decode_call, dtype);

  if (info.variance_kind != DecoderVariance::none) {
    const std::string call = "decoder_log_variance(z) on z of shape " + shape_text(z.sizes());
    const auto log_variance =
        probe(name, call, [&] { return call_method(module, "decoder_log_variance", {z}).toTensor(); });
    check_log_variance_shape(log_variance.sizes(), info, batch, name, call);
    check_probe_result(log_variance, name, call, dtype);
  }

  if (info.kind == GeneratorKind::flow) probe_flow(module, info, name, z, mean, dtype);

  if (info.has_encoder) {
    const auto x = at::zeros({batch, info.shape.height, info.shape.width}, options);
    const std::string call = "encode(x) on x of shape " + shape_text(x.sizes());
    const auto result = probe(name, call, [&] { return call_method(module, "encode", {x}); });
    PB_REQUIRE(result.isTuple() && result.toTupleRef().elements().size() == 2, name, ": ", call,
               " must return a tuple (mean, log_variance)");
    for (const auto& element : result.toTupleRef().elements()) {
      PB_REQUIRE(element.isTensor(), name, ": ", call, " must return a tuple of two tensors");
      const auto tensor = element.toTensor();
      check_encoding_shape(tensor.sizes(), info, batch, name, call);
      check_probe_result(tensor, name, call, dtype);
    }
  }
  return info;
}

c10::IValue call_method(const torch::jit::Module& module, const std::string& method, std::vector<c10::IValue> inputs) {
  torch::jit::GraphOptimizerEnabledGuard plain_interpreter(false);
  return module.get_method(method)(std::move(inputs));
}

at::Tensor decode_flat(const torch::jit::Module& module, const at::Tensor& z, const ModelInfo& info) {
  return call_method(module, "decode", {z}).toTensor().reshape({z.size(0), info.shape.size()});
}

at::Tensor log_variance_flat(const torch::jit::Module& module, const at::Tensor& z, const ModelInfo& info) {
  const auto result = call_method(module, "decoder_log_variance", {z}).toTensor();
  return info.variance_kind == DecoderVariance::scalar ? result.reshape({z.size(0), 1})
                                                       : result.reshape({z.size(0), info.shape.size()});
}

std::pair<at::Tensor, at::Tensor> encode_flat(const torch::jit::Module& module, const at::Tensor& x,
                                              const ModelInfo& info) {
  const auto images = x.reshape({x.size(0), info.shape.height, info.shape.width});
  const auto result = call_method(module, "encode", {images}).toTuple();
  return {result->elements()[0].toTensor(), result->elements()[1].toTensor()};
}

std::unique_ptr<TorchGenerator::Impl> make_generator_impl(torch::jit::Module module, const std::string& name) {
  try {
    module.to(at::kDouble);
    module.eval();
    for (auto parameter : module.parameters()) parameter.requires_grad_(false);
  } catch (const std::exception& error) {
    PB_FAIL(name, ": cannot convert the model to float64: ", summarize(error));
  }
  auto impl = std::make_unique<TorchGenerator::Impl>();
  impl->path = name;
  impl->info = validate_module(module, name);
  impl->module = std::move(module);
  return impl;
}

}  // namespace priorbench::torch_detail
