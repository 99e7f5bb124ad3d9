#pragma once
// The elementwise functions of the `priorbench train` decoders, as Torch computes them in
// float64 (ATen's CPU kernels and autograd formulas), so that the native route agrees with
// the TorchScript route to rounding:
//   softplus(x)   = x                 for x > 20 (Torch's threshold), else log1p(eˣ);
//   softplus'(x)  = 1                 for x > 20,                      else eˣ/(eˣ + 1);
//   sigmoid(x)    = 1/(1 + e⁻ˣ),   sigmoid' = (1 − y) y in terms of the output y;
//   logaddexp(a, b) = max(a, b) + log1p(e^−|a−b|)  (a when both are the same infinity).
//
// The layer functions apply one of them to a layer's output in place, bias first:
// values[i] ← f(values[i] + bias[i]), and slopes[i] ← f'(…) when `slopes` is not empty.
// Where the CPU has AVX2 and FMA they run four lanes at a time with SLEEF's exp and log1p
// (1-ulp, the functions ATen's vectorized kernels call); elsewhere the C library's.

#include <algorithm>
#include <cmath>
#include <span>

namespace priorbench::native {

inline constexpr double kSoftplusThreshold = 20.0;

inline double softplus(double x) { return x > kSoftplusThreshold ? x : std::log1p(std::exp(x)); }

inline double softplus_slope(double x) {
  if (x > kSoftplusThreshold) return 1.0;
  const double e = std::exp(x);
  return e / (e + 1.0);
}

inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

inline double sigmoid_slope_at_output(double y) { return (1.0 - y) * y; }

inline double logaddexp(double a, double b) {
  if (std::isinf(a) && a == b) return a;
  return std::max(a, b) + std::log1p(std::exp(-std::abs(a - b)));
}

void softplus_layer(std::span<double> values, std::span<const double> bias, std::span<double> slopes);
void sigmoid_layer(std::span<double> values, std::span<const double> bias, std::span<double> slopes);
// values[i] ← logaddexp(values[i] + bias[i], floor) (no slopes: nothing differentiates Γ).
void log_variance_floor_layer(std::span<double> values, std::span<const double> bias, double floor);

}  // namespace priorbench::native
