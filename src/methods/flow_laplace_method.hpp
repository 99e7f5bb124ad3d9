#pragma once
// `flow_laplace` (issue 15): the Gauss–Newton Laplace approximation of the pixel-space
// posterior under a normalizing-flow prior, at the flow MAP x* = f(z*) (flow_map):
//
//   x | y ≈ N(x*, (Aᵀ Σ⁻¹ A + J⁻ᵀ J⁻¹)⁻¹) = N(x*, J (Jᵀ Aᵀ Σ⁻¹ A J + I)⁻¹ Jᵀ),  J = J_f(z*),
//
// the Gauss–Newton Hessian of −log p(x | y) in x (the log-determinant's curvature and the
// residual terms of ½‖f⁻¹(x)‖² dropped), written in the flow's coordinates, where it is the
// latent Laplace covariance of inference/latent_laplace.hpp with m = n. The pixel std is
// sqrt diag of it. Two routes (docs/methods.md):
//   rank = 0 (the default)  dense: one n×n Jacobian, n applications of A, an n×n Cholesky;
//                           exact for the Gaussian it defines, and at n = 784 the cheaper;
//   rank = k > 0            hIPPYlib's low-rank route (inference/low_rank_laplace.hpp): the
//                           k leading eigenpairs of the prior-preconditioned misfit Hessian
//                           by SLEPc, matrix-free; exact for k = d, otherwise the discarded
//                           directions' variance reduction is left out. One n×n matrix.
// Memory is checked before any work.

#include <memory>

#include "methods/flow_map_method.hpp"

namespace priorbench {

struct FlowLaplaceMethodOptions {
  FlowOptions flow;
  std::size_t rank = 0;  // 0: the dense route; k > 0: the k leading eigenpairs (k ≤ d, checked per task)
  void validate(const FieldNamer& field) const { flow.validate(field); }
};

std::unique_ptr<ReconstructionMethod> make_flow_laplace_method(const FlowLaplaceMethodOptions& options,
                                                               GeneratorSource generator);

}  // namespace priorbench
