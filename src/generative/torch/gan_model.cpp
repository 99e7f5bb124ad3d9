#include "generative/torch/gan_model.hpp"

#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "generative/model_contract.hpp"
#include "generative/torch/gan_module.hpp"
#include "generative/torch/torch_model.hpp"
#include "generative/torch/vae_module.hpp"

namespace priorbench {

VaeModelOptions decoder_options(const GanModelOptions& o) {
  VaeModelOptions options;
  options.architecture = o.architecture;
  options.latent_dim = o.latent_dim;
  options.shape = o.shape;
  options.variance = DecoderVariance::none;
  options.hidden = o.hidden;
  options.channels = o.channels;
  return options;
}

void validate(const GanModelOptions& o) {
  // The VAE's checks of sizes and channels apply unchanged; only the variance differs.
  auto options = decoder_options(o);
  options.variance = DecoderVariance::scalar;
  validate(options);
}

std::string describe(const GanModelOptions& o) {
  std::ostringstream out;
  out << "GAN generator (" << architecture_name(o.architecture) << "): " << o.latent_dim;
  if (o.architecture == VaeArchitecture::mlp) {
    for (auto width = o.hidden.rbegin(); width != o.hidden.rend(); ++width) out << "-" << *width;
    out << "-" << o.shape.size();
  } else {
    const auto channels = conv_channels(decoder_options(o));
    out << "-" << o.hidden.back() << "-" << channels.back() << "x" << (o.shape.height >> channels.size()) << "x"
        << (o.shape.width >> channels.size()) << ", transposed conv ";
    for (std::size_t i = channels.size(); i-- > 0;) out << channels[i] << (i ? "," : "");
    out << "->1 (4x4, stride 2)";
  }
  out << ", softplus, sigmoid output, Gamma = 0";
  return out.str();
}

void save_untrained_gan(const GanModelOptions& options, std::uint64_t seed, const std::string& path) {
  validate(options);
  torch::manual_seed(seed);
  auto module = torch_detail::build_gan_module(options, at::kDouble);
  try {
    module.save(path);
  } catch (const std::exception& error) {
    PB_FAIL(path, ": cannot write the model: ", torch_detail::summarize(error));
  }
}

}  // namespace priorbench

namespace priorbench::torch_detail {

torch::jit::Module build_gan_module(const GanModelOptions& o, at::ScalarType dtype) {
  validate(o);
  const VaeModelOptions decoder = decoder_options(o);
  torch::jit::Module module("PriorbenchGAN");
  register_decoder_layers(module, decoder, dtype);
  // He-uniform weights, bound √(6/fan_in) instead of the VAE's 1/√fan_in: through the
  // softplus stack the smaller weights pass almost none of z's variation to the image, and
  // a generator whose output barely depends on z collapsed to one image in training (the
  // VAE does not care: its encoder feeds the decoder informative latents from the start).
  {
    torch::NoGradGuard no_grad;
    for (const auto& parameter : module.named_parameters()) {
      const auto& name = parameter.name;
      if (name.size() > 2 && name.compare(name.size() - 2, 2, "_w") == 0) parameter.value.mul_(std::sqrt(6.0));
    }
  }
  module.register_attribute("format_version", c10::IntType::get(), kModelFormatVersion);
  module.register_attribute("kind", c10::StringType::get(), generator_kind_name(GeneratorKind::gan));
  module.register_attribute("latent_dim", c10::IntType::get(), static_cast<std::int64_t>(o.latent_dim));
  module.register_attribute("image_height", c10::IntType::get(), static_cast<std::int64_t>(o.shape.height));
  module.register_attribute("image_width", c10::IntType::get(), static_cast<std::int64_t>(o.shape.width));
  module.register_attribute("variance_kind", c10::StringType::get(), variance_kind_name(DecoderVariance::none));
  module.register_attribute("description", c10::StringType::get(), describe(o));
  module.register_attribute("architecture", c10::StringType::get(), architecture_name(o.architecture));
  std::ostringstream source;
  source << decoder_trunk_source(decoder) << "def decode(self, z: Tensor) -> Tensor:\n"
         << "    h = self.decoder_trunk(z)\n"
         << "    return torch.sigmoid(" << mean_output_source(decoder) << ").reshape([z.shape[0], " << o.shape.height
         << ", " << o.shape.width << "])\n";
  try {
    module.define(source.str());
  } catch (const std::exception& error) {
    PB_FAIL("GAN model source does not compile (a bug): ", summarize(error));
  }
  return module;
}

}  // namespace priorbench::torch_detail
