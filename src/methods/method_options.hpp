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
