#pragma once
// `empirical` (DESIGN §2, method 2): x ~ N(x̄, S + δ² I) from the training set, S its
// sample covariance or, with a rank k, its leading k principal components (probabilistic
// PCA) — priors/variable_space_priors.hpp; the exact Gaussian posterior per observation.
// The prior is built once, on first use.

#include <memory>

#include "methods/method.hpp"
#include "methods/method_options.hpp"
#include "priors/variable_space_priors.hpp"

namespace priorbench {

struct EmpiricalOptions {
  EmpiricalPriorOptions prior;  // keys delta (δ), rank (k; 0 keeps all components)
  GaussianStdOptions std;
  void validate(const FieldNamer& field) const;
};

// Options are validated by make_method (method_factory.hpp).
std::unique_ptr<ReconstructionMethod> make_empirical_method(const EmpiricalOptions& options,
                                                            const MethodResources& resources);

}  // namespace priorbench
