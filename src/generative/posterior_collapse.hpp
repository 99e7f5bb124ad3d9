#pragma once
// Posterior-collapse diagnostics of a VAE (DESIGN §3), for any generator with an encoder
// q(z|x) = N(μ_e(x), diag σ_e²(x)), over a set of images x_1 … x_N:
//
//   KL_j        = (1/N) Σ_x ½ (μ_e,j² + σ_e,j² − 1 − ln σ_e,j²)    (nats; KL(q(z_j|x) ‖ N(0,1)))
//   activity_j  = Var_x μ_e,j(x)   (sample variance, N − 1 in the denominator)
//   active_j    = activity_j > activity_threshold (0.01; Burda, Grosse & Salakhutdinov 2016)
//   column_j    = mean over the first `jacobian_images` images of ‖J(μ_e(x)) e_j‖
//   collapsed_j = !active_j and KL_j < kl_threshold (0.01 nats): the encoder returns the
//                 prior N(0, 1) for z_j whatever the image.
//
// A collapsed dimension carries no information from y: the encoder ignores it, and a
// decoder trained that way usually ignores it too (small column_j), so along it the data
// cannot move a latent posterior away from the prior. The summary says so loudly.
//
// The images are split across the ranks of `comm` in contiguous blocks and the partial
// sums combined in rank order (Chan et al.'s pairwise update for the variance), so every
// rank returns the same numbers; with MPI_COMM_SELF the call is serial.

#include <hdf5.h>
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/image_set.hpp"
#include "generative/generator.hpp"

namespace priorbench {

struct PosteriorCollapseOptions {
  std::size_t max_images = 0;        // use the first max_images images (0: all)
  std::size_t jacobian_images = 64;  // decoder column norms at the encoder means of the first this many
  double activity_threshold = 0.01;
  double kl_threshold = 0.01;  // nats
};

struct PosteriorCollapse {
  std::size_t images = 0;           // N
  std::size_t jacobian_images = 0;  // behind decoder_column_norms
  double activity_threshold = 0;
  double kl_threshold = 0;
  std::vector<double> kl;                     // KL_j, nats, mean over images
  std::vector<double> activity;               // Var_x E[z_j|x]
  std::vector<double> mean_encoder_variance;  // mean over images of σ_e,j²
  std::vector<double> decoder_column_norms;   // mean of ‖J e_j‖
  std::vector<std::int64_t> active;           // 1 when activity_j > activity_threshold
  std::vector<std::int64_t> collapsed;        // 1 when inactive and KL_j < kl_threshold
  std::size_t active_count = 0;
  std::size_t collapsed_count = 0;
  double total_kl = 0;  // Σ_j KL_j

  std::size_t latent_dimension() const { return kl.size(); }
  // Fills active, collapsed, the counts and total_kl from kl, activity and the thresholds
  // (e.g. after reading the statistics back from a file).
  void classify();
  // A table per dimension, preceded by a loud POSTERIOR COLLAPSE line when any collapsed.
  std::string summary() const;
  // Writes the result into `group` (call on one rank; layout in docs/diagnostics.md).
  void save(hid_t group) const;
};

// `pixels` holds `count` images of the generator's size, image-major. Collective on `comm`.
PosteriorCollapse diagnose_posterior_collapse(const Generator& generator, std::span<const double> pixels,
                                              std::size_t count, MPI_Comm comm,
                                              const PosteriorCollapseOptions& options = {});
PosteriorCollapse diagnose_posterior_collapse(const Generator& generator, const data::ImageSet& images, MPI_Comm comm,
                                              const PosteriorCollapseOptions& options = {});

}  // namespace priorbench
