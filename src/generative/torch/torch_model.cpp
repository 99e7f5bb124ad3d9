#include "generative/torch/torch_model.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/error.hpp"

namespace priorbench {

std::string variance_kind_name(DecoderVariance kind) {
  switch (kind) {
    case DecoderVariance::none:
      return "none";
    case DecoderVariance::scalar:
      return "scalar";
    case DecoderVariance::per_pixel:
      return "per_pixel";
  }
  return "unknown";
}

std::optional<DecoderVariance> parse_variance_kind(const std::string& text) {
  for (const auto kind : {DecoderVariance::none, DecoderVariance::scalar, DecoderVariance::per_pixel}) {
    if (text == variance_kind_name(kind)) return kind;
  }
  return std::nullopt;
}

}  // namespace priorbench

namespace priorbench::torch_detail {
namespace {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  const auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

std::string shape_text(at::IntArrayRef sizes) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < sizes.size(); ++i) out << (i ? ", " : "") << sizes[i];
  out << "]";
  return out.str();
}

const char* const kContractHint = " (docs/model-format.md)";

std::int64_t require_int(const torch::jit::Module& module, const std::string& name, const std::string& attribute) {
  PB_REQUIRE(module.hasattr(attribute), name, ": attribute '", attribute, "' missing", kContractHint);
  const auto value = module.attr(attribute);
  PB_REQUIRE(value.isInt(), name, ": attribute '", attribute, "' must be an int, it is ", value.tagKind());
  return value.toInt();
}

std::string require_string(const torch::jit::Module& module, const std::string& name, const std::string& attribute) {
  PB_REQUIRE(module.hasattr(attribute), name, ": attribute '", attribute, "' missing", kContractHint);
  const auto value = module.attr(attribute);
  PB_REQUIRE(value.isString(), name, ": attribute '", attribute, "' must be a str, it is ", value.tagKind());
  return value.toStringRef();
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
  int threads = requested;
  if (threads <= 0) {
    const char* environment = std::getenv("PRIORBENCH_TORCH_THREADS");
    threads = 1;
    if (environment != nullptr && *environment != '\0') {
      char* end = nullptr;
      const long value = std::strtol(environment, &end, 10);
      PB_REQUIRE(*end == '\0' && value > 0 && value <= 1024,
                 "PRIORBENCH_TORCH_THREADS must be a positive integer, got '", environment, "'");
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
  ModelInfo info;
  info.format_version = require_int(module, name, "format_version");
  PB_REQUIRE(info.format_version == kModelFormatVersion, name, ": format_version ", info.format_version,
             " is not supported (this priorbench reads version ", kModelFormatVersion, ")");
  const auto latent_dim = require_int(module, name, "latent_dim");
  const auto height = require_int(module, name, "image_height");
  const auto width = require_int(module, name, "image_width");
  PB_REQUIRE(latent_dim > 0, name, ": attribute latent_dim must be positive, got ", latent_dim);
  PB_REQUIRE(height > 0 && width > 0, name, ": attributes image_height and image_width must be positive, got ", height,
             " and ", width);
  info.latent_dim = static_cast<std::size_t>(latent_dim);
  info.shape = {static_cast<PetscInt>(height), static_cast<PetscInt>(width)};
  const auto kind_text = require_string(module, name, "variance_kind");
  const auto kind = parse_variance_kind(kind_text);
  PB_REQUIRE(kind.has_value(), name, ": attribute variance_kind is '", kind_text,
             "'; expected 'none', 'scalar' or 'per_pixel'");
  info.variance_kind = *kind;
  if (module.hasattr("description")) info.description = require_string(module, name, "description");

  require_method(module, name, "decode");
  if (info.variance_kind != DecoderVariance::none) {
    require_method(module, name, "decoder_log_variance", " (required by variance_kind '" + kind_text + "')");
  }
  info.has_encoder = module.find_method("encode").has_value();

  // Probes: every method once on a batch of two, checking shapes, dtype and finiteness.
  const auto dtype = module_dtype(module);
  const auto options = at::TensorOptions().dtype(dtype);
  const std::int64_t batch = 2, m = latent_dim, n = height * width;
  const auto z = at::zeros({batch, m}, options);
  const std::string decode_call = "decode(z) on z of shape " + shape_text(z.sizes());
  const auto mean = probe(name, decode_call, [&] { return call_method(module, "decode", {z}).toTensor(); });
  PB_REQUIRE(mean.sizes() == at::IntArrayRef({batch, height, width}) || mean.sizes() == at::IntArrayRef({batch, n}),
             name, ": ", decode_call, " returned shape ", shape_text(mean.sizes()), "; expected [", batch, ", ", height,
             ", ", width, "] or [", batch, ", ", n, "]");
  check_probe_result(mean, name, decode_call, dtype);

  if (info.variance_kind != DecoderVariance::none) {
    const std::string call = "decoder_log_variance(z) on z of shape " + shape_text(z.sizes());
    const auto log_variance =
        probe(name, call, [&] { return call_method(module, "decoder_log_variance", {z}).toTensor(); });
    const bool scalar = info.variance_kind == DecoderVariance::scalar;
    const bool shape_ok = scalar ? log_variance.numel() == batch && log_variance.size(0) == batch
                                 : log_variance.numel() == batch * n && log_variance.size(0) == batch;
    PB_REQUIRE(shape_ok, name, ": ", call, " returned shape ", shape_text(log_variance.sizes()), "; variance_kind '",
               kind_text, "' expects ",
               scalar
                   ? "[" + std::to_string(batch) + "]"
                   : "[" + std::to_string(batch) + ", " + std::to_string(height) + ", " + std::to_string(width) + "]");
    check_probe_result(log_variance, name, call, dtype);
  }

  if (info.has_encoder) {
    const auto x = at::zeros({batch, height, width}, options);
    const std::string call = "encode(x) on x of shape " + shape_text(x.sizes());
    const auto result = probe(name, call, [&] { return call_method(module, "encode", {x}); });
    PB_REQUIRE(result.isTuple() && result.toTupleRef().elements().size() == 2, name, ": ", call,
               " must return a tuple (mean, log_variance)");
    for (const auto& element : result.toTupleRef().elements()) {
      PB_REQUIRE(element.isTensor(), name, ": ", call, " must return a tuple of two tensors");
      const auto tensor = element.toTensor();
      PB_REQUIRE(tensor.sizes() == at::IntArrayRef({batch, m}), name, ": ", call, " returned a tensor of shape ",
                 shape_text(tensor.sizes()), "; expected [", batch, ", ", m, "]");
      check_probe_result(tensor, name, call, dtype);
    }
  }
  read_provenance(module, info);
  return info;
}

void read_provenance(const torch::jit::Module& module, ModelInfo& info) {
  if (module.hasattr("test_elbo") && module.attr("test_elbo").isDouble()) {
    info.test_elbo = module.attr("test_elbo").toDouble();
  }
  if (module.hasattr("training_log") && module.attr("training_log").isString()) {
    info.training_log = module.attr("training_log").toStringRef();
  }
  const auto list = [&](const char* attribute) -> std::optional<std::vector<double>> {
    if (!module.hasattr(attribute) || !module.attr(attribute).isDoubleList()) return std::nullopt;
    const auto values = module.attr(attribute).toDoubleList();
    return std::vector<double>(values.begin(), values.end());
  };
  const auto number = [&](const char* attribute) -> std::optional<double> {
    if (!module.hasattr(attribute)) return std::nullopt;
    const auto value = module.attr(attribute);
    if (value.isDouble()) return value.toDouble();
    if (value.isInt()) return static_cast<double>(value.toInt());
    return std::nullopt;
  };
  const auto kl = list("diagnostics_kl"), activity = list("diagnostics_activity"),
             variance = list("diagnostics_mean_encoder_variance"), norms = list("diagnostics_decoder_column_norms");
  const auto images = number("diagnostics_images"), jacobian_images = number("diagnostics_jacobian_images"),
             activity_threshold = number("diagnostics_activity_threshold"),
             kl_threshold = number("diagnostics_kl_threshold");
  const auto m = info.latent_dim;
  if (!(kl && activity && variance && norms && images && jacobian_images && activity_threshold && kl_threshold) ||
      kl->size() != m || activity->size() != m || variance->size() != m || norms->size() != m) {
    return;
  }
  PosteriorCollapse diagnostics;
  diagnostics.images = static_cast<std::size_t>(*images);
  diagnostics.jacobian_images = static_cast<std::size_t>(*jacobian_images);
  diagnostics.activity_threshold = *activity_threshold;
  diagnostics.kl_threshold = *kl_threshold;
  diagnostics.kl = *kl;
  diagnostics.activity = *activity;
  diagnostics.mean_encoder_variance = *variance;
  diagnostics.decoder_column_norms = *norms;
  for (std::size_t j = 0; j < m; ++j) {  // the classification of generative/posterior_collapse.hpp
    const bool active = diagnostics.activity[j] > diagnostics.activity_threshold;
    const bool collapsed = !active && diagnostics.kl[j] < diagnostics.kl_threshold;
    diagnostics.active.push_back(active ? 1 : 0);
    diagnostics.collapsed.push_back(collapsed ? 1 : 0);
    diagnostics.active_count += active ? 1 : 0;
    diagnostics.collapsed_count += collapsed ? 1 : 0;
    diagnostics.total_kl += diagnostics.kl[j];
  }
  info.diagnostics = std::move(diagnostics);
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
