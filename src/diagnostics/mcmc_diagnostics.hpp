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
//                      mean, MCSE = sd/√ESS), `ess_bulk` on rank-normalized split draws.
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

struct ChainDiagnostics {
  std::string name;
  double mean = 0;
  double sd = 0;
  double ess_mean = 0;
  double ess_bulk = 0;
  double rhat = 0;       // rank-normalized split-R̂
  double mcse_mean = 0;  // sd / √ess_mean
};

ChainDiagnostics diagnose(const std::string& name, const Chains& chains);

}  // namespace priorbench
