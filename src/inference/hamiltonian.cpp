#include "inference/hamiltonian.hpp"

#include <cmath>

#include "core/error.hpp"

namespace priorbench {
namespace {

void check_inverse_metric(MetricKind kind, const DenseMatrix& inverse) {
  const std::size_t m = inverse.rows();
  PB_REQUIRE(m > 0 && inverse.cols() == m, "the inverse metric must be a non-empty square matrix, got ", inverse.rows(),
             "x", inverse.cols());
  for (std::size_t j = 0; j < m; ++j) {
    PB_REQUIRE(std::isfinite(inverse(j, j)) && inverse(j, j) > 0, "the inverse metric has diagonal entry ", j, " = ",
               inverse(j, j), "; it must be positive");
    if (kind == MetricKind::diagonal) continue;
    for (std::size_t i = 0; i < j; ++i) {
      const double scale = std::sqrt(inverse(i, i) * inverse(j, j));
      PB_REQUIRE(std::isfinite(inverse(i, j)) && std::abs(inverse(i, j) - inverse(j, i)) <= 1e-10 * scale,
                 "the inverse metric is not symmetric at (", i, ", ", j, "): ", inverse(i, j), " vs ", inverse(j, i));
    }
  }
}

}  // namespace

std::string metric_kind_name(MetricKind kind) { return kind == MetricKind::dense ? "dense" : "diagonal"; }

const std::vector<std::string>& metric_kind_names() {
  static const std::vector<std::string> names = {"dense", "diagonal"};
  return names;
}

MetricKind parse_metric_kind(const std::string& name) {
  if (name == "dense") return MetricKind::dense;
  if (name == "diagonal") return MetricKind::diagonal;
  PB_FAIL("unknown metric '", name, "': expected dense or diagonal");
}

EuclideanMetric::EuclideanMetric(MetricKind kind, const DenseMatrix& inverse) : kind_(kind) {
  check_inverse_metric(kind, inverse);
  const std::size_t m = inverse.rows();
  inverse_ = DenseMatrix(m, m);
  if (kind == MetricKind::diagonal) {
    for (std::size_t j = 0; j < m; ++j) inverse_(j, j) = inverse(j, j);
    return;
  }
  for (std::size_t j = 0; j < m; ++j) {  // symmetrize the rounding away
    for (std::size_t i = 0; i < m; ++i) inverse_(i, j) = 0.5 * (inverse(i, j) + inverse(j, i));
  }
  factor_ = inverse_;
  cholesky_in_place(factor_, "the inverse metric");
}

EuclideanMetric EuclideanMetric::identity(MetricKind kind, std::size_t dimension) {
  DenseMatrix unit(dimension, dimension);
  for (std::size_t j = 0; j < dimension; ++j) unit(j, j) = 1.0;
  return EuclideanMetric(kind, unit);
}

void EuclideanMetric::apply_inverse(std::span<const double> momentum, std::span<double> out) const {
  if (kind_ == MetricKind::diagonal) {
    for (std::size_t j = 0; j < momentum.size(); ++j) out[j] = inverse_(j, j) * momentum[j];
    return;
  }
  gemv(false, 1.0, inverse_, momentum, 0.0, out);
}

void EuclideanMetric::sample_momentum(const CounterRandom& random, std::uint64_t index,
                                      std::span<double> momentum) const {
  const std::size_t m = dimension();
  random.fill_normal(momentum, index);
  if (kind_ == MetricKind::diagonal) {
    for (std::size_t j = 0; j < m; ++j) momentum[j] /= std::sqrt(inverse_(j, j));
    return;
  }
  // Back substitution Lᵀ p = ξ: Cov(p) = L⁻ᵀ L⁻¹ = (L Lᵀ)⁻¹ = M.
  for (std::size_t j = m; j-- > 0;) {
    double sum = momentum[j];
    for (std::size_t i = j + 1; i < m; ++i) sum -= factor_(i, j) * momentum[i];
    momentum[j] = sum / factor_(j, j);
  }
}

double PhasePoint::kinetic_energy() const {
  double sum = 0;
  for (std::size_t j = 0; j < momentum.size(); ++j) sum += momentum[j] * velocity[j];
  return 0.5 * sum;
}

void begin_leapfrog(const EuclideanMetric& metric, double step, PhasePoint& point) {
  const std::size_t m = point.position.size();
  for (std::size_t j = 0; j < m; ++j) point.momentum[j] -= 0.5 * step * point.gradient[j];
  metric.apply_inverse(point.momentum, point.velocity);
  for (std::size_t j = 0; j < m; ++j) point.position[j] += step * point.velocity[j];
}

void finish_leapfrog(const EuclideanMetric& metric, double step, double potential, std::span<const double> gradient,
                     PhasePoint& point) {
  const std::size_t m = point.position.size();
  point.potential = potential;
  for (std::size_t j = 0; j < m; ++j) {
    point.gradient[j] = gradient[j];
    point.momentum[j] -= 0.5 * step * gradient[j];
  }
  metric.apply_inverse(point.momentum, point.velocity);
}

void leapfrog(const BatchedPotential& potential, const EuclideanMetric& metric, double step, PhasePoint& point) {
  begin_leapfrog(metric, step, point);
  double value = 0;
  std::vector<double> gradient(point.position.size());
  potential(point.position, 1, std::span<double>(&value, 1), gradient);
  finish_leapfrog(metric, step, value, gradient, point);
}

void refresh_momentum(const EuclideanMetric& metric, const CounterRandom& random, std::uint64_t index,
                      PhasePoint& point) {
  metric.sample_momentum(random, index, point.momentum);
  metric.apply_inverse(point.momentum, point.velocity);
}

}  // namespace priorbench
