// `priorbench train`: a VAE (default), a GAN generator or a normalizing flow on a training
// set (Fashion-MNIST by default), written as a TorchScript model file under the contract of
// docs/model-format.md.
//
// Sample runs:
//   priorbench train -o models/fmnist-vae-mlp-m16.pt --epochs 30 --report report.h5
//   priorbench train --architecture conv --variance per-pixel --latent-dim 8 -o conv.pt
//   priorbench train --architecture conv --training phantoms.h5:/images --channels 8,16,32,64 -o mri.pt
//   priorbench train -o model.pt --epochs 40 --resume --force   # continue from model.pt.checkpoint
//   priorbench train --kind gan --architecture conv -o gan.pt --epochs 20
//   priorbench train --kind gan -o gan.pt --samples-png s.png --quality-vae models/fmnist-vae-mlp-m16.pt
//   priorbench train --kind flow -o flow.pt --couplings 4,4 --hidden 256,192 --samples-png s.png
//
// Training runs in one process: under mpirun, rank 0 trains and the other ranks wait.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>

#include "app/command.hpp"
#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/output_files.hpp"
#include "core/png.hpp"
#include "core/random.hpp"
#include "core/version.hpp"
#include "data/image_source.hpp"
#include "diagnostics/sample_quality.hpp"
#include "generative/torch/flow_training.hpp"
#include "generative/torch/gan_training.hpp"
#include "generative/torch/generator_loader.hpp"
#include "generative/torch/torch_generator.hpp"
#include "generative/torch/vae_training.hpp"

namespace priorbench::app {
namespace {

const char* const kTrainReportFormat = "priorbench-train-report-1";

struct GanOnlyOptions {
  double r1_gamma = GanTrainingOptions{}.r1_gamma;
  std::size_t r1_interval = GanTrainingOptions{}.r1_interval;
  double average_decay = GanTrainingOptions{}.average_decay;
  std::vector<double> adam_betas = {GanTrainingOptions{}.adam_beta1, GanTrainingOptions{}.adam_beta2};
  std::string samples_png;
  std::string quality_vae;
  std::size_t quality_samples = 2000;
  std::size_t quality_k = 3;
};

struct FlowOnlyOptions {
  std::vector<std::size_t> couplings = FlowModelOptions{}.couplings;
  std::string preprocessing = "none";
  double alpha = FlowModelOptions{}.alpha;
  double max_gradient_norm = FlowTrainingOptions{}.max_gradient_norm;
};

struct TrainOptions {
  VaeTrainingOptions training;
  GanOnlyOptions gan;
  FlowOnlyOptions flow;
  std::string kind = "vae";
  std::string architecture = "mlp";
  std::string variance = "scalar";
  std::string training_set = "fashion-mnist";
  std::string test_set = "fashion-mnist:test";
  std::size_t training_limit = 0;
  std::size_t test_limit = 0;
  std::string report;
  // Set when given on the command line: the GAN's defaults differ from the VAE's.
  const CLI::Option* epochs = nullptr;
  const CLI::Option* batch_size = nullptr;
  const CLI::Option* learning_rate = nullptr;
  const CLI::Option* hidden = nullptr;
};

void add_options(CLI::App& command, TrainOptions& o) {
  auto& t = o.training;
  command
      .add_option("--kind", o.kind,
                  "Generator family: vae, gan (non-saturating loss with R1, Gamma = 0) or flow (RealNVP, maximum "
                  "likelihood)")
      ->check(CLI::IsMember({"vae", "gan", "flow"}))
      ->capture_default_str();
  command.add_option("--architecture", o.architecture, "Architecture (the GAN generator is the VAE decoder)")
      ->check(CLI::IsMember({"mlp", "conv"}))
      ->capture_default_str();
  command.add_option("--latent-dim", t.model.latent_dim, "Latent dimension m")->capture_default_str();
  command
      .add_option("--channels", t.model.channels,
                  "conv: channels of the stride-2 layers, finest first, e.g. 8,16,32,64 (default: by image size, "
                  "docs/model-format.md)")
      ->delimiter(',');
  o.hidden = command
                 .add_option("--hidden", t.model.hidden,
                             "Dense widths in encoder order (mlp: all layers; conv: the last is the dense layer), e.g. "
                             "512,256; flow: the coupling networks' width per level (default 256,192)")
                 ->delimiter(',')
                 ->capture_default_str();
  command.add_option("--variance", o.variance, "Learned decoder variance: scalar or per-pixel (floor 1e-4)")
      ->check(CLI::IsMember({"scalar", "per-pixel"}))
      ->capture_default_str();
  o.epochs = command.add_option("--epochs", t.epochs, "Passes over the training set (vae: 30, gan: 20, flow: 30)");
  o.batch_size = command.add_option("--batch-size", t.batch_size, "Minibatch size (vae: 128, gan: 64, flow: 64)");
  o.learning_rate =
      command.add_option("--learning-rate", t.learning_rate, "Adam learning rate (vae: 1e-3, gan: 2e-4, flow: 1e-3)");
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
  command.add_option("--r1-gamma", o.gan.r1_gamma, "gan: weight gamma of the R1 penalty")->capture_default_str();
  command.add_option("--r1-interval", o.gan.r1_interval, "gan: critic steps between R1 penalties")
      ->capture_default_str();
  command.add_option("--adam-betas", o.gan.adam_betas, "gan: Adam's beta1,beta2 (both networks)")
      ->delimiter(',')
      ->expected(2)
      ->capture_default_str();
  command.add_option("--average-decay", o.gan.average_decay, "gan: decay of the generator's weight average")
      ->capture_default_str();
  command.add_option("--couplings", o.flow.couplings, "flow: coupling steps per level (levels: their count)")
      ->delimiter(',')
      ->capture_default_str();
  command
      .add_option("--preprocessing", o.flow.preprocessing,
                  "flow: none (centred pixels; the pixel-space MAP exists) or logit (RealNVP's; see "
                  "docs/model-format.md)")
      ->check(CLI::IsMember(flow_preprocessing_names()))
      ->capture_default_str();
  command.add_option("--alpha", o.flow.alpha, "flow: alpha of the logit pre-processing")->capture_default_str();
  command.add_option("--max-gradient-norm", o.flow.max_gradient_norm, "flow: gradient norm clipping")
      ->capture_default_str();
  command.add_option("--samples-png", o.gan.samples_png, "gan, flow: write a grid of 64 samples z ~ N(0, I) as PNG");
  command.add_option("--quality-vae", o.gan.quality_vae,
                     "gan: after training, report nearest-training-neighbour distances and the precision/recall in "
                     "the encoder space of this VAE (docs/model-format.md)");
  command.add_option("--quality-samples", o.gan.quality_samples, "gan: samples (and test images) behind the quality")
      ->capture_default_str();
  command.add_option("--quality-k", o.gan.quality_k, "gan: k of the k-NN manifold estimate")->capture_default_str();
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

GanTrainingOptions gan_options(const TrainOptions& o) {
  const auto& t = o.training;
  GanTrainingOptions gan;
  gan.model.architecture = t.model.architecture;
  gan.model.latent_dim = t.model.latent_dim;
  gan.model.hidden = t.model.hidden;
  gan.model.channels = t.model.channels;
  if (o.epochs->count() > 0) gan.epochs = t.epochs;
  if (o.batch_size->count() > 0) gan.batch_size = t.batch_size;
  if (o.learning_rate->count() > 0) gan.learning_rate = t.learning_rate;
  gan.r1_gamma = o.gan.r1_gamma;
  gan.r1_interval = o.gan.r1_interval;
  gan.average_decay = o.gan.average_decay;
  gan.adam_beta1 = o.gan.adam_betas.at(0);
  gan.adam_beta2 = o.gan.adam_betas.at(1);
  gan.seed = t.seed;
  gan.threads = t.threads;
  gan.output = t.output;
  gan.checkpoint = t.checkpoint;
  gan.force = t.force;
  gan.resume = t.resume;
  gan.command_line = t.command_line;
  return gan;
}

// 64 samples z ~ N(0, I) of the written model, tiled 8 × 8 with a 2-pixel gap, each pixel
// 3 × 3, on the fixed scale [0, 1] → [0, 255] (not per tile: contrast is part of quality).
void write_samples_png(const std::string& path, const Generator& generator, std::uint64_t seed) {
  const std::size_t samples = 64, columns = 8, gap = 2, scale = 3;
  const std::size_t m = generator.latent_dimension(), n = generator.image_size();
  const auto height = static_cast<std::size_t>(generator.image_shape().height),
             width = static_cast<std::size_t>(generator.image_shape().width);
  std::vector<double> z(samples * m), means(samples * n);
  CounterRandom(seed, 0, Purpose::latent_prior_samples).fill_normal(z, 0);
  generator.decode(z, samples, means);
  const std::size_t rows = samples / columns, tile_h = height * scale + gap, tile_w = width * scale + gap;
  const std::size_t image_h = rows * tile_h + gap, image_w = columns * tile_w + gap;
  std::vector<std::uint8_t> pixels(image_h * image_w, 255);
  for (std::size_t i = 0; i < samples; ++i) {
    const std::size_t top = gap + (i / columns) * tile_h, left = gap + (i % columns) * tile_w;
    for (std::size_t r = 0; r < height * scale; ++r) {
      for (std::size_t c = 0; c < width * scale; ++c) {
        const double value = std::clamp(means[i * n + (r / scale) * width + c / scale], 0.0, 1.0);
        pixels[(top + r) * image_w + left + c] = static_cast<std::uint8_t>(std::lround(255 * value));
      }
    }
  }
  write_png(path, image_h, image_w, pixels);
}

// Images [count, n] as points (columns) of a DenseMatrix.
DenseMatrix as_points(std::span<const double> values, std::size_t dimension, std::size_t count) {
  DenseMatrix points(dimension, count);
  std::copy_n(values.begin(), dimension * count, points.data());
  return points;
}

DenseMatrix encoder_features(const TorchGenerator& vae, const DenseMatrix& images) {
  const std::size_t count = images.cols(), m = vae.latent_dimension();
  std::vector<double> means(count * m), variances(count * m);
  vae.encode(images.values(), count, means, variances);
  return as_points(means, m, count);
}

double median(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2), values.end());
  return values[values.size() / 2];
}

// Sample quality of the written GAN (diagnostics/sample_quality.hpp): nearest training
// neighbours of samples and of held-out test images, and precision/recall in the encoder
// space of a VAE — with the same for training images in place of the samples, the value a
// generator that draws from the data distribution would get at these sizes.
void report_quality(const TrainOptions& o, const data::ImageSet& training, const data::ImageSet& test) {
  const auto generator = load_generator(o.training.output, GeneratorRoute::automatic);
  const TorchGenerator vae(o.gan.quality_vae);
  PB_REQUIRE(vae.has_encoder(), "--quality-vae ", o.gan.quality_vae, ": the model has no encoder");
  PB_REQUIRE(vae.image_shape() == generator->image_shape(), "--quality-vae ", o.gan.quality_vae,
             ": its images are not the GAN's size");
  const std::size_t n = generator->image_size(), m = generator->latent_dimension();
  const std::size_t count = std::min({o.gan.quality_samples, test.count, training.count / 2});
  std::vector<double> z(count * m), samples(count * n);
  CounterRandom(o.training.seed, 1, Purpose::latent_prior_samples).fill_normal(z, 0);
  generator->decode(z, count, samples);
  const DenseMatrix generated = as_points(samples, n, count);
  const DenseMatrix held_out = as_points(test.pixels, n, count);
  const DenseMatrix train_all = as_points(training.pixels, n, training.count);
  const DenseMatrix train_subset = as_points(training.pixels, n, count);
  const double rms = 1.0 / std::sqrt(static_cast<double>(n));
  auto scaled = [&](std::vector<double> distances) {
    for (double& d : distances) d *= rms;
    return distances;
  };
  const auto sample_nn = scaled(nearest_distances(generated, train_all));
  const auto test_nn = scaled(nearest_distances(held_out, train_all));
  const auto real_features = encoder_features(vae, held_out);
  const auto gan_pr = manifold_precision_recall(real_features, encoder_features(vae, generated), o.gan.quality_k);
  const auto data_pr = manifold_precision_recall(real_features, encoder_features(vae, train_subset), o.gan.quality_k);
  std::cout << std::fixed << std::setprecision(4) << "sample quality of " << o.training.output << " (" << count
            << " samples z ~ N(0, I), seed " << o.training.seed << "; " << count << " test images; "
            << generator->route() << " route)\n"
            << "  nearest-training-neighbour RMS pixel distance, median: samples " << median(sample_nn)
            << ", test images " << median(test_nn) << " (minimum: samples "
            << *std::min_element(sample_nn.begin(), sample_nn.end()) << ", test images "
            << *std::min_element(test_nn.begin(), test_nn.end()) << ")\n"
            << "  precision/recall (k = " << o.gan.quality_k << ", encoder means of " << o.gan.quality_vae
            << ", real = the test images): GAN " << gan_pr.precision << " / " << gan_pr.recall << "; " << count
            << " training images in place of the samples " << data_pr.precision << " / " << data_pr.recall << std::endl;
}

void run_gan(TrainOptions& o, const Session& session) {
  auto gan = gan_options(o);
  check_outputs(o);
  if (!o.gan.samples_png.empty()) check_output_directory(o.gan.samples_png, "--samples-png");
  if (session.rank() != 0) return;
  const auto training = data::load_training_set(o.training_set, o.training_limit);
  gan.model.shape = training.shape;
  validate(gan.model);
  train_gan(training, gan, std::cout);
  if (!o.gan.samples_png.empty()) {
    write_samples_png(o.gan.samples_png, *load_generator(gan.output, GeneratorRoute::automatic), gan.seed);
    std::cout << "wrote " << o.gan.samples_png << std::endl;
  }
  if (!o.gan.quality_vae.empty()) report_quality(o, training, data::load_training_set(o.test_set, o.test_limit));
}

FlowTrainingOptions flow_options(const TrainOptions& o) {
  const auto& t = o.training;
  FlowTrainingOptions flow;
  flow.model.couplings = o.flow.couplings;
  if (o.hidden->count() > 0) flow.model.hidden = t.model.hidden;
  flow.model.alpha = o.flow.alpha;
  flow.model.preprocessing = o.flow.preprocessing == "logit" ? FlowPreprocessing::logit : FlowPreprocessing::none;
  flow.max_gradient_norm = o.flow.max_gradient_norm;
  if (o.epochs->count() > 0) flow.epochs = t.epochs;
  if (o.batch_size->count() > 0) flow.batch_size = t.batch_size;
  if (o.learning_rate->count() > 0) flow.learning_rate = t.learning_rate;
  flow.seed = t.seed;
  flow.threads = t.threads;
  flow.output = t.output;
  flow.checkpoint = t.checkpoint;
  flow.force = t.force;
  flow.resume = t.resume;
  flow.command_line = t.command_line;
  return flow;
}

void run_flow(TrainOptions& o, const Session& session) {
  auto flow = flow_options(o);
  validate(flow.model);
  check_outputs(o);
  if (!o.gan.samples_png.empty()) check_output_directory(o.gan.samples_png, "--samples-png");
  if (session.rank() != 0) return;
  const auto training = data::load_training_set(o.training_set, o.training_limit);
  const auto test = data::load_training_set(o.test_set, o.test_limit);
  flow.model.shape = training.shape;
  validate(flow.model);
  train_flow(training, test, flow, std::cout);
  if (!o.gan.samples_png.empty()) {
    write_samples_png(o.gan.samples_png, *load_generator(flow.output, GeneratorRoute::automatic), flow.seed);
    std::cout << "wrote " << o.gan.samples_png << std::endl;
  }
}

void run(TrainOptions& o, const Session& session) {
  o.training.model.architecture = parse_architecture(o.architecture);
  o.training.model.variance = o.variance == "scalar" ? DecoderVariance::scalar : DecoderVariance::per_pixel;
  o.training.command_line = command_line_text();
  if (o.kind == "gan") {
    PB_REQUIRE(o.report.empty(),
               "--report: the training report is written for a VAE only; for a GAN use "
               "--samples-png and --quality-vae");
    run_gan(o, session);
    return;
  }
  if (o.kind == "flow") {
    PB_REQUIRE(o.report.empty() && o.gan.quality_vae.empty(),
               "--report and --quality-vae are written for a VAE and a GAN; a flow reports its test bits per "
               "dimension");
    run_flow(o, session);
    return;
  }
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
  auto* command =
      app.add_subcommand("train", "Train a VAE, a GAN or a normalizing flow and write it as a TorchScript model file");
  auto options = std::make_shared<TrainOptions>();
  add_options(*command, *options);
  return [options](const Session& session) { run(*options, session); };
}

}  // namespace priorbench::app
