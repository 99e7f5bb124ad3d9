#pragma once
// Training a GAN generator (gan_model.hpp) on a set of images: the non-saturating GAN loss
// (Goodfellow et al. 2014) with an R1 gradient penalty on the real images (Mescheder,
// Geiger & Nowozin 2018), applied lazily every `r1_interval` critic steps with its weight
// scaled by the interval (Karras et al. 2020), one critic step per generator step, Adam
// for both, and an exponential moving average of the generator's weights, which is the
// generator written to the model file.
//
//   critic loss      E softplus(D(g(z))) + E softplus(−D(x)) + (γ/2) E ‖∇ₓ D(x)‖²
//   generator loss   E softplus(−D(g(z)))
//
// Why this objective: the non-saturating loss with R1 converges locally where WGAN-GP's
// penalty (on interpolates, towards gradient norm 1) does not (Mescheder et al. 2018),
// and it needs one critic step per generator step instead of WGAN's five, which matters
// on a budget of one core.
//
// The critic (discriminator) is trained alongside and kept only in the checkpoint: conv —
// the VAE encoder's stride-2 4×4 convolutions with the generator's channels, then a dense
// layer to one logit; mlp — dense layers n → hidden → 1 — with the minibatch standard
// deviation of the last features as one more input (against mode collapse). Its activation
// is leaky ReLU (slope 0.2): nothing differentiates the critic after training, so it need
// not be smooth.
//
// Determinism and checkpoints as for the VAE (vae_training.hpp): initialization from
// Torch's generator seeded by `seed`, each epoch reseeded by (seed, epoch) before its
// shuffle and its latents; after every epoch the generator, its average, the critic, both
// Adam states and the history go to the checkpoint atomically, and `resume` continues
// from it under the same options, giving the same model as an uninterrupted run.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "data/image_set.hpp"
#include "generative/torch/gan_model.hpp"

namespace priorbench {

struct GanTrainingOptions {
  GanModelOptions model;
  std::size_t epochs = 20;
  std::size_t batch_size = 64;
  double learning_rate = 2e-4;  // both networks
  double adam_beta1 = 0.5;
  double adam_beta2 = 0.99;
  double r1_gamma = 1.0;         // γ of the R1 penalty
  std::size_t r1_interval = 4;   // critic steps between R1 penalties
  double average_decay = 0.999;  // of the generator's moving average
  std::uint64_t seed = 0;
  int threads = 0;  // Torch intra-op threads; 0: $PRIORBENCH_TORCH_THREADS, else 1
  std::string output;
  std::string checkpoint;  // empty: output + ".checkpoint"
  bool force = false;
  bool resume = false;
  std::string command_line;  // stored in the model's training_log
};

struct GanEpochRecord {
  std::size_t epoch = 0;        // 1-based
  double critic_loss = 0;       // mean over the epoch's steps, without the penalty
  double generator_loss = 0;    // mean
  double r1_penalty = 0;        // mean of E‖∇ₓD(x)‖² over the penalized steps
  double real_probability = 0;  // mean sigmoid(D(x)) on the real images
  double fake_probability = 0;  // mean sigmoid(D(g(z)))
  double seconds = 0;           // wall-clock
  double cpu_seconds = 0;       // processor time of the process (one Torch thread: one core)
};

struct GanTrainingResult {
  std::vector<GanEpochRecord> history;  // every epoch, including those before a resume
  std::size_t resumed_after = 0;
  double seconds = 0;      // training time over all sessions (sum of the epochs), wall-clock
  double cpu_seconds = 0;  // the same in processor time
  std::string log;
};

// Trains and writes `options.output` atomically (the moving-average generator, float32,
// with its training_log). Progress lines go to `progress`.
GanTrainingResult train_gan(const data::ImageSet& training, const GanTrainingOptions& options, std::ostream& progress);

}  // namespace priorbench
