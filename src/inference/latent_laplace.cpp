#include "inference/latent_laplace.hpp"

#include <cmath>

#include "core/error.hpp"

namespace priorbench {

LatentLaplaceResult latent_laplace(const LatentProblem& problem, std::span<const double> latent_map) {
  const CostMeter meter(problem);
  const std::size_t m = problem.latent_dimension(), n = problem.image_size();
  PB_REQUIRE(latent_map.size() == m, "latent_laplace: z* has length ", latent_map.size(), ", expected ", m);

  LatentLaplaceResult result;
  result.latent.assign(latent_map.begin(), latent_map.end());
  result.likelihood = likelihood_name(problem.likelihood());
  result.noise_route = problem.noise_route();
  Linearization linear = problem.linearize(latent_map);

  // Gauss–Newton precision P = (L⁻¹M)ᵀ(L⁻¹M) + I = L_P L_Pᵀ.
  DenseMatrix precision_factor(m, m);
  gemm(true, false, 1.0, linear.whitened_sensitivity, linear.whitened_sensitivity, 0.0, precision_factor);
  for (std::size_t j = 0; j < m; ++j) precision_factor(j, j) += 1.0;
  cholesky_in_place(precision_factor, "the Gauss-Newton latent precision M^T Sigma^-1 M + I");

  result.latent_covariance = DenseMatrix(m, m);
  result.latent_std.resize(m);
  for (std::size_t j = 0; j < m; ++j) {
    auto column = result.latent_covariance.column(j);
    column[j] = 1.0;
    cholesky_solve(precision_factor, column);
    result.latent_std[j] = std::sqrt(column[j]);
  }

  // diag(J Σ_z Jᵀ) = row norms² of J L_P⁻ᵀ.
  DenseMatrix pushed = linear.jacobian;
  right_solve_lower_transpose(precision_factor, pushed);
  result.image_std.assign(n, 0.0);
  for (std::size_t j = 0; j < m; ++j) {
    const auto column = pushed.column(j);
    for (std::size_t i = 0; i < n; ++i) result.image_std[i] += column[i] * column[i];
  }
  for (double& value : result.image_std) value = std::sqrt(value);
  result.image = std::move(linear.image);
  result.mean = problem.forward().distribute_image(result.image);
  result.std = problem.forward().distribute_image(result.image_std);

  result.generator_counts = meter.generator_counts();
  result.operator_counts = meter.operator_counts();
  result.seconds = meter.seconds();
  return result;
}

}  // namespace priorbench
