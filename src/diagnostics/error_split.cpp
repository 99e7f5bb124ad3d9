#include "diagnostics/error_split.hpp"

#include <petscksp.h>

#include <cmath>

#include "core/error.hpp"
#include "operators/petsc_bridge.hpp"

namespace priorbench {
namespace {

// A Aᵀ on Rᵈ, applied matrix-free.
class GramOperator final : public LinearOperator {
 public:
  explicit GramOperator(std::shared_ptr<const ForwardOperator> forward)
      : LinearOperator(forward->comm(), forward->rows(), forward->rows()),
        forward_(std::move(forward)),
        pixels_(forward_->make_domain_vector()) {}

 protected:
  void apply_impl(Vec x, Vec y) const override {
    forward_->apply_transpose(x, pixels_);
    forward_->apply(pixels_, y);
  }
  void apply_transpose_impl(Vec y, Vec x) const override { apply_impl(y, x); }

 private:
  std::shared_ptr<const ForwardOperator> forward_;
  petsc::Vector pixels_;
};

ProjectionRoute choose_route(const ForwardOperator& forward) {
  if (forward.gram_is_diagonal(true)) return ProjectionRoute::diagonal_gram;
  if (forward.injective()) return ProjectionRoute::injective;
  return ProjectionRoute::krylov;
}

std::string reason_name(KSPConvergedReason reason) {
  const char* name = KSPConvergedReasons[reason];
  return std::string("KSP_") + (name != nullptr ? name : "UNKNOWN_REASON");
}

}  // namespace

const char* projection_route_name(ProjectionRoute route) {
  switch (route) {
    case ProjectionRoute::diagonal_gram:
      return "diagonal A Aᵀ";
    case ProjectionRoute::injective:
      return "A injective";
    case ProjectionRoute::krylov:
      return "CG on A Aᵀ";
  }
  return "unknown";
}

RangeProjector::RangeProjector(std::shared_ptr<const ForwardOperator> forward, const RangeProjectorOptions& options)
    : forward_(std::move(forward)), route_(choose_route(*forward_)) {
  if (route_ != ProjectionRoute::krylov) return;
  gram_ = make_shell_matrix(std::make_shared<GramOperator>(forward_));
  PB_PETSC(KSPCreate(forward_->comm(), ksp_.out()));
  PB_PETSC(KSPSetOptionsPrefix(ksp_, options.options_prefix.c_str()));
  PB_PETSC(KSPSetOperators(ksp_, gram_, gram_));
  PB_PETSC(KSPSetType(ksp_, KSPCG));
  PC pc = nullptr;
  PB_PETSC(KSPGetPC(ksp_, &pc));
  PB_PETSC(PCSetType(pc, PCNONE));
  PB_PETSC(KSPSetTolerances(ksp_, options.relative_tolerance, PETSC_DEFAULT, PETSC_DEFAULT, options.max_iterations));
  PB_PETSC(KSPSetFromOptions(ksp_));  // the command line wins over the defaults above
}

RangeProjector::~RangeProjector() = default;

ProjectionRecord RangeProjector::project(Vec x, Vec range_part) const {
  ProjectionRecord record;
  record.route = route_;
  record.reason_name = "exact";
  if (route_ == ProjectionRoute::injective) {
    PB_PETSC(VecCopy(x, range_part));
    return record;
  }
  auto data = forward_->make_range_vector();
  forward_->apply(x, data);
  if (route_ == ProjectionRoute::diagonal_gram) {
    PB_REQUIRE(forward_->apply_pseudo_inverse(data, range_part), "operator '", forward_->name(),
               "' has no diagonal A Aᵀ after all");
    return record;
  }
  auto solution = forward_->make_range_vector();
  PB_PETSC(KSPSolve(ksp_, data, solution));
  KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
  PB_PETSC(KSPGetConvergedReason(ksp_, &reason));
  PB_PETSC(KSPGetIterationNumber(ksp_, &record.iterations));
  record.reason = static_cast<int>(reason);
  record.reason_name = reason_name(reason);
  forward_->apply_transpose(solution, range_part);
  return record;
}

ErrorSplit split_error(const RangeProjector& projector, Vec estimate, Vec truth) {
  auto error = petsc::copy_of(estimate);
  PB_PETSC(VecAXPY(error, -1.0, truth));
  auto range_part = petsc::make_vector_like(error);
  ErrorSplit split;
  split.record = projector.project(error, range_part);
  auto null_part = petsc::copy_of(error);
  PB_PETSC(VecAXPY(null_part, -1.0, range_part));
  const double truth_norm = petsc::norm2(truth);
  split.range_error = petsc::norm2(range_part) / truth_norm;
  split.null_error = petsc::norm2(null_part) / truth_norm;
  return split;
}

}  // namespace priorbench
