#include "priors/linearized_generator_prior.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace priorbench {

const std::vector<std::string>& linearization_names() {
  static const std::vector<std::string> names = {"zero", "latent_map", "encoder", "given"};
  return names;
}

std::shared_ptr<DiagonalPlusLowRankPrior> make_linearized_generator_prior(MPI_Comm comm, const Generator& generator,
                                                                          std::span<const double> linearization_point,
                                                                          double nugget,
                                                                          const std::string& linearization) {
  const auto& names = linearization_names();
  const auto code = std::find(names.begin(), names.end(), linearization);
  PB_REQUIRE(code != names.end(), "unknown linearization point '", linearization,
             "' (valid: zero, latent_map, encoder, given)");
  const std::size_t m = generator.latent_dimension(), n = generator.image_size();
  PB_REQUIRE(linearization_point.size() == m, "the linearization point has length ", linearization_point.size(),
             ", expected the latent dimension ", m);
  PB_REQUIRE(nugget >= 0 && std::isfinite(nugget), "the nugget eta^2 must be non-negative, got ", nugget);

  std::vector<double> image(n), variance(n);
  DenseMatrix jacobian;
  generator.decode(linearization_point, 1, image);
  generator.decoder_variance(linearization_point, variance);
  generator.jacobian(linearization_point, jacobian);
  PB_REQUIRE(jacobian.rows() == n && jacobian.cols() == m, "the generator's Jacobian is ", jacobian.rows(), " x ",
             jacobian.cols(), ", expected ", n, " x ", m);
  gemv(false, -1.0, jacobian, linearization_point, 1.0, image);  // m0 = μ(z0) − J z0
  for (double& value : variance) value += nugget;
  const double smallest = *std::min_element(variance.begin(), variance.end());
  PB_REQUIRE(smallest > 0, "the laplace prior needs a positive diagonal Gamma(z0) + eta^2, but its smallest entry is ",
             smallest,
             generator.decoder_variance_kind() == DecoderVariance::none
                 ? " (the generator has no decoder variance, Gamma = 0): state a nugget eta^2 > 0"
                 : ": state a nugget eta^2 > 0");

  auto mean = petsc::make_vector(comm, static_cast<PetscInt>(n));
  auto diagonal = petsc::make_vector_like(mean);
  petsc::set_from_global(mean, image);
  petsc::set_from_global(diagonal, variance);
  const auto [begin, end] = petsc::ownership(mean);
  DenseMatrix factor(static_cast<std::size_t>(end - begin), m);  // this rank's rows of W = J
  for (std::size_t j = 0; j < m; ++j) {
    for (PetscInt i = begin; i < end; ++i) factor(static_cast<std::size_t>(i - begin), j) = jacobian(i, j);
  }
  auto prior =
      std::make_shared<DiagonalPlusLowRankPrior>("laplace", std::move(mean), std::move(diagonal), std::move(factor));
  auto& parameters = prior->parameters();
  parameters["nugget"] = nugget;
  parameters["linearization"] = static_cast<double>(code - names.begin());
  double norm2 = 0;
  for (std::size_t j = 0; j < m; ++j) {
    parameters["z0[" + std::to_string(j) + "]"] = linearization_point[j];
    norm2 += linearization_point[j] * linearization_point[j];
  }
  parameters["z0_norm"] = std::sqrt(norm2);
  return prior;
}

}  // namespace priorbench
