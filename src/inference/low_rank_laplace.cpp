#include "inference/low_rank_laplace.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/error.hpp"
#include "core/slepc.hpp"
#include "operators/petsc_bridge.hpp"

namespace priorbench {
namespace {

// M = A J(z*) (d×m) with J formed once: latents are gathered (every rank holds J and runs
// the replicated operator), each rank keeps its own part of the result.
class FormedSensitivity final : public LinearOperator {
 public:
  FormedSensitivity(const LatentProblem& problem, const DenseMatrix& jacobian)
      : LinearOperator(problem.comm(), static_cast<PetscInt>(problem.data_size()),
                       static_cast<PetscInt>(problem.latent_dimension())),
        problem_(problem),
        jacobian_(jacobian) {}

 protected:
  void apply_impl(Vec x, Vec y) const override {
    std::vector<double> image(jacobian_.rows());
    gemv(false, 1.0, jacobian_, petsc::gather_all(x), 0.0, image);
    petsc::set_from_global(y, problem_.forward().apply(image));
  }
  void apply_transpose_impl(Vec y, Vec x) const override {
    const std::vector<double> cotangent = problem_.forward().apply_transpose(petsc::gather_all(y));
    std::vector<double> out(jacobian_.cols());
    gemv(true, 1.0, jacobian_, cotangent, 0.0, out);
    petsc::set_from_global(x, out);
  }

 private:
  const LatentProblem& problem_;
  const DenseMatrix& jacobian_;
};

struct Triplets {
  std::vector<double> values;
  DenseMatrix right;  // m×k
};

Triplets leading_triplets(Mat matrix, std::size_t k, const LowRankLaplaceOptions& options,
                          LowRankLaplaceResult& result) {
  petsc::SingularValueSolver svd;
  PB_PETSC(SVDCreate(petsc::comm_of(reinterpret_cast<PetscObject>(matrix)), svd.out()));
  PB_PETSC(SVDSetOperators(svd, matrix, nullptr));
  PB_PETSC(SVDSetType(svd, options.svd_type.c_str()));
  PB_PETSC(SVDSetImplicitTranspose(svd, PETSC_TRUE));
  PB_PETSC(SVDSetWhichSingularTriplets(svd, SVD_LARGEST));
  PB_PETSC(SVDSetDimensions(svd, static_cast<PetscInt>(k), PETSC_DEFAULT, PETSC_DEFAULT));
  PB_PETSC(SVDSetTolerances(svd, options.tolerance, PETSC_DEFAULT));
  PB_PETSC(SVDSetConvergenceTest(svd, SVD_CONV_REL));
  PB_PETSC(SVDSetOptionsPrefix(svd, options.options_prefix.c_str()));
  PB_PETSC(SVDSetFromOptions(svd));
  PB_PETSC(SVDSolve(svd));

  SVDType type = nullptr;
  SVDConvergedReason reason = SVD_CONVERGED_ITERATING;
  PetscInt iterations = 0, converged = 0;
  PB_PETSC(SVDGetType(svd, &type));
  PB_PETSC(SVDGetConvergedReason(svd, &reason));
  PB_PETSC(SVDGetIterationNumber(svd, &iterations));
  PB_PETSC(SVDGetConverged(svd, &converged));
  result.svd_type = type;
  result.svd_reason = SVDConvergedReasons[reason];
  result.svd_iterations = iterations;
  result.svd_converged = converged;
  PB_REQUIRE(reason > 0 && static_cast<std::size_t>(converged) >= k, "low-rank Laplace: the SVD of M = A J(z*) (", type,
             ") converged ", converged, " of the ", k, " leading singular triplets (", result.svd_reason, " after ",
             iterations, " iterations, relative tolerance ", options.tolerance, "); choose a smaller rank or raise -",
             options.options_prefix, "svd_max_it");

  Triplets triplets{std::vector<double>(k), DenseMatrix()};
  petsc::Vector right, left;
  PB_PETSC(MatCreateVecs(matrix, right.out(), left.out()));
  std::vector<double> columns;
  for (std::size_t i = 0; i < k; ++i) {
    PB_PETSC(SVDGetSingularTriplet(svd, static_cast<PetscInt>(i), &triplets.values[i], left, right));
    const auto column = petsc::gather_all(right);
    columns.insert(columns.end(), column.begin(), column.end());
  }
  triplets.right = DenseMatrix(columns.size() / k, k);
  triplets.right.values() = std::move(columns);
  return triplets;
}

}  // namespace

LowRankLaplaceResult low_rank_laplace(const LatentProblem& problem, std::span<const double> latent,
                                      const LowRankLaplaceOptions& options) {
  const CostMeter meter(problem);
  const std::size_t m = problem.latent_dimension(), n = problem.image_size(), d = problem.data_size();
  const std::size_t k = options.rank;
  PB_REQUIRE(latent.size() == m, "low-rank Laplace: z* has length ", latent.size(), ", expected ", m);
  PB_REQUIRE(k >= 1 && k <= std::min(d, m), "low-rank Laplace: rank ", k, " is outside [1, min(d, m)] = [1, ",
             std::min(d, m), "] (the misfit Hessian has rank at most d = ", d, ")");
  PB_REQUIRE(problem.noise_route() == "scalar", "low-rank Laplace: needs the likelihood sigma^2 I, not the ",
             problem.noise_route(), " noise route of the marginal likelihood");

  LowRankLaplaceResult result;
  DenseMatrix jacobian;
  problem.generator().jacobian(latent, jacobian);
  auto sensitivity = std::make_shared<const FormedSensitivity>(problem, jacobian);
  petsc::Matrix matrix = make_shell_matrix(sensitivity);
  const Triplets triplets = leading_triplets(matrix, k, options, result);

  // diag(J Jᵀ) − Σ_i c_i (J v_i)²,  c_i = λ_i / (1 + λ_i).
  const double sigma2 = problem.sigma() * problem.sigma();
  DenseMatrix directions(n, k);  // J V_k
  gemm(false, false, 1.0, jacobian, triplets.right, 0.0, directions);
  std::vector<double> variance(n, 0.0);
  for (std::size_t j = 0; j < m; ++j) {
    const auto column = jacobian.column(j);
    for (std::size_t i = 0; i < n; ++i) variance[i] += column[i] * column[i];
  }
  for (std::size_t c = 0; c < k; ++c) {
    const double lambda = triplets.values[c] * triplets.values[c] / sigma2;
    result.eigenvalues.push_back(lambda);
    const double reduction = lambda / (1.0 + lambda);
    const auto column = directions.column(c);
    for (std::size_t i = 0; i < n; ++i) variance[i] -= reduction * column[i] * column[i];
  }
  // The update removes at most the prior variance; rounding may leave −1e−16 where the data
  // pin a pixel down entirely.
  result.image_std.resize(n);
  std::transform(variance.begin(), variance.end(), result.image_std.begin(),
                 [](double value) { return std::sqrt(std::max(value, 0.0)); });
  result.image.resize(n);
  problem.generator().decode(latent, 1, result.image);
  result.mean = problem.forward().distribute_image(result.image);
  result.std = problem.forward().distribute_image(result.image_std);

  result.generator_counts = meter.generator_counts();
  result.operator_counts = meter.operator_counts();
  result.seconds = meter.seconds();
  return result;
}

}  // namespace priorbench
