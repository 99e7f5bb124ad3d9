#pragma once
// Typed options shared by several methods, and how an options struct names its fields in
// errors. Every method's options are a plain struct with defaults (in the method's own
// header) and a `validate(field)` that throws naming the field; the study parser (TOML
// keys) and the command line (flags) fill the same structs, each with its own FieldNamer:
//   study:        field("nugget") → "studies/x.toml: field 'method.laplace.nugget'"
//   command line: field("nugget") → "--laplace-nugget"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "inference/gaussian_posterior.hpp"
#include "inference/latent_map.hpp"
#include "inference/latent_problem.hpp"

namespace priorbench {

using FieldNamer = std::function<std::string(const std::string& key)>;

// Limits on counts of work a method is asked to do, checked by validate() before anything
// runs or is allocated: far above any useful setting, far below what would exhaust memory
// or time (a typo of 10^12 samples is refused, not attempted). Errors name the limit.
inline constexpr int kMaxStdSamples = 100'000;             // std_samples: each one Krylov solve
inline constexpr int kMaxMapPriorStarts = 10'000;          // map_prior_starts: each one latent MAP
inline constexpr std::size_t kMaxChains = 1'024;           // chains of latent_mcmc
inline constexpr std::size_t kMaxTemperatures = 1'024;     // pCN's tempering levels
inline constexpr std::size_t kMaxIterations = 10'000'000;  // warmup, samples, burn_in, thinning per chain

// `text` as one of `names` (the values of an enum in order), or an error naming the field.
std::size_t parse_choice(const std::string& text, const std::vector<std::string>& names, const FieldNamer& field,
                         const std::string& key);

// The pixel-std options of every Gaussian-posterior method (keys std, std_samples).
struct GaussianStdOptions {
  VarianceRoute route = VarianceRoute::automatic;
  int samples = 64;                   // posterior draws of the `samples` route
  double relative_tolerance = 1e-10;  // CG rtol (command line --rtol; studies keep the default)
  void validate(const FieldNamer& field) const;
  // The GaussianPosterior options these give, with the random key of the sampling route.
  PosteriorOptions posterior(std::uint64_t seed, std::uint64_t task) const;
};

// Options of every generator-based method (keys likelihood, map_solver, map_prior_starts).
struct LatentOptions {
  LatentLikelihood likelihood = LatentLikelihood::seeds;
  LatentMapSolver map_solver = LatentMapSolver::levenberg_marquardt;  // lm | lbfgs
  int map_prior_starts = 2;                                           // prior draws among the latent MAP's starts
  void validate(const FieldNamer& field) const;
};

}  // namespace priorbench
