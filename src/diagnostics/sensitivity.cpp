#include "diagnostics/sensitivity.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/petsc.hpp"
#include "core/slepc.hpp"
#include "operators/petsc_bridge.hpp"

namespace priorbench {

SensitivityOperator::SensitivityOperator(std::shared_ptr<const Generator> generator,
                                         std::shared_ptr<const ForwardOperator> forward, std::span<const double> latent,
                                         JacobianRoute route)
    : LinearOperator(forward ? forward->comm() : MPI_COMM_NULL, forward ? forward->rows() : 0,
                     generator ? static_cast<PetscInt>(generator->latent_dimension()) : 0),
      generator_(std::move(generator)),
      forward_(std::move(forward)),
      latent_(latent.begin(), latent.end()),
      route_(route) {
  const std::size_t m = generator_->latent_dimension();
  const std::size_t n = generator_->image_size();
  PB_REQUIRE(latent_.size() == m, "sensitivity: the latent point has length ", latent_.size(),
             " but the generator's latent dimension is ", m);
  PB_REQUIRE(static_cast<std::size_t>(forward_->cols()) == n, "sensitivity: the forward operator acts on ",
             forward_->cols(), " pixels but the generator makes images of ", n);
  if (route_ == JacobianRoute::dense) {
    generator_->jacobian(latent_, jacobian_);
    PB_REQUIRE(jacobian_.rows() == n && jacobian_.cols() == m, "sensitivity: the generator returned a ",
               jacobian_.rows(), " x ", jacobian_.cols(), " Jacobian, expected ", n, " x ", m);
  }
  image_ = forward_->make_domain_vector();
}

void SensitivityOperator::jacobian_apply(std::span<const double> direction, std::span<double> image) const {
  if (route_ == JacobianRoute::dense) {
    gemv(false, 1.0, jacobian_, direction, 0.0, image);
  } else {
    generator_->jvp(latent_, direction, image);
  }
}

void SensitivityOperator::jacobian_transpose_apply(std::span<const double> cotangent, std::span<double> out) const {
  if (route_ == JacobianRoute::dense) {
    gemv(true, 1.0, jacobian_, cotangent, 0.0, out);
  } else {
    generator_->vjp(latent_, cotangent, out);
  }
}

// y = A (J x): the m-vector is gathered (m is small), J x is formed on every rank, and
// each rank keeps its own part as A's input.
void SensitivityOperator::apply_impl(Vec x, Vec y) const {
  const std::vector<double> direction = petsc::gather_all(x);
  std::vector<double> image(generator_->image_size());
  jacobian_apply(direction, image);
  petsc::set_from_global(image_, image);
  forward_->apply(image_, y);
}

// x = Jᵀ (Aᵀ y).
void SensitivityOperator::apply_transpose_impl(Vec y, Vec x) const {
  forward_->apply_transpose(y, image_);
  const std::vector<double> cotangent = petsc::gather_all(image_);
  std::vector<double> out(generator_->latent_dimension());
  jacobian_transpose_apply(cotangent, out);
  petsc::set_from_global(x, out);
}

namespace {

using Clock = std::chrono::steady_clock;

// The norms of M from its formed columns, attached to the MatShell so that MatNorm (used
// by SLEPc's SVD_CONV_NORM test and SVD_ERROR_NORM) works on it.
struct MatrixNorms {
  double one = 0;
  double frobenius = 0;
  double infinity = 0;
  double gram_infinity = 0;  // ‖MᵀM‖_∞
};

constexpr const char* kNormsKey = "priorbench_sensitivity_norms";

PetscErrorCode destroy_norms(void* pointer) {
  delete static_cast<MatrixNorms*>(pointer);
  return 0;
}

PetscErrorCode shell_norm(Mat matrix, NormType type, PetscReal* value) {
  PetscObject object = nullptr;
  PetscErrorCode code = PetscObjectQuery(reinterpret_cast<PetscObject>(matrix), kNormsKey, &object);
  if (code != 0) return code;
  if (object == nullptr) {
    return PetscError(PETSC_COMM_SELF, __LINE__, "MatNorm(sensitivity)", __FILE__, PETSC_ERR_ARG_WRONGSTATE,
                      PETSC_ERROR_INITIAL, "the sensitivity matrix has no norms attached");
  }
  void* pointer = nullptr;
  code = PetscContainerGetPointer(reinterpret_cast<PetscContainer>(object), &pointer);
  if (code != 0) return code;
  const auto& norms = *static_cast<const MatrixNorms*>(pointer);
  switch (type) {
    case NORM_1:
      *value = norms.one;
      return 0;
    case NORM_FROBENIUS:
      *value = norms.frobenius;
      return 0;
    case NORM_INFINITY:
      *value = norms.infinity;
      return 0;
    default:
      return PetscError(PETSC_COMM_SELF, __LINE__, "MatNorm(sensitivity)", __FILE__, PETSC_ERR_SUP, PETSC_ERROR_INITIAL,
                        "the sensitivity matrix offers the 1, Frobenius and infinity norms only");
  }
}

void attach_norms(Mat matrix, const MatrixNorms& norms) {
  PetscContainer container = nullptr;
  PB_PETSC(PetscContainerCreate(petsc::comm_of(reinterpret_cast<PetscObject>(matrix)), &container));
  auto* copy = new MatrixNorms(norms);
  PetscErrorCode code = PetscContainerSetPointer(container, copy);
  if (code == 0) code = PetscContainerSetUserDestroy(container, destroy_norms);
  if (code != 0) {
    delete copy;
    PetscContainerDestroy(&container);
    PB_PETSC(code);
  }
  code = PetscObjectCompose(reinterpret_cast<PetscObject>(matrix), kNormsKey, reinterpret_cast<PetscObject>(container));
  PetscContainerDestroy(&container);  // the matrix holds its own reference
  PB_PETSC(code);
  PB_PETSC(MatShellSetOperation(matrix, MATOP_NORM, reinterpret_cast<void (*)(void)>(shell_norm)));
}

// The columns M e_j, j < m, as vectors of length d.
std::vector<petsc::Vector> form_columns(const SensitivityOperator& op) {
  std::vector<petsc::Vector> columns;
  auto unit = op.make_domain_vector();
  std::vector<double> values(static_cast<std::size_t>(op.cols()), 0.0);
  for (PetscInt j = 0; j < op.cols(); ++j) {
    values.assign(values.size(), 0.0);
    values[static_cast<std::size_t>(j)] = 1.0;
    petsc::set_from_global(unit, values);
    columns.push_back(op.make_range_vector());
    op.apply(unit, columns.back());
  }
  return columns;
}

DenseMatrix gram_of(const std::vector<petsc::Vector>& columns) {
  const std::size_t m = columns.size();
  DenseMatrix gram(m, m);
  std::vector<Vec> raw(columns.begin(), columns.end());
  for (std::size_t j = 0; j < m; ++j) {
    PB_PETSC(VecMDot(raw[j], static_cast<PetscInt>(m), raw.data(), gram.column(j).data()));
  }
  for (std::size_t j = 0; j < m; ++j) {  // exact symmetry
    for (std::size_t i = j + 1; i < m; ++i) gram(j, i) = gram(i, j);
  }
  return gram;
}

MatrixNorms norms_of(const std::vector<petsc::Vector>& columns, const DenseMatrix& gram) {
  MatrixNorms norms;
  auto row_sums = petsc::make_vector_like(columns.front());
  auto magnitude = petsc::make_vector_like(columns.front());
  double trace = 0;
  for (std::size_t j = 0; j < columns.size(); ++j) {
    PetscReal column_one = 0;
    PB_PETSC(VecNorm(columns[j], NORM_1, &column_one));
    norms.one = std::max(norms.one, static_cast<double>(column_one));
    PB_PETSC(VecCopy(columns[j], magnitude));
    PB_PETSC(VecAbs(magnitude));
    PB_PETSC(VecAXPY(row_sums, 1.0, magnitude));
    trace += gram(j, j);
  }
  PetscReal infinity = 0;
  PB_PETSC(VecNorm(row_sums, NORM_INFINITY, &infinity));
  norms.infinity = infinity;
  norms.frobenius = std::sqrt(std::max(trace, 0.0));
  for (std::size_t i = 0; i < gram.rows(); ++i) {
    double row = 0;
    for (std::size_t j = 0; j < gram.cols(); ++j) row += std::abs(gram(i, j));
    norms.gram_infinity = std::max(norms.gram_infinity, row);
  }
  return norms;
}

// Completes the k orthonormal columns of `vectors` (m×k) to an orthonormal basis of R^m
// with eigenvectors of I − V Vᵀ for the eigenvalue 1.
DenseMatrix complete_basis(const DenseMatrix& vectors) {
  const std::size_t m = vectors.rows(), k = vectors.cols();
  DenseMatrix projector(m, m);
  for (std::size_t i = 0; i < m; ++i) projector(i, i) = 1.0;
  gemm(false, true, -1.0, vectors, vectors, 1.0, projector);
  const SymmetricEigen eigen = symmetric_eigen(projector);  // ascending: the m − k unit eigenvalues last
  DenseMatrix basis(m, m);
  std::copy(vectors.values().begin(), vectors.values().end(), basis.values().begin());
  for (std::size_t c = k; c < m; ++c) {
    const auto source = eigen.vectors.column(c);
    std::copy(source.begin(), source.end(), basis.column(c).begin());
  }
  return basis;
}

// Makes the largest-magnitude entry of each column positive (the first such on ties),
// so directions are reproducible.
void fix_signs(DenseMatrix& vectors) {
  for (std::size_t c = 0; c < vectors.cols(); ++c) {
    auto column = vectors.column(c);
    const auto largest =
        std::max_element(column.begin(), column.end(), [](double a, double b) { return std::abs(a) < std::abs(b); });
    if (largest != column.end() && *largest < 0) {
      for (double& value : column) value = -value;
    }
  }
}

struct SvdOutcome {
  std::vector<double> values;
  DenseMatrix vectors;  // m×k
};

const char* convergence_test_name(SVDConv test) {
  switch (test) {
    case SVD_CONV_ABS:
      return "abs";
    case SVD_CONV_REL:
      return "rel";
    case SVD_CONV_NORM:
      return "norm";
    case SVD_CONV_MAXIT:
      return "maxit";
    default:
      return "user";
  }
}

// SLEPc's cross and cyclic solvers hand a norm-relative test to an EPS, which then needs
// MatNorm of MᵀM (cross) or of [0 M; Mᵀ 0] (cyclic): shells without a norm. The absolute
// test with the tolerance multiplied by that norm is the same test.
void adapt_norm_test(SVD svd, const MatrixNorms& norms, SensitivityResult& result) {
  SVDConv test = SVD_CONV_NORM;
  PB_PETSC(SVDGetConvergenceTest(svd, &test));
  result.svd_convergence_test = convergence_test_name(test);
  PetscBool cross = PETSC_FALSE, cyclic = PETSC_FALSE;
  PB_PETSC(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(svd), SVDCROSS, &cross));
  PB_PETSC(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(svd), SVDCYCLIC, &cyclic));
  if (test != SVD_CONV_NORM || !(cross || cyclic)) return;
  PetscReal tolerance = 0;
  PetscInt max_iterations = 0;
  PB_PETSC(SVDGetTolerances(svd, &tolerance, &max_iterations));
  const double scale = cross ? norms.gram_infinity : std::max(norms.infinity, norms.one);
  PB_PETSC(SVDSetConvergenceTest(svd, SVD_CONV_ABS));
  PB_PETSC(SVDSetTolerances(svd, tolerance * scale, max_iterations));
  result.svd_convergence_test =
      cross ? "abs (norm test scaled by ||M^T M||_inf)" : "abs (norm test scaled by ||[0 M; M^T 0]||_inf)";
}

SvdOutcome solve_svd(Mat matrix, std::size_t k, const MatrixNorms& norms, const SensitivityOptions& options,
                     SensitivityResult& result) {
  const MPI_Comm comm = petsc::comm_of(reinterpret_cast<PetscObject>(matrix));
  // 1. The solver, with our defaults first and the command line last.
  petsc::SingularValueSolver svd;
  PB_PETSC(SVDCreate(comm, svd.out()));
  PB_PETSC(SVDSetOperators(svd, matrix, nullptr));
  PB_PETSC(SVDSetType(svd, options.svd_type.c_str()));
  PB_PETSC(SVDSetImplicitTranspose(svd, PETSC_TRUE));
  PB_PETSC(SVDSetWhichSingularTriplets(svd, SVD_LARGEST));
  PB_PETSC(SVDSetDimensions(svd, static_cast<PetscInt>(k), PETSC_DEFAULT, PETSC_DEFAULT));
  PB_PETSC(SVDSetTolerances(svd, options.svd_tolerance, PETSC_DEFAULT));
  // Relative to ‖M‖, not to s_i: a zero singular value must be able to converge.
  PB_PETSC(SVDSetConvergenceTest(svd, SVD_CONV_NORM));
  PB_PETSC(SVDSetOptionsPrefix(svd, options.options_prefix.c_str()));
  PB_PETSC(SVDSetFromOptions(svd));
  adapt_norm_test(svd, norms, result);

  // 2. Solve and check that every triplet converged.
  PB_PETSC(SVDSolve(svd));
  SVDType type = nullptr;
  PB_PETSC(SVDGetType(svd, &type));
  SVDConvergedReason reason = SVD_CONVERGED_ITERATING;
  PB_PETSC(SVDGetConvergedReason(svd, &reason));
  PetscInt iterations = 0, converged = 0, max_iterations = 0;
  PetscReal tolerance = 0;
  PB_PETSC(SVDGetIterationNumber(svd, &iterations));
  PB_PETSC(SVDGetConverged(svd, &converged));
  PB_PETSC(SVDGetTolerances(svd, &tolerance, &max_iterations));
  result.svd_type = type;
  result.svd_reason = static_cast<int>(reason);
  result.svd_reason_name = SVDConvergedReasons[reason];
  result.svd_iterations = iterations;
  result.svd_converged = converged;
  result.svd_tolerance = tolerance;
  PB_REQUIRE(static_cast<std::size_t>(converged) >= k, "sensitivity: the SVD of M = A J(z*) (", type, ") converged ",
             converged, " of the ", k, " singular triplets needed (", result.svd_reason_name, " after ", iterations,
             " iterations, tolerance ", tolerance, ", at most ", max_iterations, "); raise -", options.options_prefix,
             "svd_max_it or -", options.options_prefix, "svd_ncv, or try -", options.options_prefix, "svd_type cross");

  // 3. The triplets: values, right vectors (gathered: m is small), residual errors.
  SvdOutcome outcome{std::vector<double>(k), DenseMatrix()};
  petsc::Vector right, left;
  PB_PETSC(MatCreateVecs(matrix, right.out(), left.out()));
  std::vector<double> vectors;
  std::size_t m = 0;
  for (std::size_t i = 0; i < k; ++i) {
    PetscReal value = 0, absolute = 0, norm_relative = 0;
    const auto index = static_cast<PetscInt>(i);
    PB_PETSC(SVDGetSingularTriplet(svd, index, &value, left, right));
    PB_PETSC(SVDComputeError(svd, index, SVD_ERROR_ABSOLUTE, &absolute));
    PB_PETSC(SVDComputeError(svd, index, SVD_ERROR_NORM, &norm_relative));
    outcome.values[i] = value;
    // SVD_ERROR_RELATIVE is ‖r_i‖/s_i; formed here so that s_i = 0 gives +inf, not NaN.
    result.relative_errors.push_back(value > 0 ? absolute / value : std::numeric_limits<double>::infinity());
    result.norm_errors.push_back(norm_relative);
    const auto column = petsc::gather_all(right);
    m = column.size();
    vectors.insert(vectors.end(), column.begin(), column.end());
  }
  outcome.vectors = DenseMatrix(m, k);
  outcome.vectors.values() = std::move(vectors);
  return outcome;
}

double max_abs(const std::vector<double>& values) {
  double largest = 0;
  for (const double value : values) largest = std::max(largest, std::abs(value));
  return largest;
}

std::string format_list(const std::vector<double>& values, std::size_t limit) {
  std::ostringstream out;
  out << std::setprecision(4);
  for (std::size_t i = 0; i < values.size() && i < limit; ++i) out << (i ? " " : "") << values[i];
  if (values.size() > limit) out << " ... (" << values.size() << " in all)";
  return out.str();
}

void fill_spectral_quantities(SensitivityResult& r, const SensitivityOptions& options) {
  const std::size_t m = r.latent_dimension;
  const double sigma2 = r.sigma * r.sigma;
  const double largest = r.singular_values.empty() ? 0.0 : r.singular_values.front();
  r.zero_tolerance = options.zero_tolerance;
  r.fisher_eigenvalues.clear();
  r.identifiable_directions = 0;
  r.numerical_rank = 0;
  for (const double s : r.singular_values) {
    r.fisher_eigenvalues.push_back(s * s / sigma2);
    if (s > r.sigma) ++r.identifiable_directions;
    if (largest > 0 && s > options.zero_tolerance * largest) ++r.numerical_rank;
  }

  // Check the SVD against the directly formed Fisher information.
  DenseMatrix scaled = r.right_vectors;
  for (std::size_t i = 0; i < m; ++i) {
    for (double& value : scaled.column(i)) value *= r.fisher_eigenvalues[i];
  }
  DenseMatrix spectral(m, m);
  gemm(false, true, 1.0, scaled, r.right_vectors, 0.0, spectral);
  double difference = 0;
  for (std::size_t i = 0; i < m * m; ++i) {
    difference = std::max(difference, std::abs(spectral.values()[i] - r.fisher.values()[i]));
  }
  const double scale = max_abs(r.fisher.values());
  r.fisher_discrepancy = scale > 0 ? difference / scale : difference;
  if (!(r.fisher_discrepancy <= options.fisher_check_tolerance)) {
    r.warnings.push_back(detail::concat("the SVD's V diag(s^2/sigma^2) V^T differs from the directly formed M^T M/",
                                        "sigma^2 by ", r.fisher_discrepancy, " (relative, max entry); ", "tighten -",
                                        options.options_prefix, "svd_tol"));
  }

  // Cramér–Rao: e_jᵀ I⁺ e_j when e_j lies in range(I), +inf otherwise.
  r.null_components.assign(m, 0.0);
  r.cramer_rao.assign(m, 0.0);
  for (std::size_t j = 0; j < m; ++j) {
    for (std::size_t i = r.numerical_rank; i < m; ++i)
      r.null_components[j] += r.right_vectors(j, i) * r.right_vectors(j, i);
    if (r.null_components[j] > options.null_component_tolerance) {
      r.cramer_rao[j] = std::numeric_limits<double>::infinity();
      continue;
    }
    for (std::size_t i = 0; i < r.numerical_rank; ++i) {
      r.cramer_rao[j] += r.right_vectors(j, i) * r.right_vectors(j, i) / r.fisher_eigenvalues[i];
    }
  }
}

}  // namespace

SensitivityResult analyze_sensitivity(std::shared_ptr<const Generator> generator,
                                      std::shared_ptr<const ForwardOperator> forward, double sigma,
                                      std::span<const double> latent, const SensitivityOptions& options) {
  PB_REQUIRE(generator != nullptr && forward != nullptr, "sensitivity: no generator or no forward operator");
  PB_REQUIRE(sigma > 0 && std::isfinite(sigma), "sensitivity: the noise level sigma must be positive, got ", sigma);
  PB_REQUIRE(options.zero_tolerance > 0 && options.zero_tolerance < 1,
             "sensitivity: zero_tolerance must lie in (0, 1), got ", options.zero_tolerance);
  const auto start = Clock::now();
  const GeneratorCounts generator_before = generator->counts();
  const OperatorCounts forward_before = forward->counts();

  SensitivityResult r;
  r.sigma = sigma;
  r.latent_dimension = generator->latent_dimension();
  r.image_size = generator->image_size();
  r.image_shape = generator->image_shape();
  r.data_size = static_cast<std::size_t>(forward->rows());
  r.latent.assign(latent.begin(), latent.end());
  r.jacobian_route = options.route == JacobianRoute::dense ? "dense" : "products";
  const std::size_t m = r.latent_dimension;
  const std::size_t k = std::min(m, r.data_size);

  // 1. M as an operator and a MatShell.
  auto op = std::make_shared<const SensitivityOperator>(generator, forward, latent, options.route);
  petsc::Matrix matrix = make_shell_matrix(op);

  MatrixNorms matrix_norms;
  // 2. M formed column by column (m applications): the direct Fisher information and
  //    the norms that SLEPc's norm-relative tests need.
  {
    const auto columns = form_columns(*op);
    const DenseMatrix gram = gram_of(columns);
    const MatrixNorms norms = norms_of(columns, gram);
    r.fisher = gram;
    for (double& value : r.fisher.values()) value /= sigma * sigma;
    r.matrix_norm_infinity = norms.infinity;
    attach_norms(matrix, norms);
    matrix_norms = norms;
  }

  // 3. All min(d, m) singular triplets from SLEPc; when d < m the right vectors are
  //    completed with a basis of the null space (singular value 0).
  SvdOutcome svd = solve_svd(matrix, k, matrix_norms, options, r);
  r.singular_values = svd.values;
  r.singular_values.resize(m, 0.0);
  r.relative_errors.resize(m, std::numeric_limits<double>::infinity());
  r.norm_errors.resize(m, 0.0);
  r.right_vectors = k < m ? complete_basis(svd.vectors) : std::move(svd.vectors);
  fix_signs(r.right_vectors);

  // 4. Fisher eigenvalues, identifiable directions, numerical rank, Cramér–Rao bounds.
  fill_spectral_quantities(r, options);

  // 5. The images J v_i of the directions.
  r.direction_images = DenseMatrix(r.image_size, m);
  for (std::size_t i = 0; i < m; ++i) op->jacobian_apply(r.right_vectors.column(i), r.direction_images.column(i));

  r.sensitivity_forward = op->counts().forward;
  r.sensitivity_adjoint = op->counts().adjoint;
  r.operator_forward = forward->counts().forward - forward_before.forward;
  r.operator_adjoint = forward->counts().adjoint - forward_before.adjoint;
  r.generator_jvp = generator->counts().jvp - generator_before.jvp;
  r.generator_vjp = generator->counts().vjp - generator_before.vjp;
  r.generator_jacobians = generator->counts().jacobians - generator_before.jacobians;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

std::string SensitivityResult::summary() const {
  std::ostringstream out;
  out << std::setprecision(4);
  out << "sensitivity M = A J(z*) (" << data_size << " x " << latent_dimension << "), sigma = " << sigma << "\n";
  out << "  singular values: " << format_list(singular_values, 16) << "\n";
  out << "  identifiable directions (s_i > sigma): " << identifiable_directions << " of " << latent_dimension
      << "; numerical rank " << numerical_rank << " (s_i > " << zero_tolerance << " s_1)\n";
  if (numerical_rank < latent_dimension) {
    out << "  UNIDENTIFIABLE: " << latent_dimension - numerical_rank
        << " latent direction(s) have s_i = 0: the data say nothing about them\n";
  }
  std::size_t infinite = 0;
  for (const double bound : cramer_rao) infinite += std::isinf(bound) ? 1 : 0;
  out << "  Cramer-Rao bounds diag(I^-1): " << format_list(cramer_rao, 16);
  if (infinite > 0) out << " (" << infinite << " infinite: coordinates with a component in the null space)";
  out << "\n";
  const double worst = relative_errors.empty() ? 0.0 : *std::max_element(norm_errors.begin(), norm_errors.end());
  out << "  SVD: " << svd_type << ", " << svd_reason_name << ", " << svd_iterations << " iteration(s), "
      << svd_converged << " converged, max ||r_i||/||M|| " << worst << "; Fisher check " << fisher_discrepancy << "\n";
  for (const auto& warning : warnings) out << "  WARNING: " << warning << "\n";
  return out.str();
}

void SensitivityResult::save(hid_t group) const {
  const auto m = static_cast<hsize_t>(latent_dimension);
  const auto height = static_cast<hsize_t>(image_shape.height);
  const auto width = static_cast<hsize_t>(image_shape.width);
  h5::write_attribute(group, "sigma", sigma);
  h5::write_attribute(group, "latent_dimension", static_cast<std::int64_t>(latent_dimension));
  h5::write_attribute(group, "image_size", static_cast<std::int64_t>(image_size));
  h5::write_attribute(group, "data_size", static_cast<std::int64_t>(data_size));
  h5::write_attribute(group, "jacobian_route", jacobian_route);
  h5::write_attribute(group, "identifiable_directions", static_cast<std::int64_t>(identifiable_directions));
  h5::write_attribute(group, "numerical_rank", static_cast<std::int64_t>(numerical_rank));
  h5::write_attribute(group, "zero_tolerance", zero_tolerance);
  h5::write_attribute(group, "fisher_discrepancy", fisher_discrepancy);
  h5::write_attribute(group, "matrix_norm_infinity", matrix_norm_infinity);
  h5::write_attribute(group, "svd_type", svd_type);
  h5::write_attribute(group, "svd_reason", svd_reason_name);
  h5::write_attribute(group, "svd_reason_code", static_cast<std::int64_t>(svd_reason));
  h5::write_attribute(group, "svd_iterations", svd_iterations);
  h5::write_attribute(group, "svd_converged", svd_converged);
  h5::write_attribute(group, "svd_tolerance", svd_tolerance);
  h5::write_attribute(group, "svd_convergence_test", svd_convergence_test);
  h5::write_attribute(group, "sensitivity_forward", sensitivity_forward);
  h5::write_attribute(group, "sensitivity_adjoint", sensitivity_adjoint);
  h5::write_attribute(group, "operator_forward", operator_forward);
  h5::write_attribute(group, "operator_adjoint", operator_adjoint);
  h5::write_attribute(group, "generator_jvp", generator_jvp);
  h5::write_attribute(group, "generator_vjp", generator_vjp);
  h5::write_attribute(group, "generator_jacobians", generator_jacobians);
  h5::write_attribute(group, "seconds", seconds);
  std::string joined;
  for (const auto& warning : warnings) joined += (joined.empty() ? "" : "\n") + warning;
  h5::write_attribute(group, "warnings", joined);

  h5::write(group, "latent", latent);
  h5::write(group, "singular_values", singular_values);
  h5::write(group, "fisher_eigenvalues", fisher_eigenvalues);
  h5::write(group, "cramer_rao", cramer_rao);
  h5::write(group, "null_components", null_components);
  h5::write(group, "relative_errors", relative_errors);
  h5::write(group, "norm_errors", norm_errors);
  // Column-major m×m written as [m][m]: row i of the dataset is v_i.
  h5::write(group, "right_vectors", right_vectors.values(), {m, m});
  h5::write(group, "fisher", fisher.values(), {m, m});  // symmetric
  // Row i of the dataset is the image J v_i.
  h5::write(group, "direction_images", direction_images.values(), {m, height, width});
}

}  // namespace priorbench
