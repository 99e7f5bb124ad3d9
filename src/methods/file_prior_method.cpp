#include "methods/file_prior_method.hpp"

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "methods/gaussian_prior_method.hpp"

namespace priorbench {

void FilePriorOptions::validate(const FieldNamer& field) const {
  PB_REQUIRE(!file.empty(), field("file"), " is required for method 'file'");
  std.validate(field);
}

std::unique_ptr<ReconstructionMethod> make_file_prior_method(const FilePriorOptions& options) {
  auto builder = [path = options.file](const Observation& observation) {
    auto file = h5::open_file(path);
    return std::shared_ptr<const DiagonalPlusLowRankPrior>(load_prior(observation.comm(), file, path));
  };
  return std::make_unique<GaussianPriorMethod>(builder, options.std);
}

}  // namespace priorbench
