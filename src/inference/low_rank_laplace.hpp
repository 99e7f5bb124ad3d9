#pragma once
// The Gauss–Newton Laplace approximation at a latent point z* with its rank truncated, as in
// hIPPYlib's low-rank Laplace: with the prior N(0, I) in z the prior-preconditioned
// data-misfit Hessian is H = Mᵀ M / σ², M = A J(z*) (d×m), and its k leading eigenpairs
// (λ_i = s_i²/σ², v_i) — from SLEPc's SVD of M, matrix-free (each application one product
// with J and one with A) — give
//
//   Σ_z = (H + I)⁻¹ ≈ I − V_k diag(λ_i / (1 + λ_i)) V_kᵀ,
//   pixel variances diag(J Σ_z Jᵀ) = ‖row of J‖² − Σ_i λ_i / (1 + λ_i) (J v_i)²,
//
// exact when k reaches the rank of M (at most d); a truncated k over-states the variance by
// the discarded terms, each smaller than λ_k / (1 + λ_k) (J v)². Cost: one Jacobian (for the
// row norms), and of the order of 2k applications of M and Mᵀ; no m×m factorization.
// The likelihood must be σ² I (noise route "scalar": every flow, and latent problems with
// the seeds' likelihood).
//
// Sample use (SLEPc options with the prefix, e.g. -low_rank_laplace_svd_type lanczos):
//   auto result = low_rank_laplace(problem, z_star, {.rank = 50});

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "core/petsc.hpp"
#include "inference/latent_problem.hpp"

namespace priorbench {

struct LowRankLaplaceOptions {
  std::size_t rank = 0;      // k, 1 ≤ k ≤ min(d, m)
  double tolerance = 1e-10;  // SLEPc's relative residual ‖r_i‖/s_i per triplet
  std::string svd_type = "trlanczos";
  std::string options_prefix = "low_rank_laplace_";
};

struct LowRankLaplaceResult {
  std::vector<double> image;        // μ(z*), on every rank
  std::vector<double> image_std;    // sqrt of the truncated diag(J Σ_z Jᵀ), on every rank
  std::vector<double> eigenvalues;  // λ_1 ≥ … ≥ λ_k of H
  petsc::Vector mean;               // image and image_std in the operator's domain layout
  petsc::Vector std;
  // The SLEPc solve as it ended (every one of the k triplets converged, or the call threw).
  std::string svd_type;
  std::string svd_reason;
  std::int64_t svd_iterations = 0;
  std::int64_t svd_converged = 0;
  GeneratorCounts generator_counts;  // spent by this call
  OperatorCounts operator_counts;
  double seconds = 0;
};

// Collective on the problem's communicator; every rank returns the same numbers. Throws,
// naming k, the count and SLEPc's reason, when fewer than k triplets converge.
LowRankLaplaceResult low_rank_laplace(const LatentProblem& problem, std::span<const double> latent,
                                      const LowRankLaplaceOptions& options);

}  // namespace priorbench
