#include "inference/gaussian_posterior.hpp"

#include <petscksp.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/progress.hpp"
#include "core/random.hpp"
#include "inference/woodbury_inverse.hpp"
#include "operators/petsc_bridge.hpp"

namespace priorbench {

const std::vector<std::string>& variance_route_names() {
  static const std::vector<std::string> names = {"auto", "woodbury", "dense", "samples", "none"};
  return names;
}

const std::string& variance_route_name(VarianceRoute route) {
  return variance_route_names().at(static_cast<std::size_t>(route));
}

const std::vector<std::string>& data_solver_names() {
  static const std::vector<std::string> names = {"auto", "krylov", "dense"};
  return names;
}

namespace {

// K = A C0 Aᵀ + σ² I, applied matrix-free.
class DataSpaceOperator final : public LinearOperator {
 public:
  DataSpaceOperator(std::shared_ptr<const ForwardOperator> forward,
                    std::shared_ptr<const DiagonalPlusLowRankPrior> prior, double sigma)
      : LinearOperator(forward->comm(), forward->rows(), forward->rows()),
        forward_(std::move(forward)),
        prior_(std::move(prior)),
        sigma2_(sigma * sigma),
        pixels_(forward_->make_domain_vector()),
        weighted_(forward_->make_domain_vector()) {}

 protected:
  void apply_impl(Vec x, Vec y) const override {
    forward_->apply_transpose(x, pixels_);
    prior_->apply_covariance(pixels_, weighted_);
    forward_->apply(weighted_, y);
    PB_PETSC(VecAXPY(y, sigma2_, x));
  }
  void apply_transpose_impl(Vec y, Vec x) const override { apply_impl(y, x); }

 private:
  std::shared_ptr<const ForwardOperator> forward_;
  std::shared_ptr<const DiagonalPlusLowRankPrior> prior_;
  double sigma2_;
  petsc::Vector pixels_;
  petsc::Vector weighted_;
};

OperatorCounts counts_since(const LinearOperator& op, const OperatorCounts& before) {
  return {op.counts().forward - before.forward, op.counts().adjoint - before.adjoint};
}

std::string reason_name(KSPConvergedReason reason) {
  // PETSc's names lack the KSP_ prefix of the enum; keep it so users can search for it.
  const char* name = KSPConvergedReasons[reason];
  return std::string("KSP_") + (name != nullptr ? name : "UNKNOWN_REASON");
}

}  // namespace

struct GaussianPosterior::Solver {
  std::shared_ptr<const WoodburyInverse> woodbury;
  petsc::Matrix data_space_matrix;
  petsc::Krylov ksp;

  SolveRecord solve(Vec rhs, Vec solution) const {
    PB_PETSC(KSPSolve(ksp, rhs, solution));
    KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
    SolveRecord record;
    PB_PETSC(KSPGetConvergedReason(ksp, &reason));
    PB_PETSC(KSPGetIterationNumber(ksp, &record.iterations));
    PB_PETSC(KSPGetResidualNorm(ksp, &record.residual_norm));
    record.reason = static_cast<int>(reason);
    record.reason_name = reason_name(reason);
    if (reason <= 0) {
      throw ConvergenceError(
          detail::concat("the posterior solve K u = r did not converge: ", record.reason_name, " after ",
                         record.iterations, " iterations (residual norm ", record.residual_norm,
                         "); try -posterior_ksp_max_it or a looser -posterior_ksp_rtol"),
          __FILE__, __LINE__);
    }
    return record;
  }
};

// K = A C0 Aᵀ + σ² I formed from the prior's dense C0 and factored, K = L Lᵀ; `gain` = A C0.
struct GaussianPosterior::DenseSystem {
  DenseMatrix gain;    // A C0 (d×n)
  DenseMatrix factor;  // L (d×d)

  static DenseSystem form(const ForwardOperator& forward, const DiagonalPlusLowRankPrior& prior, double sigma) {
    DenseSystem system;
    forward.apply_to_columns(prior.dense_covariance(), system.gain);   // A C0 (C0 is symmetric)
    forward.apply_to_columns(transposed(system.gain), system.factor);  // A C0 Aᵀ
    const std::size_t d = system.factor.rows();
    for (std::size_t j = 0; j < d; ++j) {
      system.factor(j, j) += sigma * sigma;
      for (std::size_t i = j + 1; i < d; ++i) {  // symmetric up to rounding: make it exactly so
        system.factor(i, j) = system.factor(j, i) = 0.5 * (system.factor(i, j) + system.factor(j, i));
      }
    }
    cholesky_in_place(system.factor, "the data-space matrix K = A C0 A^T + sigma^2 I");
    return system;
  }

  static DenseMatrix transposed(const DenseMatrix& a) {
    DenseMatrix t(a.cols(), a.rows());
    for (std::size_t j = 0; j < a.cols(); ++j)
      for (std::size_t i = 0; i < a.rows(); ++i) t(j, i) = a(i, j);
    return t;
  }

  // u = K⁻¹ r by two triangular solves; the record carries the residual ‖K u − r‖.
  SolveRecord solve(Vec rhs, Vec solution) const {
    const std::vector<double> r = petsc::gather_all(rhs);
    std::vector<double> u = r;
    cholesky_solve(factor, u);
    petsc::set_from_global(solution, u);
    std::vector<double> lower_u(u.size(), 0.0), k_u(u.size(), 0.0);  // K u = L (Lᵀ u)
    gemv(true, 1.0, factor, u, 0.0, lower_u);
    gemv(false, 1.0, factor, lower_u, 0.0, k_u);
    double residual = 0;
    for (std::size_t i = 0; i < r.size(); ++i) residual += (k_u[i] - r[i]) * (k_u[i] - r[i]);
    return {0, 1, "DENSE_CHOLESKY", std::sqrt(residual)};
  }
};

GaussianPosterior::GaussianPosterior(std::shared_ptr<const ForwardOperator> forward,
                                     std::shared_ptr<const DiagonalPlusLowRankPrior> prior, double sigma,
                                     PosteriorOptions options)
    : forward_(std::move(forward)), prior_(std::move(prior)), sigma_(sigma), options_(std::move(options)) {
  PB_REQUIRE(forward_ && prior_, "GaussianPosterior needs an operator and a prior");
  PB_REQUIRE(sigma_ > 0 && std::isfinite(sigma_), "the noise level sigma must be positive, got ", sigma_);
  PB_REQUIRE(forward_->cols() == prior_->size(), "operator '", forward_->name(), "' acts on ", forward_->cols(),
             " pixels but prior '", prior_->name(), "' has ", prior_->size());
  PB_REQUIRE(options_.variance != VarianceRoute::samples || options_.std_samples >= 2,
             "the samples std method needs at least 2 samples, got ", options_.std_samples);

  const OperatorCounts before = forward_->counts();
  if (use_dense_system()) {
    dense_ = std::make_unique<DenseSystem>(DenseSystem::form(*forward_, *prior_, sigma_));
    setup_counts_ = counts_since(*forward_, before);
    return;
  }
  solver_ = std::make_unique<Solver>();
  solver_->woodbury = std::make_shared<WoodburyInverse>(*forward_, *prior_, sigma_);
  setup_counts_ = counts_since(*forward_, before);
  solver_->data_space_matrix = make_shell_matrix(std::make_shared<DataSpaceOperator>(forward_, prior_, sigma_));
  PB_PETSC(KSPCreate(forward_->comm(), solver_->ksp.out()));
  PB_PETSC(KSPSetOptionsPrefix(solver_->ksp, options_.options_prefix.c_str()));
  PB_PETSC(KSPSetOperators(solver_->ksp, solver_->data_space_matrix, solver_->data_space_matrix));
  PB_PETSC(KSPSetType(solver_->ksp, KSPCG));
  set_shell_preconditioner(solver_->ksp, solver_->woodbury);
  PB_PETSC(KSPSetTolerances(solver_->ksp, options_.relative_tolerance, PETSC_DEFAULT, PETSC_DEFAULT,
                            options_.max_iterations));
  PB_PETSC(KSPSetFromOptions(solver_->ksp));  // the command line wins over the defaults above
}

GaussianPosterior::~GaussianPosterior() = default;

bool GaussianPosterior::use_dense_system() const {
  int ranks = 1;
  MPI_Comm_size(forward_->comm(), &ranks);
  const auto d = static_cast<std::size_t>(forward_->rows()), n = static_cast<std::size_t>(forward_->cols());
  const bool possible = ranks == 1 && d <= options_.dense_data_limit && n <= options_.dense_data_limit;
  if (options_.data_solver == DataSolver::dense) {
    PB_REQUIRE(possible, "the dense data-space solver needs one rank and d, n <= ", options_.dense_data_limit,
               "; here ", ranks, " ranks, d = ", d, ", n = ", n);
    return true;
  }
  if (options_.data_solver != DataSolver::automatic || !possible || options_.variance == VarianceRoute::woodbury) {
    return false;
  }
  const double dd = static_cast<double>(d), nn = static_cast<double>(n);
  const bool preconditioner_inexact = !forward_->gram_is_diagonal(prior_->diagonal_is_scalar());
  // Where the pixel std is formed by the dense route anyway (K factored for it), the mean
  // comes from that same factor: CG first would only add its iterations.
  const bool dense_std = options_.variance == VarianceRoute::dense ||
                         (options_.variance == VarianceRoute::automatic && nn * dd <= options_.dense_limit);
  return prior_->rank() >= d ||
         (preconditioner_inexact && (dense_std || dd * nn * (dd + nn) + dd * dd * dd / 3 <= options_.dense_flop_limit));
}

SolveRecord GaussianPosterior::solve_data_system(Vec rhs, Vec solution) const {
  return dense_ ? dense_->solve(rhs, solution) : solver_->solve(rhs, solution);
}

VarianceRoute GaussianPosterior::resolved_route(VarianceRoute route) const {
  if (route != VarianceRoute::automatic) return route;
  if (dense_) return VarianceRoute::dense;  // exact, from the factor already formed
  if (forward_->gram_is_diagonal(prior_->diagonal_is_scalar())) return VarianceRoute::woodbury;
  const double nd = static_cast<double>(forward_->cols()) * static_cast<double>(forward_->rows());
  return nd <= options_.dense_limit ? VarianceRoute::dense : VarianceRoute::samples;
}

namespace {

// x = C0 Aᵀ u (+ x when accumulate).
void apply_gain(const ForwardOperator& forward, const DiagonalPlusLowRankPrior& prior, Vec u, Vec work, Vec x,
                bool accumulate) {
  forward.apply_transpose(u, work);
  if (!accumulate) {
    prior.apply_covariance(work, x);
    return;
  }
  auto gained = petsc::make_vector_like(x);
  prior.apply_covariance(work, gained);
  PB_PETSC(VecAXPY(x, 1.0, gained));
}

// Exact diag(Cov) when the Woodbury inverse is K⁻¹ (see woodbury_inverse.hpp). With
// s = (A∘A)ᵀ Δ⁻¹, Q = Aᵀ Δ⁻¹ U and S = I + Uᵀ Δ⁻¹ U = L Lᵀ, the identities K⁻¹U = Δ⁻¹U S⁻¹
// and UᵀK⁻¹U = I − S⁻¹ reduce diag(C0 − C0 Aᵀ K⁻¹ A C0) to
//   Var_j = D_j (1 − D_j s_j) + ‖L⁻¹ (D_j Q_j − W_j)ᵀ‖²,
// a sum of two non-negative terms: no large quantities cancel, so the result keeps its
// relative accuracy even where the data pin a pixel down.
petsc::Vector woodbury_variance(const ForwardOperator& forward, const DiagonalPlusLowRankPrior& prior,
                                const WoodburyInverse& woodbury) {
  auto inverse_delta = petsc::make_vector_like(woodbury.delta());
  PB_PETSC(VecSet(inverse_delta, 1.0));
  PB_PETSC(VecPointwiseDivide(inverse_delta, inverse_delta, woodbury.delta()));
  auto variance = forward.make_domain_vector();
  forward.apply_squared_transpose(inverse_delta, variance);  // s

  const std::size_t k = prior.rank();
  const DenseMatrix& w = prior.factor_local_rows();
  DenseMatrix t(w.rows(), k);  // Q, then D Q − W
  auto scaled = petsc::make_vector_like(woodbury.delta());
  auto pixels = forward.make_domain_vector();
  for (std::size_t c = 0; c < k; ++c) {
    PB_PETSC(VecCopy(inverse_delta, scaled));
    {
      petsc::WriteView out(scaled);
      const auto u = woodbury.u_local_rows().column(c);
      for (std::size_t i = 0; i < out.size(); ++i) out[i] *= u[i];
    }
    forward.apply_transpose(scaled, pixels);
    petsc::ReadView view(pixels);
    std::copy(view.span().begin(), view.span().end(), t.column(c).begin());
  }
  petsc::WriteView out(variance);
  petsc::ReadView diagonal(prior.diagonal());
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t j = 0; j < out.size(); ++j) t(j, c) = diagonal[j] * t(j, c) - w(j, c);
  right_solve_lower_transpose(woodbury.capacitance_factor(), t);
  for (std::size_t j = 0; j < out.size(); ++j) {
    double low_rank = 0;
    for (std::size_t c = 0; c < k; ++c) low_rank += t(j, c) * t(j, c);
    out[j] = diagonal[j] * (1.0 - diagonal[j] * out[j]) + low_rank;
  }
  return variance;
}

// Exact diag(Cov) by forming K (d×d) and B = C0 Aᵀ (local rows, n_local×d).
petsc::Vector dense_variance(const ForwardOperator& forward, const DiagonalPlusLowRankPrior& prior, double sigma) {
  const auto d = static_cast<std::size_t>(forward.rows());
  auto unit = forward.make_range_vector();
  auto pixels = forward.make_domain_vector();
  auto gained = forward.make_domain_vector();
  auto data = forward.make_range_vector();
  PetscInt local_pixels = 0;
  PB_PETSC(VecGetLocalSize(pixels, &local_pixels));
  DenseMatrix gain(static_cast<std::size_t>(local_pixels), d);
  DenseMatrix k_matrix(d, d);
  const auto [begin, end] = petsc::ownership(unit);
  for (std::size_t i = 0; i < d; ++i) {
    PB_PETSC(VecSet(unit, 0.0));
    if (static_cast<PetscInt>(i) >= begin && static_cast<PetscInt>(i) < end) {
      petsc::WriteView view(unit);
      view[i - static_cast<std::size_t>(begin)] = 1.0;
    }
    forward.apply_transpose(unit, pixels);
    prior.apply_covariance(pixels, gained);
    {
      petsc::ReadView view(gained);
      std::copy(view.span().begin(), view.span().end(), gain.column(i).begin());
    }
    forward.apply(gained, data);
    const auto column = petsc::gather_all(data);
    std::copy(column.begin(), column.end(), k_matrix.column(i).begin());
    k_matrix(i, i) += sigma * sigma;
  }
  cholesky_in_place(k_matrix, "the data-space matrix K = A C0 A^T + sigma^2 I");
  right_solve_lower_transpose(k_matrix, gain);  // rows become L⁻¹ (A C0 e_j)
  auto variance = prior.covariance_diagonal();
  petsc::WriteView out(variance);
  for (std::size_t j = 0; j < out.size(); ++j) {
    double explained = 0;
    for (std::size_t i = 0; i < d; ++i) explained += gain(j, i) * gain(j, i);
    out[j] -= explained;
  }
  return variance;
}

}  // namespace

petsc::Vector GaussianPosterior::mean(Vec data, SolveRecord& record) const {
  auto residual = forward_->make_range_vector();
  forward_->apply(prior_->mean(), residual);
  PB_PETSC(VecAYPX(residual, -1.0, data));
  auto u = forward_->make_range_vector();
  record = solve_data_system(residual, u);
  auto work = forward_->make_domain_vector();
  auto mean = petsc::copy_of(prior_->mean());
  apply_gain(*forward_, *prior_, u, work, mean, true);
  return mean;
}

SolveRecord GaussianPosterior::apply_covariance(Vec v, Vec out) const {
  auto prior_applied = forward_->make_domain_vector();
  prior_->apply_covariance(v, prior_applied);
  auto data = forward_->make_range_vector();
  forward_->apply(prior_applied, data);
  auto u = forward_->make_range_vector();
  const SolveRecord record = solve_data_system(data, u);
  auto work = forward_->make_domain_vector();
  apply_gain(*forward_, *prior_, u, work, out, false);
  PB_PETSC(VecAYPX(out, -1.0, prior_applied));
  return record;
}

SolveRecord GaussianPosterior::sample(Vec data, const CounterRandom& random, Vec out) const {
  const auto n = static_cast<std::uint64_t>(prior_->size());
  auto simulated = forward_->make_range_vector();
  auto noise = forward_->make_range_vector();
  prior_->sample(random, out);
  forward_->apply(out, simulated);
  random.fill_normal(noise, n + prior_->rank());
  PB_PETSC(VecAXPY(simulated, sigma_, noise));
  PB_PETSC(VecAYPX(simulated, -1.0, data));  // y − y0
  auto u = forward_->make_range_vector();
  const SolveRecord record = solve_data_system(simulated, u);
  auto work = forward_->make_domain_vector();
  apply_gain(*forward_, *prior_, u, work, out, true);
  return record;
}

petsc::Vector GaussianPosterior::pointwise_variance(VarianceRoute route, Vec data, Vec mean,
                                                    PosteriorResult& cost) const {
  switch (route) {
    case VarianceRoute::woodbury:
      PB_REQUIRE(solver_, "the woodbury std method needs the krylov data-space solver, not the dense one");
      PB_REQUIRE(forward_->gram_is_diagonal(prior_->diagonal_is_scalar()),
                 "the woodbury std method is exact only when A D A^T is diagonal, which does not hold for operator '",
                 forward_->name(), "' with prior '", prior_->name(), "'; use dense, samples or auto");
      return woodbury_variance(*forward_, *prior_, *solver_->woodbury);
    case VarianceRoute::dense:
      return dense_ ? dense_system_variance() : dense_variance(*forward_, *prior_, sigma_);
    case VarianceRoute::samples:
      return sample_variance(data, mean, cost);
    case VarianceRoute::none:
      return {};
    case VarianceRoute::automatic:
      break;
  }
  PB_FAIL("pointwise_variance: resolve the automatic route first (resolved_route)");
}

PosteriorResult GaussianPosterior::solve(Vec data) const {
  const auto start = std::chrono::steady_clock::now();
  const OperatorCounts before = forward_->counts();
  PosteriorResult result;
  result.mean = mean(data, result.mean_solve);
  const VarianceRoute route = resolved_route(options_.variance);
  result.std_method = variance_route_name(route);
  result.data_solver = data_solver_names().at(static_cast<std::size_t>(data_solver()));
  result.std_exact = route == VarianceRoute::woodbury || route == VarianceRoute::dense;
  petsc::Vector variance = pointwise_variance(route, data, result.mean, result);
  if (variance) {
    // Rounding can leave a tiny negative variance where the data pin a pixel down.
    petsc::WriteView view(variance);
    for (double& value : view.span()) value = std::sqrt(std::max(value, 0.0));
  }
  result.std = std::move(variance);
  const OperatorCounts spent = counts_since(*forward_, before);
  result.forward_applications = setup_counts_.forward + spent.forward;
  result.adjoint_applications = setup_counts_.adjoint + spent.adjoint;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

// diag(C0) − ‖L⁻¹ A C0 e_j‖², from the dense system's factor.
petsc::Vector GaussianPosterior::dense_system_variance() const {
  DenseMatrix scaled = DenseSystem::transposed(dense_->gain);  // rows (A C0 e_j)ᵀ
  right_solve_lower_transpose(dense_->factor, scaled);         // rows (L⁻¹ A C0 e_j)ᵀ
  auto variance = prior_->covariance_diagonal();
  petsc::WriteView out(variance);
  for (std::size_t j = 0; j < out.size(); ++j) {
    double explained = 0;
    for (std::size_t i = 0; i < scaled.cols(); ++i) explained += scaled(j, i) * scaled(j, i);
    out[j] -= explained;
  }
  return variance;
}

// The mean squared deviation of posterior draws (sample) from the exact mean.
petsc::Vector GaussianPosterior::sample_variance(Vec data, Vec mean, PosteriorResult& result) const {
  auto variance = forward_->make_domain_vector();
  auto draw = forward_->make_domain_vector();
  Progress progress("posterior samples for the pixel std (" + prior_->name() + ")", options_.std_samples);
  for (int s = 0; s < options_.std_samples; ++s) {
    const CounterRandom random(options_.seed, options_.task, Purpose::posterior_samples, static_cast<std::uint64_t>(s));
    const SolveRecord record = sample(data, random, draw);
    ++result.sample_solves;
    result.sample_iterations += record.iterations;
    PB_PETSC(VecAXPY(draw, -1.0, mean));
    PB_PETSC(VecPointwiseMult(draw, draw, draw));
    PB_PETSC(VecAXPY(variance, 1.0, draw));
    progress.advance();
  }
  progress.finish();
  PB_PETSC(VecScale(variance, 1.0 / options_.std_samples));
  result.std_samples = options_.std_samples;
  return variance;
}

}  // namespace priorbench
