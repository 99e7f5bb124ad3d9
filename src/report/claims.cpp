#include "report/claims.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace priorbench::report {
namespace {

constexpr int kClaims = 3;

const char* const kClaimTitles[kClaims] = {
    "Latent estimates stall at the range distance",
    "The linearized (laplace) prior stays consistent where latent inference stalls",
    "Laplace UQ covers while latent UQ collapses",
};

const char* const kClaimTests[kClaims] = {
    "On test truths, a latent method's relative error stops falling as σ → 0 (|terminal slope| ≤ flat_slope, its "
    "CI below consistent_slope) at a floor within a factor floor_ratio of the truths' median relative distance to "
    "the generator's range.",
    "On test truths, the part of laplace's error in range(Aᵀ) (the part the data see) keeps falling as σ → 0 "
    "(slope in σ ≥ consistent_slope with its BCa CI above 0, terminal slope falling) while latent_map's has "
    "stalled (as in claim 1), and the paired difference of the two slopes has a CI above 0. Where A is injective "
    "the range part is the whole error.",
    "At the smallest σ of a cell, laplace's median 95 % pixel coverage is at least coverage_near while a latent "
    "method's is at most coverage_collapsed, and laplace's 95 % interval score is lower (paired Wilcoxon "
    "signed-rank test over truths, Holm-adjusted over this claim's tests, below alpha).",
};

std::string number(double value, const char* format = "%.3g") {
  if (!std::isfinite(value)) return "–";
  char text[48];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string with_interval(double value, const Interval& interval, const char* format = "%.3g") {
  if (!std::isfinite(value)) return "–";
  if (!interval.valid()) return number(value, format) + " [too few units]";
  return number(value, format) + " [" + number(interval.lower, format) + ", " + number(interval.upper, format) + "]";
}

std::string slope_text(double value, const Interval& interval) { return with_interval(value, interval, "%.2f"); }

std::string method_kind(const Results& r, std::size_t m) {
  return r.method_kinds[m].empty() ? r.methods[m] : r.method_kinds[m];
}

std::vector<std::size_t> methods_where(const Results& r, bool (*accept)(const std::string&)) {
  std::vector<std::size_t> found;
  for (std::size_t m = 0; m < r.methods.size(); ++m) {
    if (accept(method_kind(r, m))) found.push_back(m);
  }
  return found;
}

bool is_latent(const std::string& kind) { return kind.rfind("latent_", 0) == 0; }
bool is_laplace(const std::string& kind) { return kind == "laplace"; }
bool is_latent_map(const std::string& kind) { return kind == "latent_map"; }

enum class Injective { yes, no, unknown };

struct Injectivity {
  Injective state = Injective::unknown;
  std::string text;
};

// What the file says about A being injective at data size d: the recorded null parts of
// every run's error (zero up to the threshold everywhere: injective on these truths), or,
// without them, d against n and the operator.
Injectivity injectivity(const Analysis& a, std::int64_t d, const ClaimThresholds& t) {
  const Results& r = *a.results;
  const std::int64_t n = r.height * r.width;
  const std::string size = "d = " + std::to_string(d) + (d < n ? " < n = " : " ≥ n = ") + std::to_string(n);
  if (r.has_metric("null_error")) {
    double largest = -1;
    const MetricTable& table = r.metric("null_error");
    for (std::size_t task = 0; task < r.tasks.size(); ++task) {
      if (!r.tasks.done[task] || r.tasks.data_size[task] != d) continue;
      for (std::size_t m = 0; m < r.methods.size(); ++m) {
        if (std::isfinite(table.at(task, m))) largest = std::max(largest, table.at(task, m));
      }
    }
    if (largest >= 0) {
      if (largest <= t.injective_null)
        return {Injective::yes, size + "; null part of every error ≤ " + number(largest)};
      return {Injective::no, size + "; null parts up to " + number(largest)};
    }
  }
  if (d < n) return {Injective::no, size + ": A has a null space"};
  const std::string& op = r.operator_name;
  if (op == "identity" || op == "gaussian" || op == "inpaint" || op == "fourier") {
    return {Injective::yes, size + ", operator " + op};
  }
  return {Injective::unknown, size + (op.empty() ? "" : ", operator " + op) + " (injectivity not recorded)"};
}

// The fraction of a method's done runs in a truth kind and d (σ < 0: all σ) that did not converge.
std::pair<std::size_t, std::size_t> nonconverged_runs(const Analysis& a, std::size_t m, std::int64_t kind,
                                                      std::int64_t d, double sigma) {
  std::size_t failed = 0, runs = 0;
  for (const auto& cell : a.cells) {
    if (cell.method != m || cell.truth_kind != kind || cell.data_size != d) continue;
    if (sigma >= 0 && cell.sigma != sigma) continue;
    failed += cell.nonconverged;
    runs += cell.tasks;
  }
  return {failed, runs};
}

std::string nonconverged_reason(const Analysis& a, std::size_t m, std::size_t failed, std::size_t runs) {
  return std::to_string(failed) + " of " + std::to_string(runs) + " runs of " + a.method_name(m) +
         " did not converge here: its estimates are not those of its posterior";
}

bool stalled(double terminal, const Interval& interval, const ClaimThresholds& t) {
  return std::isfinite(terminal) && std::abs(terminal) <= t.flat_slope && interval.valid() &&
         interval.upper < t.consistent_slope;
}

std::string stall_failure(const std::string& who, double terminal, const Interval& interval, const ClaimThresholds& t) {
  if (std::abs(terminal) > t.flat_slope) {
    return who + " has not stalled: terminal slope " + slope_text(terminal, interval) +
           (terminal > 0 ? " (still falling)" : " (rising as σ falls)");
  }
  return who + " is inconclusive: terminal slope " + slope_text(terminal, interval) + " reaches " +
         number(t.consistent_slope) + " within its CI";
}

std::int64_t kind_index(const Analysis& a, const std::string& name) {
  for (const auto kind : a.truth_kinds) {
    if (a.kind_name(kind) == name) return kind;
  }
  return -1;
}

class Judge {
 public:
  Judge(const Analysis& analysis, const ClaimThresholds& thresholds)
      : a_(analysis), r_(*analysis.results), t_(thresholds) {
    report_.thresholds = thresholds;
  }

  ClaimsReport run() && {
    claim_stall();
    claim_consistency();
    claim_coverage();
    return std::move(report_);
  }

 private:
  ClaimCell untestable(int claim, std::int64_t kind, std::int64_t d, const std::string& reason) const {
    ClaimCell cell;
    cell.claim = claim;
    cell.truth_kind = kind;
    cell.data_size = d;
    cell.verdict = Verdict::not_testable;
    cell.reason = reason;
    return cell;
  }

  void add(ClaimCell cell) { report_.cells.push_back(std::move(cell)); }

  // The claims compare inference on one generator: a VAE's laplace against the VAE's
  // latent_map, not against a GAN's (a study of several families, docs/study-format.md).
  bool same_generator(std::size_t a, std::size_t b) const { return r_.method_models[a] == r_.method_models[b]; }
  bool any_pair(const std::vector<std::size_t>& first, const std::vector<std::size_t>& second) const {
    for (const std::size_t a : first) {
      for (const std::size_t b : second) {
        if (same_generator(a, b)) return true;
      }
    }
    return false;
  }

  // Claim 1, per test-truth cell and latent method.
  void claim_stall() {
    const std::int64_t test = kind_index(a_, "test");
    const auto latent = methods_where(r_, is_latent);
    if (test < 0) return add(untestable(1, -1, 0, "no test truths in this file (the claim is about held-out images)"));
    if (latent.empty()) return add(untestable(1, test, 0, "no latent method in this study"));
    for (const auto d : a_.data_sizes) {
      const Injectivity injective = injectivity(a_, d, t_);
      for (const std::size_t m : latent) {
        ClaimCell cell = untestable(1, test, d, "");
        cell.method = a_.method_name(m);
        cell.injectivity = injective.text;
        const SigmaRate* rate = a_.sigma_rate("relative_error", m, test, d);
        if (rate == nullptr) continue;
        const auto [failed, runs] = nonconverged_runs(a_, m, test, d, -1);
        cell.floor = rate->floor.floor;
        cell.floor_interval = rate->floor.floor_interval;
        cell.range_distance = rate->relative_range_distance;
        cell.terminal_slope = rate->floor.terminal_slope;
        cell.terminal_interval = rate->floor.terminal_interval;
        cell.slope = rate->slope.slope;
        cell.slope_interval = rate->slope.interval;
        if (!std::isfinite(rate->floor.sigma_next)) {
          cell.reason = "one noise level only: no slope in σ";
        } else if (!std::isfinite(cell.range_distance) || !(cell.range_distance > 0)) {
          cell.reason = "the truths' distance to the generator's range is not recorded (no generator)";
        } else if (static_cast<double>(failed) > t_.max_nonconverged * static_cast<double>(runs)) {
          cell.reason = nonconverged_reason(a_, m, failed, runs);
        } else {
          judge_stall(cell, injective);
        }
        add(std::move(cell));
      }
    }
  }

  void judge_stall(ClaimCell& cell, const Injectivity& injective) const {
    const double ratio = cell.floor / cell.range_distance;
    const bool at_range = ratio <= t_.floor_ratio && ratio >= 1 / t_.floor_ratio;
    const bool flat = stalled(cell.terminal_slope, cell.terminal_interval, t_);
    const std::string floor_text = "floor " + with_interval(cell.floor, cell.floor_interval) + " = " +
                                   number(ratio, "%.2f") + " × the range distance " + number(cell.range_distance);
    cell.verdict = at_range && flat ? Verdict::supported : Verdict::not_supported;
    if (cell.verdict == Verdict::supported) {
      cell.reason = floor_text + "; terminal slope " + slope_text(cell.terminal_slope, cell.terminal_interval);
    } else {
      std::vector<std::string> failures;
      if (!flat) failures.push_back(stall_failure("the error", cell.terminal_slope, cell.terminal_interval, t_));
      if (!at_range)
        failures.push_back(floor_text + ", outside [" + number(1 / t_.floor_ratio, "%.2f") + ", " +
                           number(t_.floor_ratio, "%.2f") + "]");
      cell.reason = failures[0] + (failures.size() > 1 ? "; " + failures[1] : "");
    }
    if (injective.state == Injective::no) {
      cell.reason +=
          " (A is not injective here: every method's error has a floor, so a floor alone says nothing "
          "about the generator)";
    }
  }

  // Claim 2, per test-truth cell and pair (laplace, latent_map).
  void claim_consistency() {
    const std::int64_t test = kind_index(a_, "test");
    const auto laplace = methods_where(r_, is_laplace), latent_map = methods_where(r_, is_latent_map);
    if (test < 0) return add(untestable(2, -1, 0, "no test truths in this file (the claim is about held-out images)"));
    if (laplace.empty() || latent_map.empty()) {
      return add(untestable(2, test, 0, "needs a laplace and a latent_map method; this study lacks one"));
    }
    if (!any_pair(laplace, latent_map)) {
      return add(untestable(2, test, 0, "needs a laplace and a latent_map method of the same generator"));
    }
    for (const auto d : a_.data_sizes) {
      const Injectivity injective = injectivity(a_, d, t_);
      const std::string metric = r_.has_metric("range_error")        ? "range_error"
                                 : injective.state == Injective::yes ? "relative_error"
                                                                     : "";
      for (const std::size_t l : laplace) {
        for (const std::size_t m : latent_map) {
          if (!same_generator(l, m)) continue;
          ClaimCell cell = untestable(2, test, d, "");
          cell.method = a_.method_name(l);
          cell.against = a_.method_name(m);
          cell.injectivity = injective.text;
          if (metric.empty()) {
            cell.reason = injective.text +
                          (injective.state == Injective::no ? "" : " and no operator known to be injective") +
                          ", and this file records no range/null split (range_error): consistency where the data "
                          "inform cannot be measured";
            add(std::move(cell));
            continue;
          }
          judge_consistency(cell, metric, l, m, test, d);
          add(std::move(cell));
        }
      }
    }
  }

  void judge_consistency(ClaimCell& cell, const std::string& metric, std::size_t l, std::size_t m, std::int64_t test,
                         std::int64_t d) const {
    const SigmaRate* mine = a_.sigma_rate(metric, l, test, d);
    const SigmaRate* theirs = a_.sigma_rate(metric, m, test, d);
    if (mine == nullptr || theirs == nullptr) return;
    cell.slope = mine->slope.slope;
    cell.slope_interval = mine->slope.interval;
    cell.terminal_slope = mine->floor.terminal_slope;
    cell.terminal_interval = mine->floor.terminal_interval;
    cell.against_slope = theirs->slope.slope;
    cell.against_slope_interval = theirs->slope.interval;
    cell.against_terminal_slope = theirs->floor.terminal_slope;
    if (!std::isfinite(mine->floor.sigma_next)) {
      cell.reason = "one noise level only: no slope in σ";
      return;
    }
    for (const std::size_t method : {l, m}) {
      const auto [failed, runs] = nonconverged_runs(a_, method, test, d, -1);
      if (static_cast<double>(failed) > t_.max_nonconverged * static_cast<double>(runs)) {
        cell.reason = nonconverged_reason(a_, method, failed, runs);
        return;
      }
    }
    const std::size_t min_truths = a_.options.min_truths_for_truth_units;
    const auto a_points = sigma_observations(r_, metric, l, test, d, min_truths).first;
    const auto b_points = sigma_observations(r_, metric, m, test, d, min_truths).first;
    const SlopeEstimate difference = log_log_slope_difference(
        a_points, b_points, a_.options.bootstrap,
        stable_key("claim2|" + metric + "|" + cell.method + "|" + cell.against + "|d=" + std::to_string(d)));
    cell.difference = difference.slope;
    cell.difference_interval = difference.interval;

    const std::string part = metric == "range_error" ? "range(Aᵀ) part of the error" : "error (A injective)";
    const bool consistent = std::isfinite(cell.slope) && cell.slope >= t_.consistent_slope &&
                            cell.slope_interval.valid() && cell.slope_interval.lower > 0 &&
                            mine->floor.verdict == FloorVerdict::falling;
    const bool latent_stalls = stalled(theirs->floor.terminal_slope, theirs->floor.terminal_interval, t_);
    const bool apart = cell.difference_interval.valid() && cell.difference_interval.lower > 0;
    const std::string numbers = cell.method + "'s " + part + ": slope " + slope_text(cell.slope, cell.slope_interval) +
                                ", terminal " + slope_text(cell.terminal_slope, cell.terminal_interval) + "; " +
                                cell.against + "'s: slope " +
                                slope_text(cell.against_slope, cell.against_slope_interval) + ", terminal " +
                                slope_text(theirs->floor.terminal_slope, theirs->floor.terminal_interval) +
                                "; difference of slopes " + slope_text(cell.difference, cell.difference_interval);
    cell.verdict = consistent && latent_stalls && apart ? Verdict::supported : Verdict::not_supported;
    if (cell.verdict == Verdict::supported) {
      cell.reason = numbers;
      return;
    }
    std::vector<std::string> failures;
    if (!consistent) {
      failures.push_back(cell.method + "'s " + part + " does not keep falling (slope " +
                         slope_text(cell.slope, cell.slope_interval) + ", terminal verdict " +
                         verdict_name(mine->floor.verdict) + ")");
    }
    if (!latent_stalls) {
      failures.push_back(stall_failure(cell.against + "'s " + part, theirs->floor.terminal_slope,
                                       theirs->floor.terminal_interval, t_));
    }
    if (!apart)
      failures.push_back("the difference of slopes " + slope_text(cell.difference, cell.difference_interval) +
                         " is not above 0");
    cell.reason = failures[0];
    for (std::size_t i = 1; i < failures.size(); ++i) cell.reason += "; " + failures[i];
    cell.reason += " (" + numbers + ")";
  }

  // Claim 3, per truth kind, d and latent method with pixel std; then Holm over the tests.
  void claim_coverage() {
    const auto laplace = methods_where(r_, is_laplace);
    std::vector<std::size_t> latent;
    for (const std::size_t m : methods_where(r_, is_latent)) {
      for (const auto& cell : a_.cells) {
        const MetricSummary* coverage = cell.find("coverage_95");
        if (cell.method == m && coverage != nullptr && coverage->count > 0) {
          latent.push_back(m);
          break;
        }
      }
    }
    if (!r_.has_metric("coverage_95")) return add(untestable(3, -1, 0, "the file records no coverage"));
    if (laplace.empty() || latent.empty()) {
      return add(
          untestable(3, -1, 0, "needs a laplace method and a latent method with pixel std; this study lacks one"));
    }
    if (!any_pair(laplace, latent)) {
      return add(
          untestable(3, -1, 0, "needs a laplace method and a latent method with pixel std of the same generator"));
    }
    const std::size_t first = report_.cells.size();
    for (const auto kind : a_.truth_kinds) {
      for (const auto d : a_.data_sizes) {
        double smallest = kNaN;
        for (const double sigma : a_.sigmas) {
          if (a_.cell(laplace[0], kind, d, sigma) != nullptr) smallest = sigma;  // σ descending: the last one
        }
        if (!std::isfinite(smallest)) continue;
        const Injectivity injective = injectivity(a_, d, t_);
        for (const std::size_t m : latent) {
          for (const std::size_t l : laplace) {
            if (!same_generator(l, m)) continue;
            ClaimCell cell = untestable(3, kind, d, "");
            cell.sigma = smallest;
            cell.method = a_.method_name(m);
            cell.against = a_.method_name(l);
            cell.injectivity = injective.text;
            judge_coverage(cell, l, m, kind, d, smallest);
            add(std::move(cell));
          }
        }
      }
    }
    std::vector<double> p;
    for (std::size_t i = first; i < report_.cells.size(); ++i) p.push_back(report_.cells[i].p_value);
    const auto adjusted = holm_adjust(p);
    for (std::size_t i = first; i < report_.cells.size(); ++i) {
      ClaimCell& cell = report_.cells[i];
      cell.holm_p = adjusted[i - first];
      if (cell.verdict == Verdict::not_testable) continue;
      conclude_coverage(cell);
    }
  }

  void judge_coverage(ClaimCell& cell, std::size_t l, std::size_t m, std::int64_t kind, std::int64_t d,
                      double sigma) const {
    const SummaryCell* mine = a_.cell(m, kind, d, sigma);
    const SummaryCell* theirs = a_.cell(l, kind, d, sigma);
    if (mine == nullptr || theirs == nullptr) return;
    cell.coverage = mine->find("coverage_95")->quartiles.median;
    cell.against_coverage = theirs->find("coverage_95")->quartiles.median;
    if (!r_.has_metric("interval_score_95")) {
      cell.reason = "the file records no interval score, and coverage alone rewards useless intervals";
      return;
    }
    cell.interval_score = mine->find("interval_score_95")->quartiles.median;
    cell.against_interval_score = theirs->find("interval_score_95")->quartiles.median;
    for (const std::size_t method : {m, l}) {
      const auto [failed, runs] = nonconverged_runs(a_, method, kind, d, sigma);
      if (static_cast<double>(failed) > t_.max_nonconverged * static_cast<double>(runs)) {
        cell.reason = nonconverged_reason(a_, method, failed, runs);
        return;
      }
    }
    if (!std::isfinite(cell.coverage) || !std::isfinite(cell.against_coverage)) {
      cell.reason = "no pixel std from one of the two methods in this cell";
      return;
    }
    // Paired over truths: laplace − latent (negative: laplace scores better).
    const auto ours = truth_values(r_, "interval_score_95", l, kind, d, sigma);
    const auto other = truth_values(r_, "interval_score_95", m, kind, d, sigma);
    std::vector<double> x, y;
    for (const auto& [truth, value] : ours) {
      const auto found = other.find(truth);
      if (found == other.end()) continue;
      x.push_back(value);
      y.push_back(found->second);
    }
    const PairedComparison comparison = compare_paired(x, y);
    cell.pairs = comparison.pairs;
    cell.p_value = comparison.signed_rank.p_value;
    cell.difference = comparison.median_difference;
    cell.verdict = Verdict::not_supported;  // decided in conclude_coverage, after Holm
  }

  void conclude_coverage(ClaimCell& cell) const {
    const bool covers = cell.against_coverage >= t_.coverage_near;
    const bool collapses = cell.coverage <= t_.coverage_collapsed;
    const bool scores = cell.difference < 0 && std::isfinite(cell.holm_p) && cell.holm_p < t_.alpha;
    const std::string numbers = "95 % coverage " + cell.against + " " + number(cell.against_coverage, "%.3f") + ", " +
                                cell.method + " " + number(cell.coverage, "%.3f") + "; interval score " + cell.against +
                                " " + number(cell.against_interval_score) + ", " + cell.method + " " +
                                number(cell.interval_score) + " (median paired difference " + number(cell.difference) +
                                " over " + std::to_string(cell.pairs) + " truths, Wilcoxon p " + number(cell.p_value) +
                                ", Holm " + number(cell.holm_p) + ")";
    cell.verdict = covers && collapses && scores ? Verdict::supported : Verdict::not_supported;
    if (cell.verdict == Verdict::supported) {
      cell.reason = numbers;
      return;
    }
    std::vector<std::string> failures;
    if (!covers) failures.push_back(cell.against + " does not cover (below " + number(t_.coverage_near) + ")");
    if (!collapses)
      failures.push_back(cell.method + "'s coverage has not collapsed (above " + number(t_.coverage_collapsed) + ")");
    if (!scores) failures.push_back(cell.against + "'s interval score is not significantly lower");
    cell.reason = failures[0];
    for (std::size_t i = 1; i < failures.size(); ++i) cell.reason += "; " + failures[i];
    cell.reason += " (" + numbers + ")";
  }

  const Analysis& a_;
  const Results& r_;
  ClaimThresholds t_;
  ClaimsReport report_;
};

std::string cell_name(const Analysis& a, const ClaimCell& cell) {
  std::string name = cell.truth_kind >= 0 ? a.kind_name(cell.truth_kind) : "–";
  name += cell.data_size > 0 ? ", d = " + std::to_string(cell.data_size) : "";
  if (std::isfinite(cell.sigma)) name += ", σ = " + number(cell.sigma, "%g");
  return name;
}

std::string who(const ClaimCell& cell) {
  if (cell.method.empty()) return "–";
  return cell.against.empty() ? cell.method : cell.method + " vs " + cell.against;
}

std::string markdown_escape(std::string text) {
  std::string escaped;
  for (const char c : text) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
  return escaped;
}

}  // namespace

const char* verdict_text(Verdict verdict) {
  switch (verdict) {
    case Verdict::supported:
      return "supported";
    case Verdict::not_supported:
      return "not supported";
    case Verdict::not_testable:
      return "not testable here";
  }
  return "not testable here";
}

ClaimsReport judge_claims(const Analysis& analysis, const ClaimThresholds& thresholds) {
  return Judge(analysis, thresholds).run();
}

std::string claims_markdown(const Analysis& a, const ClaimsReport& claims) {
  const Results& r = *a.results;
  const ClaimThresholds& t = claims.thresholds;
  std::ostringstream out;
  out << "# The seed claims, judged from the data: " << (r.study_name.empty() ? r.path : r.study_name) << "\n\n";
  out << "Written by `priorbench report` from `" << r.path << "` (" << a.done_count << " of " << a.task_count
      << " tasks done; code " << (r.git_version.empty() ? "unknown" : r.git_version) << ", source tree "
      << source_tree_name(r.source_tree) << "). Every number below is computed from that file; how the verdicts "
      << "are reached: docs/report.md, \"The seed claims\". Operator "
      << (r.operator_name.empty() ? "(not recorded)" : "`" + r.operator_name + "`") << ", n = " << r.height * r.width
      << " pixels; a design cell is a truth kind and a data size d.\n\n";
  out << "## Thresholds\n\n";
  out << "| name | value | meaning |\n|:--|--:|:--|\n";
  out << "| floor_ratio | " << number(t.floor_ratio) << " | claim 1: floor / range distance within [1/r, r] |\n";
  out << "| flat_slope | " << number(t.flat_slope) << " | an error has stalled: \\|terminal slope\\| at most this, "
      << "and its CI below consistent_slope |\n";
  out << "| consistent_slope | " << number(t.consistent_slope) << " | an error keeps falling: slope in σ at least "
      << "this, CI above 0, terminal slope falling |\n";
  out << "| coverage_near | " << number(t.coverage_near) << " | claim 3: laplace's median 95 % coverage at least "
      << "this |\n";
  out << "| coverage_collapsed | " << number(t.coverage_collapsed) << " | claim 3: a latent method's at most this |\n";
  out << "| alpha | " << number(t.alpha) << " | level of the Holm-adjusted tests |\n";
  out << "| injective_null | " << number(t.injective_null) << " | A counts as injective on the truths when every "
      << "run's null part is at most this |\n";
  out << "| max_nonconverged | " << number(t.max_nonconverged) << " | a method with more non-converged runs in a "
      << "cell is not judged there |\n\n";
  out << "Intervals: " << number(100 * a.options.bootstrap.level, "%g")
      << " %; slopes with BCa cluster-bootstrap intervals over truths, floors with order-statistic intervals, "
         "terminal slopes with percentile cluster-bootstrap intervals (B = "
      << a.options.bootstrap.replicates << ", seed " << a.options.bootstrap.seed << ").\n\n";

  for (int claim = 1; claim <= kClaims; ++claim) {
    out << "## Claim " << claim << ": " << kClaimTitles[claim - 1] << "\n\n";
    out << "Test: " << kClaimTests[claim - 1] << "\n\n";
    out << "| cell | method | verdict | A injective? | decided by |\n|:--|:--|:--|:--|:--|\n";
    for (const auto& cell : claims.cells) {
      if (cell.claim != claim) continue;
      out << "| " << cell_name(a, cell) << " | " << who(cell) << " | **" << verdict_text(cell.verdict) << "** | "
          << markdown_escape(cell.injectivity.empty() ? "–" : cell.injectivity) << " | " << markdown_escape(cell.reason)
          << " |\n";
    }
    out << "\n";
  }

  out << "## What these data do not support\n\n";
  bool any = false;
  for (const auto& cell : claims.cells) {
    if (cell.verdict == Verdict::supported) continue;
    any = true;
    out << "- Claim " << cell.claim << " (" << kClaimTitles[cell.claim - 1] << "), " << cell_name(a, cell) << ", "
        << who(cell) << ": **" << verdict_text(cell.verdict) << "** — " << cell.reason << ".\n";
  }
  if (!any) out << "- Every cell that could be judged supports its claim.\n";
  if (r.source_tree != SourceTree::clean) {
    out << "- These results come from a build whose source tree was " << source_tree_name(r.source_tree)
        << ": they cannot be reproduced from a commit.\n";
  }
  if (!a.nonconverged.empty()) {
    out << "- " << a.nonconverged.size() << " of " << a.method_runs
        << " method runs did not converge (nonconverged.csv); they are included in every statistic above.\n";
  }
  std::size_t few = 0;
  for (const auto& cell : a.cells) {
    const MetricSummary* error = cell.find("relative_error");
    few += error != nullptr && error->median_interval.too_few_units() ? 1 : 0;
  }
  if (few > 0) {
    out << "- " << few << " of " << a.cells.size() << " cells have too few truths for a "
        << number(100 * a.options.bootstrap.level, "%g") << " % interval of their median (at least "
        << minimum_units(0.5, a.options.bootstrap.level) << " are needed).\n";
  }
  for (const auto& rate : a.sigma_rates) {
    if (rate.unit_kind == "truth-replicate") {
      out << "- Some slopes rest on fewer than " << a.options.min_truths_for_truth_units
          << " truths (resampled as truth-replicate pairs): their intervals speak for those truths only.\n";
      break;
    }
  }
  return out.str();
}

std::string claims_csv(const Analysis& a, const ClaimsReport& claims) {
  std::ostringstream out;
  out << "claim,truth_kind,data_size,sigma,method,against,verdict,floor,floor_low,floor_high,range_distance,"
         "terminal_slope,terminal_low,terminal_high,slope,slope_low,slope_high,against_slope,against_slope_low,"
         "against_slope_high,difference,difference_low,difference_high,coverage,against_coverage,interval_score,"
         "against_interval_score,pairs,p_value,holm_p\n";
  const auto csv = [](double value) { return std::isfinite(value) ? number(value, "%.10g") : std::string("nan"); };
  for (const auto& c : claims.cells) {
    out << c.claim << "," << (c.truth_kind >= 0 ? a.kind_name(c.truth_kind) : "") << "," << c.data_size << ","
        << csv(c.sigma) << "," << c.method << "," << c.against << "," << verdict_text(c.verdict) << "," << csv(c.floor)
        << "," << csv(c.floor_interval.lower) << "," << csv(c.floor_interval.upper) << "," << csv(c.range_distance)
        << "," << csv(c.terminal_slope) << "," << csv(c.terminal_interval.lower) << ","
        << csv(c.terminal_interval.upper) << "," << csv(c.slope) << "," << csv(c.slope_interval.lower) << ","
        << csv(c.slope_interval.upper) << "," << csv(c.against_slope) << "," << csv(c.against_slope_interval.lower)
        << "," << csv(c.against_slope_interval.upper) << "," << csv(c.difference) << ","
        << csv(c.difference_interval.lower) << "," << csv(c.difference_interval.upper) << "," << csv(c.coverage) << ","
        << csv(c.against_coverage) << "," << csv(c.interval_score) << "," << csv(c.against_interval_score) << ","
        << c.pairs << "," << csv(c.p_value) << "," << csv(c.holm_p) << "\n";
  }
  return out.str();
}

std::string claims_summary_markdown(const ClaimsReport& claims, const Analysis& a) {
  std::ostringstream out;
  for (int claim = 1; claim <= kClaims; ++claim) {
    std::size_t counts[3] = {0, 0, 0};
    std::string supported;
    for (const auto& cell : claims.cells) {
      if (cell.claim != claim) continue;
      ++counts[static_cast<int>(cell.verdict)];
      if (cell.verdict == Verdict::supported) {
        supported += (supported.empty() ? "" : "; ") + cell_name(a, cell) + " (" + who(cell) + ")";
      }
    }
    out << "- **Claim " << claim << "** (" << kClaimTitles[claim - 1] << "): supported in " << counts[0]
        << ", not supported in " << counts[1] << ", not testable in " << counts[2] << " cells"
        << (supported.empty() ? "" : " — supported at " + supported) << ".\n";
  }
  out << "\nThe cells, numbers and tests behind each verdict, and what the data do not support: "
         "[claims.md](claims.md).\n";
  return out.str();
}

}  // namespace priorbench::report
