#include "generative/torch/vae_model.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "generative/model_contract.hpp"
#include "generative/torch/torch_model.hpp"
#include "generative/torch/vae_module.hpp"

namespace priorbench {

std::string architecture_name(VaeArchitecture architecture) {
  return architecture == VaeArchitecture::mlp ? "mlp" : "conv";
}

VaeArchitecture parse_architecture(const std::string& text) {
  if (text == "mlp") return VaeArchitecture::mlp;
  if (text == "conv") return VaeArchitecture::conv;
  PB_FAIL("--architecture: unknown architecture '", text, "' (valid: mlp, conv)");
}

std::vector<std::size_t> conv_channels(const VaeModelOptions& o) {
  if (!o.channels.empty()) return o.channels;
  std::size_t layers = 2;
  const auto halves_again = [&](std::size_t l) {
    const auto divisor = static_cast<PetscInt>(1) << (l + 1);
    return (o.shape.height >> l) > 4 && (o.shape.width >> l) > 4 && o.shape.height % divisor == 0 &&
           o.shape.width % divisor == 0;
  };
  while (layers < 16 && halves_again(layers)) ++layers;
  std::vector<std::size_t> channels(layers);
  for (std::size_t i = 0; i < layers; ++i) channels[i] = std::max<std::size_t>(8, 64 >> (layers - 1 - i));
  return channels;
}

void validate(const VaeModelOptions& o) {
  PB_REQUIRE(o.latent_dim > 0 && o.latent_dim <= 4096, "--latent-dim must be in [1, 4096], got ", o.latent_dim);
  PB_REQUIRE(o.shape.height > 0 && o.shape.width > 0, "VAE image shape must be positive, got ", o.shape.height, "x",
             o.shape.width);
  PB_REQUIRE(o.variance == DecoderVariance::scalar || o.variance == DecoderVariance::per_pixel,
             "--variance must be scalar or per-pixel");
  PB_REQUIRE(!o.hidden.empty(), "VAE: at least one hidden layer is needed");
  for (const auto width : o.hidden) PB_REQUIRE(width > 0, "VAE: hidden widths must be positive");
  PB_REQUIRE(o.variance_floor > 0, "VAE: the variance floor must be positive, got ", o.variance_floor);
  PB_REQUIRE(o.initial_variance > o.variance_floor, "VAE: the initial variance must exceed the floor, got ",
             o.initial_variance);
  if (o.architecture == VaeArchitecture::conv) {
    const auto channels = conv_channels(o);
    PB_REQUIRE(!channels.empty() && channels.size() <= 16,
               "--channels: the conv architecture takes 1 to 16 layers, got ", channels.size());
    for (const auto c : channels) PB_REQUIRE(c > 0, "--channels: channel counts must be positive");
    const auto divisor = static_cast<PetscInt>(1) << channels.size();
    PB_REQUIRE(o.shape.height % divisor == 0 && o.shape.width % divisor == 0, "--architecture conv with ",
               channels.size(), " stride-2 layers needs image sides divisible by ", divisor, ", got ", o.shape.height,
               "x", o.shape.width);
  }
}

std::string describe(const VaeModelOptions& o) {
  std::ostringstream out;
  const auto n = o.shape.size();
  out << "VAE (" << architecture_name(o.architecture) << "): encoder ";
  if (o.architecture == VaeArchitecture::mlp) {
    out << n;
    for (const auto width : o.hidden) out << "-" << width;
    out << "-" << o.latent_dim << "x2";
  } else {
    const auto channels = conv_channels(o);
    out << "conv ";
    for (std::size_t i = 0; i < channels.size(); ++i) out << (i ? "," : "") << channels[i];
    out << " (4x4, stride 2)-" << o.hidden.back() << "-" << o.latent_dim << "x2";
  }
  out << ", mirrored decoder, softplus, sigmoid mean, " << variance_kind_name(o.variance) << " decoder variance (floor "
      << o.variance_floor << ")";
  return out.str();
}

void save_untrained_vae(const VaeModelOptions& options, std::uint64_t seed, const std::string& path) {
  validate(options);
  torch::manual_seed(seed);
  auto module = torch_detail::build_vae_module(options, at::kDouble);
  try {
    module.save(path);
  } catch (const std::exception& error) {
    PB_FAIL(path, ": cannot write the model: ", torch_detail::summarize(error));
  }
}

}  // namespace priorbench

namespace priorbench::torch_detail {

// Registers the weight [out, in] and bias [out] of a dense layer, uniform in ±1/√in
// (PyTorch's default for nn.Linear).
void dense(torch::jit::Module& module, const std::string& name, std::int64_t in, std::int64_t out,
           at::ScalarType dtype) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  const auto options = at::TensorOptions().dtype(dtype);
  module.register_parameter(name + "_w", (at::rand({out, in}, options) * 2 - 1) * bound, false);
  module.register_parameter(name + "_b", (at::rand({out}, options) * 2 - 1) * bound, false);
}

// A 4×4 convolution (transposed: weight [in, out, 4, 4]) with `fan_in` inputs per output.
void convolution(torch::jit::Module& module, const std::string& name, std::int64_t in, std::int64_t out,
                 bool transposed, at::ScalarType dtype) {
  const auto fan_in = transposed ? in * 4 : in * 16;  // a stride-2 transposed 4×4 kernel sees 2×2 inputs
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  const auto options = at::TensorOptions().dtype(dtype);
  const auto shape = transposed ? std::vector<std::int64_t>{in, out, 4, 4} : std::vector<std::int64_t>{out, in, 4, 4};
  module.register_parameter(name + "_w", (at::rand(shape, options) * 2 - 1) * bound, false);
  module.register_parameter(name + "_b", (at::rand({out}, options) * 2 - 1) * bound, false);
}

std::string affine(const std::string& layer, const std::string& input) {
  return "torch.addmm(self." + layer + "_b, " + input + ", self." + layer + "_w.t())";
}

std::string conv2d(const std::string& layer, bool transposed) {
  return std::string(transposed ? "torch.conv_transpose2d" : "torch.conv2d") + "(h, self." + layer + "_w, self." +
         layer + "_b, [2, 2], [1, 1])";
}

namespace {

// TorchScript source shared by both architectures, given the two trunks.
std::string heads_source(const VaeModelOptions& o, const std::string& mean_output, const std::string& variance_output) {
  const auto H = std::to_string(o.shape.height), W = std::to_string(o.shape.width);
  std::ostringstream s;
  s << "def encode(self, x: Tensor) -> Tuple[Tensor, Tensor]:\n"
    << "    h = self.encoder_trunk(x)\n"
    << "    return (" << affine("enc_mean", "h") << ", " << affine("enc_logvar", "h") << ")\n\n"
    << "def decode(self, z: Tensor) -> Tensor:\n"
    << "    h = self.decoder_trunk(z)\n"
    << "    return torch.sigmoid(" << mean_output << ").reshape([z.shape[0], " << H << ", " << W << "])\n\n";
  if (o.variance == DecoderVariance::scalar) {
    s << "def decoder_log_variance(self, z: Tensor) -> Tensor:\n"
      << "    raw = self.dec_logvar_raw\n"
      << "    floor = torch.full_like(raw, self.log_variance_floor)\n"
      << "    return torch.logaddexp(raw, floor).expand([z.shape[0]])\n\n"
      << "def decoder_mean_and_log_variance(self, z: Tensor) -> Tuple[Tensor, Tensor]:\n"
      << "    return (self.decode(z), self.decoder_log_variance(z))\n";
  } else {
    s << "def per_pixel_log_variance(self, h: Tensor, batch: int) -> Tensor:\n"
      << "    raw = " << variance_output << "\n"
      << "    floor = torch.full_like(raw, self.log_variance_floor)\n"
      << "    return torch.logaddexp(raw, floor).reshape([batch, " << H << ", " << W << "])\n\n"
      << "def decoder_log_variance(self, z: Tensor) -> Tensor:\n"
      << "    return self.per_pixel_log_variance(self.decoder_trunk(z), z.shape[0])\n\n"
      << "def decoder_mean_and_log_variance(self, z: Tensor) -> Tuple[Tensor, Tensor]:\n"
      << "    h = self.decoder_trunk(z)\n"
      << "    mean = torch.sigmoid(" << mean_output << ").reshape([z.shape[0], " << H << ", " << W << "])\n"
      << "    return (mean, self.per_pixel_log_variance(h, z.shape[0]))\n";
  }
  return s.str();
}

std::string mlp_source(const VaeModelOptions& o) {
  std::ostringstream s;
  s << "def encoder_trunk(self, x: Tensor) -> Tensor:\n"
    << "    h = x.reshape([x.shape[0], " << o.shape.size() << "])\n";
  for (std::size_t i = 0; i < o.hidden.size(); ++i) {
    s << "    h = torch.softplus(" << affine("enc" + std::to_string(i), "h") << ")\n";
  }
  s << "    return h\n\n";
  return s.str() + decoder_trunk_source(o) + heads_source(o, mean_output_source(o), affine("dec_logvar", "h"));
}

// Channels, coarsest map side and flattened size of the conv architecture.
struct ConvLayout {
  std::vector<std::int64_t> channels;  // finest first
  std::int64_t height = 0, width = 0;  // of the coarsest map
  std::int64_t flat() const { return channels.back() * height * width; }
};

ConvLayout conv_layout(const VaeModelOptions& o) {
  ConvLayout layout;
  for (const auto c : conv_channels(o)) layout.channels.push_back(static_cast<std::int64_t>(c));
  layout.height = o.shape.height >> layout.channels.size();
  layout.width = o.shape.width >> layout.channels.size();
  return layout;
}

// Layers named as in the original two-layer model (enc_conv0, enc_conv1, dec_conv0,
// dec_mean), so a two-layer model keeps its parameter names.
std::string conv_source(const VaeModelOptions& o) {
  const ConvLayout layout = conv_layout(o);
  const std::size_t layers = layout.channels.size();
  std::ostringstream s;
  s << "def encoder_trunk(self, x: Tensor) -> Tensor:\n"
    << "    h = x.reshape([x.shape[0], 1, " << o.shape.height << ", " << o.shape.width << "])\n";
  for (std::size_t i = 0; i < layers; ++i) {
    s << "    h = torch.softplus(" << conv2d("enc_conv" + std::to_string(i), false) << ")\n";
  }
  s << "    h = h.reshape([x.shape[0], " << layout.flat() << "])\n"
    << "    return torch.softplus(" << affine("enc0", "h") << ")\n\n";
  return s.str() + decoder_trunk_source(o) + heads_source(o, mean_output_source(o), conv2d("dec_logvar", true));
}

void register_conv_layers(torch::jit::Module& module, const VaeModelOptions& o, at::ScalarType dtype) {
  const ConvLayout layout = conv_layout(o);
  const auto& c = layout.channels;
  const auto m = static_cast<std::int64_t>(o.latent_dim), width = static_cast<std::int64_t>(o.hidden.back());
  for (std::size_t i = 0; i < c.size(); ++i) {
    convolution(module, "enc_conv" + std::to_string(i), i == 0 ? 1 : c[i - 1], c[i], false, dtype);
  }
  dense(module, "enc0", layout.flat(), width, dtype);
  dense(module, "enc_mean", width, m, dtype);
  dense(module, "enc_logvar", width, m, dtype);
  register_decoder_layers(module, o, dtype);
}

}  // namespace

std::string decoder_trunk_source(const VaeModelOptions& o) {
  std::ostringstream s;
  s << "def decoder_trunk(self, z: Tensor) -> Tensor:\n";
  if (o.architecture == VaeArchitecture::mlp) {
    s << "    h = z\n";
    for (std::size_t i = 0; i < o.hidden.size(); ++i) {
      s << "    h = torch.softplus(" << affine("dec" + std::to_string(i), "h") << ")\n";
    }
    s << "    return h\n\n";
    return s.str();
  }
  const ConvLayout layout = conv_layout(o);
  s << "    h = torch.softplus(" << affine("dec0", "z") << ")\n"
    << "    h = torch.softplus(" << affine("dec1", "h") << ")\n"
    << "    h = h.reshape([z.shape[0], " << layout.channels.back() << ", " << layout.height << ", " << layout.width
    << "])\n";
  for (std::size_t j = 0; j + 1 < layout.channels.size(); ++j) {
    s << "    h = torch.softplus(" << conv2d("dec_conv" + std::to_string(j), true) << ")\n";
  }
  s << "    return h\n\n";
  return s.str();
}

std::string mean_output_source(const VaeModelOptions& o) {
  return o.architecture == VaeArchitecture::mlp ? affine("dec_mean", "h") : conv2d("dec_mean", true);
}

void register_decoder_layers(torch::jit::Module& module, const VaeModelOptions& o, at::ScalarType dtype) {
  const auto m = static_cast<std::int64_t>(o.latent_dim), n = static_cast<std::int64_t>(o.shape.size());
  if (o.architecture == VaeArchitecture::mlp) {
    std::int64_t in = m;
    for (std::size_t i = 0; i < o.hidden.size(); ++i) {
      const auto width = static_cast<std::int64_t>(o.hidden[o.hidden.size() - 1 - i]);
      dense(module, "dec" + std::to_string(i), in, width, dtype);
      in = width;
    }
    dense(module, "dec_mean", in, n, dtype);
    if (o.variance == DecoderVariance::per_pixel) dense(module, "dec_logvar", in, n, dtype);
    return;
  }
  const ConvLayout layout = conv_layout(o);
  const auto& c = layout.channels;
  dense(module, "dec0", m, static_cast<std::int64_t>(o.hidden.back()), dtype);
  dense(module, "dec1", static_cast<std::int64_t>(o.hidden.back()), layout.flat(), dtype);
  for (std::size_t j = 0; j + 1 < c.size(); ++j) {
    convolution(module, "dec_conv" + std::to_string(j), c[c.size() - 1 - j], c[c.size() - 2 - j], true, dtype);
  }
  convolution(module, "dec_mean", c.front(), 1, true, dtype);
  if (o.variance == DecoderVariance::per_pixel) convolution(module, "dec_logvar", c.front(), 1, true, dtype);
}

torch::jit::Module build_vae_module(const VaeModelOptions& o, at::ScalarType dtype) {
  validate(o);
  torch::jit::Module module("PriorbenchVAE");
  const auto m = static_cast<std::int64_t>(o.latent_dim), n = static_cast<std::int64_t>(o.shape.size());
  if (o.architecture == VaeArchitecture::mlp) {
    std::int64_t in = n;
    for (std::size_t i = 0; i < o.hidden.size(); ++i) {
      dense(module, "enc" + std::to_string(i), in, static_cast<std::int64_t>(o.hidden[i]), dtype);
      in = static_cast<std::int64_t>(o.hidden[i]);
    }
    dense(module, "enc_mean", in, m, dtype);
    dense(module, "enc_logvar", in, m, dtype);
    register_decoder_layers(module, o, dtype);
  } else {
    register_conv_layers(module, o, dtype);
  }
  // Start at Γ ≈ initial_variance: e^raw = initial − floor.
  const double raw = std::log(o.initial_variance - o.variance_floor);
  const auto options = at::TensorOptions().dtype(dtype);
  if (o.variance == DecoderVariance::scalar) {
    module.register_parameter("dec_logvar_raw", at::full({1}, raw, options), false);
  } else {
    // The per-pixel head starts with zero weights, so every pixel starts at the same variance.
    module.attr("dec_logvar_w").toTensor().zero_();
    module.attr("dec_logvar_b").toTensor().fill_(raw);
  }

  module.register_attribute("format_version", c10::IntType::get(), kModelFormatVersion);
  module.register_attribute("kind", c10::StringType::get(), generator_kind_name(GeneratorKind::vae));
  module.register_attribute("latent_dim", c10::IntType::get(), m);
  module.register_attribute("image_height", c10::IntType::get(), static_cast<std::int64_t>(o.shape.height));
  module.register_attribute("image_width", c10::IntType::get(), static_cast<std::int64_t>(o.shape.width));
  module.register_attribute("variance_kind", c10::StringType::get(), variance_kind_name(o.variance));
  module.register_attribute("description", c10::StringType::get(), describe(o));
  module.register_attribute("architecture", c10::StringType::get(), architecture_name(o.architecture));
  module.register_attribute("log_variance_floor", c10::FloatType::get(), std::log(o.variance_floor));
  const auto source = o.architecture == VaeArchitecture::mlp ? mlp_source(o) : conv_source(o);
  try {
    module.define(source);
  } catch (const std::exception& error) {
    PB_FAIL("VAE model source does not compile (a bug): ", summarize(error));
  }
  return module;
}

}  // namespace priorbench::torch_detail
