#pragma once
// A = I on R^n: the denoising problem (d = n).

#include "operators/forward_operator.hpp"

namespace priorbench {

class IdentityOperator final : public ForwardOperator {
 public:
  IdentityOperator(MPI_Comm comm, PetscInt n);

  bool gram_is_diagonal(bool) const override { return true; }
  std::string name() const override { return "identity"; }
  // Every pixel is observed.
  std::vector<double> sampling_pattern() const override {
    return std::vector<double>(static_cast<std::size_t>(cols()), 1.0);
  }
  void save(hid_t group) const override;
  static std::shared_ptr<IdentityOperator> load(MPI_Comm comm, hid_t group);

 protected:
  void apply_impl(Vec x, Vec y) const override;
  void apply_transpose_impl(Vec y, Vec x) const override;
  void apply_squared_impl(Vec x, Vec y) const override;
  void apply_squared_transpose_impl(Vec y, Vec x) const override;
  void apply_to_columns_impl(const DenseMatrix& x, DenseMatrix& y) const override { y = x; }
};

}  // namespace priorbench
