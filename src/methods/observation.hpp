#pragma once
// The input of every reconstruction method (DESIGN §1): data y = A x† + σ ε, ε ~ N(0, I_d),
// with the forward operator A that made them, the noise level σ, and the key of the random
// streams the methods draw from (CounterRandom(seed, task, purpose): starts of the latent
// MAP, posterior samples, MCMC proposals). No study types: a study, `priorbench solve`,
// `priorbench inspect`, the benchmarks and the tests all build the same Observation.

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/image_shape.hpp"
#include "core/petsc.hpp"
#include "operators/forward_operator.hpp"

namespace priorbench {

// The one noise model of DESIGN §1; named so results can record it and a second one can
// be added without guessing.
enum class NoiseModel { white_gaussian };
std::string noise_model_name(NoiseModel model);

// Keys every random stream of one observation: its noise and the methods' own draws.
struct RandomKey {
  std::uint64_t seed = 0;
  std::uint64_t task = 0;
};

struct Observation {
  std::shared_ptr<const ForwardOperator> forward;
  petsc::Vector data;  // y, in the operator's range layout
  double sigma = 0;
  NoiseModel noise = NoiseModel::white_gaussian;
  RandomKey random;
  ImageShape shape;  // of the unknown image, n = shape.size() = A's columns

  MPI_Comm comm() const { return forward->comm(); }
  // The same observation for a method that draws from its own stream (solve keys method i by task i).
  Observation with_random(RandomKey key) const;
};

// y = A x† + σ ε with ε = CounterRandom(key.seed, key.task, Purpose::data_noise), entry i
// of ε from counter i whatever the rank count. `truth` is the whole image on every rank.
Observation simulate_observation(std::shared_ptr<const ForwardOperator> forward, ImageShape shape,
                                 std::span<const double> truth, double sigma, RandomKey key);

}  // namespace priorbench
