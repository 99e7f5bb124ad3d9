// The methods layer's own contract (src/methods/): one simulate_observation for run, solve
// and inspect; the method interface (reconstruct times the call, checks what it is given
// and what it returns); the factory (names, defaults, validation naming the option).
// The methods' numbers are checked against independent references elsewhere
// (latent_methods.cpp, mri_scale.cpp, gaussian_posterior.cpp).

#include <gtest/gtest.h>

#include <cmath>

#include "core/random.hpp"
#include "methods/method_factory.hpp"
#include "methods/observation.hpp"
#include "operators/operator_factory.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::testing_support::expect_error;

namespace {

std::shared_ptr<const pb::ForwardOperator> inpaint(pb::ImageShape shape, PetscInt d) {
  pb::OperatorSpec spec;
  spec.name = "inpaint";
  spec.data_size = d;
  spec.seed = 3;
  return pb::make_operator(PETSC_COMM_WORLD, shape, spec);
}

std::vector<double> ramp(std::size_t n) {
  std::vector<double> values(n);
  for (std::size_t i = 0; i < n; ++i) values[i] = 0.01 * static_cast<double>(i % 97);
  return values;
}

}  // namespace

TEST(Observation, IsTheOperatorTimesTheTruthPlusKeyedNoise) {
  const pb::ImageShape shape{6, 5};
  const auto forward = inpaint(shape, 17);
  const auto truth = ramp(30);
  const pb::Observation observation = pb::simulate_observation(forward, shape, truth, 0.2, {11, 4});
  auto image = forward->make_domain_vector();
  pb::petsc::set_from_global(image, truth);
  auto clean = forward->make_range_vector();
  forward->apply(image, clean);
  const auto expected = pb::petsc::gather_all(clean);
  const auto data = pb::petsc::gather_all(observation.data);
  const pb::CounterRandom noise(11, 4, pb::Purpose::data_noise);
  ASSERT_EQ(data.size(), 17u);
  for (std::size_t i = 0; i < data.size(); ++i) {  // to rounding: VecAXPY may fuse the multiply-add
    EXPECT_NEAR(data[i], expected[i] + 0.2 * noise.normal(i), 1e-15) << i;
  }
  EXPECT_EQ(observation.random.seed, 11u);
  EXPECT_EQ(observation.random.task, 4u);
  EXPECT_EQ(pb::noise_model_name(observation.noise), "white_gaussian");

  const pb::Observation copy = observation.with_random({11, 5});
  EXPECT_EQ(pb::petsc::gather_all(copy.data), data);
  EXPECT_NE(copy.data.get(), observation.data.get());  // its own vector
  EXPECT_EQ(copy.random.task, 5u);

  expect_error([&] { pb::simulate_observation(forward, shape, truth, 0.0, {}); }, {"sigma must be positive"});
  expect_error([&] { pb::simulate_observation(forward, shape, ramp(29), 0.1, {}); },
               {"the truth has 29 pixels", "acts on 30"});
}

TEST(MethodFactory, NamesDefaultsAndValidation) {
  for (const auto& name : pb::method_names()) {
    EXPECT_EQ(pb::method_name(pb::default_method_options(name, "--method")), name);
  }
  expect_error([] { pb::default_method_options("lapalce", "--method"); },
               {"--method has unknown method 'lapalce'", "laplace"});
  EXPECT_TRUE(pb::needs_generator(pb::default_method_options("laplace", "")));
  EXPECT_FALSE(pb::needs_generator(pb::default_method_options("empirical", "")));

  pb::LatentMcmcOptions mcmc;
  mcmc.chains = 2;
  expect_error([&] { pb::make_method(mcmc, {}); }, {"latent_mcmc option 'chains' must be in [4, 1024], got 2"});
  pb::FilePriorOptions file;
  expect_error([&] { pb::make_method(file, {}); }, {"file option 'file' is required"});
  pb::GaussianStdOptions std;
  std.samples = 1;
  expect_error([&] { std.validate([](const std::string& key) { return "--" + key; }); },
               {"--std_samples must be an integer in [2, 100000], got 1"});
}

TEST(ReconstructionMethod, TimesTheCallAndChecksTheObservation) {
  const pb::ImageShape shape{6, 5};
  const auto forward = inpaint(shape, 17);
  pb::WhiteOptions white;
  white.tau2 = 0.09;  // no training set needed
  const auto method = pb::make_method(white, {});
  const pb::Observation observation = pb::simulate_observation(forward, shape, ramp(30), 0.05, {1, 0});
  const pb::MethodOutcome outcome = method->reconstruct(observation);
  EXPECT_GT(outcome.seconds, 0.0);
  EXPECT_TRUE(outcome.converged);
  EXPECT_EQ(outcome.std_method, "woodbury");
  // Unobserved pixels keep the prior's mean (0) and std (τ); observed ones are pulled to the data.
  const auto mean = pb::petsc::gather_all(outcome.mean);
  const auto std = pb::petsc::gather_all(outcome.std);
  for (std::size_t i = 0; i < 30; ++i) EXPECT_TRUE(std::isfinite(mean[i]) && std[i] > 0 && std[i] <= 0.3 + 1e-15);

  pb::Observation wrong = observation.with_random({1, 0});
  wrong.shape = {5, 5};
  expect_error([&] { method->reconstruct(wrong); }, {"the image is 5x5", "acts on 30 pixels"});
}
