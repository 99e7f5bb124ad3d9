#pragma once
// The error of an estimate split into the part the data see and the part they do not
// (DESIGN §4 "Discriminating designs"). With P_R the orthogonal projector onto range(Aᵀ)
// (the row space of A) and P_N = I − P_R the projector onto null(A),
//
//   P_R e = Aᵀ (A Aᵀ)⁺ A e,   range error = ‖P_R e‖/‖x†‖,   null error = ‖P_N e‖/‖x†‖,
//
// for e = x̂ − x†. An estimate that fits noise-free data exactly has no range error; the
// null error is what the prior alone decides. Three routes, cheapest first:
//
// - A Aᵀ diagonal (identity, inpaint, fourier): P_R e = Aᵀ D⁺ A e exactly, D = diag(A Aᵀ)
//   (ForwardOperator::apply_pseudo_inverse of A e; one A and one Aᵀ);
// - A injective by construction (ForwardOperator::injective, a Gaussian matrix with
//   d ≥ n): P_R = I, no work;
// - otherwise CG on A Aᵀ u = A e from u = 0 (PETSc KSP, options prefix `split_`, relative
//   tolerance 1e-10 and at most 2000 iterations unless set there), P_R e ≈ Aᵀ u, one A and
//   one Aᵀ per iteration. A Aᵀ is symmetric positive semidefinite and A e lies in its
//   range, so CG converges and Aᵀ u is the unique P_R e even when A Aᵀ is singular
//   (d > n). For an ill-conditioned A (a blur) CG meets its tolerance before it resolves
//   the directions with the smallest singular values; they stay in the null part: the
//   split is then that of a numerical range at the tolerance. The converged reason is
//   checked and recorded; a solve that did not converge is reported, not hidden.

#include <memory>
#include <string>

#include "core/petsc.hpp"
#include "operators/forward_operator.hpp"

namespace priorbench {

enum class ProjectionRoute { diagonal_gram, injective, krylov };
const char* projection_route_name(ProjectionRoute route);

struct ProjectionRecord {
  ProjectionRoute route = ProjectionRoute::diagonal_gram;
  PetscInt iterations = 0;  // CG iterations (0 on the exact routes)
  int reason = 0;           // KSPConvergedReason of the CG solve; 0 on the exact routes
  std::string reason_name;  // "KSP_CONVERGED_RTOL", …; "exact" on the exact routes
  bool converged() const { return reason >= 0; }
};

struct RangeProjectorOptions {
  double relative_tolerance = 1e-10;
  PetscInt max_iterations = 2000;
  std::string options_prefix = "split_";
};

// P_R of one operator; build once per operator, project any number of vectors.
class RangeProjector {
 public:
  explicit RangeProjector(std::shared_ptr<const ForwardOperator> forward, const RangeProjectorOptions& options = {});
  ~RangeProjector();
  RangeProjector(const RangeProjector&) = delete;
  RangeProjector& operator=(const RangeProjector&) = delete;

  ProjectionRoute route() const { return route_; }
  // range_part = P_R x (both in A's domain layout).
  ProjectionRecord project(Vec x, Vec range_part) const;

 private:
  std::shared_ptr<const ForwardOperator> forward_;
  ProjectionRoute route_;
  petsc::Matrix gram_;
  petsc::Krylov ksp_;
};

struct ErrorSplit {
  double range_error = 0;  // ‖P_R (x̂ − x†)‖ / ‖x†‖
  double null_error = 0;   // ‖P_N (x̂ − x†)‖ / ‖x†‖
  ProjectionRecord record;
};
ErrorSplit split_error(const RangeProjector& projector, Vec estimate, Vec truth);

}  // namespace priorbench
