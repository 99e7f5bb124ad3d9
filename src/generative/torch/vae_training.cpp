#include "generative/torch/vae_training.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/output_files.hpp"
#include "generative/torch/torch_generator.hpp"
#include "generative/torch/torch_model.hpp"
#include "generative/torch/training_support.hpp"
#include "generative/torch/vae_module.hpp"

namespace priorbench {
namespace {

using namespace torch_detail::training;

constexpr double kLogTwoPi = 1.8378770664093453;  // log(2π)

struct ElboTerms {
  at::Tensor elbo;            // [B] log p(x|z) − KL
  at::Tensor kl;              // [B]
  at::Tensor log_likelihood;  // [B]
};

// One reparametrized sample per image; x is [B, n]. With `fused` the decoder runs once
// through the training method decoder_mean_and_log_variance.
ElboTerms elbo_terms(const torch::jit::Module& module, const ModelInfo& info, const at::Tensor& x, bool fused) {
  const auto [mu, log_variance] = torch_detail::encode_flat(module, x, info);
  const auto z = mu + (0.5 * log_variance).exp() * at::randn_like(mu);
  at::Tensor mean, decoder_log_variance;
  if (fused) {
    const auto result = torch_detail::call_method(module, "decoder_mean_and_log_variance", {z}).toTuple();
    mean = result->elements()[0].toTensor().reshape({x.size(0), -1});
    decoder_log_variance = result->elements()[1].toTensor().reshape({x.size(0), -1});
  } else {
    mean = torch_detail::decode_flat(module, z, info);
    decoder_log_variance = torch_detail::log_variance_flat(module, z, info);
  }
  const auto n = static_cast<double>(x.size(1));
  // A [B, 1] scalar log variance broadcasts over the n pixels, so the sum counts it n times.
  const auto log_likelihood =
      -0.5 * (((x - mean).square() * (-decoder_log_variance).exp() + decoder_log_variance).sum(1) + n * kLogTwoPi);
  const auto kl = 0.5 * (mu.square() + log_variance.exp() - 1.0 - log_variance).sum(1);
  return {log_likelihood - kl, kl, log_likelihood};
}

ElboEvaluation evaluate(const torch::jit::Module& module, const ModelInfo& info, const at::Tensor& images,
                        std::uint64_t seed) {
  PB_REQUIRE(info.has_encoder && info.variance_kind != DecoderVariance::none,
             "an ELBO needs a model with an encoder and a decoder variance");
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  ElboEvaluation result;
  const std::int64_t count = images.size(0), chunk = 1000;
  for (std::int64_t begin = 0; begin < count; begin += chunk) {
    const auto x = images.slice(0, begin, std::min(count, begin + chunk));
    const auto terms = elbo_terms(module, info, x, false);
    result.elbo += terms.elbo.sum().item<double>();
    result.kl += terms.kl.sum().item<double>();
    const auto mu = torch_detail::encode_flat(module, x, info).first;
    result.reconstruction_mse +=
        (torch_detail::decode_flat(module, mu, info) - x).square().mean(1).sum().item<double>();
    result.mean_decoder_variance +=
        torch_detail::log_variance_flat(module, mu, info).exp().mean(1).sum().item<double>();
  }
  const auto total = static_cast<double>(count);
  result.elbo /= total;
  result.kl /= total;
  result.reconstruction_mse /= total;
  result.mean_decoder_variance /= total;
  return result;
}

// The options that shape a run; a checkpoint resumes only under the same ones.
std::string run_settings(const VaeTrainingOptions& o, std::size_t training_images) {
  std::ostringstream out;
  out << "architecture=" << architecture_name(o.model.architecture) << " latent_dim=" << o.model.latent_dim
      << " variance=" << variance_kind_name(o.model.variance) << " shape=" << o.model.shape.height << "x"
      << o.model.shape.width << " hidden=";
  for (std::size_t i = 0; i < o.model.hidden.size(); ++i) out << (i ? "," : "") << o.model.hidden[i];
  const auto channels = conv_channels(o.model);
  out << " channels=";
  for (std::size_t i = 0; i < channels.size(); ++i) out << (i ? "," : "") << channels[i];
  out << " batch_size=" << o.batch_size << " learning_rate=" << o.learning_rate << " beta=" << o.beta
      << " seed=" << o.seed << " training_images=" << training_images;
  return out.str();
}

struct Checkpoint {
  torch::jit::Module module;
  std::size_t epoch = 0;
  std::vector<EpochRecord> history;
  std::string settings;
  torch::serialize::InputArchive optimizer;
};

void write_checkpoint(const std::string& path, const torch::jit::Module& module, const torch::optim::Adam& adam,
                      const std::vector<EpochRecord>& history, const std::string& settings) {
  write_atomically(path, [&](const std::string& temporary) {
    torch::serialize::OutputArchive archive;
    const auto bytes = module_bytes(module);
    auto model = at::empty({static_cast<std::int64_t>(bytes.size())}, at::TensorOptions().dtype(at::kByte));
    std::memcpy(model.data_ptr<std::uint8_t>(), bytes.data(), bytes.size());
    archive.write("model", model);
    archive.write("settings", c10::IValue(settings));
    auto records = at::empty({static_cast<std::int64_t>(history.size()), 4}, at::TensorOptions().dtype(at::kDouble));
    for (std::size_t i = 0; i < history.size(); ++i) {
      const double row[4] = {static_cast<double>(history[i].epoch), history[i].elbo, history[i].kl, history[i].seconds};
      std::copy(row, row + 4, records.data_ptr<double>() + 4 * i);
    }
    archive.write("history", records);
    torch::serialize::OutputArchive optimizer;
    adam.save(optimizer);
    archive.write("optimizer", optimizer);
    archive.save_to(temporary);
  });
}

Checkpoint read_checkpoint(const std::string& path) {
  PB_REQUIRE(std::filesystem::exists(path), "--resume: checkpoint ", path, " does not exist");
  Checkpoint checkpoint;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    at::Tensor model, records;
    archive.read("model", model);
    checkpoint.module = module_from_bytes(std::string(reinterpret_cast<const char*>(model.data_ptr<std::uint8_t>()),
                                                      static_cast<std::size_t>(model.numel())));
    c10::IValue settings;
    archive.read("settings", settings);
    checkpoint.settings = settings.toStringRef();
    archive.read("history", records);
    records = records.contiguous();
    for (std::int64_t i = 0; i < records.size(0); ++i) {
      const double* row = records.data_ptr<double>() + 4 * i;
      checkpoint.history.push_back({static_cast<std::size_t>(row[0]), row[1], row[2], row[3]});
    }
    checkpoint.epoch = checkpoint.history.size();
    archive.read("optimizer", checkpoint.optimizer);
  } catch (const std::exception& error) {
    PB_FAIL("--resume: ", path, " is not a priorbench training checkpoint (", torch_detail::summarize(error), ")");
  }
  return checkpoint;
}

void validate(const VaeTrainingOptions& o, const data::ImageSet& training, const data::ImageSet& test) {
  validate(o.model);
  PB_REQUIRE(o.epochs > 0, "--epochs must be positive");
  PB_REQUIRE(o.batch_size > 0, "--batch-size must be positive");
  PB_REQUIRE(o.learning_rate > 0 && std::isfinite(o.learning_rate), "--learning-rate must be positive, got ",
             o.learning_rate);
  PB_REQUIRE(o.beta >= 0 && std::isfinite(o.beta), "--beta must be non-negative, got ", o.beta);
  PB_REQUIRE(!o.output.empty(), "-o: no output model file given");
  PB_REQUIRE(o.force || !std::filesystem::exists(o.output), "output model ", o.output,
             " already exists; pass --force to replace it");
  const auto directory = std::filesystem::absolute(o.output).parent_path();
  PB_REQUIRE(std::filesystem::is_directory(directory), "-o ", o.output, ": directory ", directory.string(),
             " does not exist");
  PB_REQUIRE(training.count > 0 && test.count > 0, "training needs training and test images");
  PB_REQUIRE(training.shape == o.model.shape && test.shape == o.model.shape, "training images are ",
             training.shape.height, "x", training.shape.width, " but the model is ", o.model.shape.height, "x",
             o.model.shape.width);
}

}  // namespace

VaeTrainingResult train_vae(const data::ImageSet& training, const data::ImageSet& test,
                            const VaeTrainingOptions& options, std::ostream& progress) {
  validate(options, training, test);
  const int threads = torch_detail::apply_threads(options.threads);
  const auto checkpoint_path = options.checkpoint.empty() ? options.output + ".checkpoint" : options.checkpoint;
  const auto settings = run_settings(options, training.count);
  ProgressLog log(progress);
  VaeTrainingResult result;

  torch::jit::Module module;
  std::optional<Checkpoint> checkpoint;
  if (options.resume) {
    checkpoint = read_checkpoint(checkpoint_path);
    PB_REQUIRE(checkpoint->settings == settings, "--resume: checkpoint ", checkpoint_path,
               " was written by a run with other options (", settings_difference(checkpoint->settings, settings), ")");
    module = checkpoint->module;
    result.history = checkpoint->history;
    result.resumed_after = checkpoint->epoch;
  } else {
    torch::manual_seed(options.seed);
    module = torch_detail::build_vae_module(options.model, at::kFloat);
  }
  const ModelInfo info = torch_detail::validate_module(module, "the VAE being trained");
  module.train();
  std::vector<at::Tensor> parameters;
  for (const auto& parameter : module.parameters()) parameters.push_back(parameter.requires_grad_(true));
  torch::optim::Adam adam(parameters, torch::optim::AdamOptions(options.learning_rate));
  if (checkpoint) adam.load(checkpoint->optimizer);

  const auto images = image_tensor(training, training.count, at::kFloat);
  const auto count = static_cast<std::int64_t>(training.count);
  const auto batch = static_cast<std::int64_t>(options.batch_size);
  log.line("priorbench train: " + describe(options.model));
  {
    std::ostringstream header;
    header << "  " << training.count << " training images, batch " << options.batch_size << ", Adam lr "
           << options.learning_rate << ", beta " << options.beta << ", seed " << options.seed << ", " << threads
           << " Torch thread" << (threads > 1 ? "s" : "") << ", float32; ELBO in nats per image";
    log.line(header.str());
  }
  // How the training images were made (the MRI slab split), kept in the model's training_log.
  if (!training.description.empty()) {
    log.block("  training set: " + training.description);
  }
  if (checkpoint) {
    log.line("  resumed from " + checkpoint_path + " after epoch " + std::to_string(checkpoint->epoch));
  }

  double session_seconds = 0;
  std::size_t session_epochs = 0;
  for (std::size_t epoch = result.resumed_after + 1; epoch <= options.epochs; ++epoch) {
    const auto start = Clock::now();
    torch::manual_seed(epoch_seed(options.seed, epoch));
    const auto order = at::randperm(count, at::TensorOptions().dtype(at::kLong));
    double elbo_sum = 0, kl_sum = 0;
    for (std::int64_t begin = 0; begin < count; begin += batch) {
      const auto x = images.index_select(0, order.slice(0, begin, std::min(count, begin + batch)));
      const auto terms = elbo_terms(module, info, x, true);
      const auto loss = (-terms.log_likelihood + options.beta * terms.kl).mean();
      adam.zero_grad();
      loss.backward();
      adam.step();
      elbo_sum += terms.elbo.detach().sum().item<double>();
      kl_sum += terms.kl.detach().sum().item<double>();
    }
    const double seconds = seconds_since(start);
    result.history.push_back(
        {epoch, elbo_sum / static_cast<double>(count), kl_sum / static_cast<double>(count), seconds});
    PB_REQUIRE(std::isfinite(result.history.back().elbo), "training diverged in epoch ", epoch,
               " (ELBO not finite); lower --learning-rate");
    write_checkpoint(checkpoint_path, module, adam, result.history, settings);
    session_seconds += seconds;
    ++session_epochs;
    const double left =
        session_seconds / static_cast<double>(session_epochs) * static_cast<double>(options.epochs - epoch);
    std::ostringstream line;
    line << "epoch " << std::setw(3) << epoch << "/" << options.epochs << "  ELBO " << std::fixed
         << std::setprecision(2) << std::setw(9) << result.history.back().elbo << "  KL " << std::setw(6)
         << result.history.back().kl << "  " << std::setprecision(0) << std::setw(6)
         << static_cast<double>(count) / seconds << " images/s  " << std::setprecision(1) << seconds << " s  time left "
         << duration_text(left);
    log.line(line.str());
  }

  // The stored model: the trained float32 module plus its evaluation in float64.
  auto impl = torch_detail::make_generator_impl(module_from_bytes(module_bytes(module)), options.output);
  result.test = evaluate(impl->module, impl->info, image_tensor(test, test.count, at::kDouble), options.seed);
  {
    std::ostringstream line;
    line << "test ELBO " << std::fixed << std::setprecision(2) << result.test.elbo << " nats/image over " << test.count
         << " test images (KL " << result.test.kl << ", reconstruction MSE " << std::setprecision(5)
         << result.test.reconstruction_mse << ", mean decoder variance " << result.test.mean_decoder_variance << ")";
    log.line(line.str());
  }
  const TorchGenerator generator(std::move(impl));
  PosteriorCollapseOptions collapse;
  collapse.max_images = std::min(options.diagnostic_images, test.count);
  collapse.jacobian_images = std::min(options.jacobian_images, collapse.max_images);
  result.diagnostics = diagnose_posterior_collapse(generator, test, MPI_COMM_SELF, collapse);
  log.block(result.diagnostics.summary());

  set_attribute(module, "test_elbo", c10::FloatType::get(), result.test.elbo);
  const auto& d = result.diagnostics;
  const auto floats = c10::ListType::ofFloats();
  set_attribute(module, "diagnostics_kl", floats, double_list(d.kl));
  set_attribute(module, "diagnostics_activity", floats, double_list(d.activity));
  set_attribute(module, "diagnostics_mean_encoder_variance", floats, double_list(d.mean_encoder_variance));
  set_attribute(module, "diagnostics_decoder_column_norms", floats, double_list(d.decoder_column_norms));
  set_attribute(module, "diagnostics_images", c10::IntType::get(), static_cast<std::int64_t>(d.images));
  set_attribute(module, "diagnostics_jacobian_images", c10::IntType::get(),
                static_cast<std::int64_t>(d.jacobian_images));
  set_attribute(module, "diagnostics_activity_threshold", c10::FloatType::get(), d.activity_threshold);
  set_attribute(module, "diagnostics_kl_threshold", c10::FloatType::get(), d.kl_threshold);
  const std::string command = options.command_line.empty() ? "" : "command: " + options.command_line + "\n";
  set_attribute(module, "training_log", c10::StringType::get(), command + log.text());
  for (auto parameter : module.parameters()) parameter.requires_grad_(false);
  PB_REQUIRE(options.force || !std::filesystem::exists(options.output), "output model ", options.output,
             " appeared during training; pass --force to replace it");
  write_atomically(options.output, [&](const std::string& temporary) { module.save(temporary); });
  log.line("wrote " + options.output + " (" + std::to_string(std::filesystem::file_size(options.output)) +
           " bytes); checkpoint " + checkpoint_path);
  result.log = log.text();
  return result;
}

ElboEvaluation evaluate_elbo(const std::string& model_path, const data::ImageSet& images, std::size_t count,
                             std::uint64_t seed) {
  auto impl = torch_detail::make_generator_impl(torch_detail::load_module(model_path), model_path);
  count = count == 0 ? images.count : std::min(count, images.count);
  PB_REQUIRE(images.shape == impl->info.shape, model_path, " is for ", impl->info.shape.height, "x",
             impl->info.shape.width, " images, the set has ", images.shape.height, "x", images.shape.width);
  return evaluate(impl->module, impl->info, image_tensor(images, count, at::kDouble), seed);
}

std::string describe_unless_trained_model(const std::string& path) {
  try {
    const torch::jit::Module module = torch_detail::load_module(path);
    return module.hasattr("training_log") ? "" : "a TorchScript model that priorbench train did not write";
  } catch (const std::exception&) {
    return "not a TorchScript model file";
  }
}

std::string describe_unless_checkpoint(const std::string& path) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    c10::IValue settings;
    archive.read("settings", settings);
    return settings.isString() ? "" : "not a priorbench training checkpoint";
  } catch (const std::exception&) {
    return "not a priorbench training checkpoint";
  }
}

}  // namespace priorbench
