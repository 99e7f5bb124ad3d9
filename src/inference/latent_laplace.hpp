#pragma once
// `latent_laplace` (DESIGN §2, method 5): the Gauss–Newton Laplace approximation of the
// latent posterior at the latent MAP z*,
//   z | y ≈ N(z*, Σ_z),   Σ_z = (Mᵀ Σ⁻¹ M + I)⁻¹,   M = A J(z*)  (d×m),
// Σ the likelihood's noise covariance (σ² I for the seeds' likelihood), pushed to the image
// through the linearized decoder: mean x̂ = μ(z*), pixel variances diag(J Σ_z Jᵀ), computed
// as row norms of J L⁻ᵀ with Mᵀ Σ⁻¹ M + I = L Lᵀ — never an n×n matrix. Cost: one Jacobian
// (m columns) and m applications of A. For a linear decoder and constant Γ it is exact.

#include <span>
#include <string>
#include <vector>

#include "core/dense.hpp"
#include "core/petsc.hpp"
#include "inference/latent_problem.hpp"
#include "operators/linear_operator.hpp"

namespace priorbench {

struct LatentLaplaceResult {
  std::vector<double> latent;     // z*
  DenseMatrix latent_covariance;  // Σ_z (m×m)
  std::vector<double> latent_std;
  std::vector<double> image;      // μ(z*), on every rank
  std::vector<double> image_std;  // sqrt diag(J Σ_z Jᵀ), on every rank
  petsc::Vector mean;             // the same two in the operator's domain layout
  petsc::Vector std;
  std::string likelihood;
  std::string noise_route;
  GeneratorCounts generator_counts;  // spent by this call
  OperatorCounts operator_counts;
  double seconds = 0;
};

LatentLaplaceResult latent_laplace(const LatentProblem& problem, std::span<const double> latent_map);

}  // namespace priorbench
