#pragma once
// `file`: any diagonal-plus-low-rank Gaussian prior N(m0, D + W Wᵀ) read from an HDF5
// file (datasets mean, diagonal, factor; docs/methods.md); the exact Gaussian posterior
// per observation.

#include <memory>
#include <string>

#include "methods/method.hpp"
#include "methods/method_options.hpp"

namespace priorbench {

struct FilePriorOptions {
  std::string file;  // key file (required)
  GaussianStdOptions std;
  void validate(const FieldNamer& field) const;
};

// Options are validated by make_method (method_factory.hpp).
std::unique_ptr<ReconstructionMethod> make_file_prior_method(const FilePriorOptions& options);

}  // namespace priorbench
