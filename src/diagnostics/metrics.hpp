#pragma once
// Per-reconstruction metrics of DESIGN §4, computed against a known truth x†, and the
// calibration of a latent credible ellipsoid against a known latent z†.
//
// With pixel standard deviations s_j, the central credible interval of level L for pixel
// j is [l_j, u_j] = x̂_j ∓ z s_j, z = Φ⁻¹((1 + L)/2) (exact for a Gaussian posterior
// marginal). For the levels L = 0.5, 0.9, 0.95, averaged over pixels:
// - coverage: the fraction of pixels with l_j ≤ x†_j ≤ u_j;
// - mean width: 2 z mean(s);
// - interval score (Gneiting & Raftery 2007, eq. 43) with α = 1 − L:
//     IS_α = (u − l) + (2/α)(l − x†)·1{x† < l} + (2/α)(x† − u)·1{x† > u},
//   a proper score: width is paid for, and each miss is charged 2/α times its distance, so
//   neither needlessly wide nor collapsed intervals score well. Lower is better.
// And the CRPS of the Gaussian marginal N(x̂_j, s_j²) at x†_j (Gneiting & Raftery 2007,
// eq. 5), with w = (x† − x̂)/s:
//     CRPS = s [ w (2Φ(w) − 1) + 2φ(w) − 1/√π ],   = |x† − x̂| when s = 0,
// averaged over pixels: a proper score of the whole marginal, in pixel units.

#include <petscvec.h>

#include <array>
#include <limits>
#include <span>

#include "core/dense.hpp"

namespace priorbench {

inline constexpr std::array<double, 3> kCredibleLevels = {0.5, 0.9, 0.95};

struct CredibleIntervalMetrics {
  double coverage = std::numeric_limits<double>::quiet_NaN();
  double mean_width = std::numeric_limits<double>::quiet_NaN();
  double interval_score = std::numeric_limits<double>::quiet_NaN();
};

struct ReconstructionMetrics {
  double relative_error = 0;          // ‖x̂ − x†‖ / ‖x†‖
  double psnr = 0;                    // 10 log10(peak² / MSE), peak = 1 (nominal pixel range [0, 1])
  double expected_squared_error = 0;  // ‖x̂ − x†‖²/n + mean(pixel variance): the contraction quantity
  double coverage_95 = 0;             // = intervals[2].coverage
  double mean_interval_width = 0;     // = intervals[2].mean_width, 2 · 1.959964 · mean(std)
  std::array<CredibleIntervalMetrics, kCredibleLevels.size()> intervals;  // at kCredibleLevels
  double crps = std::numeric_limits<double>::quiet_NaN();
};

// `std` may be null: the uncertainty metrics are then NaN.
ReconstructionMetrics compute_metrics(Vec estimate, Vec std, Vec truth);

inline constexpr double kNormalQuantile975 = 1.959963984540054;

// F_{χ²_m}((ẑ − z†)ᵀ Σ⁻¹ (ẑ − z†)), m = dim z: the smallest level L whose credible
// ellipsoid of N(ẑ, Σ) contains z†. z† lies inside the L ellipsoid exactly when the value
// is ≤ L, and over draws z† ~ p(z), y ~ p(y | z†) it is uniform on (0, 1) when N(ẑ, Σ) is
// the exact posterior: the fraction of runs at or below L is the latent coverage at L.
double latent_credible_level(std::span<const double> mean, const DenseMatrix& covariance,
                             std::span<const double> truth);

}  // namespace priorbench
