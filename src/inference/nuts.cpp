#include "inference/nuts.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/random.hpp"

namespace priorbench {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr std::size_t kMaxDimension = std::size_t{1} << 20;  // keeps a step-size search inside its counter block
constexpr std::size_t kMaxTreeDepth = 30;
constexpr double kLargestStepSize = 1e7;  // Stan's bound: beyond it the target looks improper

enum Direction { backward = 0, forward = 1 };

double dot(std::span<const double> a, std::span<const double> b) {
  double sum = 0;
  for (std::size_t j = 0; j < a.size(); ++j) sum += a[j] * b[j];
  return sum;
}

double log_sum_exp(double a, double b) {
  if (a == -kInfinity) return b;
  if (b == -kInfinity) return a;
  const double larger = std::max(a, b);
  return larger + std::log1p(std::exp(std::min(a, b) - larger));
}

bool all_finite(std::span<const double> values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

// H at a freshly evaluated point; +∞ where U or ∇U is not finite, so the point weighs nothing.
double energy_of(const PhasePoint& point) {
  const double h = point.hamiltonian();
  return std::isfinite(h) && all_finite(point.gradient) ? h : kInfinity;
}

// ---------------------------------------------------------------------------------------------
// Lockstep evaluation

// Evaluates U and ∇U in batched calls of at most max_batch points and counts them.
class LockstepEvaluator {
 public:
  LockstepEvaluator(const BatchedPotential& potential, std::size_t dimension, std::size_t max_batch)
      : potential_(potential), dimension_(dimension), max_batch_(max_batch) {}

  void evaluate(std::span<const double> points, std::size_t count, std::span<double> potentials,
                std::span<double> gradients) {
    const std::size_t chunk = max_batch_ == 0 ? count : max_batch_;
    for (std::size_t first = 0; first < count; first += chunk) {
      const std::size_t size = std::min(chunk, count - first);
      potential_(points.subspan(first * dimension_, size * dimension_), size, potentials.subspan(first, size),
                 gradients.subspan(first * dimension_, size * dimension_));
      evaluations_ += static_cast<std::int64_t>(size);
      ++calls_;
    }
  }
  std::int64_t evaluations() const { return evaluations_; }
  std::int64_t calls() const { return calls_; }

 private:
  const BatchedPotential& potential_;
  std::size_t dimension_;
  std::size_t max_batch_;
  std::int64_t evaluations_ = 0;
  std::int64_t calls_ = 0;
};

// A chain's unfinished work that needs U and ∇U at one position per round.
class Walker {
 public:
  virtual ~Walker() = default;
  virtual bool waiting() const = 0;
  virtual std::span<const double> position() const = 0;
  virtual void receive(double potential, std::span<const double> gradient) = 0;
};

// Rounds until no walker waits; each round evaluates every waiting walker's position at once.
void advance_in_lockstep(LockstepEvaluator& evaluator, const std::vector<Walker*>& walkers, std::size_t m) {
  std::vector<Walker*> waiting;
  std::vector<double> points, potentials, gradients;
  while (true) {
    waiting.clear();
    points.clear();
    for (Walker* walker : walkers) {
      if (!walker->waiting()) continue;
      waiting.push_back(walker);
      points.insert(points.end(), walker->position().begin(), walker->position().end());
    }
    if (waiting.empty()) return;
    potentials.assign(waiting.size(), 0.0);
    gradients.assign(waiting.size() * m, 0.0);
    evaluator.evaluate(points, waiting.size(), potentials, gradients);
    for (std::size_t k = 0; k < waiting.size(); ++k) {
      waiting[k]->receive(potentials[k], std::span<const double>(gradients).subspan(k * m, m));
    }
  }
}

template <class W>
std::vector<Walker*> walkers_of(std::vector<W>& items) {
  std::vector<Walker*> walkers;
  for (W& item : items) walkers.push_back(&item);
  return walkers;
}

// ---------------------------------------------------------------------------------------------
// The trajectory of one transition

// A piece of trajectory as NUTS keeps it: its total weight Σ exp(H0 − H), the point drawn from
// it, the momenta and velocities at its two ends (first and last in the order built) and
// the momentum sum ρ over its points.
struct Subtree {
  double log_weight = -kInfinity;
  PhasePoint proposal;
  std::vector<double> first_momentum, first_velocity;
  std::vector<double> last_momentum, last_velocity;
  std::vector<double> momentum_sum;
};

Subtree leaf(const PhasePoint& point, double log_weight) {
  return {log_weight, point, point.momentum, point.velocity, point.momentum, point.velocity, point.momentum};
}

// The basic criterion: the piece has not turned back while both end velocities have a
// positive component along its momentum sum.
bool no_u_turn(std::span<const double> velocity_a, std::span<const double> velocity_b,
               std::span<const double> momentum_sum) {
  return dot(velocity_a, momentum_sum) > 0 && dot(velocity_b, momentum_sum) > 0;
}

std::vector<double> sum_of(std::span<const double> a, std::span<const double> b) {
  std::vector<double> sum(a.size());
  for (std::size_t j = 0; j < a.size(); ++j) sum[j] = a[j] + b[j];
  return sum;
}

// Stan's criterion for joining adjacent pieces (first, second, in the order built): the
// joined piece, and each piece extended by the neighbouring end point of the other. The two
// extra checks catch a U-turn that lies across the junction, which the ends of the joined
// piece alone can miss (stan-dev/stan#2800, 2019).
bool joins_without_u_turn(const Subtree& first, const Subtree& second, std::span<const double> joined_sum) {
  return no_u_turn(first.first_velocity, second.last_velocity, joined_sum) &&
         no_u_turn(first.first_velocity, second.first_velocity, sum_of(first.momentum_sum, second.first_momentum)) &&
         no_u_turn(first.last_velocity, second.last_velocity, sum_of(second.momentum_sum, first.last_momentum));
}

struct TreeSettings {
  std::size_t max_depth = 10;
  double max_energy_error = 1000;
};

// Counter positions of one iteration's tree uniforms: the direction and the top-level choice
// of each doubling, then one per subtree merge (fewer than 2^D in all).
std::uint64_t trajectory_block(std::size_t max_depth) { return 2 * max_depth + (std::uint64_t{1} << max_depth); }

// One multinomial NUTS transition, built iteratively one leapfrog step per round. The
// subtree of a doubling grows leaf by leaf; after the k-th leaf the stack merges as many
// times as k has trailing zero bits — Stan's recursion in the same order.
class TrajectoryBuilder final : public Walker {
 public:
  TrajectoryBuilder(const EuclideanMetric& metric, const TreeSettings& settings, const CounterRandom& random,
                    std::uint64_t block_begin)
      : metric_(metric), settings_(settings), random_(random), block_begin_(block_begin) {}

  // From `initial`, whose momentum has just been drawn.
  void start(const PhasePoint& initial, double step_size) {
    step_size_ = step_size;
    initial_energy_ = energy_of(initial);
    ends_[backward] = ends_[forward] = initial;
    momentum_sum_ = initial.momentum;
    log_weight_ = 0;  // log exp(H0 − H0)
    draw_ = initial;
    start_doubling();
  }

  bool waiting() const override { return !finished_; }
  std::span<const double> position() const override { return cursor_.position; }

  void receive(double potential, std::span<const double> gradient) override {
    finish_leapfrog(metric_, signed_step(), potential, gradient, cursor_);
    ++leapfrog_steps_;
    const double energy = energy_of(cursor_);
    const double log_weight = initial_energy_ - energy;
    acceptance_sum_ += log_weight > 0 ? 1.0 : std::exp(log_weight);
    if (energy - initial_energy_ > settings_.max_energy_error) {
      divergent_ = true;
      finished_ = true;  // the doubling under way is discarded
      return;
    }
    subtrees_.push_back(leaf(cursor_, log_weight));
    ++leaves_;
    for (std::size_t k = leaves_; k % 2 == 0; k /= 2) {
      if (!merge_last_two()) {
        finished_ = true;
        return;
      }
    }
    if (leaves_ == (std::size_t{1} << depth_)) {
      end_doubling();
    } else {
      begin_leapfrog(metric_, signed_step(), cursor_);
    }
  }

  const PhasePoint& draw() const { return draw_; }

  NutsTransition transition() const {
    NutsTransition t;
    t.accept_stat = acceptance_sum_ / static_cast<double>(leapfrog_steps_);
    t.tree_depth = depth_;
    t.leapfrog_steps = leapfrog_steps_;
    t.divergent = divergent_;
    t.energy = draw_.hamiltonian();
    t.potential = draw_.potential;
    t.step_size = step_size_;
    return t;
  }

 private:
  double signed_step() const { return direction_ == forward ? step_size_ : -step_size_; }
  double uniform(std::uint64_t offset) const { return random_.uniform(block_begin_ + offset); }

  // A new subtree of 2^depth leaves from the end of the trajectory in a random direction.
  void start_doubling() {
    if (depth_ == settings_.max_depth) {
      finished_ = true;
      return;
    }
    direction_ = uniform(depth_) > 0.5 ? forward : backward;
    cursor_ = ends_[direction_];
    subtrees_.clear();
    leaves_ = 0;
    begin_leapfrog(metric_, signed_step(), cursor_);
  }

  // Joins the two newest subtrees (equal sizes) into one, drawing its proposal uniformly by
  // weight; false when the joined subtree makes a U-turn.
  bool merge_last_two() {
    Subtree second = std::move(subtrees_.back());
    subtrees_.pop_back();
    Subtree& first = subtrees_.back();
    const double joined_log_weight = log_sum_exp(first.log_weight, second.log_weight);
    if (uniform(2 * settings_.max_depth + merges_++) < std::exp(second.log_weight - joined_log_weight)) {
      first.proposal = std::move(second.proposal);
    }
    std::vector<double> joined_sum = sum_of(first.momentum_sum, second.momentum_sum);
    const bool valid = joins_without_u_turn(first, second, joined_sum);
    first.log_weight = joined_log_weight;
    first.last_momentum = std::move(second.last_momentum);
    first.last_velocity = std::move(second.last_velocity);
    first.momentum_sum = std::move(joined_sum);
    return valid;
  }

  // The new subtree is complete and valid: the draw moves into it with probability
  // min(1, w_new/w_old) (biased progressive sampling), and the trajectory grows unless the
  // joined trajectory makes a U-turn.
  void end_doubling() {
    const Subtree& extension = subtrees_.front();
    const Direction behind = direction_ == forward ? backward : forward;
    Subtree so_far;  // the trajectory before this doubling, oriented along it
    so_far.first_momentum = ends_[behind].momentum;
    so_far.first_velocity = ends_[behind].velocity;
    so_far.last_momentum = ends_[direction_].momentum;
    so_far.last_velocity = ends_[direction_].velocity;
    so_far.momentum_sum = momentum_sum_;

    const double choice = uniform(settings_.max_depth + depth_);
    ++depth_;
    if (extension.log_weight > log_weight_ || choice < std::exp(extension.log_weight - log_weight_)) {
      draw_ = extension.proposal;
    }
    log_weight_ = log_sum_exp(log_weight_, extension.log_weight);
    std::vector<double> joined_sum = sum_of(momentum_sum_, extension.momentum_sum);
    const bool valid = joins_without_u_turn(so_far, extension, joined_sum);
    momentum_sum_ = std::move(joined_sum);
    ends_[direction_] = cursor_;
    if (valid) {
      start_doubling();
    } else {
      finished_ = true;
    }
  }

  const EuclideanMetric& metric_;
  TreeSettings settings_;
  const CounterRandom& random_;
  std::uint64_t block_begin_;
  double step_size_ = 0;
  double initial_energy_ = 0;  // H0

  PhasePoint ends_[2];  // the trajectory: its backward and forward end points
  std::vector<double> momentum_sum_;
  double log_weight_ = 0;
  PhasePoint draw_;

  Direction direction_ = forward;  // the doubling under way
  PhasePoint cursor_;
  std::vector<Subtree> subtrees_;
  std::size_t leaves_ = 0;

  std::size_t depth_ = 0;
  std::size_t leapfrog_steps_ = 0;
  std::size_t merges_ = 0;
  double acceptance_sum_ = 0;
  bool divergent_ = false;
  bool finished_ = false;
};

// ---------------------------------------------------------------------------------------------
// Step-size search

// Stan's heuristic (base_hmc::init_stepsize): single leapfrog steps of size ε from q with
// fresh momenta; the first fixes the direction — double ε while exp(H0 − H) > 0.8, else halve
// it while below — and the search stops at the first step that crosses 0.8.
class StepSizeSearch final : public Walker {
 public:
  StepSizeSearch(const PhasePoint& start, const EuclideanMetric& metric, double step_size, const CounterRandom& random,
                 std::uint64_t index_begin, std::size_t chain)
      : start_(start), metric_(metric), random_(random), index_begin_(index_begin), chain_(chain), step_(step_size) {
    finished_ = !(step_ > 0 && step_ <= kLargestStepSize);  // Stan skips the search at extreme step sizes
    if (!finished_) begin_trial();
  }

  bool waiting() const override { return !finished_; }
  std::span<const double> position() const override { return trial_.position; }
  double step_size() const { return step_; }

  void receive(double potential, std::span<const double> gradient) override {
    finish_leapfrog(metric_, step_, potential, gradient, trial_);
    const double log_acceptance = initial_energy_ - energy_of(trial_);
    const double threshold = std::log(0.8);
    if (trials_ == 1) {
      growing_ = log_acceptance > threshold;
    } else if (growing_ ? !(log_acceptance > threshold) : !(log_acceptance < threshold)) {
      finished_ = true;
      return;
    } else {
      step_ = growing_ ? 2 * step_ : 0.5 * step_;
      PB_REQUIRE(step_ <= kLargestStepSize, "NUTS: the step-size search of chain ", chain_, " passed ",
                 kLargestStepSize, ": the target looks improper (U does not grow away from the start)");
      PB_REQUIRE(step_ > 0, "NUTS: the step-size search of chain ", chain_,
                 " found no acceptable step size: is U continuous and ∇U its gradient?");
    }
    begin_trial();
  }

 private:
  void begin_trial() {
    trial_ = start_;
    refresh_momentum(metric_, random_, index_begin_ + trials_ * trial_.position.size(), trial_);
    initial_energy_ = energy_of(trial_);
    ++trials_;
    begin_leapfrog(metric_, step_, trial_);
  }

  const PhasePoint& start_;
  const EuclideanMetric& metric_;
  const CounterRandom& random_;
  std::uint64_t index_begin_;
  std::size_t chain_;
  double step_;
  PhasePoint trial_;
  double initial_energy_ = 0;
  std::size_t trials_ = 0;
  bool growing_ = true;
  bool finished_ = false;
};

// ---------------------------------------------------------------------------------------------
// Chains and their adaptation

struct Chain {
  PhasePoint point;  // the current draw; its momentum is redrawn every iteration
  EuclideanMetric metric;
  double step_size;
  DualAveraging step_size_adaptation;
  MetricEstimator metric_estimator;
  CounterRandom momentum_random;
  CounterRandom trajectory_random;
  CounterRandom search_random;
  std::uint64_t searches = 0;
};

void check_options(const NutsOptions& options, std::size_t points, std::size_t m) {
  PB_REQUIRE(m >= 1 && m <= kMaxDimension, "NUTS: the dimension must be in [1, ", kMaxDimension, "], got ", m);
  PB_REQUIRE(options.chains >= 4, "NUTS needs at least 4 chains (for R-hat across chains), got ", options.chains);
  PB_REQUIRE(points == options.chains * m, "NUTS: ", options.chains, " chains in dimension ", m, " need ",
             options.chains * m, " initial coordinates, got ", points);
  PB_REQUIRE(options.samples >= 8, "NUTS keeps ", options.samples, " draws per chain; the diagnostics need at least 8");
  PB_REQUIRE(options.max_tree_depth >= 1 && options.max_tree_depth <= kMaxTreeDepth,
             "NUTS: max_tree_depth must be in [1, ", kMaxTreeDepth, "], got ", options.max_tree_depth);
  PB_REQUIRE(options.max_energy_error > 0, "NUTS: max_energy_error must be positive, got ", options.max_energy_error);
  PB_REQUIRE(options.initial_step_size > 0 && options.initial_step_size <= kLargestStepSize,
             "NUTS: the initial step size must be in (0, ", kLargestStepSize, "], got ", options.initial_step_size);
  PB_REQUIRE(options.initial_inverse_metric.rows() == 0 ||
                 (options.initial_inverse_metric.rows() == m && options.initial_inverse_metric.cols() == m),
             "NUTS: the initial inverse metric is ", options.initial_inverse_metric.rows(), "x",
             options.initial_inverse_metric.cols(), ", expected ", m, "x", m);
  PB_REQUIRE(options.convergence.max_rhat >= 1, "NUTS: the R-hat threshold must be at least 1, got ",
             options.convergence.max_rhat);
  PB_REQUIRE(options.convergence.min_ess_bulk >= 0 && options.convergence.min_ess_tail >= 0,
             "NUTS: the ESS thresholds must be non-negative");
}

// Starting points, evaluated in one batched round; every chain starts with the same metric.
std::vector<Chain> initial_chains(LockstepEvaluator& evaluator, std::span<const double> points, std::size_t m,
                                  const NutsOptions& options) {
  const std::size_t count = options.chains;
  std::vector<double> potentials(count), gradients(count * m);
  evaluator.evaluate(points, count, potentials, gradients);
  const EuclideanMetric metric = options.initial_inverse_metric.rows() == 0
                                     ? EuclideanMetric::identity(options.metric, m)
                                     : EuclideanMetric(options.metric, options.initial_inverse_metric);
  std::vector<Chain> chains;
  for (std::size_t c = 0; c < count; ++c) {
    PhasePoint point(m);
    std::copy_n(points.begin() + c * m, m, point.position.begin());
    std::copy_n(gradients.begin() + c * m, m, point.gradient.begin());
    point.potential = potentials[c];
    PB_REQUIRE(all_finite(point.position) && std::isfinite(point.potential) && all_finite(point.gradient),
               "NUTS: the initial point of chain ", c, " has a non-finite coordinate, potential or gradient");
    chains.push_back({std::move(point), metric, options.initial_step_size, DualAveraging(options.step_size_adaptation),
                      MetricEstimator(options.metric, m),
                      CounterRandom(options.seed, options.task, Purpose::nuts_momentum, c),
                      CounterRandom(options.seed, options.task, Purpose::nuts_trajectory, c),
                      CounterRandom(options.seed, options.task, Purpose::nuts_step_size_search, c)});
  }
  return chains;
}

// A step-size search per chain at its current point and metric; dual averaging restarts
// around the step size found.
void search_step_sizes(LockstepEvaluator& evaluator, std::vector<Chain>& chains, std::size_t m) {
  std::vector<StepSizeSearch> searches;
  searches.reserve(chains.size());
  for (std::size_t c = 0; c < chains.size(); ++c) {
    Chain& chain = chains[c];
    searches.emplace_back(chain.point, chain.metric, chain.step_size, chain.search_random, chain.searches++ << 32, c);
  }
  advance_in_lockstep(evaluator, walkers_of(searches), m);
  for (std::size_t c = 0; c < chains.size(); ++c) {
    chains[c].step_size = searches[c].step_size();
    chains[c].step_size_adaptation.restart(chains[c].step_size);
  }
}

// Iteration `iteration` of every chain, all trees built in lockstep.
std::vector<NutsTransition> transition_all(LockstepEvaluator& evaluator, std::vector<Chain>& chains,
                                           std::size_t iteration, const NutsOptions& options, std::size_t m) {
  const TreeSettings settings{options.max_tree_depth, options.max_energy_error};
  const std::uint64_t block = trajectory_block(options.max_tree_depth);
  std::vector<TrajectoryBuilder> builders;
  builders.reserve(chains.size());
  for (Chain& chain : chains) {
    refresh_momentum(chain.metric, chain.momentum_random, iteration * m, chain.point);
    builders.emplace_back(chain.metric, settings, chain.trajectory_random, iteration * block);
    builders.back().start(chain.point, chain.step_size);
  }
  advance_in_lockstep(evaluator, walkers_of(builders), m);
  std::vector<NutsTransition> transitions;
  for (std::size_t c = 0; c < chains.size(); ++c) {
    chains[c].point = builders[c].draw();
    transitions.push_back(builders[c].transition());
  }
  return transitions;
}

// Stan's adaptation after warm-up iteration `iteration`: dual averaging of the step size,
// the draw into the current metric window, and at a window's end a new metric and a fresh
// step-size search.
void adapt(LockstepEvaluator& evaluator, std::vector<Chain>& chains, const std::vector<NutsTransition>& transitions,
           std::size_t iteration, const WarmupSchedule& schedule, const NutsOptions& options, std::size_t m) {
  for (std::size_t c = 0; c < chains.size(); ++c) {
    Chain& chain = chains[c];
    chain.step_size = chain.step_size_adaptation.update(transitions[c].accept_stat);
    if (schedule.collects(iteration)) chain.metric_estimator.add(chain.point.position);
  }
  if (schedule.ends_window(iteration)) {
    for (Chain& chain : chains) {
      chain.metric = EuclideanMetric(options.metric, chain.metric_estimator.regularized_covariance());
      chain.metric_estimator.restart();
    }
    search_step_sizes(evaluator, chains, m);
  }
  if (iteration + 1 == options.warmup) {
    for (Chain& chain : chains) chain.step_size = chain.step_size_adaptation.final_step_size();
  }
}

// ---------------------------------------------------------------------------------------------
// Kept draws

class DrawRecorder {
 public:
  DrawRecorder(const NutsOptions& options, std::size_t m)
      : chains_(options.chains),
        samples_(options.samples),
        m_(m),
        tracked_(std::min(options.tracked_coordinates, m)),
        keep_(options.keep_draws),
        chain_sums_(chains_, std::vector<double>(m, 0.0)),
        mean_(m, 0.0),
        comoments_(m, m),
        traces_(1 + tracked_, Chains(chains_)),
        energies_(chains_) {
    if (keep_) draws_.assign(chains_ * samples_ * m, 0.0);
  }

  void add(std::size_t sample, const std::vector<Chain>& chains, const std::vector<NutsTransition>& transitions) {
    for (std::size_t c = 0; c < chains_; ++c) {
      const std::vector<double>& q = chains[c].point.position;
      if (keep_) std::copy(q.begin(), q.end(), draws_.begin() + (c * samples_ + sample) * m_);
      for (std::size_t j = 0; j < m_; ++j) chain_sums_[c][j] += q[j];
      add_to_moments(q);
      traces_[0][c].push_back(chains[c].point.potential);
      for (std::size_t j = 0; j < tracked_; ++j) traces_[1 + j][c].push_back(q[j]);
      energies_[c].push_back(transitions[c].energy);
    }
  }

  void finish(const NutsOptions& options, NutsResult& result) {
    result.draws = std::move(draws_);
    for (auto& sums : chain_sums_) {
      for (double& value : sums) value /= static_cast<double>(samples_);
      result.chain_means.push_back(sums);
    }
    result.mean = mean_;
    result.covariance = comoments_;
    for (double& value : result.covariance.values()) value /= static_cast<double>(count_ - 1);
    for (std::size_t s = 0; s < traces_.size(); ++s) {
      const std::string name = s == 0 ? "potential" : options.coordinate_name + "[" + std::to_string(s - 1) + "]";
      result.diagnostics.push_back(diagnose(name, traces_[s]));
    }
    for (const auto& energies : energies_) result.e_bfmi.push_back(e_bfmi(energies));
  }

 private:
  void add_to_moments(std::span<const double> q) {  // Welford, pooled over chains
    ++count_;
    std::vector<double> before(m_);
    for (std::size_t j = 0; j < m_; ++j) {
      before[j] = q[j] - mean_[j];
      mean_[j] += before[j] / static_cast<double>(count_);
    }
    for (std::size_t j = 0; j < m_; ++j) {
      const double after = q[j] - mean_[j];
      for (std::size_t i = 0; i < m_; ++i) comoments_(i, j) += before[i] * after;
    }
  }

  std::size_t chains_, samples_, m_, tracked_;
  bool keep_;
  std::vector<double> draws_;
  std::vector<std::vector<double>> chain_sums_;
  std::size_t count_ = 0;
  std::vector<double> mean_;
  DenseMatrix comoments_;
  std::vector<Chains> traces_;  // potential, then the tracked coordinates
  std::vector<std::vector<double>> energies_;
};

void count_events(NutsResult& result, std::size_t max_depth) {
  for (const NutsTransition& t : result.warmup_transitions) result.warmup_divergences += t.divergent ? 1 : 0;
  for (const NutsTransition& t : result.transitions) {
    result.divergences += t.divergent ? 1 : 0;
    result.max_depth_hits += t.tree_depth == max_depth ? 1 : 0;
  }
}

// Chain-major copy of transitions recorded iteration-major.
std::vector<NutsTransition> by_chain(const std::vector<NutsTransition>& by_iteration, std::size_t chains) {
  const std::size_t iterations = by_iteration.size() / chains;
  std::vector<NutsTransition> reordered(by_iteration.size());
  for (std::size_t t = 0; t < iterations; ++t) {
    for (std::size_t c = 0; c < chains; ++c) reordered[c * iterations + t] = by_iteration[t * chains + c];
  }
  return reordered;
}

}  // namespace

NutsResult nuts_sample(const BatchedPotential& potential, std::span<const double> initial_points, std::size_t dimension,
                       const NutsOptions& options) {
  const auto clock_start = std::chrono::steady_clock::now();
  const std::size_t m = dimension;
  check_options(options, initial_points.size(), m);
  PB_REQUIRE(static_cast<bool>(potential), "NUTS needs a potential to evaluate");
  const WarmupSchedule schedule(options.warmup, options.initial_buffer, options.base_window, options.terminal_buffer,
                                options.adapt_metric);

  LockstepEvaluator evaluator(potential, m, options.max_batch);
  std::vector<Chain> chains = initial_chains(evaluator, initial_points, m, options);
  if (options.warmup > 0) search_step_sizes(evaluator, chains, m);

  NutsResult result;
  result.warmup_gradient_evaluations = evaluator.evaluations();
  DrawRecorder recorder(options, m);
  std::vector<NutsTransition> warmup_transitions, transitions;
  for (std::size_t iteration = 0; iteration < options.warmup + options.samples; ++iteration) {
    const std::vector<NutsTransition> now = transition_all(evaluator, chains, iteration, options, m);
    if (iteration < options.warmup) {
      warmup_transitions.insert(warmup_transitions.end(), now.begin(), now.end());
      adapt(evaluator, chains, now, iteration, schedule, options, m);
      if (iteration + 1 == options.warmup) result.warmup_gradient_evaluations = evaluator.evaluations();
    } else {
      transitions.insert(transitions.end(), now.begin(), now.end());
      recorder.add(iteration - options.warmup, chains, now);
    }
  }

  result.chains = options.chains;
  result.dimension = m;
  result.draws_per_chain = options.samples;
  recorder.finish(options, result);
  result.warmup_transitions = by_chain(warmup_transitions, options.chains);
  result.transitions = by_chain(transitions, options.chains);
  for (const Chain& chain : chains) {
    result.step_sizes.push_back(chain.step_size);
    result.inverse_metrics.push_back(chain.metric.inverse());
  }
  result.metric_window_ends = schedule.window_ends();
  count_events(result, options.max_tree_depth);
  result.verdict = convergence_verdict(result.diagnostics, result.divergences, options.convergence);
  result.gradient_evaluations = evaluator.evaluations();
  result.potential_calls = evaluator.calls();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count();
  return result;
}

}  // namespace priorbench
