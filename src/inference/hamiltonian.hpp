#pragma once
// The Hamiltonian system behind HMC and NUTS for a density π(q) ∝ exp(−U(q)) on R^m with a
// Euclidean metric M:
//   H(q, p) = U(q) + K(p),   K(p) = ½ pᵀ M⁻¹ p,   p ~ N(0, M),
// so that exp(−H) has π as its q-marginal. The inverse metric M⁻¹ is a covariance estimate of
// the target (dense or diagonal): with M⁻¹ = Cov(q) the dynamics see a standardized target.
//
// The leapfrog step of size h (h < 0 runs backward in time),
//   p½ = p − (h/2) ∇U(q),   q' = q + h M⁻¹ p½,   p' = p½ − (h/2) ∇U(q'),
// is symplectic (it preserves volume in phase space) and reversible (flipping p' and
// stepping again returns to (q, p)); over a fixed integration time its energy error is
// O(h²). Cost per step: one evaluation of U and ∇U and two products with M⁻¹ (m² flops for
// a dense metric, m for a diagonal one).
//
// The step is split around its one gradient evaluation (begin_leapfrog, finish_leapfrog) so
// that a sampler can move many chains to their new positions, evaluate all of them in ONE
// batched call of the potential, and then finish every chain's step.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/dense.hpp"
#include "core/random.hpp"

namespace priorbench {

// U and ∇U at `batch` points (batch × m, row-major) in one call: potentials[b] and
// gradients[b·m + j]. A non-finite U or ∇U marks a point the sampler must not enter
// (it counts as a divergence). Each point must be evaluated independently of the others
// in the batch, so that results do not depend on how points are batched.
using BatchedPotential = std::function<void(std::span<const double> points, std::size_t batch,
                                            std::span<double> potentials, std::span<double> gradients)>;

enum class MetricKind { dense, diagonal };

// "dense" or "diagonal"; metric_kind_names() lists both in enum order.
std::string metric_kind_name(MetricKind kind);
const std::vector<std::string>& metric_kind_names();
MetricKind parse_metric_kind(const std::string& name);

// M⁻¹ (the covariance scale of the target) and what the dynamics need of it.
class EuclideanMetric {
 public:
  // `inverse` is M⁻¹, m×m symmetric positive definite; a diagonal metric keeps its diagonal.
  EuclideanMetric(MetricKind kind, const DenseMatrix& inverse);
  static EuclideanMetric identity(MetricKind kind, std::size_t dimension);

  MetricKind kind() const { return kind_; }
  std::size_t dimension() const { return inverse_.rows(); }
  // M⁻¹ as an m×m matrix (zero off the diagonal for a diagonal metric).
  const DenseMatrix& inverse() const { return inverse_; }

  // out = M⁻¹ p.
  void apply_inverse(std::span<const double> momentum, std::span<double> out) const;
  // p ~ N(0, M): p = L⁻ᵀ ξ with M⁻¹ = L Lᵀ and ξ the standard normals at counter positions
  // [index, index + m) of `random`.
  void sample_momentum(const CounterRandom& random, std::uint64_t index, std::span<double> momentum) const;

 private:
  MetricKind kind_;
  DenseMatrix inverse_;
  DenseMatrix factor_;  // lower Cholesky factor L of M⁻¹ (dense metric)
};

// A point of phase space with what the dynamics know about it.
struct PhasePoint {
  std::vector<double> position;  // q
  std::vector<double> momentum;  // p
  std::vector<double> velocity;  // M⁻¹ p (Stan's "p sharp"), kept with p
  std::vector<double> gradient;  // ∇U(q)
  double potential = 0;          // U(q)

  explicit PhasePoint(std::size_t dimension = 0)
      : position(dimension), momentum(dimension), velocity(dimension), gradient(dimension) {}
  double kinetic_energy() const;  // ½ pᵀ M⁻¹ p
  double hamiltonian() const { return potential + kinetic_energy(); }
};

// First half of a leapfrog step: the half kick and the drift; afterwards `point.position`
// is the new position, whose U and ∇U the caller evaluates.
void begin_leapfrog(const EuclideanMetric& metric, double step, PhasePoint& point);
// Second half: records U and ∇U at the new position and applies the closing half kick.
void finish_leapfrog(const EuclideanMetric& metric, double step, double potential, std::span<const double> gradient,
                     PhasePoint& point);
// A whole step, evaluating the new position with a batch of one.
void leapfrog(const BatchedPotential& potential, const EuclideanMetric& metric, double step, PhasePoint& point);

// Sets `point.momentum` to a draw of N(0, M) and its velocity to M⁻¹ p.
void refresh_momentum(const EuclideanMetric& metric, const CounterRandom& random, std::uint64_t index,
                      PhasePoint& point);

}  // namespace priorbench
