// The native route (NativeGenerator made by load_generator) against the TorchScript route
// of the same file: μ, Γ, J v, Jᵀ u (single and batched), J and the fused decode_and_vjp agree
// to 1e-12 relative to the magnitude of the result, on the shipped models and on VAEs of many
// shapes written at run time (MLP widths and depths, conv channel lists, scalar and per-pixel
// variance, non-square images, float32 parameters from a short training run); the fused
// gradient passes a Taylor test; memory-bounded chunks change nothing beyond rounding; and
// every model that is not exactly one of `priorbench train` stays on the TorchScript route.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "core/random.hpp"
#include "data/image_set.hpp"
#include "generative/native/activations.hpp"
#include "generative/native/native_generator.hpp"
#include "generative/torch/gan_model.hpp"
#include "generative/torch/gan_training.hpp"
#include "generative/torch/generator_loader.hpp"
#include "generative/torch/script_module.hpp"
#include "generative/torch/vae_model.hpp"
#include "generative/torch/vae_training.hpp"

#include "test_support.hpp"

namespace pb = priorbench;
namespace fs = std::filesystem;

namespace {

using priorbench::testing_support::expect_error;
using priorbench::testing_support::max_relative_difference;
using priorbench::testing_support::TempDir;

constexpr double kTolerance = 1e-12;

const TempDir& temp() {
  static const TempDir directory("priorbench_native");
  return directory;
}

std::string shipped_model(const std::string& name) {
  const char* source = std::getenv("PRIORBENCH_SOURCE_DIR");
  const fs::path root =
      source != nullptr ? fs::path(source) : fs::path(__FILE__).parent_path().parent_path().parent_path();
  return (root / "models" / name).string();
}

std::vector<double> normals(std::size_t count, std::uint64_t stream, double scale = 1.0) {
  std::vector<double> values(count);
  pb::CounterRandom(17, stream, pb::Purpose::test_values).fill_normal(values, 0);
  for (double& value : values) value *= scale;
  return values;
}

double dot(std::span<const double> a, std::span<const double> b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

struct Routes {
  std::shared_ptr<pb::Generator> native;
  std::shared_ptr<pb::Generator> torchscript;
};

Routes load_routes(const std::string& path, pb::TorchGeneratorOptions options = {}) {
  Routes routes{pb::load_generator(path, pb::GeneratorRoute::native, options),
                pb::load_generator(path, pb::GeneratorRoute::torchscript, options)};
  EXPECT_EQ(routes.native->route(), "native");
  EXPECT_EQ(routes.torchscript->route(), "torchscript");
  EXPECT_EQ(pb::load_generator(path)->route(), "native") << "automatic takes the native route when it can";
  return routes;
}

// Every operation on both routes at a batch of latents of scale `scale`.
void expect_routes_agree(const Routes& routes, double scale = 1.0) {
  const auto& native = *routes.native;
  const auto& torchscript = *routes.torchscript;
  const std::size_t m = native.latent_dimension(), n = native.image_size(), batch = 3;
  ASSERT_EQ(torchscript.latent_dimension(), m);
  ASSERT_EQ(torchscript.image_size(), n);
  const auto z = normals(batch * m, 1, scale), v = normals(batch * m, 2), u = normals(batch * n, 3);
  const auto first = std::span<const double>(z).first(m);

  std::vector<double> a(batch * n), b(batch * n);
  native.decode(z, batch, a);
  torchscript.decode(z, batch, b);
  EXPECT_LT(max_relative_difference(a, b), kTolerance) << "decode";

  std::vector<double> variance_a(n), variance_b(n);
  native.decoder_variance(first, variance_a);
  torchscript.decoder_variance(first, variance_b);
  if (native.decoder_variance_kind() == pb::DecoderVariance::none) {  // a GAN: Γ = 0 on both routes
    EXPECT_EQ(variance_a, std::vector<double>(n, 0.0));
    EXPECT_EQ(variance_b, std::vector<double>(n, 0.0));
  } else {
    EXPECT_LT(max_relative_difference(variance_a, variance_b), kTolerance) << "decoder_variance";
  }

  std::vector<double> jv_a(n), jv_b(n), jtu_a(m), jtu_b(m);
  native.jvp(first, std::span<const double>(v).first(m), jv_a);
  torchscript.jvp(first, std::span<const double>(v).first(m), jv_b);
  EXPECT_LT(max_relative_difference(jv_a, jv_b), kTolerance) << "jvp";
  native.vjp(first, std::span<const double>(u).first(n), jtu_a);
  torchscript.vjp(first, std::span<const double>(u).first(n), jtu_b);
  EXPECT_LT(max_relative_difference(jtu_a, jtu_b), kTolerance) << "vjp";

  native.jvp(z, batch, v, a);
  torchscript.jvp(z, batch, v, b);
  EXPECT_LT(max_relative_difference(a, b), kTolerance) << "batched jvp";
  std::vector<double> gradients_a(batch * m), gradients_b(batch * m);
  native.vjp(z, batch, u, gradients_a);
  torchscript.vjp(z, batch, u, gradients_b);
  EXPECT_LT(max_relative_difference(gradients_a, gradients_b), kTolerance) << "batched vjp";

  pb::DenseMatrix jacobian_a, jacobian_b;
  native.jacobian(first, jacobian_a);
  torchscript.jacobian(first, jacobian_b);
  ASSERT_EQ(jacobian_a.rows(), n);
  ASSERT_EQ(jacobian_a.cols(), m);
  EXPECT_LT(max_relative_difference(jacobian_a.values(), jacobian_b.values()), kTolerance) << "jacobian";

  // Cotangents that depend on the means, as a misfit's do: u_b = μ(z_b) − x_b.
  const auto misfit = [&](std::span<const double> means, std::span<double> cotangents) {
    for (std::size_t i = 0; i < means.size(); ++i) cotangents[i] = means[i] - u[i];
  };
  native.decode_and_vjp(z, batch, a, misfit, gradients_a);
  torchscript.decode_and_vjp(z, batch, b, misfit, gradients_b);
  EXPECT_LT(max_relative_difference(a, b), kTolerance) << "decode_and_vjp means";
  EXPECT_LT(max_relative_difference(gradients_a, gradients_b), kTolerance) << "decode_and_vjp gradients";
}

pb::VaeModelOptions mlp(std::vector<std::size_t> hidden, pb::ImageShape shape, std::size_t m,
                        pb::DecoderVariance variance) {
  pb::VaeModelOptions options;
  options.architecture = pb::VaeArchitecture::mlp;
  options.hidden = std::move(hidden);
  options.shape = shape;
  options.latent_dim = m;
  options.variance = variance;
  return options;
}

pb::VaeModelOptions conv(std::vector<std::size_t> channels, std::size_t width, pb::ImageShape shape, std::size_t m,
                         pb::DecoderVariance variance) {
  auto options = mlp({width}, shape, m, variance);
  options.architecture = pb::VaeArchitecture::conv;
  options.channels = std::move(channels);
  return options;
}

std::string untrained_model(const std::string& name, const pb::VaeModelOptions& options) {
  const auto path = temp().file(name + ".pt");
  if (!fs::exists(path)) pb::save_untrained_vae(options, 9, path);
  return path;
}

// A few Adam steps with a large rate on random images: every parameter moves, the per-pixel
// log-variance head too (it starts at zero), and the file stores float32 as trained models do.
std::string briefly_trained_model(const std::string& name, const pb::VaeModelOptions& model) {
  const auto path = temp().file(name + ".pt");
  if (fs::exists(path)) return path;
  const auto images = [&](std::size_t count, std::uint64_t stream) {
    pb::data::ImageSet set;
    set.shape = model.shape;
    set.count = count;
    set.pixels = normals(count * static_cast<std::size_t>(model.shape.size()), stream);
    for (double& pixel : set.pixels) pixel = 1.0 / (1.0 + std::exp(-pixel));
    return set;
  };
  pb::VaeTrainingOptions options;
  options.model = model;
  options.epochs = 2;
  options.batch_size = 8;
  options.learning_rate = 0.05;
  options.seed = 4;
  options.threads = 1;
  options.output = path;
  options.diagnostic_images = 8;
  options.jacobian_images = 2;
  std::ostringstream progress;
  pb::train_vae(images(32, 40), images(8, 41), options, progress);
  return path;
}

}  // namespace

TEST(NativeRoute, ShippedMlpModelMatchesTorchScript) {
  const auto routes = load_routes(shipped_model("fmnist-vae-mlp-m16.pt"));
  expect_routes_agree(routes);
  expect_routes_agree(routes, 3.0);  // latents far out, where sigmoids and softpluses saturate
}

TEST(NativeRoute, ShippedConvModelsMatchTorchScript) {
  for (const char* name : {"mri-vae-conv-64.pt", "mri-vae-conv-128.pt"}) {
    SCOPED_TRACE(name);
    expect_routes_agree(load_routes(shipped_model(name)));
  }
}

TEST(NativeRoute, ShippedGansMatchTorchScript) {
  for (const char* name : {"fmnist-gan-conv-m16.pt", "mri-gan-conv-64.pt"}) {
    SCOPED_TRACE(name);
    const auto routes = load_routes(shipped_model(name));
    EXPECT_EQ(routes.native->decoder_variance_kind(), pb::DecoderVariance::none);
    EXPECT_FALSE(routes.native->has_encoder());
    expect_routes_agree(routes);
    expect_routes_agree(routes, 3.0);
  }
}

TEST(NativeRoute, NativeGeneratorDescribesTheModelAndDelegatesTheEncoder) {
  const auto routes = load_routes(shipped_model("fmnist-vae-mlp-m16.pt"));
  const auto& native = *routes.native;
  EXPECT_EQ(native.description(), routes.torchscript->description());
  EXPECT_EQ(native.decoder_variance_kind(), pb::DecoderVariance::scalar);
  // Dense layers use each weight once per column: decoder 16–256–512–784 (docs/models/README.md).
  const auto& decoder = dynamic_cast<const pb::NativeGenerator&>(native).decoder();
  EXPECT_EQ(decoder.weight_count(), 16u * 256 + 256u * 512 + 512u * 784);
  EXPECT_EQ(static_cast<std::int64_t>(decoder.weight_count()), decoder.multiply_adds());
  ASSERT_TRUE(native.has_encoder());
  const auto x = normals(native.image_size(), 5, 0.2);
  std::vector<double> mean_a(16), mean_b(16), variance_a(16), variance_b(16);
  native.encode(x, mean_a, variance_a);
  routes.torchscript->encode(x, mean_b, variance_b);
  EXPECT_EQ(mean_a, mean_b);
  EXPECT_EQ(variance_a, variance_b);
}

TEST(NativeRoute, CountsEveryKindOfPass) {
  const auto generator = pb::load_generator(shipped_model("fmnist-vae-mlp-m16.pt"));
  const std::size_t m = generator->latent_dimension(), n = generator->image_size();
  const auto z = normals(4 * m, 6), v = normals(4 * m, 7), u = normals(4 * n, 8);
  std::vector<double> means(4 * n), gradients(4 * m);
  pb::DenseMatrix jacobian;
  const auto before = generator->counts();
  generator->decode(z, 4, means);
  generator->jvp(z, 4, v, means);
  generator->vjp(z, 4, u, gradients);
  generator->decode_and_vjp(
      z, 4, means, [&](std::span<const double>, std::span<double> out) { std::copy(u.begin(), u.end(), out.begin()); },
      gradients);
  generator->jacobian(std::span<const double>(z).first(m), jacobian);
  const auto& after = generator->counts();
  EXPECT_EQ(after.decoder_passes - before.decoder_passes, 8);
  EXPECT_EQ(after.jvp - before.jvp, 4);
  EXPECT_EQ(after.vjp - before.vjp, 8);
  EXPECT_EQ(after.jacobians - before.jacobians, 1);
}

class RandomArchitectures : public ::testing::TestWithParam<std::pair<std::string, pb::VaeModelOptions>> {};

TEST_P(RandomArchitectures, NativeMatchesTorchScript) {
  const auto& [name, options] = GetParam();
  const auto routes = load_routes(untrained_model(name, options));
  expect_routes_agree(routes);
  expect_routes_agree(routes, 4.0);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, RandomArchitectures,
    ::testing::Values(
        std::pair{std::string("mlp_24_scalar_6x10"), mlp({24}, {6, 10}, 3, pb::DecoderVariance::scalar)},
        std::pair{std::string("mlp_40_20_per_pixel_8x8"), mlp({40, 20}, {8, 8}, 5, pb::DecoderVariance::per_pixel)},
        std::pair{std::string("mlp_48_32_16_scalar_7x5"), mlp({48, 32, 16}, {7, 5}, 4, pb::DecoderVariance::scalar)},
        std::pair{std::string("conv_3_per_pixel_4x6"), conv({3}, 12, {4, 6}, 2, pb::DecoderVariance::per_pixel)},
        std::pair{std::string("conv_4_8_scalar_8x12"), conv({4, 8}, 16, {8, 12}, 3, pb::DecoderVariance::scalar)},
        std::pair{std::string("conv_2_3_5_per_pixel_16x8"),
                  conv({2, 3, 5}, 10, {16, 8}, 4, pb::DecoderVariance::per_pixel)},
        std::pair{std::string("conv_default_channels_32x32"), conv({}, 32, {32, 32}, 6, pb::DecoderVariance::scalar)}),
    [](const auto& info) { return info.param.first; });

// Trained per-pixel heads have weights (untrained ones start at zero) and float32 files.
TEST(NativeRoute, BrieflyTrainedPerPixelModelsMatchTorchScript) {
  const auto trained_mlp =
      briefly_trained_model("trained_mlp", mlp({16, 12}, {6, 8}, 3, pb::DecoderVariance::per_pixel));
  const auto trained_conv =
      briefly_trained_model("trained_conv", conv({3, 4}, 12, {8, 8}, 3, pb::DecoderVariance::per_pixel));
  for (const auto& path : {trained_mlp, trained_conv}) {
    SCOPED_TRACE(path);
    const auto routes = load_routes(path);
    expect_routes_agree(routes);
    std::vector<double> variance(routes.native->image_size());
    routes.native->decoder_variance(normals(3, 9), variance);
    const auto [low, high] = std::minmax_element(variance.begin(), variance.end());
    EXPECT_GT(*high - *low, 1e-3 * *high) << "the head should give each pixel its own variance";
  }
}

// f(z) = ½‖μ(z) − x‖² with ∇f = Jᵀ(μ − x) from decode_and_vjp: the first-order remainder
// f(z + h v) − f(z) − h ⟨∇f, v⟩ falls fourfold as h halves (per item of the batch).
TEST(NativeRoute, FusedGradientPassesATaylorTest) {
  const auto generator = pb::load_generator(shipped_model("mri-vae-conv-64.pt"));
  ASSERT_EQ(generator->route(), "native");
  const std::size_t m = generator->latent_dimension(), n = generator->image_size(), batch = 2;
  const auto z = normals(batch * m, 10), v = normals(batch * m, 11);
  const auto target = normals(batch * n, 12, 0.1);
  const auto misfit = [&](std::span<const double> means, std::span<double> cotangents) {
    for (std::size_t i = 0; i < means.size(); ++i) cotangents[i] = means[i] - target[i];
  };
  const auto objective = [&](std::span<const double> means, std::size_t item) {
    double sum = 0;
    for (std::size_t i = item * n; i < (item + 1) * n; ++i)
      sum += 0.5 * (means[i] - target[i]) * (means[i] - target[i]);
    return sum;
  };
  std::vector<double> means(batch * n), gradients(batch * m), moved(batch * m), shifted(batch * n);
  generator->decode_and_vjp(z, batch, means, misfit, gradients);
  for (std::size_t item = 0; item < batch; ++item) {
    const auto g = std::span<const double>(gradients).subspan(item * m, m);
    const auto direction = std::span<const double>(v).subspan(item * m, m);
    std::vector<double> remainders;
    for (double h = 0.05; h > 0.05 / 40; h /= 2) {
      for (std::size_t j = 0; j < batch * m; ++j) moved[j] = z[j] + h * v[j];
      generator->decode(moved, batch, shifted);
      remainders.push_back(std::abs(objective(shifted, item) - objective(means, item) - h * dot(g, direction)));
    }
    for (std::size_t k = 1; k < remainders.size(); ++k) {
      EXPECT_NEAR(remainders[k - 1] / remainders[k], 4.0, 0.6) << "item " << item << ", step " << k;
    }
  }
}

// A budget too small for one pass splits the Jacobian's directions and every batch into
// passes (and sends decode_and_vjp to its two-sweep form); the values stay the same.
TEST(NativeRoute, MemoryBudgetChunksChangeNothingBeyondRounding) {
  const auto path = shipped_model("mri-vae-conv-64.pt");
  const auto whole = pb::load_generator(path);
  const auto& native = dynamic_cast<const pb::NativeGenerator&>(*whole);
  EXPECT_EQ(native.jacobian_chunk_size(), native.latent_dimension()) << "the default budget holds every direction";
  const std::size_t three_directions = native.decoder().workspace_values(1, 3, false) * sizeof(double);
  const auto chunked = pb::load_generator(path, pb::GeneratorRoute::native, {.jacobian_memory = three_directions});
  const auto& small = dynamic_cast<const pb::NativeGenerator&>(*chunked);
  EXPECT_EQ(small.jacobian_chunk_size(), 3u);

  const std::size_t m = native.latent_dimension(), n = native.image_size(), batch = 9;
  const auto z = normals(batch * m, 13), v = normals(batch * m, 14), u = normals(batch * n, 15);
  pb::DenseMatrix jacobian_a, jacobian_b;
  native.jacobian(std::span<const double>(z).first(m), jacobian_a);
  small.jacobian(std::span<const double>(z).first(m), jacobian_b);
  EXPECT_LT(max_relative_difference(jacobian_b.values(), jacobian_a.values()), kTolerance);

  std::vector<double> a(batch * n), b(batch * n), gradients_a(batch * m), gradients_b(batch * m);
  native.jvp(z, batch, v, a);
  small.jvp(z, batch, v, b);
  EXPECT_LT(max_relative_difference(b, a), kTolerance);
  native.vjp(z, batch, u, gradients_a);
  small.vjp(z, batch, u, gradients_b);
  EXPECT_LT(max_relative_difference(gradients_b, gradients_a), kTolerance);
  const auto copy_u = [&](std::span<const double>, std::span<double> out) {
    std::copy(u.begin(), u.end(), out.begin());
  };
  native.decode_and_vjp(z, batch, a, copy_u, gradients_a);
  small.decode_and_vjp(z, batch, b, copy_u, gradients_b);
  EXPECT_LT(max_relative_difference(b, a), kTolerance);
  EXPECT_LT(max_relative_difference(gradients_b, gradients_a), kTolerance);
}

pb::GanModelOptions gan(pb::VaeArchitecture architecture, std::vector<std::size_t> hidden,
                        std::vector<std::size_t> channels, pb::ImageShape shape, std::size_t m) {
  pb::GanModelOptions options;
  options.architecture = architecture;
  options.hidden = std::move(hidden);
  options.channels = std::move(channels);
  options.shape = shape;
  options.latent_dim = m;
  return options;
}

class RandomGanArchitectures : public ::testing::TestWithParam<std::pair<std::string, pb::GanModelOptions>> {};

// A GAN generator is the VAE decoder without its variance head: recognized from the decoder's
// parameters alone (it has no encoder), Γ = 0 on both routes.
TEST_P(RandomGanArchitectures, NativeMatchesTorchScript) {
  const auto& [name, options] = GetParam();
  const auto path = temp().file(name + ".pt");
  if (!fs::exists(path)) pb::save_untrained_gan(options, 9, path);
  const auto routes = load_routes(path);
  EXPECT_EQ(routes.native->decoder_variance_kind(), pb::DecoderVariance::none);
  EXPECT_FALSE(routes.native->has_encoder());
  expect_routes_agree(routes);
  expect_routes_agree(routes, 4.0);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, RandomGanArchitectures,
    ::testing::Values(
        std::pair{std::string("gan_mlp_24_6x10"), gan(pb::VaeArchitecture::mlp, {24}, {}, {6, 10}, 3)},
        std::pair{std::string("gan_mlp_40_20_8x8"), gan(pb::VaeArchitecture::mlp, {40, 20}, {}, {8, 8}, 5)},
        std::pair{std::string("gan_conv_3_4x6"), gan(pb::VaeArchitecture::conv, {12}, {3}, {4, 6}, 2)},
        std::pair{std::string("gan_conv_4_8_8x12"), gan(pb::VaeArchitecture::conv, {16}, {4, 8}, {8, 12}, 3)},
        std::pair{std::string("gan_conv_2_3_5_16x8"), gan(pb::VaeArchitecture::conv, {10}, {2, 3, 5}, {16, 8}, 4)}),
    [](const auto& info) { return info.param.first; });

// What `priorbench train --kind gan` writes: float32 parameters, the moving average of the
// generator, provenance attributes.
TEST(NativeRoute, BrieflyTrainedGanMatchesTorchScript) {
  const auto path = temp().file("trained_gan.pt");
  if (!fs::exists(path)) {
    pb::data::ImageSet images;
    images.shape = {8, 8};
    images.count = 32;
    images.pixels = normals(32 * 64, 42);
    for (double& pixel : images.pixels) pixel = 1.0 / (1.0 + std::exp(-pixel));
    pb::GanTrainingOptions options;
    options.model = gan(pb::VaeArchitecture::conv, {12}, {3, 4}, {8, 8}, 3);
    options.epochs = 2;
    options.batch_size = 8;
    options.learning_rate = 0.05;
    options.average_decay = 0.5;  // so the average moves visibly in 8 steps
    options.seed = 4;
    options.threads = 1;
    options.output = path;
    std::ostringstream progress;
    pb::train_gan(images, options, progress);
  }
  expect_routes_agree(load_routes(path));
}

// A VAE of the same mathematics written by hand (other code, the same parameter names), and
// the same with one parameter renamed: neither is recognized, automatic falls back to
// TorchScript, and asking for native names the reason.
TEST(NativeRoute, ModelsNotExactlyFromPriorbenchTrainStayOnTorchScript) {
  const std::int64_t m = 2, h = 5, n = 6;
  const auto parameter = [](const std::string& name, std::vector<std::int64_t> shape, std::uint64_t stream) {
    const auto count =
        static_cast<std::size_t>(std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>()));
    return pb::ScriptParameter{name, std::move(shape), normals(count, stream, 0.5)};
  };
  pb::ScriptModuleSpec spec;
  spec.int_attributes = {{"format_version", 1}, {"latent_dim", m}, {"image_height", 2}, {"image_width", 3}};
  spec.float_attributes = {{"log_variance_floor", std::log(1e-4)}};
  spec.string_attributes = {{"variance_kind", "scalar"}, {"architecture", "mlp"}};
  spec.parameters = {
      parameter("enc0_w", {h, n}, 20),  parameter("enc0_b", {h}, 21),          parameter("enc_mean_w", {m, h}, 22),
      parameter("enc_mean_b", {m}, 23), parameter("enc_logvar_w", {m, h}, 24), parameter("enc_logvar_b", {m}, 25),
      parameter("dec0_w", {h, m}, 26),  parameter("dec0_b", {h}, 27),          parameter("dec_mean_w", {n, h}, 28),
      parameter("dec_mean_b", {n}, 29), parameter("dec_logvar_raw", {1}, 30)};
  spec.source = R"(
def encoder_trunk(self, x: Tensor) -> Tensor:
    return torch.softplus(torch.matmul(x.reshape([x.shape[0], 6]), self.enc0_w.t()) + self.enc0_b)

def encode(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    h = self.encoder_trunk(x)
    mean = torch.matmul(h, self.enc_mean_w.t()) + self.enc_mean_b
    return (mean, torch.matmul(h, self.enc_logvar_w.t()) + self.enc_logvar_b)

def decoder_trunk(self, z: Tensor) -> Tensor:
    return torch.softplus(torch.matmul(z, self.dec0_w.t()) + self.dec0_b)

def decode(self, z: Tensor) -> Tensor:
    h = self.decoder_trunk(z)
    return torch.sigmoid(torch.matmul(h, self.dec_mean_w.t()) + self.dec_mean_b).reshape([z.shape[0], 2, 3])

def decoder_log_variance(self, z: Tensor) -> Tensor:
    floor = torch.full_like(self.dec_logvar_raw, self.log_variance_floor)
    return torch.logaddexp(self.dec_logvar_raw, floor).expand([z.shape[0]])

def decoder_mean_and_log_variance(self, z: Tensor) -> Tuple[Tensor, Tensor]:
    return (self.decode(z), self.decoder_log_variance(z))
)";
  auto renamed = spec;
  renamed.parameters[6].name = "dec0_weight";
  renamed.source.replace(renamed.source.find("self.dec0_w."), 12, "self.dec0_weight.");

  for (const auto& [name, model, reason] :
       {std::tuple{"hand_written.pt", spec, "differs from the code priorbench train writes"},
        std::tuple{"renamed.pt", renamed, "parameter 'dec0_w' missing"}}) {
    SCOPED_TRACE(name);
    const auto path = temp().file(name);
    pb::save_script_module(model, path);
    const auto automatic = pb::load_generator(path);
    EXPECT_EQ(automatic->route(), "torchscript");
    const pb::TorchGenerator reference(path);
    const std::vector<double> z = {0.3, -0.7};
    std::vector<double> a(6), b(6);
    automatic->decode(z, 1, a);
    reference.decode(z, 1, b);
    EXPECT_EQ(a, b);
    expect_error([&] { pb::load_generator(path, pb::GeneratorRoute::native); }, {name, "not recognized", reason});
  }
}

// The layer functions (four lanes with SLEEF where the CPU has AVX2, else the scalar ones)
// against the scalar definitions, over both sides of the softplus threshold, values where
// eˣ overflows, and every length of a partial last group.
TEST(NativeActivations, LayerFunctionsMatchTheScalarDefinitions) {
  namespace native = pb::native;
  for (std::size_t size = 1; size <= 11; ++size) {
    std::vector<double> x(size), bias(size);
    for (std::size_t i = 0; i < size; ++i) {
      x[i] = -40.0 + 85.0 * static_cast<double>(i) / 10.0 + (i == 10 ? 700.0 : 0.0);
      bias[i] = 0.25 * static_cast<double>(i % 3);
    }
    auto values = x;
    std::vector<double> slopes(size);
    native::softplus_layer(values, bias, slopes);
    for (std::size_t i = 0; i < size; ++i) {
      const double a = x[i] + bias[i];
      EXPECT_NEAR(values[i], native::softplus(a), 1e-15 * native::softplus(a)) << a;
      EXPECT_NEAR(slopes[i], native::softplus_slope(a), 1e-15 * native::softplus_slope(a)) << a;
    }
    auto without_slopes = x;
    native::softplus_layer(without_slopes, bias, {});
    EXPECT_EQ(without_slopes, values);
    values = x;
    native::sigmoid_layer(values, bias, slopes);
    for (std::size_t i = 0; i < size; ++i) {
      const double y = native::sigmoid(x[i] + bias[i]);
      EXPECT_NEAR(values[i], y, 1e-15 * y) << x[i] + bias[i];
      EXPECT_NEAR(slopes[i], native::sigmoid_slope_at_output(y), 1e-15 * native::sigmoid_slope_at_output(y) + 1e-300)
          << x[i] + bias[i];
    }
  }
  EXPECT_EQ(native::softplus(25.0), 25.0);
  EXPECT_EQ(native::softplus_slope(25.0), 1.0);
  EXPECT_NEAR(native::logaddexp(std::log(1e-4), std::log(3e-4)), std::log(4e-4), 1e-15);
  EXPECT_EQ(native::logaddexp(-INFINITY, -INFINITY), -INFINITY);
}

TEST(NativeRoute, RouteNames) {
  for (const auto route :
       {pb::GeneratorRoute::automatic, pb::GeneratorRoute::native, pb::GeneratorRoute::torchscript}) {
    EXPECT_EQ(pb::parse_generator_route(pb::route_name(route)), route);
  }
  expect_error([] { pb::parse_generator_route("fast"); }, {"unknown generator route 'fast'", "automatic, native"});
}
