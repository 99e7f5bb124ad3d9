#include "generative/native/activations.hpp"

#include "generative/native/activations_avx2.hpp"

namespace priorbench::native {
namespace {

bool has_avx2() {
  static const bool available = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return available;
}

}  // namespace

void softplus_layer(std::span<double> values, std::span<const double> bias, std::span<double> slopes) {
  if (has_avx2()) {
    avx2::softplus_layer(values.data(), bias.data(), slopes.empty() ? nullptr : slopes.data(), values.size());
    return;
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double x = values[i] + bias[i];
    values[i] = softplus(x);
    if (!slopes.empty()) slopes[i] = softplus_slope(x);
  }
}

void sigmoid_layer(std::span<double> values, std::span<const double> bias, std::span<double> slopes) {
  if (has_avx2()) {
    avx2::sigmoid_layer(values.data(), bias.data(), slopes.empty() ? nullptr : slopes.data(), values.size());
    return;
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = sigmoid(values[i] + bias[i]);
    if (!slopes.empty()) slopes[i] = sigmoid_slope_at_output(values[i]);
  }
}

void log_variance_floor_layer(std::span<double> values, std::span<const double> bias, double floor) {
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = logaddexp(values[i] + bias[i], floor);
}

}  // namespace priorbench::native
