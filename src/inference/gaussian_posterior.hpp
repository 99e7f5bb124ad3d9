#pragma once
// The Gaussian posterior of a linear inverse problem y = A x + σ ε under a prior
// N(m0, C0), C0 = D + W Wᵀ, in the data-space form of DESIGN §2:
//   K = A C0 Aᵀ + σ² I,   x̂ = m0 + C0 Aᵀ K⁻¹ (y − A m0),   Cov = C0 − C0 Aᵀ K⁻¹ A C0.
// K u = r is solved by the cheaper of two exact routes (PosteriorOptions::data_solver):
//   krylov  K is a MatShell solved by KSP CG with the Woodbury preconditioner (exact where
//           A D Aᵀ is diagonal: one or two iterations); C0 is never inverted and no n×n
//           matrix is formed. Its set-up is k×k algebra on U = A W (d k² + k³/3).
//   dense   K (d×d) is formed from the prior's dense C0 (kept by the prior: once per study)
//           and Cholesky-factored (d³/3); the mean and the exact pixel variance
//           diag(C0) − ‖L⁻¹ A C0 e_j‖² follow from the factor (d² n). Chosen automatically on
//           one rank when d, n ≤ dense_data_limit and either the prior's rank k ≥ d (where the
//           Woodbury algebra costs more than K itself: full-rank empirical) or A D Aᵀ is not
//           diagonal and either the dense route costs at most dense_flop_limit
//           (d·n·(d + n) + d³/3) or the pixel std is to be formed by the dense route anyway
//           (n·d ≤ dense_limit), which factors K all the same. Without a diagonal A D Aᵀ the
//           Woodbury preconditioner is only approximate, and CG stalls where A is
//           ill-conditioned: blur of width 1 (smallest singular value ~5e-5)
//           with the white prior at σ = 1e-4 ended at 10000 iterations, residual 3e-6,
//           where the dense route takes about 20 ms at n = d = 784.
//
// Like hIPPYlib's posterior it offers the mean, the action of the covariance, exact draws
// and the pointwise variance; `solve` gives the mean and pixel std in one call with their
// cost (what the methods record). Cost is counted as the difference of the operator's
// counters over a call — never by resetting a counter another caller may be reading.
//
// Pixelwise standard deviations, by the cheapest exact route the structure allows:
//   woodbury  exact; when A D Aᵀ is diagonal the Woodbury inverse is K⁻¹ itself and
//             diag(Cov) follows from k operator applications and k×k algebra;
//   dense     exact; small problems (n·d ≤ dense_limit): K formed column by column
//             (d applications), Cholesky-factored, diag(Cov) = diag(C0) − ‖L⁻¹ A C0 e_j‖²;
//   samples   estimated; posterior draws by perturbation (each one Krylov solve),
//             variance = mean squared deviation from the exact mean;
//   none      not computed.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/petsc.hpp"
#include "operators/forward_operator.hpp"
#include "priors/diagonal_low_rank_prior.hpp"

namespace priorbench {

class CounterRandom;

// How diag(Cov) is computed (see above); `automatic` picks woodbury where it is exact, else
// dense where n·d ≤ dense_limit, else samples.
enum class VarianceRoute { automatic, woodbury, dense, samples, none };
// "auto", "woodbury", "dense", "samples", "none" (in enum order, as options and results name them).
const std::vector<std::string>& variance_route_names();
const std::string& variance_route_name(VarianceRoute route);

enum class DataSolver { automatic, krylov, dense };
// "auto", "krylov", "dense" (in enum order).
const std::vector<std::string>& data_solver_names();

struct PosteriorOptions {
  VarianceRoute variance = VarianceRoute::automatic;
  DataSolver data_solver = DataSolver::automatic;
  std::size_t dense_data_limit = 4096;  // largest d and n of the dense route
  double dense_flop_limit = 2e9;  // largest d·n·(d + n) + d³/3 of the automatic dense route without diagonal A D Aᵀ
  int std_samples = 64;
  double dense_limit = 16.0 * 1024 * 1024;  // largest n·d for the dense exact route
  double relative_tolerance = 1e-10;        // KSP rtol on the preconditioned residual
  int max_iterations = 10000;
  std::string options_prefix = "posterior_";  // PETSc options: -posterior_ksp_type etc.
  std::uint64_t seed = 0;                     // for the sampling route: draws keyed by (seed, task, purpose)
  std::uint64_t task = 0;
};

// One Krylov solve as it ended.
struct SolveRecord {
  PetscInt iterations = 0;
  int reason = 0;           // KSPConvergedReason
  std::string reason_name;  // e.g. KSP_CONVERGED_RTOL
  double residual_norm = 0;
};

struct PosteriorResult {
  petsc::Vector mean;
  petsc::Vector std;        // empty for the route none
  std::string std_method;   // the route taken, by name (never "auto")
  std::string data_solver;  // krylov | dense
  bool std_exact = false;
  int std_samples = 0;  // for "samples"
  SolveRecord mean_solve;
  std::int64_t sample_solves = 0;  // Krylov solves spent on the std (samples route)
  std::int64_t sample_iterations = 0;
  // Applications of A and Aᵀ for this solve, plus the posterior's one-time set-up (the
  // k applications that form U = A W for the Woodbury preconditioner).
  std::int64_t forward_applications = 0;
  std::int64_t adjoint_applications = 0;
  double seconds = 0;
};

class GaussianPosterior {
 public:
  GaussianPosterior(std::shared_ptr<const ForwardOperator> forward,
                    std::shared_ptr<const DiagonalPlusLowRankPrior> prior, double sigma, PosteriorOptions options = {});
  ~GaussianPosterior();
  GaussianPosterior(const GaussianPosterior&) = delete;
  GaussianPosterior& operator=(const GaussianPosterior&) = delete;

  // The route `automatic` resolves to for this problem (other routes are returned as given).
  VarianceRoute resolved_route(VarianceRoute route) const;
  // The data-space solver in use (never automatic).
  DataSolver data_solver() const { return dense_ ? DataSolver::dense : DataSolver::krylov; }

  // x̂ = m0 + C0 Aᵀ K⁻¹ (y − A m0), one Krylov solve (recorded in `record`).
  petsc::Vector mean(Vec data, SolveRecord& record) const;
  // out = Cov v = C0 v − C0 Aᵀ K⁻¹ A C0 v, one Krylov solve.
  SolveRecord apply_covariance(Vec v, Vec out) const;
  // One exact posterior draw by perturbation, keyed by `random`: with x0 ~ N(m0, C0) and
  // y0 = A x0 + σ ε, out = x0 + C0 Aᵀ K⁻¹ (y − y0). One Krylov solve.
  SolveRecord sample(Vec data, const CounterRandom& random, Vec out) const;
  // diag Cov by `route` (not automatic); the samples route averages options.std_samples
  // draws around `mean` and adds their count and Krylov work to `cost`. Empty for none.
  petsc::Vector pointwise_variance(VarianceRoute route, Vec data, Vec mean, PosteriorResult& cost) const;

  // The mean and the pixel std by options.variance, with the cost: what a method records.
  PosteriorResult solve(Vec data) const;

 private:
  struct Solver;
  struct DenseSystem;
  bool use_dense_system() const;
  // u = K⁻¹ r by the route in use.
  SolveRecord solve_data_system(Vec rhs, Vec solution) const;
  petsc::Vector sample_variance(Vec data, Vec mean, PosteriorResult& result) const;
  petsc::Vector dense_system_variance() const;

  std::shared_ptr<const ForwardOperator> forward_;
  std::shared_ptr<const DiagonalPlusLowRankPrior> prior_;
  double sigma_;
  PosteriorOptions options_;
  std::unique_ptr<Solver> solver_;      // krylov
  std::unique_ptr<DenseSystem> dense_;  // dense
  OperatorCounts setup_counts_;
};

}  // namespace priorbench
