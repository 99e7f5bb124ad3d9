#include "generative/torch/flow_training.hpp"

#include <cmath>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <numbers>
#include <sstream>

#include "core/error.hpp"
#include "generative/torch/flow_module.hpp"
#include "generative/torch/torch_model.hpp"
#include "generative/torch/training_support.hpp"

namespace priorbench {
namespace {

using namespace torch_detail::training;

const std::size_t kHistoryColumns = 5;
const std::int64_t kEvaluationBatch = 500;

std::string run_settings(const FlowTrainingOptions& o, std::size_t training_images) {
  std::ostringstream out;
  out.precision(17);
  out << "kind=flow shape=" << o.model.shape.height << "x" << o.model.shape.width << " couplings=";
  for (std::size_t i = 0; i < o.model.couplings.size(); ++i) out << (i ? "," : "") << o.model.couplings[i];
  out << " hidden=";
  for (std::size_t i = 0; i < o.model.hidden.size(); ++i) out << (i ? "," : "") << o.model.hidden[i];
  out << " preprocessing=" << flow_preprocessing_names()[static_cast<std::size_t>(o.model.preprocessing)]
      << " alpha=" << o.model.alpha << " batch_size=" << o.batch_size << " learning_rate=" << o.learning_rate
      << " max_gradient_norm=" << o.max_gradient_norm << " seed=" << o.seed << " training_images=" << training_images;
  return out.str();
}

void validate(const FlowTrainingOptions& o, const data::ImageSet& training, const data::ImageSet& test) {
  validate(o.model);
  PB_REQUIRE(o.model.coupling_init_scale == 0, "flow training starts every coupling at the identity");
  PB_REQUIRE(o.epochs > 0, "--epochs must be positive");
  PB_REQUIRE(o.batch_size > 1, "--batch-size must be at least 2");
  PB_REQUIRE(o.learning_rate > 0 && std::isfinite(o.learning_rate), "--learning-rate must be positive, got ",
             o.learning_rate);
  PB_REQUIRE(o.max_gradient_norm > 0 && std::isfinite(o.max_gradient_norm), "--max-gradient-norm must be positive");
  PB_REQUIRE(!o.output.empty(), "-o: no output model file given");
  PB_REQUIRE(o.force || !std::filesystem::exists(o.output), "output model ", o.output,
             " already exists; pass --force to replace it");
  PB_REQUIRE(training.count >= o.batch_size, "flow training needs at least one batch of ", o.batch_size,
             " training images, got ", training.count);
  PB_REQUIRE(test.count > 0, "flow training needs test images for the test bits per dimension");
  for (const auto* set : {&training, &test}) {
    PB_REQUIRE(set->shape == o.model.shape, "images are ", set->shape.height, "x", set->shape.width,
               " but the flow is ", o.model.shape.height, "x", o.model.shape.width);
  }
}

// The 8-bit levels k of images stored as k/255 (a float tensor [N, n]). Images of other
// origin are rounded to the nearest level: the flow models 8-bit images.
at::Tensor levels(const at::Tensor& images) { return (images.clamp(0, 1) * 255).round(); }

at::Tensor dequantized(const at::Tensor& image_levels) {
  return (image_levels + at::rand(image_levels.sizes(), image_levels.options())) / 256;
}

// Bits per dimension of each image x̃ [B, n] (see the header).
at::Tensor bits_per_dim(const torch::jit::Module& flow, const at::Tensor& x) {
  const auto result = torch_detail::call_method(flow, "inverse_and_log_det", {x}).toTuple();
  const auto& z = result->elements()[0].toTensor();
  const auto& log_det = result->elements()[1].toTensor();
  const auto n = static_cast<double>(x.size(1));
  const double log_normalizer = 0.5 * n * std::log(2 * std::numbers::pi);
  return (0.5 * z.square().sum(1) + log_normalizer - log_det) / (n * std::numbers::ln2) + 8;
}

// The mean test bpd, each image dequantized once with noise fixed by the seed.
double test_bits_per_dim(const torch::jit::Module& flow, const at::Tensor& test_levels, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(epoch_seed(seed, 0));
  double sum = 0;
  const std::int64_t count = test_levels.size(0);
  for (std::int64_t begin = 0; begin < count; begin += kEvaluationBatch) {
    const auto batch = test_levels.slice(0, begin, std::min(count, begin + kEvaluationBatch));
    sum += bits_per_dim(flow, dequantized(batch)).sum().item<double>();
  }
  return sum / static_cast<double>(count);
}

// Glow's data-dependent start: the first actnorm standardizes each pre-processed pixel y of
// the (dequantized) training images, (y + bias)·exp(logs) with bias = −mean, logs = −log std.
void initialize_first_actnorm(torch::jit::Module& flow, const FlowModelOptions& o, const at::Tensor& training_levels) {
  torch::NoGradGuard no_grad;
  const auto x = dequantized(training_levels);
  const auto p = o.alpha + (1 - 2 * o.alpha) * x;
  const auto y = o.preprocessing == FlowPreprocessing::logit ? p.log() - (-p).log1p() : x - 0.5;
  const auto name = torch_detail::first_actnorm_name();
  flow.attr(name + "_bias").toTensor().copy_(-y.mean(0));
  flow.attr(name + "_logs").toTensor().copy_(-(y.std(0) + 1e-6).log());
}

void write_checkpoint(const std::string& path, const torch::jit::Module& flow, const torch::optim::Adam& adam,
                      const std::vector<FlowEpochRecord>& history, const std::string& settings) {
  write_atomically(path, [&](const std::string& temporary) {
    torch::serialize::OutputArchive archive;
    archive.write("flow", bytes_tensor(module_bytes(flow)));
    archive.write("settings", c10::IValue(settings));
    auto records = at::empty({static_cast<std::int64_t>(history.size()), static_cast<std::int64_t>(kHistoryColumns)},
                             at::TensorOptions().dtype(at::kDouble));
    for (std::size_t i = 0; i < history.size(); ++i) {
      const auto& h = history[i];
      const double row[kHistoryColumns] = {static_cast<double>(h.epoch), h.training_bits_per_dim, h.test_bits_per_dim,
                                           h.seconds, h.cpu_seconds};
      std::copy(row, row + kHistoryColumns, records.data_ptr<double>() + kHistoryColumns * i);
    }
    archive.write("history", records);
    torch::serialize::OutputArchive optimizer;
    adam.save(optimizer);
    archive.write("optimizer", optimizer);
    archive.save_to(temporary);
  });
}

// The flow and the history of the checkpoint at `path` (written under `settings`).
std::vector<FlowEpochRecord> read_checkpoint(const std::string& path, const std::string& settings,
                                             torch::jit::Module& flow) {
  PB_REQUIRE(std::filesystem::exists(path), "--resume: checkpoint ", path, " does not exist");
  std::vector<FlowEpochRecord> history;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    c10::IValue stored;
    archive.read("settings", stored);
    PB_REQUIRE(stored.isString() && stored.toStringRef() == settings, "--resume: checkpoint ", path,
               " was written by a run with other options (",
               settings_difference(stored.isString() ? stored.toStringRef() : "", settings), ")");
    at::Tensor bytes, records;
    archive.read("flow", bytes);
    flow = module_from_bytes(tensor_bytes(bytes));
    archive.read("history", records);
    records = records.contiguous();
    for (std::int64_t i = 0; i < records.size(0); ++i) {
      const double* row = records.data_ptr<double>() + kHistoryColumns * i;
      history.push_back({static_cast<std::size_t>(row[0]), row[1], row[2], row[3], row[4]});
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    PB_FAIL("--resume: ", path, " is not a priorbench flow training checkpoint (", torch_detail::summarize(error), ")");
  }
  return history;
}

void load_optimizer(const std::string& path, torch::optim::Adam& adam) {
  torch::serialize::InputArchive archive, optimizer;
  archive.load_from(path);
  archive.read("optimizer", optimizer);
  adam.load(optimizer);
}

std::string epoch_line(const FlowEpochRecord& r, std::size_t epochs, double images_per_second, double left) {
  std::ostringstream line;
  line << "epoch " << std::setw(3) << r.epoch << "/" << epochs << std::fixed << std::setprecision(4)
       << "  training bits/dim " << r.training_bits_per_dim << "  test bits/dim " << r.test_bits_per_dim
       << std::setprecision(0) << "  " << images_per_second << " images/s  " << std::setprecision(1) << r.seconds
       << " s (cpu " << r.cpu_seconds << " s)  time left " << duration_text(left);
  return line.str();
}

// Scales the gradients down to a total norm of at most `max_norm` (as PyTorch's
// clip_grad_norm_).
void clip_gradient_norm(const std::vector<at::Tensor>& parameters, double max_norm) {
  torch::NoGradGuard no_grad;
  double squares = 0;
  for (const auto& parameter : parameters) {
    if (parameter.grad().defined()) squares += parameter.grad().square().sum().item<double>();
  }
  const double norm = std::sqrt(squares);
  if (!(norm > max_norm)) return;
  for (const auto& parameter : parameters) {
    if (parameter.grad().defined()) parameter.grad().mul_(max_norm / (norm + 1e-6));
  }
}

// One epoch of Adam steps over whole batches in the epoch's order; the mean training bpd.
double train_epoch(const torch::jit::Module& flow, torch::optim::Adam& adam, const std::vector<at::Tensor>& parameters,
                   const at::Tensor& training_levels, const FlowTrainingOptions& o, std::size_t epoch) {
  torch::manual_seed(epoch_seed(o.seed, epoch));
  const std::int64_t count = training_levels.size(0), batch = static_cast<std::int64_t>(o.batch_size);
  const auto order = at::randperm(count, at::TensorOptions().dtype(at::kLong));
  double sum = 0;
  std::size_t steps = 0;
  for (std::int64_t begin = 0; begin + batch <= count; begin += batch, ++steps) {
    const auto x = dequantized(training_levels.index_select(0, order.slice(0, begin, begin + batch)));
    const auto loss = bits_per_dim(flow, x).mean();
    adam.zero_grad();
    loss.backward();
    clip_gradient_norm(parameters, o.max_gradient_norm);
    adam.step();
    sum += loss.item<double>();
  }
  return sum / static_cast<double>(steps);
}

}  // namespace

FlowTrainingResult train_flow(const data::ImageSet& training, const data::ImageSet& test,
                              const FlowTrainingOptions& options, std::ostream& progress) {
  validate(options, training, test);
  const int threads = torch_detail::apply_threads(options.threads);
  const auto checkpoint_path = options.checkpoint.empty() ? options.output + ".checkpoint" : options.checkpoint;
  const auto settings = run_settings(options, training.count);
  ProgressLog log(progress);
  FlowTrainingResult result;

  const auto training_levels = levels(image_tensor(training, training.count, at::kFloat));
  const auto test_levels = levels(image_tensor(test, test.count, at::kFloat));
  // Built from the seed also when resuming: the checkpoint then overwrites every value.
  torch::manual_seed(options.seed);
  auto flow = torch_detail::build_flow_module(options.model, at::kFloat);
  if (options.resume) {
    result.history = read_checkpoint(checkpoint_path, settings, flow);
    result.resumed_after = result.history.size();
  } else {
    initialize_first_actnorm(flow, options.model, training_levels);
  }
  torch_detail::validate_module(flow, "the flow being trained");
  std::vector<at::Tensor> parameters;
  for (const auto& parameter : flow.parameters()) parameters.push_back(parameter.requires_grad_(true));
  torch::optim::Adam adam(parameters, torch::optim::AdamOptions(options.learning_rate));
  if (options.resume) load_optimizer(checkpoint_path, adam);

  log.line("priorbench train --kind flow: " + describe(options.model));
  {
    std::ostringstream header;
    std::size_t count = 0;
    for (const auto& parameter : parameters) count += static_cast<std::size_t>(parameter.numel());
    header << "  " << count << " parameters; " << training.count << " training images, " << test.count
           << " test images, batch " << options.batch_size << ", Adam lr " << options.learning_rate
           << ", gradient norm clipped at " << options.max_gradient_norm << ", uniform dequantization, seed "
           << options.seed << ", " << threads << " Torch thread" << (threads > 1 ? "s" : "") << ", float32";
    log.line(header.str());
  }
  if (!training.description.empty()) log.block("  training set: " + training.description);
  if (options.resume) {
    log.line("  resumed from " + checkpoint_path + " after epoch " + std::to_string(result.resumed_after));
  }

  double session_seconds = 0;
  std::size_t session_epochs = 0;
  for (std::size_t epoch = result.resumed_after + 1; epoch <= options.epochs; ++epoch) {
    const auto start = Clock::now();
    const std::clock_t cpu_start = std::clock();
    const double training_bpd = train_epoch(flow, adam, parameters, training_levels, options, epoch);
    PB_REQUIRE(std::isfinite(training_bpd), "training diverged in epoch ", epoch,
               " (loss not finite); lower --learning-rate");
    const double test_bpd = test_bits_per_dim(flow, test_levels, options.seed);
    const double seconds = seconds_since(start);
    const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    result.history.push_back({epoch, training_bpd, test_bpd, seconds, cpu_seconds});
    write_checkpoint(checkpoint_path, flow, adam, result.history, settings);
    session_seconds += seconds;
    ++session_epochs;
    const double left =
        session_seconds / static_cast<double>(session_epochs) * static_cast<double>(options.epochs - epoch);
    log.line(epoch_line(result.history.back(), options.epochs, static_cast<double>(training.count) / seconds, left));
  }
  for (const auto& record : result.history) {
    result.seconds += record.seconds;
    result.cpu_seconds += record.cpu_seconds;
  }
  for (auto& parameter : parameters) parameter.requires_grad_(false);
  const auto& last = result.history.back();
  set_attribute(flow, "test_bits_per_dim", c10::FloatType::get(), last.test_bits_per_dim);
  set_attribute(flow, "training_bits_per_dim", c10::FloatType::get(), last.training_bits_per_dim);
  std::ostringstream summary;
  summary << "; test bits/dim " << std::fixed << std::setprecision(4) << last.test_bits_per_dim;
  write_trained_model(flow, {options.output, checkpoint_path, options.command_line, options.force, ""}, result.seconds,
                      result.cpu_seconds, result.history.size(), summary.str(), log);
  result.log = log.text();
  return result;
}

}  // namespace priorbench
