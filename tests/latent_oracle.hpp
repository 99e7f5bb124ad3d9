#pragma once
// The oracle of the latent methods (DESIGN §2): a linear decoder μ(z) = W z + b with
// Γ = γ² I and a real forward operator. Every method has a closed form there, computed
// here with the tests' own dense algebra (test_support.hpp), never with the code under test:
//   seeds     y | z ~ N(M z + A b, σ² I),             M = A W;
//   marginal  y | z ~ N(M z + A b, Σ = σ² I + γ² A Aᵀ);
//   z | y ~ N(P⁻¹ Mᵀ Σ⁻¹ (y − A b), P⁻¹),  P = Mᵀ Σ⁻¹ M + I,
//   μ(z) | y has mean W z̄ + b and covariance W P⁻¹ Wᵀ;
//   the laplace prior at any z0 is the exact marginal N(b, W Wᵀ + γ² I).

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "core/random.hpp"
#include "generative/linear_generator.hpp"
#include "inference/latent_problem.hpp"
#include "operators/operator_factory.hpp"
#include "test_support.hpp"

namespace priorbench::testing_support {

struct LinearOracle {
  ImageShape shape{10, 8};
  std::size_t m = 4;
  double gamma2 = 0.01;
  double sigma = 0.1;
  std::shared_ptr<LinearGenerator> generator;
  std::shared_ptr<ForwardOperator> forward;
  Dense a;  // d×n
  Dense w;  // n×m
  std::vector<double> b;
  std::vector<double> latent_truth;
  std::vector<double> data;
  petsc::Vector data_vector;
};

inline double oracle_draw(std::uint64_t stream, std::uint64_t index) {
  return CounterRandom(7, stream, Purpose::test_values).normal(index);
}

// W and b from fixed draws; the operator from make_operator with seed 5.
inline LinearOracle make_linear_oracle(MPI_Comm comm, const std::string& operator_name, PetscInt data_size,
                                       std::size_t m = 4, double sigma = 0.1, double gamma2 = 0.01) {
  LinearOracle o;
  o.m = m;
  o.sigma = sigma;
  o.gamma2 = gamma2;
  const auto n = static_cast<std::size_t>(o.shape.size());
  DenseMatrix weights(n, m);
  o.w = Dense(static_cast<int>(n), static_cast<int>(m));
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < m; ++j) o.w(int(i), int(j)) = weights(i, j) = 0.2 * oracle_draw(1, i * m + j);
    o.b.push_back(0.5 + 0.1 * oracle_draw(2, i));
  }
  o.generator = std::make_shared<LinearGenerator>(o.shape, weights, o.b, gamma2, gamma2 > 0);
  OperatorSpec spec;
  spec.name = operator_name;
  spec.data_size = data_size;
  spec.seed = 5;
  spec.blur_width = 1.5;
  o.forward = make_operator(comm, o.shape, spec);
  o.a = dense_of(*o.forward);
  for (std::size_t j = 0; j < m; ++j) o.latent_truth.push_back(oracle_draw(3, j));
  std::vector<double> truth = multiply(o.w, o.latent_truth);
  for (std::size_t i = 0; i < n; ++i) truth[i] += o.b[i];
  o.data = multiply(o.a, truth);
  for (std::size_t i = 0; i < o.data.size(); ++i) o.data[i] += sigma * oracle_draw(4, i);
  o.data_vector = o.forward->make_range_vector();
  petsc::set_from_global(o.data_vector, o.data);
  return o;
}

inline std::shared_ptr<LatentProblem> make_latent_problem(const LinearOracle& o, LatentLikelihood likelihood) {
  LatentProblemOptions options;
  options.likelihood = likelihood;
  return std::make_shared<LatentProblem>(o.generator, o.forward, o.data_vector, o.sigma, options);
}

// Σ of the likelihood (d×d).
inline Dense noise_covariance(const LinearOracle& o, bool marginal) {
  Dense noise = marginal ? multiply(o.a, transpose(o.a)) : Dense(o.a.rows, o.a.rows);
  for (double& value : noise.values) value *= o.gamma2;
  for (int i = 0; i < noise.rows; ++i) noise(i, i) += o.sigma * o.sigma;
  return noise;
}

struct LatentPosterior {
  std::vector<double> latent_mean;
  Dense latent_covariance;
  std::vector<double> image_mean;
  std::vector<double> image_std;
};

inline LatentPosterior closed_latent_posterior(const LinearOracle& o, bool marginal) {
  const Dense noise_inverse = spd_inverse(noise_covariance(o, marginal));
  const Dense sensitivity = multiply(o.a, o.w);
  const Dense weighted = multiply(transpose(sensitivity), noise_inverse);  // Mᵀ Σ⁻¹
  Dense precision = multiply(weighted, sensitivity);
  for (int j = 0; j < precision.rows; ++j) precision(j, j) += 1.0;
  LatentPosterior p;
  p.latent_covariance = spd_inverse(precision);
  std::vector<double> residual = multiply(o.a, o.b);
  for (std::size_t i = 0; i < residual.size(); ++i) residual[i] = o.data[i] - residual[i];
  p.latent_mean = multiply(p.latent_covariance, multiply(weighted, residual));
  p.image_mean = multiply(o.w, p.latent_mean);
  for (std::size_t i = 0; i < p.image_mean.size(); ++i) p.image_mean[i] += o.b[i];
  const Dense pushed = multiply(multiply(o.w, p.latent_covariance), transpose(o.w));
  for (int i = 0; i < pushed.rows; ++i) p.image_std.push_back(std::sqrt(pushed(i, i)));
  return p;
}

inline double relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  return max_abs_difference(a, b) / std::max(max_abs(b), 1e-300);
}

}  // namespace priorbench::testing_support
