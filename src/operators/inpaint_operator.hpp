#pragma once
// Inpainting: y = x[observed], the pixels at `observed` (sorted, distinct indices in
// [0, n)); d = observed.size(). A is a row selection, so A∘A = A and A D Aᵀ is diagonal
// for every diagonal D. Works at any rank count through one PETSc VecScatter between the
// distributed image and the distributed data.

#include <cstdint>
#include <string>
#include <vector>

#include "core/petsc.hpp"
#include "operators/forward_operator.hpp"

namespace priorbench {

class InpaintOperator final : public ForwardOperator {
 public:
  // `mask_description` (e.g. "random seed=3") is only recorded by save().
  InpaintOperator(MPI_Comm comm, PetscInt n, std::vector<std::int64_t> observed, std::string mask_description = "");

  // The seeded random mask of DESIGN §1: `d` distinct pixels of `n`, sorted, drawn by
  // CounterRandom(seed, 0, Purpose::inpaint_mask).sample_without_replacement(n, d).
  static std::vector<std::int64_t> random_mask(PetscInt n, PetscInt d, std::uint64_t seed);

  const std::vector<std::int64_t>& observed() const { return observed_; }

  bool gram_is_diagonal(bool) const override { return true; }
  std::string name() const override { return "inpaint"; }
  // 1 at the observed pixels.
  std::vector<double> sampling_pattern() const override;
  // Writes the dataset `observed` (int64) and the attribute `mask` when given.
  void save(hid_t group) const override;
  static std::shared_ptr<InpaintOperator> load(MPI_Comm comm, hid_t group);

 protected:
  void apply_impl(Vec x, Vec y) const override;
  void apply_transpose_impl(Vec y, Vec x) const override;
  void apply_squared_impl(Vec x, Vec y) const override { apply_impl(x, y); }
  void apply_squared_transpose_impl(Vec y, Vec x) const override { apply_transpose_impl(y, x); }
  void apply_to_columns_impl(const DenseMatrix& x, DenseMatrix& y) const override;

 private:
  std::vector<std::int64_t> observed_;
  std::string mask_description_;
  petsc::Scatter scatter_;  // forward: image -> data
};

}  // namespace priorbench
