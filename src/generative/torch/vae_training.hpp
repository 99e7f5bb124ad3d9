#pragma once
// Training a VAE (vae_model.hpp) on a set of images: Adam on the negative β-ELBO with a
// Gaussian likelihood under the learned decoder variance, one reparametrized sample per
// image, minibatches in a seeded random order. Training runs in one process (float32,
// Torch's intra-op threads: 1 unless set, as for inference); the model is stored as float32 parameters and read in
// float64 by TorchGenerator.
//
// Determinism: initialization draws from Torch's generator seeded by `seed`, and epoch e
// reseeds it with a function of (seed, e) before its shuffle and its noise, so a run that
// is stopped and resumed from its checkpoint gives the same model as one that is not
// (with the same thread count).
//
// Checkpoints: after every epoch the model, the Adam state, the epoch and the history so
// far are written to `checkpoint` (write to a temporary file, then rename: a crash never
// leaves a half-written checkpoint). `resume` continues from it; the options that shape
// the run must match the ones it was written with (the epoch count may grow).

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "data/image_set.hpp"
#include "generative/posterior_collapse.hpp"
#include "generative/torch/vae_model.hpp"

namespace priorbench {

struct VaeTrainingOptions {
  VaeModelOptions model;
  std::size_t epochs = 30;
  std::size_t batch_size = 128;
  double learning_rate = 1e-3;
  double beta = 1.0;
  std::uint64_t seed = 0;
  int threads = 0;  // Torch intra-op threads; 0: $PRIORBENCH_TORCH_THREADS, else 1
  std::string output;
  std::string checkpoint;  // empty: output + ".checkpoint"
  bool force = false;      // replace an existing output
  bool resume = false;
  std::size_t diagnostic_images = 10000;  // test images behind the collapse diagnostics
  std::size_t jacobian_images = 500;      // of which these also give decoder column norms
  std::string command_line;               // stored in the model's training_log
};

struct EpochRecord {
  std::size_t epoch = 0;  // 1-based
  double elbo = 0;        // mean training ELBO (nats per image, β = 1) over the epoch's minibatches
  double kl = 0;          // mean KL(q(z|x) ‖ p(z)) over the epoch
  double seconds = 0;
};

// ELBO of a model on a set of images, one reparametrized sample per image.
struct ElboEvaluation {
  double elbo = 0;                   // nats per image
  double kl = 0;                     // nats per image
  double reconstruction_mse = 0;     // mean squared pixel error of μ(E[z|x])
  double mean_decoder_variance = 0;  // mean over images and pixels of Γ(E[z|x])
};

struct VaeTrainingResult {
  std::vector<EpochRecord> history;  // every epoch, including those before a resume
  std::size_t resumed_after = 0;     // epochs taken from the checkpoint
  ElboEvaluation test;
  PosteriorCollapse diagnostics;  // on the test images
  std::string log;                // everything written to `progress`
};

// Trains, then evaluates on `test` and writes `options.output` atomically (refusing to
// replace an existing file unless options.force). Progress lines go to `progress`.
VaeTrainingResult train_vae(const data::ImageSet& training, const data::ImageSet& test,
                            const VaeTrainingOptions& options, std::ostream& progress);

// For `--force`, which replaces only what `priorbench train` wrote: "" when `path` is a
// model file it wrote (a TorchScript archive with its training_log) or one of its
// checkpoints, else what the file is.
std::string describe_unless_trained_model(const std::string& path);
std::string describe_unless_checkpoint(const std::string& path);

// The ELBO of any model file that has an encoder and a decoder variance, in float64,
// over the first `count` images (0: all), noise drawn from Torch's generator seeded by `seed`.
ElboEvaluation evaluate_elbo(const std::string& model_path, const data::ImageSet& images, std::size_t count,
                             std::uint64_t seed);

}  // namespace priorbench
