#pragma once
// `white` (DESIGN §2, method 1): x ~ N(0, τ² I), τ² from the training set (mean squared
// pixel value) unless given; the exact Gaussian posterior per observation.

#include <memory>

#include "methods/method.hpp"
#include "methods/method_options.hpp"

namespace priorbench {

struct WhiteOptions {
  double tau2 = 0;  // τ² (key tau2); 0: the training set's mean squared pixel
  GaussianStdOptions std;
  void validate(const FieldNamer& field) const;
};

// Options are validated by make_method (method_factory.hpp).
std::unique_ptr<ReconstructionMethod> make_white_method(const WhiteOptions& options, const MethodResources& resources);

}  // namespace priorbench
