#include "methods/observation.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/random.hpp"

namespace priorbench {

std::string noise_model_name(NoiseModel model) {
  switch (model) {
    case NoiseModel::white_gaussian:
      return "white_gaussian";
  }
  return "?";
}

Observation Observation::with_random(RandomKey key) const {
  return {forward, petsc::copy_of(data), sigma, noise, key, shape};
}

Observation simulate_observation(std::shared_ptr<const ForwardOperator> forward, ImageShape shape,
                                 std::span<const double> truth, double sigma, RandomKey key) {
  PB_REQUIRE(sigma > 0 && std::isfinite(sigma), "the noise level sigma must be positive, got ", sigma);
  PB_REQUIRE(static_cast<PetscInt>(truth.size()) == forward->cols() && shape.size() == forward->cols(),
             "the truth has ", truth.size(), " pixels but operator '", forward->name(), "' acts on ", forward->cols());
  auto image = forward->make_domain_vector();
  petsc::set_from_global(image, truth);
  Observation observation{forward, forward->make_range_vector(), sigma, NoiseModel::white_gaussian, key, shape};
  forward->apply(image, observation.data);
  auto noise = forward->make_range_vector();
  CounterRandom(key.seed, key.task, Purpose::data_noise).fill_normal(noise);
  PB_PETSC(VecAXPY(observation.data, sigma, noise));
  return observation;
}

}  // namespace priorbench
