#include "methods/method.hpp"

#include <chrono>

#include "core/error.hpp"

namespace priorbench {

MethodOutcome ReconstructionMethod::reconstruct(const Observation& observation) {
  PB_REQUIRE(observation.forward != nullptr && observation.data, "reconstruct: the observation has no data");
  PB_REQUIRE(observation.shape.size() == observation.forward->cols(), "reconstruct: the image is ",
             observation.shape.height, "x", observation.shape.width, " but operator '", observation.forward->name(),
             "' acts on ", observation.forward->cols(), " pixels");
  const auto start = std::chrono::steady_clock::now();
  MethodOutcome outcome = reconstruct_impl(observation);
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PB_REQUIRE(outcome.mean, "reconstruct: the method returned no estimate");
  return outcome;
}

void add_generator_cost(MethodOutcome& outcome, const GeneratorCounts& generator, std::size_t latent_dimension) {
  outcome.decoder_passes += generator.decoder_passes + generator.jvp + generator.vjp +
                            generator.jacobians * static_cast<std::int64_t>(latent_dimension);
}

void add_operator_cost(MethodOutcome& outcome, const OperatorCounts& forward) {
  outcome.forward_applications += forward.forward;
  outcome.adjoint_applications += forward.adjoint;
}

}  // namespace priorbench
