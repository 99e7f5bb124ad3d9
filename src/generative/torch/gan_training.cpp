#include "generative/torch/gan_training.hpp"

#include <cmath>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <optional>
#include <sstream>

#include "core/error.hpp"
#include "generative/torch/gan_module.hpp"
#include "generative/torch/torch_model.hpp"
#include "generative/torch/training_support.hpp"

namespace priorbench {
namespace {

using namespace torch_detail::training;

// The critic: plain tensors (it is never written to a model file), in float32.
class Critic {
 public:
  explicit Critic(const GanModelOptions& o) : options_(o) {
    const auto n = static_cast<std::int64_t>(o.shape.size());
    if (o.architecture == VaeArchitecture::mlp) {
      std::int64_t in = n;
      for (const auto width : o.hidden) {
        add_dense(in, static_cast<std::int64_t>(width));
        in = static_cast<std::int64_t>(width);
      }
      add_dense(in + 1, 1);  // + the minibatch standard deviation
      return;
    }
    const auto channels = conv_channels(decoder_options(o));
    std::int64_t in = 1;
    for (const auto c : channels) {
      add_convolution(in, static_cast<std::int64_t>(c));
      in = static_cast<std::int64_t>(c);
    }
    const auto layers = channels.size();
    add_dense(in * (o.shape.height >> layers) * (o.shape.width >> layers) + 1, 1);  // + the minibatch std
  }

  // Logits [B] for images [B, n]. Before the last layer the features get one more channel,
  // the minibatch standard deviation (Karras et al. 2018): the mean over features of their
  // standard deviation across the batch. A batch of near-copies shows there, so the critic
  // can tell a generator that ignores z from the data — without it (and without batch
  // normalization in the generator, which the contract excludes) the generator collapsed
  // to one image within the first epoch. The critic is never exported, so coupling the
  // images of a batch here costs the contract nothing.
  at::Tensor operator()(const at::Tensor& x) const {
    at::Tensor h;
    std::size_t p = 0;
    if (options_.architecture == VaeArchitecture::mlp) {
      h = x;
      for (; p + 2 < parameters_.size(); p += 2) {
        h = at::leaky_relu(at::addmm(parameters_[p + 1], h, parameters_[p].t()), 0.2);
      }
    } else {
      h = x.reshape({x.size(0), 1, options_.shape.height, options_.shape.width});
      for (; p + 2 < parameters_.size(); p += 2) {
        h = at::leaky_relu(at::conv2d(h, parameters_[p], parameters_[p + 1], {2, 2}, {1, 1}), 0.2);
      }
      h = h.reshape({x.size(0), -1});
    }
    const auto spread = (h.var(0, false) + 1e-8).sqrt().mean().expand({x.size(0), 1});
    return at::addmm(parameters_[p + 1], at::cat({h, spread}, 1), parameters_[p].t()).reshape({x.size(0)});
  }

  std::vector<at::Tensor>& parameters() { return parameters_; }
  const std::vector<at::Tensor>& parameters() const { return parameters_; }

 private:
  // Uniform in ±1/√fan_in, as the generator's layers (vae_model.cpp).
  void add(std::vector<std::int64_t> shape, std::int64_t out, std::int64_t fan_in) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    parameters_.push_back(((at::rand(shape) * 2 - 1) * bound).requires_grad_(true));
    parameters_.push_back(((at::rand({out}) * 2 - 1) * bound).requires_grad_(true));
  }
  void add_dense(std::int64_t in, std::int64_t out) { add({out, in}, out, in); }
  void add_convolution(std::int64_t in, std::int64_t out) { add({out, in, 4, 4}, out, in * 16); }

  GanModelOptions options_;
  std::vector<at::Tensor> parameters_;  // weight, bias per layer
};

std::vector<at::Tensor> trainable(const torch::jit::Module& module) {
  std::vector<at::Tensor> parameters;
  for (const auto& parameter : module.parameters()) parameters.push_back(parameter.requires_grad_(true));
  return parameters;
}

torch::optim::AdamOptions adam_options(const GanTrainingOptions& o) {
  return torch::optim::AdamOptions(o.learning_rate).betas({o.adam_beta1, o.adam_beta2});
}

at::Tensor generate(const torch::jit::Module& generator, const at::Tensor& z, std::int64_t n) {
  return torch_detail::call_method(generator, "decode", {z}).toTensor().reshape({z.size(0), n});
}

// The networks and optimizers of a run.
struct GanState {
  torch::jit::Module generator;
  torch::jit::Module average;  // the moving average of the generator's weights
  Critic critic;
  std::unique_ptr<torch::optim::Adam> generator_adam;
  std::unique_ptr<torch::optim::Adam> critic_adam;
  // The tensors of `generator` and `average`, pairwise (they share storage with the modules).
  std::vector<at::Tensor> current, averaged;
};

const std::size_t kHistoryColumns = 8;

std::string run_settings(const GanTrainingOptions& o, std::size_t training_images) {
  std::ostringstream out;
  const auto channels = conv_channels(decoder_options(o.model));
  out << "kind=gan architecture=" << architecture_name(o.model.architecture) << " latent_dim=" << o.model.latent_dim
      << " shape=" << o.model.shape.height << "x" << o.model.shape.width << " hidden=";
  for (std::size_t i = 0; i < o.model.hidden.size(); ++i) out << (i ? "," : "") << o.model.hidden[i];
  out << " channels=";
  for (std::size_t i = 0; i < channels.size(); ++i) out << (i ? "," : "") << channels[i];
  out << " batch_size=" << o.batch_size << " learning_rate=" << o.learning_rate << " adam_betas=" << o.adam_beta1 << ","
      << o.adam_beta2 << " r1_gamma=" << o.r1_gamma << " r1_interval=" << o.r1_interval
      << " average_decay=" << o.average_decay << " seed=" << o.seed << " training_images=" << training_images;
  return out.str();
}

void write_checkpoint(const std::string& path, const GanState& state, const std::vector<GanEpochRecord>& history,
                      const std::string& settings) {
  write_atomically(path, [&](const std::string& temporary) {
    torch::serialize::OutputArchive archive;
    archive.write("generator", bytes_tensor(module_bytes(state.generator)));
    archive.write("average", bytes_tensor(module_bytes(state.average)));
    const auto& critic = state.critic.parameters();
    for (std::size_t i = 0; i < critic.size(); ++i) archive.write("critic" + std::to_string(i), critic[i]);
    archive.write("settings", c10::IValue(settings));
    auto records = at::empty({static_cast<std::int64_t>(history.size()), static_cast<std::int64_t>(kHistoryColumns)},
                             at::TensorOptions().dtype(at::kDouble));
    for (std::size_t i = 0; i < history.size(); ++i) {
      const auto& h = history[i];
      const double row[kHistoryColumns] = {
          static_cast<double>(h.epoch), h.critic_loss,      h.generator_loss, h.r1_penalty,
          h.real_probability,           h.fake_probability, h.seconds,        h.cpu_seconds};
      std::copy(row, row + kHistoryColumns, records.data_ptr<double>() + kHistoryColumns * i);
    }
    archive.write("history", records);
    torch::serialize::OutputArchive generator_adam, critic_adam;
    state.generator_adam->save(generator_adam);
    state.critic_adam->save(critic_adam);
    archive.write("generator_optimizer", generator_adam);
    archive.write("critic_optimizer", critic_adam);
    archive.save_to(temporary);
  });
}

// Restores the state from `path` (the networks as built, then overwritten) and returns
// the history it holds.
std::vector<GanEpochRecord> read_checkpoint(const std::string& path, const std::string& settings, GanState& state) {
  PB_REQUIRE(std::filesystem::exists(path), "--resume: checkpoint ", path, " does not exist");
  std::vector<GanEpochRecord> history;
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
    c10::IValue stored;
    archive.read("settings", stored);
    PB_REQUIRE(stored.isString() && stored.toStringRef() == settings, "--resume: checkpoint ", path,
               " was written by a run with other options (",
               settings_difference(stored.isString() ? stored.toStringRef() : "", settings), ")");
    at::Tensor bytes, records;
    archive.read("generator", bytes);
    state.generator = module_from_bytes(tensor_bytes(bytes));
    archive.read("average", bytes);
    state.average = module_from_bytes(tensor_bytes(bytes));
    auto& critic = state.critic.parameters();
    for (std::size_t i = 0; i < critic.size(); ++i) {
      at::Tensor value;
      archive.read("critic" + std::to_string(i), value);
      PB_REQUIRE(value.sizes() == critic[i].sizes(), "--resume: ", path, ": critic parameter ", i,
                 " has another shape");
      critic[i] = value.detach().clone().requires_grad_(true);
    }
    archive.read("history", records);
    records = records.contiguous();
    for (std::int64_t i = 0; i < records.size(0); ++i) {
      const double* row = records.data_ptr<double>() + kHistoryColumns * i;
      history.push_back({static_cast<std::size_t>(row[0]), row[1], row[2], row[3], row[4], row[5], row[6], row[7]});
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    PB_FAIL("--resume: ", path, " is not a priorbench GAN training checkpoint (", torch_detail::summarize(error), ")");
  }
  return history;
}

void load_optimizers(const std::string& path, GanState& state) {
  torch::serialize::InputArchive archive, generator_adam, critic_adam;
  archive.load_from(path);
  archive.read("generator_optimizer", generator_adam);
  archive.read("critic_optimizer", critic_adam);
  state.generator_adam->load(generator_adam);
  state.critic_adam->load(critic_adam);
}

void validate(const GanTrainingOptions& o, const data::ImageSet& training) {
  validate(o.model);
  PB_REQUIRE(o.epochs > 0, "--epochs must be positive");
  PB_REQUIRE(o.batch_size > 0, "--batch-size must be positive");
  PB_REQUIRE(o.learning_rate > 0 && std::isfinite(o.learning_rate), "--learning-rate must be positive, got ",
             o.learning_rate);
  PB_REQUIRE(o.adam_beta1 >= 0 && o.adam_beta1 < 1 && o.adam_beta2 >= 0 && o.adam_beta2 < 1,
             "Adam betas must be in [0, 1), got ", o.adam_beta1, " and ", o.adam_beta2);
  PB_REQUIRE(o.r1_gamma >= 0 && std::isfinite(o.r1_gamma), "--r1-gamma must be non-negative, got ", o.r1_gamma);
  PB_REQUIRE(o.r1_interval > 0, "--r1-interval must be positive");
  PB_REQUIRE(o.average_decay >= 0 && o.average_decay < 1, "--average-decay must be in [0, 1), got ", o.average_decay);
  PB_REQUIRE(!o.output.empty(), "-o: no output model file given");
  PB_REQUIRE(o.force || !std::filesystem::exists(o.output), "output model ", o.output,
             " already exists; pass --force to replace it");
  PB_REQUIRE(training.count > 0, "training needs training images");
  PB_REQUIRE(training.shape == o.model.shape, "training images are ", training.shape.height, "x", training.shape.width,
             " but the model is ", o.model.shape.height, "x", o.model.shape.width);
}

// Sums over one epoch's steps.
struct EpochSums {
  double critic_loss = 0, generator_loss = 0, r1_penalty = 0, real = 0, fake = 0;
  std::size_t steps = 0, penalized = 0;
};

// One critic step on the real batch x (with R1 every r1_interval steps), then one generator
// step, then the average.
// `step` counts generator steps from the start of training (0-based).
void train_step(GanState& state, const GanTrainingOptions& o, const at::Tensor& x, std::size_t step, EpochSums& sums) {
  const bool penalize = step % o.r1_interval == 0;
  const std::int64_t batch = x.size(0), n = x.size(1);
  const auto m = static_cast<std::int64_t>(o.model.latent_dim);
  at::Tensor fake;
  {
    torch::NoGradGuard no_grad;
    fake = generate(state.generator, at::randn({batch, m}), n);
  }
  const auto real = penalize ? x.detach().requires_grad_(true) : x;
  const auto real_logits = state.critic(real), fake_logits = state.critic(fake);
  auto critic_loss = at::softplus(fake_logits).mean() + at::softplus(-real_logits).mean();
  sums.critic_loss += critic_loss.item<double>();
  sums.real += at::sigmoid(real_logits).mean().item<double>();
  sums.fake += at::sigmoid(fake_logits).mean().item<double>();
  if (penalize) {
    const auto gradient = torch::autograd::grad({real_logits.sum()}, {real}, {}, true, true)[0];
    const auto penalty = gradient.square().sum(1).mean();
    sums.r1_penalty += penalty.item<double>();
    ++sums.penalized;
    critic_loss = critic_loss + 0.5 * o.r1_gamma * static_cast<double>(o.r1_interval) * penalty;
  }
  state.critic_adam->zero_grad();
  critic_loss.backward();
  state.critic_adam->step();

  for (auto& parameter : state.critic.parameters()) parameter.requires_grad_(false);
  const auto generator_loss = at::softplus(-state.critic(generate(state.generator, at::randn({batch, m}), n))).mean();
  state.generator_adam->zero_grad();
  generator_loss.backward();
  state.generator_adam->step();
  for (auto& parameter : state.critic.parameters()) parameter.requires_grad_(true);
  sums.generator_loss += generator_loss.item<double>();
  ++sums.steps;

  // The average warms up: its decay is (1 + t)/(10 + t) until that reaches average_decay,
  // so the first steps' weights, the random initialization, do not linger in it.
  const double t = static_cast<double>(step);
  const double decay = std::min(o.average_decay, (1 + t) / (10 + t));
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < state.current.size(); ++i) {
    state.averaged[i].mul_(decay).add_(state.current[i].detach(), 1 - decay);
  }
}

std::string epoch_line(const GanEpochRecord& r, std::size_t epochs, double images_per_second, double left) {
  std::ostringstream line;
  line << "epoch " << std::setw(3) << r.epoch << "/" << epochs << std::fixed << std::setprecision(4) << "  critic "
       << r.critic_loss << "  generator " << r.generator_loss << "  R1 " << r.r1_penalty << "  D(real) "
       << r.real_probability << "  D(fake) " << r.fake_probability << std::setprecision(0) << "  " << images_per_second
       << " images/s  " << std::setprecision(1) << r.seconds << " s (cpu " << r.cpu_seconds << " s)  time left "
       << duration_text(left);
  return line.str();
}

}  // namespace

GanTrainingResult train_gan(const data::ImageSet& training, const GanTrainingOptions& options, std::ostream& progress) {
  validate(options, training);
  const int threads = torch_detail::apply_threads(options.threads);
  const auto checkpoint_path = options.checkpoint.empty() ? options.output + ".checkpoint" : options.checkpoint;
  const auto settings = run_settings(options, training.count);
  ProgressLog log(progress);
  GanTrainingResult result;

  // Built from the seed also when resuming: the checkpoint then overwrites every value.
  torch::manual_seed(options.seed);
  GanState state{torch_detail::build_gan_module(options.model, at::kFloat), {}, Critic(options.model), {}, {}};
  state.average = module_from_bytes(module_bytes(state.generator));
  if (options.resume) {
    result.history = read_checkpoint(checkpoint_path, settings, state);
    result.resumed_after = result.history.size();
  }
  torch_detail::validate_module(state.generator, "the GAN being trained");
  for (auto parameter : state.average.parameters()) state.averaged.push_back(parameter.requires_grad_(false));
  state.current = trainable(state.generator);
  PB_REQUIRE(state.current.size() == state.averaged.size(), "the generator and its average differ (a bug)");
  state.generator_adam = std::make_unique<torch::optim::Adam>(state.current, adam_options(options));
  state.critic_adam = std::make_unique<torch::optim::Adam>(state.critic.parameters(), adam_options(options));
  if (options.resume) load_optimizers(checkpoint_path, state);

  const auto images = image_tensor(training, training.count, at::kFloat);
  const auto count = static_cast<std::int64_t>(training.count);
  const auto batch = static_cast<std::int64_t>(options.batch_size);
  log.line("priorbench train --kind gan: " + describe(options.model));
  {
    std::ostringstream header;
    header << "  " << training.count << " training images, batch " << options.batch_size << ", Adam lr "
           << options.learning_rate << " betas (" << options.adam_beta1 << ", " << options.adam_beta2
           << "), non-saturating loss, R1 gamma " << options.r1_gamma << " every " << options.r1_interval
           << " steps, generator average decay " << options.average_decay << ", seed " << options.seed << ", "
           << threads << " Torch thread" << (threads > 1 ? "s" : "") << ", float32";
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
    torch::manual_seed(epoch_seed(options.seed, epoch));
    const auto order = at::randperm(count, at::TensorOptions().dtype(at::kLong));
    EpochSums sums;
    // Whole batches only: a last small batch would weigh its images more. The step count
    // follows from the epoch, so a resumed run penalizes and averages as an uninterrupted one.
    std::size_t step = (epoch - 1) * static_cast<std::size_t>(count / batch);
    for (std::int64_t begin = 0; begin + batch <= count; begin += batch, ++step) {
      const auto x = images.index_select(0, order.slice(0, begin, begin + batch));
      train_step(state, options, x, step, sums);
    }
    const double seconds = seconds_since(start);
    const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    const auto steps = static_cast<double>(std::max<std::size_t>(sums.steps, 1));
    result.history.push_back({epoch, sums.critic_loss / steps, sums.generator_loss / steps,
                              sums.r1_penalty / static_cast<double>(std::max<std::size_t>(sums.penalized, 1)),
                              sums.real / steps, sums.fake / steps, seconds, cpu_seconds});
    PB_REQUIRE(std::isfinite(result.history.back().critic_loss) && std::isfinite(result.history.back().generator_loss),
               "training diverged in epoch ", epoch, " (loss not finite); lower --learning-rate");
    write_checkpoint(checkpoint_path, state, result.history, settings);
    session_seconds += seconds;
    ++session_epochs;
    const double left =
        session_seconds / static_cast<double>(session_epochs) * static_cast<double>(options.epochs - epoch);
    log.line(epoch_line(result.history.back(), options.epochs, static_cast<double>(count) / seconds, left));
  }
  for (const auto& record : result.history) {
    result.seconds += record.seconds;
    result.cpu_seconds += record.cpu_seconds;
  }
  write_trained_model(
      state.average,
      {options.output, checkpoint_path, options.command_line, options.force, ", the generator's moving average"},
      result.seconds, result.cpu_seconds, result.history.size(), "", log);
  result.log = log.text();
  return result;
}

}  // namespace priorbench
