#pragma once
// Training a normalizing flow (flow_model.hpp) by maximum likelihood on dequantized images.
//
// Images are 8-bit (pixel values k/255, as priorbench's data sets load them); each step
// dequantizes a minibatch, x̃ = (k + u)/256 with u ~ U[0, 1)ⁿ (Theis, van den Oord &
// Bethge 2016), and minimizes the negative log-likelihood in bits per dimension,
//
//   bpd = ( −log N(f⁻¹(x̃); 0, I) − log|det ∂f⁻¹/∂x̃| ) / (n ln 2) + 8,
//
// which bounds the code length of the 8-bit images (the + 8 is log₂ 256 per pixel: the
// density is of [0, 1]ⁿ, the data live on 256 levels). The test bpd is the same average
// over the test images, each dequantized once with a noise fixed by the seed.
//
// Initialization as Glow's: every coupling starts as the identity and the first actnorm
// is set from the data (per-pixel mean and standard deviation of the pre-processed
// training images), so the flow starts as a per-pixel standardization. Adam with the
// gradient norm clipped at `max_gradient_norm`.
//
// Determinism and checkpoints as for the VAE and the GAN: Torch's generator seeded by
// `seed`, each epoch reseeded by (seed, epoch) before its shuffle and its noise; after
// every epoch the flow, the Adam state and the history go to the checkpoint atomically,
// and `resume` continues from it under the same options, giving the same model as an
// uninterrupted run.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "data/image_set.hpp"
#include "generative/torch/flow_model.hpp"

namespace priorbench {

struct FlowTrainingOptions {
  FlowModelOptions model;
  std::size_t epochs = 30;
  std::size_t batch_size = 64;
  double learning_rate = 1e-3;
  double max_gradient_norm = 100;
  std::uint64_t seed = 0;
  int threads = 0;  // Torch intra-op threads; 0: $PRIORBENCH_TORCH_THREADS, else 1
  std::string output;
  std::string checkpoint;  // empty: output + ".checkpoint"
  bool force = false;
  bool resume = false;
  std::string command_line;  // stored in the model's training_log
};

struct FlowEpochRecord {
  std::size_t epoch = 0;             // 1-based
  double training_bits_per_dim = 0;  // mean over the epoch's steps
  double test_bits_per_dim = 0;      // on the test images after the epoch
  double seconds = 0;                // wall-clock
  double cpu_seconds = 0;            // processor time of the process
};

struct FlowTrainingResult {
  std::vector<FlowEpochRecord> history;  // every epoch, including those before a resume
  std::size_t resumed_after = 0;
  double seconds = 0;      // training time over all sessions, wall-clock
  double cpu_seconds = 0;  // the same in processor time
  std::string log;
};

// Trains and writes `options.output` atomically (float32, with `test_bits_per_dim`,
// `training_bits_per_dim` and its training_log). Progress lines go to `progress`.
FlowTrainingResult train_flow(const data::ImageSet& training, const data::ImageSet& test,
                              const FlowTrainingOptions& options, std::ostream& progress);

}  // namespace priorbench
