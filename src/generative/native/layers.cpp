#include "generative/native/layers.hpp"

#include <cblas.h>

#include <algorithm>
#include <limits>

#include "core/error.hpp"

namespace priorbench::native {
namespace {

// Up to this many columns a dense layer makes one DGEMV per column, beyond it one DGEMM, in
// both directions (W x and Wᵀ y). OpenBLAS's DGEMM first copies (packs) the whole weight
// matrix, which costs about as much as three or four DGEMVs: measured for the 784×512 layer
// of the shipped MLP, 1 column took 53 µs by DGEMV and 145 µs by DGEMM, 4 columns 195 µs and
// 250 µs, 8 columns 420 µs and 240 µs. The fused decode + VJP of the whole MLP at 2 columns
// took 590 µs with the transpose by DGEMM and 301 µs by DGEMVs (batch 1: 151 µs); NUTS
// evaluates its 4 chains' trajectories in batches of 1 to 4 points.
constexpr std::size_t kMaxGemvColumns = 4;

blasint blas_size(std::size_t value) {
  PB_REQUIRE(value <= static_cast<std::size_t>(std::numeric_limits<blasint>::max()), "native decoder: dimension ",
             value, " exceeds the BLAS integer range");
  return static_cast<blasint>(value);
}

std::vector<double> repeat_per_pixel(const std::vector<double>& channel_bias, std::size_t pixels) {
  std::vector<double> bias;
  bias.reserve(channel_bias.size() * pixels);
  for (const double value : channel_bias) bias.insert(bias.end(), pixels, value);
  return bias;
}

}  // namespace

DenseLayer::DenseLayer(DenseWeights weights)
    : LinearLayer(weights.inputs, weights.outputs, std::move(weights.bias)), weight_(std::move(weights.weight)) {
  PB_REQUIRE(input_size() > 0 && output_size() > 0 && weight_.size() == input_size() * output_size() &&
                 bias().size() == output_size(),
             "native decoder: a dense layer ", input_size(), " -> ", output_size(), " needs ",
             input_size() * output_size(), " weights and ", output_size(), " biases, got ", weight_.size(), " and ",
             bias().size());
}

// W is row-major outputs × inputs, i.e. column-major inputs × outputs with leading dimension
// `inputs`: A x = Wᵀ_colmajor x.
void DenseLayer::apply(std::span<const double> in, std::span<double> out, std::size_t columns,
                       std::span<double>) const {
  const blasint inputs = blas_size(input_size()), outputs = blas_size(output_size());
  if (columns <= kMaxGemvColumns) {
    for (std::size_t c = 0; c < columns; ++c) {
      cblas_dgemv(CblasRowMajor, CblasNoTrans, outputs, inputs, 1.0, weight_.data(), inputs,
                  in.data() + c * input_size(), 1, 0.0, out.data() + c * output_size(), 1);
    }
    return;
  }
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, outputs, blas_size(columns), inputs, 1.0, weight_.data(), inputs,
              in.data(), inputs, 0.0, out.data(), outputs);
}

void DenseLayer::apply_transpose(std::span<const double> out, std::span<double> in, std::size_t columns,
                                 std::span<double>) const {
  const blasint inputs = blas_size(input_size()), outputs = blas_size(output_size());
  if (columns <= kMaxGemvColumns) {
    for (std::size_t c = 0; c < columns; ++c) {
      cblas_dgemv(CblasRowMajor, CblasTrans, outputs, inputs, 1.0, weight_.data(), inputs,
                  out.data() + c * output_size(), 1, 0.0, in.data() + c * input_size(), 1);
    }
    return;
  }
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, inputs, blas_size(columns), outputs, 1.0, weight_.data(),
              inputs, out.data(), outputs, 0.0, in.data(), inputs);
}

std::int64_t DenseLayer::multiply_adds() const { return static_cast<std::int64_t>(input_size() * output_size()); }

TransposedConvolution::TransposedConvolution(TransposedConvolutionWeights weights)
    : LinearLayer(weights.in_channels * weights.height * weights.width,
                  weights.out_channels * 4 * weights.height * weights.width,
                  repeat_per_pixel(weights.bias, 4 * weights.height * weights.width)),
      in_channels_(weights.in_channels),
      out_channels_(weights.out_channels),
      height_(weights.height),
      width_(weights.width),
      weight_(std::move(weights.weight)) {
  PB_REQUIRE(in_channels_ > 0 && out_channels_ > 0 && height_ > 0 && width_ > 0 &&
                 weight_.size() == in_channels_ * taps() && weights.bias.size() == out_channels_,
             "native decoder: a transposed convolution ", in_channels_, " -> ", out_channels_, " channels on ", height_,
             "x", width_, " maps needs ", in_channels_ * taps(), " weights and ", out_channels_, " biases, got ",
             weight_.size(), " and ", weights.bias.size());
}

// Output pixel (oy, ox) = (2 iy − 1 + ky, 2 ix − 1 + kx) receives tap (ky, kx) of input pixel
// (iy, ix); taps with oy or ox outside the map fall away (the padding of 1). In cols, tap
// (co, ky, kx) of all input pixels is one contiguous column of `pixels()` values.
void TransposedConvolution::col2im(std::span<const double> cols, std::span<double> out) const {
  const std::size_t out_width = 2 * width_, out_pixels = 4 * pixels();
  std::fill(out.begin(), out.end(), 0.0);
  for (std::size_t co = 0; co < out_channels_; ++co) {
    for (std::size_t ky = 0; ky < 4; ++ky) {
      const std::size_t iy_begin = ky == 0 ? 1 : 0, iy_end = ky == 3 ? height_ - 1 : height_;
      for (std::size_t kx = 0; kx < 4; ++kx) {
        const std::size_t ix_begin = kx == 0 ? 1 : 0, ix_end = kx == 3 ? width_ - 1 : width_;
        const double* tap = cols.data() + (co * 16 + ky * 4 + kx) * pixels();
        for (std::size_t iy = iy_begin; iy < iy_end; ++iy) {
          double* row = out.data() + co * out_pixels + (2 * iy + ky - 1) * out_width;
          const double* source = tap + iy * width_;
          for (std::size_t ix = ix_begin; ix < ix_end; ++ix) row[2 * ix + kx - 1] += source[ix];
        }
      }
    }
  }
}

void TransposedConvolution::im2col(std::span<const double> out, std::span<double> cols) const {
  const std::size_t out_width = 2 * width_, out_pixels = 4 * pixels();
  for (std::size_t co = 0; co < out_channels_; ++co) {
    for (std::size_t ky = 0; ky < 4; ++ky) {
      const std::size_t iy_begin = ky == 0 ? 1 : 0, iy_end = ky == 3 ? height_ - 1 : height_;
      for (std::size_t kx = 0; kx < 4; ++kx) {
        const std::size_t ix_begin = kx == 0 ? 1 : 0, ix_end = kx == 3 ? width_ - 1 : width_;
        double* tap = cols.data() + (co * 16 + ky * 4 + kx) * pixels();
        std::fill(tap, tap + pixels(), 0.0);
        for (std::size_t iy = iy_begin; iy < iy_end; ++iy) {
          const double* row = out.data() + co * out_pixels + (2 * iy + ky - 1) * out_width;
          double* target = tap + iy * width_;
          for (std::size_t ix = ix_begin; ix < ix_end; ++ix) target[ix] = row[2 * ix + kx - 1];
        }
      }
    }
  }
}

// One column holds in_channels maps, i.e. a column-major pixels × in_channels matrix X;
// cols (pixels × taps) = X Wᵀ with W the taps × in_channels matrix of the weights.
void TransposedConvolution::apply(std::span<const double> in, std::span<double> out, std::size_t columns,
                                  std::span<double> scratch) const {
  const blasint p = blas_size(pixels()), k = blas_size(taps()), c = blas_size(in_channels_);
  for (std::size_t column = 0; column < columns; ++column) {
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, p, k, c, 1.0, in.data() + column * input_size(), p,
                weight_.data(), k, 0.0, scratch.data(), p);
    col2im(scratch, out.subspan(column * output_size(), output_size()));
  }
}

void TransposedConvolution::apply_transpose(std::span<const double> out, std::span<double> in, std::size_t columns,
                                            std::span<double> scratch) const {
  const blasint p = blas_size(pixels()), k = blas_size(taps()), c = blas_size(in_channels_);
  for (std::size_t column = 0; column < columns; ++column) {
    im2col(out.subspan(column * output_size(), output_size()), scratch);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, p, c, k, 1.0, scratch.data(), p, weight_.data(), k, 0.0,
                in.data() + column * input_size(), p);
  }
}

std::int64_t TransposedConvolution::multiply_adds() const {
  return static_cast<std::int64_t>(pixels() * taps() * in_channels_);
}

}  // namespace priorbench::native
