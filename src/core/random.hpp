#pragma once
// Deterministic randomness (DESIGN §4). Every draw is a pure function of
// (seed, task, purpose, index): the Philox4x64-10 counter-based generator is keyed by
// (seed, task) and its counter is (purpose, index). A distributed vector draws entry i
// from index i, so results never depend on the rank count or the schedule.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <petscvec.h>

namespace priorbench {

// One value per reason for randomness; never renumber (it would change every result).
enum class Purpose : std::uint64_t {
  data_noise = 1,
  inpaint_mask = 2,
  gaussian_matrix = 3,
  fourier_mask = 4,
  posterior_samples = 5,
  truth_selection = 6,
  randomized_pca = 7,
  latent_map_starts = 8,       // prior draws as starting points of the latent MAP
  pcn_initial = 9,             // initial states of the pCN chains
  pcn_proposals = 10,          // pCN proposals, accept/reject and swap uniforms
  range_distance_starts = 11,  // prior draws as starting points of the distance to the generator's range
  nuts_momentum = 12,          // NUTS momenta: m normals per iteration and chain
  nuts_trajectory = 13,        // NUTS tree uniforms (directions, multinomial choices): a fixed block per iteration
  nuts_step_size_search = 14,  // momenta of the NUTS step-size search: a block per search and chain
  latent_nuts_starts = 15,     // perturbations of the latent NUTS chains' starting points, one stream per chain
  latent_prior_samples = 20,   // z ~ N(0, I) drawn to show or check a generator
  study_operator = 30,         // per-task seed of the operator's randomness (masks, matrices)
  study_truth = 31,            // latents of generated truths, keyed by truth, not task
  report_bootstrap = 40,       // resampling in `priorbench report`, keyed by what each interval describes
  mri_split = 50,              // held-out slabs of MRI volumes (data/slab_split.hpp), keyed by world axis
  image_augmentation = 51,     // augmentation of training images (data/augmentation.hpp), keyed by epoch
  flow_permutations = 52,      // the fixed permutations of a flow's layers (flow_model.cpp), keyed by layer
  test_values = 99,
};

// FNV-1a 64-bit of `label`: a stream or seed key made from a name, stable across
// platforms and runs (the report's bootstrap intervals, per-model truth streams, study hashes).
std::uint64_t stable_key(std::string_view label);

class CounterRandom {
 public:
  CounterRandom(std::uint64_t seed, std::uint64_t task, Purpose purpose, std::uint64_t stream = 0);

  // Independent draws at counter position `index`.
  std::uint64_t bits(std::uint64_t index) const;
  double uniform(std::uint64_t index) const;  // in (0, 1)
  double normal(std::uint64_t index) const;   // standard normal (Box–Muller)

  // Entries [begin, end) of the standard-normal sequence.
  void fill_normal(std::span<double> out, std::uint64_t begin) const;
  // Each rank fills its own part of `vector` with entry i = normal(offset + i).
  void fill_normal(Vec vector, std::uint64_t offset = 0) const;
  // `count` distinct indices drawn uniformly from [0, population), sorted ascending.
  std::vector<std::int64_t> sample_without_replacement(std::int64_t population, std::int64_t count) const;

 private:
  std::uint64_t seed_;
  std::uint64_t task_;
  std::uint64_t purpose_;
  std::uint64_t stream_;
};

}  // namespace priorbench
