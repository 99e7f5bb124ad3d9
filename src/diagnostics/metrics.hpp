#pragma once
// Per-reconstruction metrics of DESIGN §4, computed against a known truth x†.

#include <petscvec.h>

namespace priorbench {

struct ReconstructionMetrics {
  double relative_error = 0;          // ‖x̂ − x†‖ / ‖x†‖
  double psnr = 0;                    // 10 log10(peak² / MSE), peak = 1 (nominal pixel range [0, 1])
  double expected_squared_error = 0;  // ‖x̂ − x†‖²/n + mean(pixel variance): the contraction quantity
  double coverage_95 = 0;             // fraction of pixels with x† inside x̂ ± 1.959964 std
  double mean_interval_width = 0;     // mean width of those intervals, 2 · 1.959964 · mean(std)
};

// `std` may be null: the uncertainty metrics are then NaN.
ReconstructionMetrics compute_metrics(Vec estimate, Vec std, Vec truth);

inline constexpr double kNormalQuantile975 = 1.959963984540054;

}  // namespace priorbench
