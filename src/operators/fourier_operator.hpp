#pragma once
// Undersampled Fourier transform, the MRI case (DESIGN §1).
//
// F is the unitary 2-D DFT of the H x W image, F x[k] = n^{-1/2} Σ_j x_j e^{−iθ_kj},
// θ_kj = 2π (k1 j1 / H + k2 j2 / W). A samples F x at the half-plane frequencies of
// fourier_mask.hpp, in ascending order, as real rows: Re F x[k] then Im F x[k], except
// that a self-conjugate k (DC, Nyquist) gives only Re (its Im row is identically zero).
// Row norms² are ½ for ordinary rows and 1 for self-conjugate rows and all rows are
// mutually orthogonal, so A Aᵀ = diag(½ or 1): A D Aᵀ is diagonal for scalar D.
//
// Aᵀ is the exact real adjoint: Aᵀ y = n^{-1/2} Re Σ_k (y_re + i y_im)_k e^{+iθ_kj} (not
// the inverse DFT). A∘A uses cos²θ = (1 + cos 2θ)/2 and sin²θ = (1 − cos 2θ)/2, so it
// needs the DFT at 2k mod (H, W); its transpose an inverse DFT of a spectrum placed at 2k.
//
// FFTW (c2c, in place) does the arithmetic on rank 0: at more than one rank the image is
// gathered there and the data scattered back (RootTransfer). It does not scale across
// ranks.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/image_shape.hpp"
#include "operators/forward_operator.hpp"
#include "operators/root_transfer.hpp"

namespace priorbench {

class FourierOperator final : public ForwardOperator {
 public:
  // `frequencies`: sorted, distinct, half-plane linear indices k1 * W + k2 (see
  // fourier_mask.hpp). `mask_description` is only recorded by save().
  FourierOperator(MPI_Comm comm, ImageShape shape, std::vector<std::int64_t> frequencies,
                  std::string mask_description = "");
  ~FourierOperator() override;

  const ImageShape& shape() const { return shape_; }
  const std::vector<std::int64_t>& frequencies() const { return frequencies_; }

  // A D Aᵀ is diagonal for D = c I (rows are orthogonal), not for general diagonal D
  // unless there is a single row.
  bool gram_is_diagonal(bool scalar_weight) const override { return scalar_weight || rows() == 1; }
  std::string name() const override { return "fourier"; }
  // The k-space mask in the DFT's layout (row frequency k1, column frequency k2, DC at
  // [0, 0]): 1 at every sampled k and at its conjugate −k, which the data determine too.
  std::vector<double> sampling_pattern() const override;
  // Writes `image_height`, `image_width`, the dataset `frequencies` (int64) and the
  // attribute `mask` when given.
  void save(hid_t group) const override;
  static std::shared_ptr<FourierOperator> load(MPI_Comm comm, hid_t group);

 protected:
  void apply_impl(Vec x, Vec y) const override;
  void apply_transpose_impl(Vec y, Vec x) const override;
  void apply_squared_impl(Vec x, Vec y) const override;
  void apply_squared_transpose_impl(Vec y, Vec x) const override;

 private:
  struct Sample {
    std::int64_t k;        // frequency
    std::int64_t twice_k;  // 2k mod (H, W)
    std::int64_t row;      // its first data row
    bool self_conjugate;   // one row (Re) instead of two
  };
  class Transform;  // FFTW plans and buffer, on rank 0 only

  ImageShape shape_;
  std::vector<std::int64_t> frequencies_;
  std::string mask_description_;
  std::vector<Sample> samples_;
  RootTransfer image_transfer_;
  RootTransfer data_transfer_;
  std::unique_ptr<Transform> transform_;
};

}  // namespace priorbench
