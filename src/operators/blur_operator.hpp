#pragma once
// Gaussian blur of an image (DESIGN §1), d = n.
//
// The point-spread function is separable: a 1-D kernel k(t) ∝ exp(−t²/(2w²)) for integer
// offsets |t| ≤ r = ceil(3w), normalized to sum 1, applied along rows and then along
// columns. Boundary rule: zero — pixels outside the image count as 0, so near the edges
// the blurred image loses mass. Entry ((i,j),(a,b)) of A is the single product
// k(i−a) k(j−b), so A is symmetric, and A∘A is the same separable convolution with the
// squared kernel k².
//
// The arithmetic is serial: at more than one rank the image is gathered to rank 0,
// blurred there and scattered back (RootTransfer). It does not scale across ranks.

#include <vector>

#include "core/image_shape.hpp"
#include "operators/forward_operator.hpp"
#include "operators/root_transfer.hpp"

namespace priorbench {

class BlurOperator final : public ForwardOperator {
 public:
  // `width` is the standard deviation of the Gaussian in pixels; it must be positive.
  BlurOperator(MPI_Comm comm, ImageShape shape, double width);

  const ImageShape& shape() const { return shape_; }
  double width() const { return width_; }
  int radius() const { return radius_; }
  // The normalized 1-D kernel, entries for offsets −r..r.
  const std::vector<double>& kernel() const { return kernel_; }

  bool gram_is_diagonal(bool) const override { return false; }
  // A = K_H ⊗ K_W for the symmetric banded Toeplitz matrices K of the 1-D kernel on H and W
  // points, so its singular values are the products of their eigenvalues' magnitudes
  // (computed here, O(H³ + W³)). Injective when σ_min(A) exceeds the numerical-rank
  // tolerance n·ε·σ_max(A). (The truncated kernel's symbol can cross zero, e.g. at width
  // 1.5, so positivity is not automatic; at width 3 on 28 pixels σ_min/σ_max ≈ 5e−17.)
  bool injective() const override;
  std::string name() const override { return "blur"; }
  // Writes the attributes `image_height`, `image_width`, `width` and `radius`.
  void save(hid_t group) const override;
  static std::shared_ptr<BlurOperator> load(MPI_Comm comm, hid_t group);

 protected:
  void apply_impl(Vec x, Vec y) const override { convolve(kernel_, x, y); }
  void apply_transpose_impl(Vec y, Vec x) const override { convolve(kernel_, y, x); }
  void apply_squared_impl(Vec x, Vec y) const override { convolve(squared_kernel_, x, y); }
  void apply_squared_transpose_impl(Vec y, Vec x) const override { convolve(squared_kernel_, y, x); }

 private:
  void convolve(const std::vector<double>& kernel, Vec in, Vec out) const;

  ImageShape shape_;
  double width_;
  int radius_;
  std::vector<double> kernel_;
  std::vector<double> squared_kernel_;
  RootTransfer transfer_;
};

}  // namespace priorbench
