#include "operators/forward_operator.hpp"

#include <algorithm>

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

void ForwardOperator::apply_to_columns(const DenseMatrix& x, DenseMatrix& y) const {
  int size = 1;
  MPI_Comm_size(comm(), &size);
  PB_REQUIRE(size == 1, "apply_to_columns: operator '", name(), "' lives on ", size,
             " ranks; the dense route needs one");
  PB_REQUIRE(x.rows() == static_cast<std::size_t>(cols()), "apply_to_columns: operator '", name(), "' acts on ", cols(),
             " pixels, the matrix has ", x.rows(), " rows");
  y = DenseMatrix(static_cast<std::size_t>(rows()), x.cols());
  apply_to_columns_impl(x, y);
  count_applications(static_cast<std::int64_t>(x.cols()), 0);
}

void ForwardOperator::apply_to_columns_impl(const DenseMatrix& x, DenseMatrix& y) const {
  auto in = make_domain_vector();
  auto out = make_range_vector();
  for (std::size_t j = 0; j < x.cols(); ++j) {
    petsc::set_from_global(in, x.column(j));
    apply_impl(in, out);
    const petsc::ReadView values(out);
    std::copy(values.span().begin(), values.span().end(), y.column(j).begin());
  }
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
