// `priorbench train`: a VAE on a training set (Fashion-MNIST by default), written as a
// TorchScript model file under the contract of docs/model-format.md.
//
// Sample runs:
//   priorbench train -o models/fmnist-vae-mlp-m16.pt --epochs 30 --report report.h5
//   priorbench train --architecture conv --variance per-pixel --latent-dim 8 -o conv.pt
//   priorbench train --architecture conv --training phantoms.h5:/images --channels 8,16,32,64 -o mri.pt
//   priorbench train -o model.pt --epochs 40 --resume --force   # continue from model.pt.checkpoint
//
// Training runs in one process: under mpirun, rank 0 trains and the other ranks wait.

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

#include "app/command.hpp"
#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/output_files.hpp"
#include "core/random.hpp"
#include "core/version.hpp"
#include "data/image_source.hpp"
#include "generative/torch/torch_generator.hpp"
#include "generative/torch/vae_training.hpp"

namespace priorbench::app {
namespace {

const char* const kTrainReportFormat = "priorbench-train-report-1";

struct TrainOptions {
  VaeTrainingOptions training;
  std::string architecture = "mlp";
  std::string variance = "scalar";
  std::string training_set = "fashion-mnist";
  std::string test_set = "fashion-mnist:test";
  std::size_t training_limit = 0;
  std::size_t test_limit = 0;
  std::string report;
};

void add_options(CLI::App& command, TrainOptions& o) {
  auto& t = o.training;
  command.add_option("--architecture", o.architecture, "VAE architecture")
      ->check(CLI::IsMember({"mlp", "conv"}))
      ->capture_default_str();
  command.add_option("--latent-dim", t.model.latent_dim, "Latent dimension m")->capture_default_str();
  command
      .add_option("--channels", t.model.channels,
                  "conv: channels of the stride-2 layers, finest first, e.g. 8,16,32,64 (default: by image size, "
                  "docs/model-format.md)")
      ->delimiter(',');
  command.add_option("--variance", o.variance, "Learned decoder variance: scalar or per-pixel (floor 1e-4)")
      ->check(CLI::IsMember({"scalar", "per-pixel"}))
      ->capture_default_str();
  command.add_option("--epochs", t.epochs, "Passes over the training set")->capture_default_str();
  command.add_option("--batch-size", t.batch_size, "Minibatch size")->capture_default_str();
  command.add_option("--learning-rate", t.learning_rate, "Adam learning rate")->capture_default_str();
  command.add_option("--beta", t.beta, "Weight of the KL term (beta-ELBO)")->capture_default_str();
  command.add_option("--seed", t.seed, "Seed of the initialization, the order and the noise")->capture_default_str();
  command.add_option("--training", o.training_set, "Training set (see docs/data.md)")->capture_default_str();
  command.add_option("--training-limit", o.training_limit, "Train on the first N images (0: all)")
      ->capture_default_str();
  command.add_option("--test", o.test_set, "Test set for the final ELBO and the diagnostics")->capture_default_str();
  command.add_option("--test-limit", o.test_limit, "Evaluate on the first N test images (0: all)")
      ->capture_default_str();
  command.add_option("--diagnostic-images", t.diagnostic_images, "Test images behind the collapse diagnostics")
      ->capture_default_str();
  command.add_option("--jacobian-images", t.jacobian_images, "Of those, images behind the decoder column norms")
      ->capture_default_str();
  command.add_option("--threads", t.threads, "Torch threads (0: $PRIORBENCH_TORCH_THREADS, else 1)")
      ->capture_default_str()
      ->check(CLI::Range(0, kMaxTorchThreads));
  command.add_option("-o,--output", t.output, "Output model file (TorchScript)")->required()->check(non_empty_path());
  command.add_option("--checkpoint", t.checkpoint, "Checkpoint file (default: OUTPUT.checkpoint)");
  command.add_flag("--resume", t.resume, "Continue from the checkpoint");
  command.add_flag("--force", t.force, "Replace an existing output model (and report)");
  command.add_option("--report", o.report,
                     "Also write an HDF5 report: history, diagnostics, samples and reconstructions");
}

// Fails before any data is read. --force replaces only files `priorbench train` wrote.
void check_outputs(const TrainOptions& o) {
  const auto& t = o.training;
  check_replaceable(t.output, t.force, describe_unless_trained_model, "-o");
  check_output_directory(t.output, "-o");
  if (!o.report.empty()) {
    check_replaceable(o.report, t.force, hdf5_with_format(kTrainReportFormat), "--report");
    check_output_directory(o.report, "--report");
  }
  const auto checkpoint = t.checkpoint.empty() ? t.output + ".checkpoint" : t.checkpoint;
  if (t.resume) {
    PB_REQUIRE(std::filesystem::exists(checkpoint), "--resume: checkpoint ", checkpoint, " does not exist");
  } else {
    check_replaceable(checkpoint, t.force, describe_unless_checkpoint, "--checkpoint");
  }
  check_output_directory(checkpoint, "--checkpoint");
}

// History, diagnostics, 64 prior samples and the first 32 test images with their
// reconstructions μ(E[z|x]), all evaluated by TorchGenerator from the written model file
// (so the report also shows what the file itself gives).
void write_report(const TrainOptions& o, const VaeTrainingResult& result, const data::ImageSet& test) {
  const TorchGenerator generator(o.training.output);
  const std::size_t m = generator.latent_dimension(), n = generator.image_size();
  const hsize_t height = static_cast<hsize_t>(generator.image_shape().height),
                width = static_cast<hsize_t>(generator.image_shape().width);
  AtomicFile output(o.report);
  auto file = h5::create_file(output.path(), true);
  h5::write_attribute(file, "format", kTrainReportFormat);
  h5::write_attribute(file, "priorbench_version", kVersion);
  h5::write_attribute(file, "git_version", kGitVersion);
  h5::write_attribute(file, "command_line", o.training.command_line);
  h5::write_attribute(file, "model", o.training.output);
  h5::write_attribute(file, "description", generator.description());
  h5::write_attribute(file, "test_elbo", result.test.elbo);
  h5::write_attribute(file, "test_kl", result.test.kl);
  h5::write_attribute(file, "test_reconstruction_mse", result.test.reconstruction_mse);
  h5::write_attribute(file, "test_mean_decoder_variance", result.test.mean_decoder_variance);
  h5::write_attribute(file, "seed", static_cast<std::int64_t>(o.training.seed));

  std::vector<double> history;
  for (const auto& record : result.history) {
    history.insert(history.end(), {static_cast<double>(record.epoch), record.elbo, record.kl, record.seconds});
  }
  h5::write(file, "history", history, {result.history.size(), 4});
  h5::write_attribute(file, "history_columns", "epoch, train ELBO, train KL, seconds");

  result.diagnostics.save(h5::create_group(file, "diagnostics"));

  const std::size_t samples = 64;
  std::vector<double> z(samples * m), means(samples * n);
  CounterRandom(o.training.seed, 0, Purpose::latent_prior_samples).fill_normal(z, 0);
  generator.decode(z, samples, means);
  h5::write(file, "sample_latents", z, {samples, m});
  h5::write(file, "sample_means", means, {samples, height, width});

  const std::size_t shown = std::min<std::size_t>(32, test.count);
  std::span<const double> images(test.pixels.data(), shown * n);
  std::vector<double> encoder_means(shown * m), encoder_variances(shown * m), reconstructions(shown * n);
  generator.encode(images, shown, encoder_means, encoder_variances);
  generator.decode(encoder_means, shown, reconstructions);
  h5::write(file, "test_images", images, {shown, height, width});
  h5::write(file, "test_encoder_means", encoder_means, {shown, m});
  h5::write(file, "test_reconstructions", reconstructions, {shown, height, width});
  file = h5::Object();
  output.commit();
}

void run(TrainOptions& o, const Session& session) {
  o.training.model.architecture = parse_architecture(o.architecture);
  o.training.model.variance = o.variance == "scalar" ? DecoderVariance::scalar : DecoderVariance::per_pixel;
  o.training.command_line = command_line_text();
  validate(o.training.model);
  check_outputs(o);
  if (session.rank() != 0) return;
  if (session.size() > 1) {
    std::cout << "priorbench train: training runs on rank 0 only; the other " << session.size() - 1 << " rank(s) wait"
              << std::endl;
  }
  const auto training = data::load_training_set(o.training_set, o.training_limit);
  const auto test = data::load_training_set(o.test_set, o.test_limit);
  o.training.model.shape = training.shape;
  const auto result = train_vae(training, test, o.training, std::cout);
  if (!o.report.empty()) {
    write_report(o, result, test);
    std::cout << "wrote " << o.report << std::endl;
  }
}

}  // namespace

CommandRunner register_train(CLI::App& app) {
  auto* command = app.add_subcommand("train", "Train a VAE and write it as a TorchScript model file");
  auto options = std::make_shared<TrainOptions>();
  add_options(*command, *options);
  return [options](const Session& session) { run(*options, session); };
}

}  // namespace priorbench::app
