#include "operators/blur_operator.hpp"

#include <algorithm>
#include <cmath>

#include <limits>

#include "core/dense.hpp"
#include "core/hdf5.hpp"
#include "operators/operator_io.hpp"

namespace priorbench {
namespace {

ImageShape checked(ImageShape shape, double width) {
  PB_REQUIRE(shape.height > 0 && shape.width > 0, "blur: image shape ", shape.height, "x", shape.width,
             " must be positive");
  PB_REQUIRE(std::isfinite(width) && width > 0, "blur: width ", width, " must be a positive number of pixels");
  PB_REQUIRE(width <= 1e6, "blur: width ", width, " pixels is too large (at most 1e6)");
  return shape;
}

std::vector<double> gaussian_kernel(double width, int radius) {
  std::vector<double> kernel(static_cast<std::size_t>(2 * radius + 1));
  double sum = 0;
  for (int t = -radius; t <= radius; ++t) {
    const double value = std::exp(-0.5 * (t / width) * (t / width));
    kernel[static_cast<std::size_t>(t + radius)] = value;
    sum += value;
  }
  for (double& value : kernel) {
    value /= sum;
  }
  return kernel;
}

// out(i, j) = Σ_t kernel(t) in(i, j + t) along rows (step 1) or columns (step = width),
// dropping the terms that fall outside the image (the zero boundary).
void convolve_lines(const std::vector<double>& kernel, int radius, const ImageShape& shape, bool along_rows,
                    const std::vector<double>& in, std::vector<double>& out) {
  const PetscInt lines = along_rows ? shape.height : shape.width;
  const PetscInt length = along_rows ? shape.width : shape.height;
  const PetscInt stride = along_rows ? 1 : shape.width;
  const PetscInt line_step = along_rows ? shape.width : 1;
  for (PetscInt line = 0; line < lines; ++line) {
    const PetscInt base = line * line_step;
    for (PetscInt p = 0; p < length; ++p) {
      const PetscInt first = std::max<PetscInt>(-radius, -p);
      const PetscInt last = std::min<PetscInt>(radius, length - 1 - p);
      double sum = 0;
      for (PetscInt t = first; t <= last; ++t) {
        sum += kernel[static_cast<std::size_t>(t + radius)] * in[static_cast<std::size_t>(base + (p + t) * stride)];
      }
      out[static_cast<std::size_t>(base + p * stride)] = sum;
    }
  }
}

// The smallest and largest |eigenvalue| of the symmetric banded Toeplitz matrix of
// `kernel` (offsets −r..r) on `points` points with the zero boundary.
std::pair<double, double> toeplitz_singular_range(const std::vector<double>& kernel, PetscInt points) {
  const auto size = static_cast<std::size_t>(points);
  const auto radius = static_cast<std::ptrdiff_t>(kernel.size() / 2);
  DenseMatrix matrix(size, size);
  for (std::size_t i = 0; i < size; ++i) {
    for (std::size_t j = 0; j < size; ++j) {
      const auto offset = static_cast<std::ptrdiff_t>(i) - static_cast<std::ptrdiff_t>(j);
      if (std::abs(offset) <= radius) matrix(i, j) = kernel[static_cast<std::size_t>(offset + radius)];
    }
  }
  double smallest = std::numeric_limits<double>::infinity(), largest = 0;
  for (const double value : symmetric_eigen(matrix).values) {
    smallest = std::min(smallest, std::abs(value));
    largest = std::max(largest, std::abs(value));
  }
  return {smallest, largest};
}

}  // namespace

bool BlurOperator::injective() const {
  const auto [row_min, row_max] = toeplitz_singular_range(kernel_, shape_.height);
  const auto [column_min, column_max] = toeplitz_singular_range(kernel_, shape_.width);
  const double tolerance = static_cast<double>(cols()) * std::numeric_limits<double>::epsilon();
  return row_min * column_min > tolerance * row_max * column_max;
}

BlurOperator::BlurOperator(MPI_Comm comm, ImageShape shape, double width)
    : ForwardOperator(comm, checked(shape, width).size(), shape.size()),
      shape_(shape),
      width_(width),
      radius_(static_cast<int>(std::ceil(3.0 * width))),
      kernel_(gaussian_kernel(width, radius_)),
      transfer_(comm, shape.size()) {
  squared_kernel_.resize(kernel_.size());
  std::transform(kernel_.begin(), kernel_.end(), squared_kernel_.begin(), [](double k) { return k * k; });
}

void BlurOperator::convolve(const std::vector<double>& kernel, Vec in, Vec out) const {
  const std::vector<double> image = transfer_.gather(in);
  std::vector<double> result;
  if (transfer_.on_root()) {
    std::vector<double> rows_done(image.size());
    result.resize(image.size());
    convolve_lines(kernel, radius_, shape_, true, image, rows_done);
    convolve_lines(kernel, radius_, shape_, false, rows_done, result);
  }
  transfer_.scatter(result, out);
}

void BlurOperator::save(hid_t group) const {
  operator_io::write_header(group, *this);
  h5::write_attribute(group, "image_height", static_cast<std::int64_t>(shape_.height));
  h5::write_attribute(group, "image_width", static_cast<std::int64_t>(shape_.width));
  h5::write_attribute(group, "width", width_);
  h5::write_attribute(group, "radius", radius_);
}

std::shared_ptr<BlurOperator> BlurOperator::load(MPI_Comm comm, hid_t group) {
  operator_io::require_name(group, "blur");
  const ImageShape shape{static_cast<PetscInt>(h5::read_integer_attribute(group, "image_height")),
                         static_cast<PetscInt>(h5::read_integer_attribute(group, "image_width"))};
  return std::make_shared<BlurOperator>(comm, shape, h5::read_double_attribute(group, "width"));
}

}  // namespace priorbench
