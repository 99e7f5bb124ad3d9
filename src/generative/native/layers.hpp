#pragma once
// The linear maps of a decoder, applied to blocks of vectors with BLAS level 3. A block is a
// column-major matrix with one vector per column (so a row-major batch of items is a block
// as it stands); every map offers A x and Aᵀ y, the second for reverse mode.
//
//   DenseLayer              y = W x,  W out×in (Torch's nn.Linear layout [out, in]):
//                           one DGEMM over all columns (one DGEMV per column for up to
//                           three: DGEMM first packs W, which costs three DGEMVs or so).
//   TransposedConvolution   conv_transpose2d, kernel 4×4, stride 2, padding 1, from C_in maps
//                           of H×W to C_out maps of 2H×2W (Torch layout: weight [C_in, C_out,
//                           4, 4], maps channel-major, row-major inside). Per column, one DGEMM
//                           cols = X Wᵀ of the H·W input pixels by the C_out·16 kernel taps,
//                           then col2im adds every tap to its output pixel. The transpose is
//                           the strided convolution: im2col gathers the taps of each input
//                           pixel, one DGEMM with W. Neither touches a tap twice.
//
// The bias is not part of the map (tangents and cotangents have none): bias() gives it per
// output entry, for the activation step that follows.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace priorbench::native {

// y = W x + b with W stored row-major, outputs × inputs.
struct DenseWeights {
  std::size_t inputs = 0;
  std::size_t outputs = 0;
  std::vector<double> weight;  // outputs × inputs
  std::vector<double> bias;    // outputs
};

// conv_transpose2d(x, weight, bias, stride 2, padding 1) with a 4×4 kernel on input maps of
// in_channels × height × width.
struct TransposedConvolutionWeights {
  std::size_t in_channels = 0;
  std::size_t out_channels = 0;
  std::size_t height = 0;  // of the input maps; the output maps are twice as high and wide
  std::size_t width = 0;
  std::vector<double> weight;  // in_channels × out_channels × 4 × 4
  std::vector<double> bias;    // out_channels
};

class LinearLayer {
 public:
  virtual ~LinearLayer() = default;

  std::size_t input_size() const { return input_size_; }
  std::size_t output_size() const { return output_size_; }
  // The bias of every output entry (a convolution's channel bias repeated over its pixels).
  std::span<const double> bias() const { return bias_; }

  // out (output_size × columns) = A in (input_size × columns).
  virtual void apply(std::span<const double> in, std::span<double> out, std::size_t columns,
                     std::span<double> scratch) const = 0;
  // in (input_size × columns) = Aᵀ out (output_size × columns).
  virtual void apply_transpose(std::span<const double> out, std::span<double> in, std::size_t columns,
                               std::span<double> scratch) const = 0;
  // Values of scratch either call needs (independent of the number of columns).
  virtual std::size_t scratch_size() const { return 0; }
  // Multiply-adds of A applied to one column.
  virtual std::int64_t multiply_adds() const = 0;
  // Weights of A (biases not counted): what an application reads from memory however many
  // columns it has.
  virtual std::size_t weight_count() const = 0;

 protected:
  LinearLayer(std::size_t input_size, std::size_t output_size, std::vector<double> bias)
      : input_size_(input_size), output_size_(output_size), bias_(std::move(bias)) {}

 private:
  std::size_t input_size_;
  std::size_t output_size_;
  std::vector<double> bias_;
};

class DenseLayer final : public LinearLayer {
 public:
  explicit DenseLayer(DenseWeights weights);

  void apply(std::span<const double> in, std::span<double> out, std::size_t columns,
             std::span<double> scratch) const override;
  void apply_transpose(std::span<const double> out, std::span<double> in, std::size_t columns,
                       std::span<double> scratch) const override;
  std::int64_t multiply_adds() const override;
  std::size_t weight_count() const override { return weight_.size(); }

 private:
  std::vector<double> weight_;
};

class TransposedConvolution final : public LinearLayer {
 public:
  explicit TransposedConvolution(TransposedConvolutionWeights weights);

  void apply(std::span<const double> in, std::span<double> out, std::size_t columns,
             std::span<double> scratch) const override;
  void apply_transpose(std::span<const double> out, std::span<double> in, std::size_t columns,
                       std::span<double> scratch) const override;
  std::size_t scratch_size() const override { return pixels() * taps(); }
  std::int64_t multiply_adds() const override;
  std::size_t weight_count() const override { return weight_.size(); }

 private:
  std::size_t pixels() const { return height_ * width_; }  // of one input map
  std::size_t taps() const { return out_channels_ * 16; }  // kernel entries per input pixel and channel
  // Adds every tap of `cols` (pixels × taps) to its output pixel of `out` (one column).
  void col2im(std::span<const double> cols, std::span<double> out) const;
  // The transpose: `cols` (pixels × taps) from one column of output maps, zero where a tap
  // falls outside.
  void im2col(std::span<const double> out, std::span<double> cols) const;

  std::size_t in_channels_;
  std::size_t out_channels_;
  std::size_t height_;
  std::size_t width_;
  std::vector<double> weight_;  // as a column-major taps × in_channels matrix
};

}  // namespace priorbench::native
