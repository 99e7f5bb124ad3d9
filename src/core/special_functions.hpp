#pragma once
// The distribution functions the metrics and the report need, written out so the report
// (which links only core) and the diagnostics share one tested implementation:
//
// - the standard normal Φ and its inverse (Acklam's rational approximation, relative error
//   1.15e-9, then one Halley step on erfc, which leaves a few ulp);
// - the regularized lower incomplete gamma P(a, x) (series for x < a + 1, Lentz's
//   continued fraction for the complement otherwise; Numerical Recipes §6.2) and through
//   it the χ² distribution function F_k(x) = P(k/2, x/2);
// - the binomial distribution function, summed by the recurrence of its terms (exact for
//   p = ½ up to n = 50), or from log-gamma terms where (1 − p)ⁿ underflows.

#include <cstddef>

// In a namespace of their own: priorbench::normal_quantile (diagnostics/mcmc_diagnostics.hpp,
// for rank normalization) is this Φ⁻¹ restricted to (0, 1).
namespace priorbench::special {

// Φ(x) = ½ erfc(−x/√2).
double normal_cdf(double x);
// Φ⁻¹(p) for 0 < p < 1; −∞ and +∞ at 0 and 1.
double normal_quantile(double probability);

// P(a, x) = γ(a, x)/Γ(a) for a > 0, x ≥ 0.
double regularized_lower_gamma(double a, double x);
// F_k(x) of the χ² distribution with k > 0 degrees of freedom (0 for x ≤ 0).
double chi_square_cdf(double x, double degrees_of_freedom);

// P(B ≤ k) for B ~ Binomial(n, p); 1 for k ≥ n.
double binomial_cdf(std::size_t k, std::size_t n, double p);

}  // namespace priorbench::special
