#include "operators/fourier_operator.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "core/hdf5.hpp"
#include "operators/fourier_mask.hpp"
#include "operators/operator_io.hpp"

namespace priorbench {

// FFTW_MEASURE plans run ~8x faster than FFTW_ESTIMATE ones here (256²: 0.49 ms against
// 3.8 ms per transform) for a one-off planning cost that FFTW's in-process wisdom pays
// once per image shape. Measured plans may differ between runs, and with them the last
// bit of a result; PRIORBENCH_FFTW_PLANNER=estimate restores bitwise-repeatable plans.
namespace {
unsigned planner_flags() {
  const char* choice = std::getenv("PRIORBENCH_FFTW_PLANNER");
  if (choice == nullptr || std::string(choice).empty() || std::string(choice) == "measure") return FFTW_MEASURE;
  PB_REQUIRE(std::string(choice) == "estimate", "PRIORBENCH_FFTW_PLANNER must be 'measure' or 'estimate', got '",
             choice, "'");
  return FFTW_ESTIMATE;
}
}  // namespace

// An in-place complex buffer of n values with forward (e^{−iθ}) and backward (e^{+iθ})
// unnormalized FFTW plans. Not thread safe: applications share the buffer. Planning with
// FFTW_MEASURE overwrites the buffer, which is filled only afterwards.
class FourierOperator::Transform {
 public:
  explicit Transform(const ImageShape& shape)
      : size_(static_cast<std::size_t>(shape.size())),
        buffer_(fftw_alloc_complex(size_), fftw_free),
        forward_(
            fftw_plan_dft_2d(shape.height, shape.width, buffer_.get(), buffer_.get(), FFTW_FORWARD, planner_flags()),
            fftw_destroy_plan),
        backward_(
            fftw_plan_dft_2d(shape.height, shape.width, buffer_.get(), buffer_.get(), FFTW_BACKWARD, planner_flags()),
            fftw_destroy_plan) {
    PB_REQUIRE(buffer_ && forward_ && backward_, "fourier: FFTW could not plan a ", shape.height, "x", shape.width,
               " transform");
  }

  std::complex<double>* data() { return reinterpret_cast<std::complex<double>*>(buffer_.get()); }
  std::complex<double>& operator[](std::int64_t k) { return data()[k]; }
  void clear() { std::fill(data(), data() + size_, std::complex<double>(0.0, 0.0)); }
  void load_real(const std::vector<double>& values) {
    for (std::size_t j = 0; j < size_; ++j) {
      data()[j] = {values[j], 0.0};
    }
  }
  std::vector<double> real_part(double scale) {
    std::vector<double> values(size_);
    for (std::size_t j = 0; j < size_; ++j) {
      values[j] = scale * data()[j].real();
    }
    return values;
  }
  void forward() { fftw_execute(forward_.get()); }
  void backward() { fftw_execute(backward_.get()); }

 private:
  using Plan = std::remove_pointer_t<fftw_plan>;
  std::size_t size_;
  std::unique_ptr<fftw_complex, decltype(&fftw_free)> buffer_;
  std::unique_ptr<Plan, decltype(&fftw_destroy_plan)> forward_;
  std::unique_ptr<Plan, decltype(&fftw_destroy_plan)> backward_;
};

namespace {

PetscInt checked_rows(const ImageShape& shape, const std::vector<std::int64_t>& frequencies) {
  PB_REQUIRE(shape.height > 0 && shape.width > 0, "fourier: image shape ", shape.height, "x", shape.width,
             " must be positive");
  PB_REQUIRE(!frequencies.empty(), "fourier: no sampled frequencies (the data size must be at least 1)");
  for (std::size_t i = 0; i < frequencies.size(); ++i) {
    const std::int64_t k = frequencies[i];
    PB_REQUIRE(k >= 0 && k < shape.size(), "fourier: frequency index ", k, " out of range [0, ", shape.size(),
               ") for a ", shape.height, "x", shape.width, " image");
    PB_REQUIRE(i == 0 || frequencies[i - 1] < k, "fourier: sampled frequencies must be sorted and distinct, but ", k,
               " follows ", frequencies[i - 1]);
    const std::int64_t partner = fourier::conjugate(shape, k);
    PB_REQUIRE(fourier::in_half_plane(shape, k), "fourier: frequency (", k / shape.width, ", ", k % shape.width,
               ") is not in the sampled half-plane; sample its conjugate (", partner / shape.width, ", ",
               partner % shape.width, ") instead");
  }
  return static_cast<PetscInt>(fourier::data_rows(shape, frequencies));
}

std::int64_t twice(const ImageShape& shape, std::int64_t k) {
  const std::int64_t k1 = k / shape.width;
  const std::int64_t k2 = k % shape.width;
  return ((2 * k1) % shape.height) * shape.width + (2 * k2) % shape.width;
}

}  // namespace

FourierOperator::FourierOperator(MPI_Comm comm, ImageShape shape, std::vector<std::int64_t> frequencies,
                                 std::string mask_description)
    : ForwardOperator(comm, checked_rows(shape, frequencies), shape.size()),
      shape_(shape),
      frequencies_(std::move(frequencies)),
      mask_description_(std::move(mask_description)),
      image_transfer_(comm, shape.size()),
      data_transfer_(comm, rows()) {
  std::int64_t row = 0;
  for (const std::int64_t k : frequencies_) {
    const bool self_conjugate = fourier::is_self_conjugate(shape_, k);
    samples_.push_back({k, twice(shape_, k), row, self_conjugate});
    row += self_conjugate ? 1 : 2;
  }
  if (image_transfer_.on_root()) {
    transform_ = std::make_unique<Transform>(shape_);
  }
}

FourierOperator::~FourierOperator() = default;

void FourierOperator::apply_impl(Vec x, Vec y) const {
  const std::vector<double> image = image_transfer_.gather(x);
  std::vector<double> data;
  if (transform_) {
    const double scale = 1.0 / std::sqrt(static_cast<double>(shape_.size()));
    transform_->load_real(image);
    transform_->forward();
    data.resize(static_cast<std::size_t>(rows()));
    for (const Sample& s : samples_) {
      const std::complex<double> value = (*transform_)[s.k] * scale;
      data[static_cast<std::size_t>(s.row)] = value.real();
      if (!s.self_conjugate) {
        data[static_cast<std::size_t>(s.row + 1)] = value.imag();
      }
    }
  }
  data_transfer_.scatter(data, y);
}

void FourierOperator::apply_transpose_impl(Vec y, Vec x) const {
  const std::vector<double> data = data_transfer_.gather(y);
  std::vector<double> image;
  if (transform_) {
    transform_->clear();
    for (const Sample& s : samples_) {
      const double re = data[static_cast<std::size_t>(s.row)];
      const double im = s.self_conjugate ? 0.0 : data[static_cast<std::size_t>(s.row + 1)];
      (*transform_)[s.k] = {re, im};
    }
    transform_->backward();
    image = transform_->real_part(1.0 / std::sqrt(static_cast<double>(shape_.size())));
  }
  image_transfer_.scatter(image, x);
}

// Row k (Re) squared is (1 + cos 2θ)/(2n), row k (Im) squared (1 − cos 2θ)/(2n), and a
// self-conjugate row 1/n, which the first formula gives too since 2k ≡ 0 there.
void FourierOperator::apply_squared_impl(Vec x, Vec y) const {
  const std::vector<double> image = image_transfer_.gather(x);
  std::vector<double> data;
  if (transform_) {
    const double scale = 0.5 / static_cast<double>(shape_.size());
    transform_->load_real(image);
    transform_->forward();
    const double sum = (*transform_)[0].real();
    data.resize(static_cast<std::size_t>(rows()));
    for (const Sample& s : samples_) {
      const double cosine_sum = (*transform_)[s.twice_k].real();
      data[static_cast<std::size_t>(s.row)] = scale * (sum + cosine_sum);
      if (!s.self_conjugate) {
        data[static_cast<std::size_t>(s.row + 1)] = scale * (sum - cosine_sum);
      }
    }
  }
  data_transfer_.scatter(data, y);
}

// x_j = (Σ_k (y_re + y_im) + Re Σ_k (y_re − y_im) e^{+2iθ_kj}) / (2n), with y_im = 0 for
// self-conjugate k. Several k may share 2k, so the spectrum accumulates.
void FourierOperator::apply_squared_transpose_impl(Vec y, Vec x) const {
  const std::vector<double> data = data_transfer_.gather(y);
  std::vector<double> image;
  if (transform_) {
    transform_->clear();
    double total = 0;
    for (const Sample& s : samples_) {
      const double re = data[static_cast<std::size_t>(s.row)];
      const double im = s.self_conjugate ? 0.0 : data[static_cast<std::size_t>(s.row + 1)];
      total += re + im;
      (*transform_)[s.twice_k] += re - im;
    }
    transform_->backward();
    const double scale = 0.5 / static_cast<double>(shape_.size());
    image = transform_->real_part(scale);
    for (double& value : image) {
      value += scale * total;
    }
  }
  image_transfer_.scatter(image, x);
}

void FourierOperator::save(hid_t group) const {
  operator_io::write_header(group, *this);
  h5::write_attribute(group, "image_height", static_cast<std::int64_t>(shape_.height));
  h5::write_attribute(group, "image_width", static_cast<std::int64_t>(shape_.width));
  h5::write(group, "frequencies", frequencies_);
  if (!mask_description_.empty()) {
    h5::write_attribute(group, "mask", mask_description_);
  }
}

std::shared_ptr<FourierOperator> FourierOperator::load(MPI_Comm comm, hid_t group) {
  operator_io::require_name(group, "fourier");
  const ImageShape shape{static_cast<PetscInt>(h5::read_integer_attribute(group, "image_height")),
                         static_cast<PetscInt>(h5::read_integer_attribute(group, "image_width"))};
  std::string mask = h5::has_attribute(group, "mask") ? h5::read_string_attribute(group, "mask") : "";
  return std::make_shared<FourierOperator>(comm, shape, h5::read_integers(group, "frequencies"), std::move(mask));
}

std::vector<double> FourierOperator::sampling_pattern() const {
  std::vector<double> pattern(static_cast<std::size_t>(shape_.size()), 0.0);
  for (const auto k : frequencies_) {
    pattern[static_cast<std::size_t>(k)] = 1.0;
    pattern[static_cast<std::size_t>(fourier::conjugate(shape_, k))] = 1.0;
  }
  return pattern;
}

}  // namespace priorbench
