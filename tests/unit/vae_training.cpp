// VAE training: a tiny run (a few hundred Fashion-MNIST images, two epochs, seconds)
// raises the ELBO; the written model obeys the contract and carries its test ELBO and
// collapse diagnostics; a stopped-and-resumed run equals an uninterrupted one bit for
// bit; existing models are never replaced without --force; checkpoints refuse other options.

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <sstream>

#include <unistd.h>

#include "core/error.hpp"
#include "data/image_source.hpp"
#include "generative/torch/torch_generator.hpp"
#include "generative/torch/vae_training.hpp"

namespace pb = priorbench;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  fs::path directory = fs::temp_directory_path() / ("priorbench_vae_" + std::to_string(::getpid()));
  pb::data::ImageSet training = pb::data::load_training_set("fashion-mnist", 400);
  pb::data::ImageSet test = pb::data::load_training_set("fashion-mnist:test", 200);
  Fixture() { fs::create_directories(directory); }
  ~Fixture() { fs::remove_all(directory); }
  std::string file(const std::string& name) const { return (directory / name).string(); }
};

const Fixture& fixture() {
  static const Fixture instance;
  return instance;
}

pb::VaeTrainingOptions tiny_options(const std::string& output) {
  pb::VaeTrainingOptions options;
  options.model.latent_dim = 4;
  options.model.hidden = {64, 32};
  options.epochs = 2;
  options.batch_size = 50;
  options.learning_rate = 2e-3;
  options.seed = 3;
  options.threads = 1;
  options.output = output;
  options.diagnostic_images = 100;
  options.jacobian_images = 10;
  return options;
}

std::vector<double> decode_probe(const std::string& path) {
  const pb::TorchGenerator generator(path);
  std::vector<double> z(3 * generator.latent_dimension());
  for (std::size_t i = 0; i < z.size(); ++i) z[i] = 0.1 * static_cast<double>(i) - 0.5;
  std::vector<double> means(3 * generator.image_size());
  generator.decode(z, 3, means);
  return means;
}

std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const pb::Error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST(VaeTraining, TinyRunRaisesTheElboAndWritesAContractModel) {
  const auto& f = fixture();
  const auto output = f.file("tiny.pt");
  std::ostringstream progress;
  const auto result = pb::train_vae(f.training, f.test, tiny_options(output), progress);
  ASSERT_EQ(result.history.size(), 2u);
  EXPECT_GT(result.history[1].elbo, result.history[0].elbo);
  EXPECT_NE(progress.str().find("epoch   2/2"), std::string::npos);
  EXPECT_NE(progress.str().find("time left"), std::string::npos);
  EXPECT_NE(progress.str().find("test ELBO"), std::string::npos);

  // Better than the untrained model on the same test images, with the same noise.
  auto untrained = tiny_options(f.file("untrained.pt")).model;
  pb::save_untrained_vae(untrained, 3, f.file("untrained.pt"));
  const auto before = pb::evaluate_elbo(f.file("untrained.pt"), f.test, 0, 3);
  const auto after = pb::evaluate_elbo(output, f.test, 0, 3);
  EXPECT_GT(after.elbo, before.elbo + 100.0);
  EXPECT_NEAR(after.elbo, result.test.elbo, 1e-6 * std::abs(after.elbo));
  EXPECT_LT(after.reconstruction_mse, before.reconstruction_mse);

  const pb::TorchGenerator generator(output);
  EXPECT_EQ(generator.latent_dimension(), 4u);
  EXPECT_EQ(generator.image_shape(), (pb::ImageShape{28, 28}));
  ASSERT_TRUE(generator.info().test_elbo.has_value());
  EXPECT_DOUBLE_EQ(*generator.info().test_elbo, result.test.elbo);
  ASSERT_TRUE(generator.info().diagnostics.has_value());
  EXPECT_EQ(generator.info().diagnostics->kl, result.diagnostics.kl);
  EXPECT_EQ(generator.info().diagnostics->active_count, result.diagnostics.active_count);
  EXPECT_EQ(generator.info().diagnostics->images, 100u);
  EXPECT_NE(generator.info().training_log.find("epoch   1/2"), std::string::npos);
  EXPECT_TRUE(fs::exists(output + ".checkpoint"));
}

TEST(VaeTraining, ResumedRunEqualsAnUninterruptedOne) {
  const auto& f = fixture();
  std::ostringstream quiet;
  auto straight = tiny_options(f.file("straight.pt"));
  pb::train_vae(f.training, f.test, straight, quiet);

  auto first = tiny_options(f.file("resumed.pt"));
  first.epochs = 1;
  pb::train_vae(f.training, f.test, first, quiet);
  auto second = tiny_options(f.file("resumed.pt"));
  second.resume = true;
  second.force = true;  // the one-epoch model is replaced
  const auto result = pb::train_vae(f.training, f.test, second, quiet);
  EXPECT_EQ(result.resumed_after, 1u);
  ASSERT_EQ(result.history.size(), 2u);
  EXPECT_EQ(decode_probe(f.file("straight.pt")), decode_probe(f.file("resumed.pt")));
}

TEST(VaeTraining, RefusesToReplaceAModelAndChecksTheCheckpoint) {
  const auto& f = fixture();
  std::ostringstream quiet;
  const auto output = f.file("kept.pt");
  auto options = tiny_options(output);
  options.epochs = 1;
  pb::train_vae(f.training, f.test, options, quiet);
  const auto size = fs::file_size(output);
  EXPECT_NE(error_of([&] {
              pb::train_vae(f.training, f.test, options, quiet);
            }).find("output model " + output + " already exists; pass --force to replace it"),
            std::string::npos);
  EXPECT_EQ(fs::file_size(output), size);

  auto other = tiny_options(f.file("other.pt"));
  other.checkpoint = output + ".checkpoint";
  other.resume = true;
  other.model.latent_dim = 3;
  const auto message = error_of([&] { pb::train_vae(f.training, f.test, other, quiet); });
  EXPECT_NE(message.find("was written by a run with other options (latent_dim 4 in the checkpoint, 3 now)"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;

  auto missing = tiny_options(f.file("missing.pt"));
  missing.resume = true;
  EXPECT_NE(error_of([&] { pb::train_vae(f.training, f.test, missing, quiet); }).find("does not exist"),
            std::string::npos);

  auto bad = tiny_options(f.file("bad.pt"));
  bad.learning_rate = -1;
  EXPECT_NE(error_of([&] { pb::train_vae(f.training, f.test, bad, quiet); }).find("--learning-rate must be positive"),
            std::string::npos);
}

TEST(VaeTraining, ConvolutionalPerPixelVariantTrains) {
  const auto& f = fixture();
  auto options = tiny_options(f.file("conv.pt"));
  options.model.architecture = pb::VaeArchitecture::conv;
  options.model.variance = pb::DecoderVariance::per_pixel;
  options.model.channels = {8, 16};
  std::ostringstream quiet;
  const auto result = pb::train_vae(f.training, f.test, options, quiet);
  EXPECT_GT(result.history[1].elbo, result.history[0].elbo);
  const pb::TorchGenerator generator(f.file("conv.pt"));
  EXPECT_EQ(generator.decoder_variance_kind(), pb::DecoderVariance::per_pixel);
}
