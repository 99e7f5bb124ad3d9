#pragma once
// Convergence diagnostics of Markov chains for scalar summaries, after Vehtari, Gelman,
// Simpson, Carpenter & Bürkner (2021), "Rank-normalization, folding, and localization:
// an improved R̂" (the definitions Stan and the R package `posterior` use):
//   split chains       each chain cut in halves (an odd length drops the middle draw);
//   rank-normalized    pooled ranks r (ties averaged) mapped to Φ⁻¹((r − 3/8)/(S + 1/4));
//   R̂                  sqrt(var⁺/W), var⁺ = (N−1)/N W + B/N, on split chains;
//   rank-normalized R̂  max(R̂ of rank-normalized split draws, R̂ of the rank-normalized
//                      folded draws |x − median|) — the bulk and the tails;
//   ESS                multi-chain autocorrelations ρ_t = 1 − (W − mean_c acov_c(t))/var⁺ summed
//                      with Geyer's (1992) initial positive and monotone sequence;
//                      `ess_mean` on split draws (for the Monte Carlo standard error of a
//                      mean, MCSE = sd/√ESS), `ess_bulk` on rank-normalized split draws;
//   tail ESS           min of the ESS of the indicators I(x ≤ q₀.₀₅) and I(x ≤ q₀.₉₅) on split
//                      draws, q_p the pooled quantile (type 7) — how well the 5 % and 95 %
//                      quantiles are estimated;
//   E-BFMI             per chain of HMC energies E_n (Betancourt 2016),
//                      Σ_{n≥1} (E_n − E_{n−1})² / Σ_n (E_n − Ē)²: how well the momentum
//                      resampling explores the energy distribution; below 0.3 is poor.
// Draws are given as chains[c][i], all chains of the same length.

#include <string>
#include <vector>

namespace priorbench {

using Chains = std::vector<std::vector<double>>;

Chains split_chains(const Chains& chains);
Chains rank_normalize(const Chains& chains);
// Inverse of the standard normal distribution function, p in (0, 1).
double normal_quantile(double p);

// R̂ of the chains as given (no splitting); NaN when every chain is constant.
double potential_scale_reduction(const Chains& chains);
// Effective sample size of the chains as given (no splitting); NaN for constant chains.
double effective_sample_size(const Chains& chains);

double split_rhat(const Chains& chains);
double rank_normalized_split_rhat(const Chains& chains);
double ess_mean(const Chains& chains);
double ess_bulk(const Chains& chains);

// R̂ of the rank-normalized split draws (bulk) and of the rank-normalized split folded draws
// |x − median| (tail); rank_normalized_split_rhat is the larger of the two. NaN for
// constant chains.
double rhat_bulk(const Chains& chains);
double rhat_tail(const Chains& chains);
// ESS of the indicator I(x ≤ q_p) on split draws; NaN when it is constant.
double ess_quantile(const Chains& chains, double probability);
double ess_tail(const Chains& chains);  // min(ess_quantile(0.05), ess_quantile(0.95))
// Quantile of the pooled draws, linear interpolation between order statistics (R's type 7).
double pooled_quantile(const Chains& chains, double probability);
// Energy Bayesian fraction of missing information of one chain's energies (at least 2).
double e_bfmi(const std::vector<double>& energies);

struct ChainDiagnostics {
  std::string name;
  double mean = 0;
  double sd = 0;
  double ess_mean = 0;
  double ess_bulk = 0;
  double rhat = 0;       // rank-normalized split-R̂ = max(rhat_bulk, rhat_tail)
  double mcse_mean = 0;  // sd / √ess_mean
  double rhat_bulk = 0;
  double rhat_tail = 0;
  double ess_tail = 0;
};

ChainDiagnostics diagnose(const std::string& name, const Chains& chains);

// The convergence contract of DESIGN §2 for a sampler's tracked quantities.
struct ConvergenceCriteria {
  double max_rhat = 1.01;  // bulk and tail
  double min_ess_bulk = 400;
  double min_ess_tail = 400;
  std::size_t max_divergences = 0;
};

struct ConvergenceVerdict {
  bool converged = false;
  // Empty when converged; otherwise each failed check, worst quantity first, "; "-separated,
  // e.g. "R̂ 1.03 > 1.01 (z[2] tail); bulk ESS 212 < 400 (z[0]); 3 divergences".
  std::string reason;
  double max_rhat = 0;  // NaN when some R̂ is not finite
  double min_ess_bulk = 0;
  double min_ess_tail = 0;
  std::size_t divergences = 0;
};

// Converged iff every R̂ (bulk and tail) ≤ max_rhat, every bulk and tail ESS ≥ its minimum
// and divergences ≤ max_divergences. A non-finite R̂ or ESS fails.
ConvergenceVerdict convergence_verdict(const std::vector<ChainDiagnostics>& quantities, std::size_t divergences,
                                       const ConvergenceCriteria& criteria = {});

}  // namespace priorbench
