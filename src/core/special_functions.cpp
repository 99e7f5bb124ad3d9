#include "core/special_functions.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "core/error.hpp"

namespace priorbench::special {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Acklam's approximation of Φ⁻¹ (relative error below 1.15e-9 on (0, 1)).
double acklam_quantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  constexpr double low = 0.02425;
  if (p < low) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -acklam_quantile(1 - p);
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Series Σ xⁿ/(a(a+1)…(a+n)) for P(a, x), converging fast for x < a + 1.
double lower_gamma_series(double a, double x) {
  double term = 1 / a, sum = term;
  for (int n = 1; n < 10000; ++n) {
    term *= x / (a + n);
    sum += term;
    if (std::abs(term) < std::abs(sum) * 1e-17) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Continued fraction for Q(a, x) = 1 − P(a, x) (modified Lentz), for x ≥ a + 1.
double upper_gamma_fraction(double a, double x) {
  constexpr double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < 1e-16) break;
  }
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

}  // namespace

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_quantile(double probability) {
  PB_REQUIRE(probability >= 0 && probability <= 1, "normal quantile: probability ", probability, " is not in [0, 1]");
  if (probability == 0) return -kInfinity;
  if (probability == 1) return kInfinity;
  double x = acklam_quantile(probability);
  // One Halley step on f(x) = Φ(x) − p: f/f' = e·√(2π)·exp(x²/2).
  const double e = normal_cdf(x) - probability;
  const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  if (std::isfinite(u)) x -= u / (1 + x * u / 2);
  return x;
}

double regularized_lower_gamma(double a, double x) {
  PB_REQUIRE(a > 0 && x >= 0, "regularized lower gamma: needs a > 0 and x >= 0, got a = ", a, ", x = ", x);
  if (x == 0) return 0;
  if (std::isinf(x)) return 1;
  return x < a + 1 ? lower_gamma_series(a, x) : 1 - upper_gamma_fraction(a, x);
}

double chi_square_cdf(double x, double degrees_of_freedom) {
  PB_REQUIRE(degrees_of_freedom > 0, "chi-square: degrees of freedom must be positive, got ", degrees_of_freedom);
  if (!(x > 0)) return 0;
  return regularized_lower_gamma(degrees_of_freedom / 2, x / 2);
}

double binomial_cdf(std::size_t k, std::size_t n, double p) {
  PB_REQUIRE(p >= 0 && p <= 1, "binomial: probability ", p, " is not in [0, 1]");
  if (k >= n) return 1;
  if (p == 0) return 1;
  if (p == 1) return 0;
  const double nn = static_cast<double>(n);
  double sum = 0;
  // Upward recurrence pmf(i + 1) = pmf(i)·(n − i)/(i + 1)·p/(1 − p) from pmf(0) = (1 − p)ⁿ:
  // exact for p = ½ while the binomial coefficients fit in 53 bits (n ≤ 50); otherwise
  // a relative error of a few ε per term.
  if (const double first = std::pow(1 - p, nn); first > 1e-290) {
    double pmf = first;
    const double odds = p / (1 - p);
    for (std::size_t i = 0; i <= k; ++i) {
      sum += pmf;
      pmf = pmf * static_cast<double>(n - i) / static_cast<double>(i + 1) * odds;
    }
    return std::min(sum, 1.0);
  }
  // (1 − p)ⁿ underflows: sum the terms from log-gamma values instead.
  const double log_norm = std::lgamma(nn + 1);
  for (std::size_t i = 0; i <= k; ++i) {
    const double ii = static_cast<double>(i);
    sum += std::exp(log_norm - std::lgamma(ii + 1) - std::lgamma(nn - ii + 1) + ii * std::log(p) +
                    (nn - ii) * std::log1p(-p));
  }
  return std::min(sum, 1.0);
}

}  // namespace priorbench::special
