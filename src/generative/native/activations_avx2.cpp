#include "generative/native/activations_avx2.hpp"

#include <immintrin.h>
#include <sleef.h>

namespace priorbench::native::avx2 {
namespace {

constexpr std::size_t kLanes = 4;

// Runs `lanes(x, &value, &slope)` on every group of four entries of values + bias; the last
// partial group through a padded copy. Padding lanes compute on zeros and are dropped.
template <class Lanes>
void for_each_group(double* values, const double* bias, double* slopes, std::size_t size, Lanes lanes) {
  for (std::size_t i = 0; i < size; i += kLanes) {
    const std::size_t count = size - i < kLanes ? size - i : kLanes;
    alignas(32) double x[kLanes] = {0, 0, 0, 0}, value[kLanes], slope[kLanes];
    for (std::size_t k = 0; k < count; ++k) x[k] = values[i + k] + bias[i + k];
    __m256d slope_lanes;
    _mm256_store_pd(value, lanes(_mm256_load_pd(x), &slope_lanes));
    _mm256_store_pd(slope, slope_lanes);
    for (std::size_t k = 0; k < count; ++k) values[i + k] = value[k];
    if (slopes != nullptr) {
      for (std::size_t k = 0; k < count; ++k) slopes[i + k] = slope[k];
    }
  }
}

}  // namespace

// log1p(eˣ) and eˣ/(eˣ + 1), or x and 1 above the threshold 20 (where eˣ may overflow).
void softplus_layer(double* values, const double* bias, double* slopes, std::size_t size) {
  const __m256d one = _mm256_set1_pd(1.0), threshold = _mm256_set1_pd(20.0);
  for_each_group(values, bias, slopes, size, [&](__m256d x, __m256d* slope) {
    const __m256d e = Sleef_expd4_u10avx2(x);
    const __m256d above = _mm256_cmp_pd(x, threshold, _CMP_GT_OQ);
    *slope = _mm256_blendv_pd(_mm256_div_pd(e, _mm256_add_pd(e, one)), one, above);
    return _mm256_blendv_pd(Sleef_log1pd4_u10avx2(e), x, above);
  });
}

// 1/(1 + e⁻ˣ) and (1 − y) y.
void sigmoid_layer(double* values, const double* bias, double* slopes, std::size_t size) {
  const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
  for_each_group(values, bias, slopes, size, [&](__m256d x, __m256d* slope) {
    const __m256d y = _mm256_div_pd(one, _mm256_add_pd(one, Sleef_expd4_u10avx2(_mm256_sub_pd(zero, x))));
    *slope = _mm256_mul_pd(_mm256_sub_pd(one, y), y);
    return y;
  });
}

}  // namespace priorbench::native::avx2
