#include "operators/forward_operator.hpp"

#include "core/error.hpp"
#include "core/petsc.hpp"

namespace priorbench {

void ForwardOperator::apply_squared(Vec x, Vec y) const {
  check_sizes(x, cols(), y, rows(), "apply_squared");
  apply_squared_impl(x, y);
}

void ForwardOperator::apply_squared_transpose(Vec y, Vec x) const {
  check_sizes(y, rows(), x, cols(), "apply_squared_transpose");
  apply_squared_transpose_impl(y, x);
}

bool ForwardOperator::apply_pseudo_inverse(Vec y, Vec x) const {
  check_sizes(x, cols(), y, rows(), "apply_pseudo_inverse");
  if (!gram_is_diagonal(true)) return false;
  auto ones = make_domain_vector();
  PB_PETSC(VecSet(ones, 1.0));
  auto gram_diagonal = make_range_vector();
  apply_squared(ones, gram_diagonal);
  auto scaled = make_range_vector();
  {
    const petsc::ReadView data(y), diagonal(gram_diagonal);
    petsc::WriteView out(scaled);
    // A zero row (possible in a user matrix) observes nothing: it contributes nothing.
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = diagonal[i] > 0 ? data[i] / diagonal[i] : 0.0;
  }
  apply_transpose(scaled, x);
  return true;
}

}  // namespace priorbench
