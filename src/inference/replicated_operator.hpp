#pragma once
// A forward operator applied to full (replicated) vectors. Generators run replicated on
// every rank (DESIGN §5: m is small and one image fits in memory) while A acts on
// distributed PETSc vectors; this bridge copies a full image into the distributed layout,
// applies A (collectively) and gathers the result back to every rank. Every call is
// collective on the operator's communicator and returns the same numbers on every rank.

#include <memory>
#include <span>
#include <vector>

#include "core/petsc.hpp"
#include "operators/forward_operator.hpp"

namespace priorbench {

class ReplicatedOperator {
 public:
  explicit ReplicatedOperator(std::shared_ptr<const ForwardOperator> forward);

  const ForwardOperator& forward() const { return *forward_; }
  std::shared_ptr<const ForwardOperator> shared() const { return forward_; }
  MPI_Comm comm() const { return forward_->comm(); }
  std::size_t image_size() const { return static_cast<std::size_t>(forward_->cols()); }  // n
  std::size_t data_size() const { return static_cast<std::size_t>(forward_->rows()); }   // d

  // data = A image (full vectors on every rank).
  void apply(std::span<const double> image, std::span<double> data) const;
  // image = Aᵀ data.
  void apply_transpose(std::span<const double> data, std::span<double> image) const;
  // data = (A∘A) image: with image = diag(D), the diagonal of A D Aᵀ.
  void apply_squared(std::span<const double> image, std::span<double> data) const;

  std::vector<double> apply(std::span<const double> image) const;
  std::vector<double> apply_transpose(std::span<const double> data) const;

  // A full vector as a new distributed vector in the operator's domain (image) layout.
  petsc::Vector distribute_image(std::span<const double> image) const;

 private:
  void gather(Vec source, VecScatter scatter, Vec all, std::span<double> out) const;

  std::shared_ptr<const ForwardOperator> forward_;
  petsc::Vector image_;  // distributed work vectors
  petsc::Vector data_;
  petsc::Vector image_all_;  // sequential copies on every rank
  petsc::Vector data_all_;
  petsc::Scatter image_to_all_;
  petsc::Scatter data_to_all_;
};

}  // namespace priorbench
