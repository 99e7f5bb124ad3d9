#include "operators/forward_operator.hpp"

namespace priorbench {

void ForwardOperator::apply_squared(Vec x, Vec y) const {
  check_sizes(x, cols(), y, rows(), "apply_squared");
  apply_squared_impl(x, y);
}

void ForwardOperator::apply_squared_transpose(Vec y, Vec x) const {
  check_sizes(y, rows(), x, cols(), "apply_squared_transpose");
  apply_squared_transpose_impl(y, x);
}

}  // namespace priorbench
