#pragma once
// Internal to priorbench_torch (includes Torch): what the VAE and the GAN training
// (vae_training.cpp, gan_training.cpp) share — epoch seeds, image tensors, atomic
// writes of modules and checkpoints, the progress log and the settings a checkpoint
// must match.

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/output_files.hpp"
#include "data/image_set.hpp"
#include "generative/torch/torch_includes.hpp"
#include "generative/torch/torch_model.hpp"

namespace priorbench::torch_detail::training {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start);

// Epoch e's seed: a SplitMix64 mix of (seed, e), so epochs draw independent streams.
std::uint64_t epoch_seed(std::uint64_t seed, std::size_t epoch);

// The first `count` images as a [count, n] tensor of `dtype` (a copy).
at::Tensor image_tensor(const data::ImageSet& set, std::size_t count, at::ScalarType dtype);

// "1h 5m", "3m 07s", "12s".
std::string duration_text(double seconds);

// "latent_dim 16 in the checkpoint, 3 now; ..." for the key=value settings that differ.
std::string settings_difference(const std::string& checkpoint, const std::string& now);

// Writes through an AtomicFile: a crash or an error never leaves a half-written `path`.
template <class Write>
void write_atomically(const std::string& path, Write&& write) {
  AtomicFile file(path);
  try {
    write(file.path().string());
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    PB_FAIL(path, ": cannot write: ", summarize(error));
  }
  file.commit();
}

// A module saved to and read from memory (its archive as bytes; a checkpoint stores it
// as a byte tensor).
std::string module_bytes(const torch::jit::Module& module);
torch::jit::Module module_from_bytes(const std::string& bytes);
at::Tensor bytes_tensor(const std::string& bytes);
std::string tensor_bytes(const at::Tensor& tensor);

// Sets an attribute, registering it first when the module does not have it.
void set_attribute(torch::jit::Module& module, const std::string& name, const c10::TypePtr& type, c10::IValue value);

c10::List<double> double_list(const std::vector<double>& values);

// Tees progress lines into the stream and the log stored in the model.
class ProgressLog {
 public:
  explicit ProgressLog(std::ostream& out) : out_(out) {}
  void line(const std::string& text) {
    out_ << text << std::endl;
    log_ += text + "\n";
  }
  void block(const std::string& text) {
    out_ << text << std::flush;
    log_ += text;
  }
  const std::string& text() const { return log_; }

 private:
  std::ostream& out_;
  std::string log_;
};

// Where and how a trained model is written (write_trained_model).
struct TrainedModelOutput {
  std::string output;        // the model file
  std::string checkpoint;    // named in the last progress line
  std::string command_line;  // stored at the head of training_log
  bool force = false;        // replace a file that appeared at `output` during training
  std::string written_note;  // after the byte count in the last line, e.g. ", the moving average"
};

// The end of a GAN's or a flow's training: the line with the training time (wall-clock and
// processor, over `epochs`, then `summary_suffix`), the provenance attributes
// training_seconds, training_cpu_seconds and training_log (the command line and every
// progress line), the contract check, and the atomic write of `model` — refused when a file
// appeared at the output during training and `force` is off.
void write_trained_model(torch::jit::Module& model, const TrainedModelOutput& output, double seconds,
                         double cpu_seconds, std::size_t epochs, const std::string& summary_suffix, ProgressLog& log);

}  // namespace priorbench::torch_detail::training
