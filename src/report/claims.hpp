#pragma once
// The seeds' three claims judged from a results file (DESIGN §4 "Claims from data"),
// written by `priorbench report` as claims.md and claims.csv. Every number comes from the
// analysis of the file; the thresholds are stated in the output and in docs/report.md.
//
// A design cell is a truth kind and a data size d (one operator per results file). In
// each cell a claim is `supported`, `not supported` (with what contradicts it, or why
// the evidence is inconclusive) or `not testable here` (with the reason: no such truths,
// no generator, no such method, one noise level, d < n with no range/null split, a
// sampler that did not converge):
//
// 1. Latent estimates stall at the range distance: on test truths a latent method's
//    error stops falling as σ → 0 (|terminal slope| ≤ flat_slope, its CI below
//    consistent_slope) at a floor within a factor floor_ratio of the truths' median
//    relative distance to the generator's range.
// 2. The linearized (laplace) prior stays consistent where latent inference stalls: on
//    test truths the part of laplace's error in range(Aᵀ) falls with σ (slope ≥
//    consistent_slope, BCa CI above 0, terminal slope falling) while latent_map's stalls
//    (as in 1), and the paired difference of the two slopes has a CI above 0. Where A is
//    injective the range part is the whole error; where d < n and the file has no
//    range/null split, the claim cannot be tested.
// 3. Laplace UQ covers while latent UQ collapses: at the smallest σ of a cell, laplace's
//    median 95 % pixel coverage is at least coverage_near while a latent method's is at
//    most coverage_collapsed, and laplace's interval score is lower than the latent
//    method's (paired Wilcoxon over truths, Holm-adjusted over the claim's tests, below
//    alpha).
// A method with more than max_nonconverged of its runs not converged (claims 1 and 2: at
// that d over all σ; claim 3: at the smallest σ) is not judged: its estimates and
// intervals are not its posterior's.

#include <string>
#include <vector>

#include "report/analysis.hpp"

namespace priorbench::report {

struct ClaimThresholds {
  double floor_ratio = 1.5;         // claim 1: floor / range distance within [1/r, r]
  double flat_slope = 0.2;          // |terminal slope| at most this: the error has stalled
  double consistent_slope = 0.5;    // a slope in σ at least this: the error keeps falling
  double coverage_near = 0.85;      // claim 3: laplace's median 95 % coverage at least this
  double coverage_collapsed = 0.5;  // claim 3: a latent method's at most this
  double alpha = 0.05;              // level of the Holm-adjusted tests
  double injective_null = 1e-6;     // every run's null part at most this: A injective on the truths
  double max_nonconverged = 0.05;   // a judged method's non-converged fraction in a cell at most this
};

enum class Verdict { supported, not_supported, not_testable };
const char* verdict_text(Verdict verdict);  // "supported", "not supported", "not testable here"

// One claim in one design cell for one method (and the method it is compared with).
struct ClaimCell {
  int claim = 0;  // 1, 2, 3
  std::int64_t truth_kind = 0;
  std::int64_t data_size = 0;
  double sigma = kNaN;  // claim 3: the smallest σ of the cell
  std::string method;   // the latent method (claims 1, 3) or laplace (claim 2)
  std::string against;  // latent_map (claim 2), laplace (claim 3)
  Verdict verdict = Verdict::not_testable;
  std::string reason;       // what decided it, in words with the numbers
  std::string injectivity;  // what the cell says about A being injective on the truths
  // The numbers behind the verdict (NaN where they do not apply).
  double floor = kNaN;
  Interval floor_interval;
  double range_distance = kNaN;
  double terminal_slope = kNaN;
  Interval terminal_interval;
  double slope = kNaN;
  Interval slope_interval;
  double against_slope = kNaN;
  Interval against_slope_interval;
  double against_terminal_slope = kNaN;
  double difference = kNaN;
  Interval difference_interval;
  double coverage = kNaN;
  double against_coverage = kNaN;
  double interval_score = kNaN;
  double against_interval_score = kNaN;
  std::size_t pairs = 0;
  double p_value = kNaN;
  double holm_p = kNaN;
};

struct ClaimsReport {
  ClaimThresholds thresholds;
  std::vector<ClaimCell> cells;  // claim 1, then 2, then 3
};

ClaimsReport judge_claims(const Analysis& analysis, const ClaimThresholds& thresholds = {});

std::string claims_markdown(const Analysis& analysis, const ClaimsReport& claims);
std::string claims_csv(const Analysis& analysis, const ClaimsReport& claims);
// A few lines for report.md: each claim's verdicts by cell.
std::string claims_summary_markdown(const ClaimsReport& claims, const Analysis& analysis);

}  // namespace priorbench::report
