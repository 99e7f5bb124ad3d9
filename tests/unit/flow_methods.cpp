// flow_map and flow_laplace (issue 15) through the one method interface, on an affine flow
// x = L z + b (a TorchScript model of kind "flow" written here): its prior is N(b, L Lᵀ),
// so with a linear forward operator the posterior is the Gaussian of the dense data-space
// formulas, computed here without the methods' machinery.
//
//   flow_map      z* = f⁻¹(x*) is within its final gradient norm of L⁻¹(mean − b) (F is
//                 quadratic with Hessian ⪰ I), which both solvers bring to 1e-8 of the
//                 start's (gradient_rtol); x* within ‖L‖
//                 times that of the posterior mean (the MAP of a Gaussian); both solvers
//   flow_laplace  its pixel std is sqrt diag of the posterior covariance to 1e-8 (the
//                 Gauss–Newton Hessian is exact: f is affine, ℓ constant); its low-rank
//                 route equals that at rank d and over-states the std, monotonically in
//                 k, below
//   refusals      a VAE is refused by both methods, naming the model, before any work
//   the −ℓ term   on the untrained RealNVP, flow_map's x* is a stationary point of
//                 F(z) = Φ(f(z)) + ½‖z‖² − ℓ(f(z)) (central differences), and differs from
//                 latent_map's, which drops −ℓ

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/random.hpp"
#include "generative/torch/flow_model.hpp"
#include "generative/torch/generator_loader.hpp"
#include "generative/torch/script_module.hpp"
#include "generative/torch/vae_model.hpp"
#include "methods/method_factory.hpp"
#include "methods/observation.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::testing_support::Dense;
using pb::testing_support::expect_error;

namespace {

constexpr int kN = 20, kD = 12;
constexpr double kSigma = 0.05;

const pb::testing_support::TempDir& temp() {
  static const pb::testing_support::TempDir directory("priorbench_flow_methods");
  return directory;
}

std::vector<double> normals(std::size_t count, std::uint64_t stream, double scale = 1.0) {
  std::vector<double> values(count);
  pb::CounterRandom(11, stream, pb::Purpose::test_values).fill_normal(values, 0);
  for (double& value : values) value *= scale;
  return values;
}

// L: lower triangular, diagonal in [0.5, 1.5], off-diagonal N(0, 0.1²); b ~ N(0.5, 0.1²).
struct AffineFlow {
  Dense l{kN, kN}, l_inverse{kN, kN};
  std::vector<double> b;
  double log_det_inverse = 0;  // −log|det L|
  std::string path;
};

const AffineFlow& affine() {
  static const AffineFlow flow = [] {
    AffineFlow f;
    const auto off = normals(kN * kN, 1, 0.1);
    for (int i = 0; i < kN; ++i) {
      for (int j = 0; j < i; ++j) f.l(i, j) = off[static_cast<std::size_t>(i * kN + j)];
      f.l(i, i) = 0.5 + pb::CounterRandom(11, 2, pb::Purpose::test_values).uniform(static_cast<std::uint64_t>(i));
      f.log_det_inverse -= std::log(f.l(i, i));
    }
    // L⁻¹ by forward substitution, column by column.
    for (int c = 0; c < kN; ++c) {
      for (int i = 0; i < kN; ++i) {
        double value = i == c ? 1.0 : 0.0;
        for (int j = 0; j < i; ++j) value -= f.l(i, j) * f.l_inverse(j, c);
        f.l_inverse(i, c) = value / f.l(i, i);
      }
    }
    f.b = normals(kN, 3, 0.1);
    for (double& value : f.b) value += 0.5;
    pb::ScriptModuleSpec spec;
    spec.int_attributes = {{"format_version", 2}, {"latent_dim", kN}, {"image_height", 4}, {"image_width", 5}};
    spec.string_attributes = {{"kind", "flow"}, {"variance_kind", "none"}};
    spec.float_attributes = {{"log_det", f.log_det_inverse}};
    const auto row_major = [](const Dense& m) {
      std::vector<double> values;
      for (int i = 0; i < m.rows; ++i) {
        for (int j = 0; j < m.cols; ++j) values.push_back(m(i, j));
      }
      return values;
    };
    spec.parameters = {{"L", {kN, kN}, row_major(f.l)}, {"Linv", {kN, kN}, row_major(f.l_inverse)}, {"b", {kN}, f.b}};
    spec.source =
        "def decode(self, z: Tensor) -> Tensor:\n"
        "    return (torch.mm(z, self.L.t()) + self.b).reshape([z.shape[0], 4, 5])\n\n"
        "def inverse(self, x: Tensor) -> Tensor:\n"
        "    return torch.mm(x.reshape([x.shape[0], 20]) - self.b, self.Linv.t())\n\n"
        "def log_det_jacobian(self, x: Tensor) -> Tensor:\n"
        "    return torch.full_like(x.reshape([x.shape[0], 20])[:, 0], self.log_det)\n";
    f.path = temp().file("affine_flow.pt");
    pb::save_script_module(spec, f.path);
    return f;
  }();
  return flow;
}

struct Problem {
  std::shared_ptr<const pb::testing_support::DenseForwardOperator> forward;
  pb::Observation observation;
  std::vector<double> y;
};

// y = A x† + σ ε, A Gaussian d × n. Never destroyed (its PETSc vectors must not outlive
// PetscFinalize).
const Problem& problem() {
  static const Problem* p = [] {
    Dense a(kD, kN);
    a.values = normals(kD * kN, 4, 1.0 / std::sqrt(static_cast<double>(kD)));
    auto forward = std::make_shared<pb::testing_support::DenseForwardOperator>(PETSC_COMM_WORLD, a);
    const auto truth = normals(kN, 5, 0.3);
    auto* result = new Problem{forward, pb::simulate_observation(forward, {4, 5}, truth, kSigma, {7, 0}), {}};
    result->y = pb::petsc::gather_all(result->observation.data);
    return result;
  }();
  return *p;
}

pb::MethodOutcome run(const pb::MethodOptions& options, const std::string& model) {
  pb::MethodResources resources;
  resources.generator = [model] { return pb::load_generator(model); };
  return pb::make_method(options, resources)->reconstruct(problem().observation);
}

double relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  return pb::testing_support::max_abs_difference(a, b) / pb::testing_support::max_abs(b);
}

// The posterior of N(b, L Lᵀ) given y = A x + N(0, σ² I): mean and pixel std.
std::pair<std::vector<double>, std::vector<double>> gaussian_posterior() {
  const Dense& l = affine().l;
  const Dense c = pb::testing_support::multiply(l, pb::testing_support::transpose(l));
  const Dense& a = problem().forward->matrix();
  const Dense c_at = pb::testing_support::multiply(c, pb::testing_support::transpose(a));
  Dense k = pb::testing_support::multiply(a, c_at);
  for (int i = 0; i < kD; ++i) k(i, i) += kSigma * kSigma;
  const Dense gain = pb::testing_support::multiply(c_at, pb::testing_support::spd_inverse(k));
  auto residual = problem().y;
  const auto ab = pb::testing_support::multiply(a, affine().b);
  for (int i = 0; i < kD; ++i) residual[static_cast<std::size_t>(i)] -= ab[static_cast<std::size_t>(i)];
  auto mean = pb::testing_support::multiply(gain, residual);
  for (int i = 0; i < kN; ++i) mean[static_cast<std::size_t>(i)] += affine().b[static_cast<std::size_t>(i)];
  const Dense explained = pb::testing_support::multiply(gain, pb::testing_support::transpose(c_at));
  std::vector<double> std(kN);
  for (int i = 0; i < kN; ++i) std[static_cast<std::size_t>(i)] = std::sqrt(c(i, i) - explained(i, i));
  return {mean, std};
}

}  // namespace

// The Gaussian posterior mean in the flow's coordinates, z = L⁻¹(mean − b). F is a quadratic
// with Hessian H ⪰ I there, so a solver that stops at gradient norm g is within g of it.
std::vector<double> exact_latent(const std::vector<double>& mean) {
  auto centred = mean;
  for (int i = 0; i < kN; ++i) centred[static_cast<std::size_t>(i)] -= affine().b[static_cast<std::size_t>(i)];
  return pb::testing_support::multiply(affine().l_inverse, centred);
}

double distance(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(sum);
}

TEST(FlowMethods, FlowMapOfAnAffineFlowIsTheGaussianPosteriorMean) {
  const auto [mean, std] = gaussian_posterior();
  const auto z_exact = exact_latent(mean);
  for (const auto solver : {pb::LatentMapSolver::levenberg_marquardt, pb::LatentMapSolver::lbfgs}) {
    const auto name = pb::latent_map_solver_names()[static_cast<std::size_t>(solver)];
    pb::FlowMapMethodOptions options;
    options.flow.map_solver = solver;
    const auto outcome = run(options, affine().path);
    EXPECT_TRUE(outcome.converged) << outcome.warning;
    const double gradient_norm = outcome.details.at("latent_gradient_norm");
    EXPECT_LE(distance(outcome.latent, z_exact), gradient_norm + 1e-12) << name;
    // x* = L z* + b: within ‖L‖₂ ≤ ‖L‖_F of the mean per unit of latent error.
    double frobenius = 0;
    for (const double value : affine().l.values) frobenius += value * value;
    EXPECT_LE(distance(pb::petsc::gather_all(outcome.mean), mean), std::sqrt(frobenius) * (gradient_norm + 1e-12))
        << name;
    EXPECT_EQ(outcome.generator_route, "torchscript");
    // −log p(x*) = ½‖L⁻¹(x* − b)‖² − ℓ, recorded as flow_log_prior = −(that).
    double half_square = 0;
    for (const double value : outcome.latent) half_square += 0.5 * value * value;
    EXPECT_NEAR(outcome.details.at("flow_log_prior"), -(half_square - affine().log_det_inverse), 1e-9);
  }
}

// The covariance J (JᵀAᵀAJ/σ² + I)⁻¹ Jᵀ does not depend on where f is linearized: exact.
TEST(FlowMethods, FlowLaplaceOfAnAffineFlowIsTheGaussianPosterior) {
  const auto [mean, std] = gaussian_posterior();
  const auto outcome = run(pb::FlowLaplaceMethodOptions{}, affine().path);
  EXPECT_TRUE(outcome.converged) << outcome.warning;
  EXPECT_EQ(outcome.std_method, "gauss-newton");
  EXPECT_LE(distance(outcome.latent, exact_latent(mean)), outcome.details.at("latent_gradient_norm") + 1e-12);
  EXPECT_LT(relative_difference(pb::petsc::gather_all(outcome.std), std), 1e-8);
}

// hIPPYlib's low-rank route: with k = d leading eigenpairs of the misfit Hessian (its rank)
// it is the same Gaussian; with fewer, each discarded direction only adds variance, so the
// std falls monotonically in k towards the exact one.
TEST(FlowMethods, LowRankFlowLaplaceIsExactAtRankDAndOverstatesBelow) {
  const auto [mean, std] = gaussian_posterior();
  pb::FlowLaplaceMethodOptions options;
  options.rank = kD;
  const auto full = run(options, affine().path);
  EXPECT_TRUE(full.converged) << full.warning;
  EXPECT_EQ(full.std_method, "gauss-newton-low-rank");
  EXPECT_TRUE(full.std_exact);
  EXPECT_EQ(full.details.at("laplace_rank"), kD);
  EXPECT_LT(relative_difference(pb::petsc::gather_all(full.std), std), 1e-8);
  EXPECT_LT(relative_difference(pb::petsc::gather_all(full.mean),
                                pb::petsc::gather_all(run(pb::FlowLaplaceMethodOptions{}, affine().path).mean)),
            1e-12);

  auto previous = pb::petsc::gather_all(full.std);
  for (const std::size_t rank : {8u, 3u, 1u}) {
    options.rank = rank;
    const auto truncated = run(options, affine().path);
    EXPECT_FALSE(truncated.std_exact);
    const auto values = pb::petsc::gather_all(truncated.std);
    double largest_increase = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      EXPECT_GE(values[i], previous[i] - 1e-12) << "rank " << rank << ", pixel " << i;
      largest_increase = std::max(largest_increase, values[i] - previous[i]);
    }
    EXPECT_GT(largest_increase, 1e-6) << "rank " << rank;  // the discarded directions are informative here
    previous = values;
  }
}

TEST(FlowMethods, LowRankFlowLaplaceRefusesARankAboveTheDataSize) {
  pb::FlowLaplaceMethodOptions options;
  options.rank = kD + 1;
  expect_error([&] { run(options, affine().path); }, {"rank 13 is outside [1, min(d, m)] = [1, 12]"});
}

TEST(FlowMethods, AModelThatIsNotAFlowIsRefused) {
  pb::VaeModelOptions vae;
  vae.architecture = pb::VaeArchitecture::mlp;
  vae.hidden = {8};
  vae.latent_dim = 2;
  vae.shape = {4, 5};
  const auto path = temp().file("vae.pt");
  pb::save_untrained_vae(vae, 3, path);
  expect_error([&] { run(pb::FlowMapMethodOptions{}, path); },
               {"flow_map: needs a normalizing flow (a model of kind 'flow')", "vae.pt"});
  expect_error([&] { run(pb::FlowLaplaceMethodOptions{}, path); },
               {"flow_laplace: needs a normalizing flow (a model of kind 'flow')", "vae.pt"});
}

// A nonlinear flow: flow_map stops where the derivative of F vanishes along random
// directions, and latent_map (which drops −ℓ) stops elsewhere.
TEST(FlowMethods, FlowMapIsStationaryForTheObjectiveWithTheLogDeterminant) {
  pb::FlowModelOptions options;
  options.shape = {4, 5};
  options.couplings = {2, 2};
  options.hidden = {8};
  options.coupling_init_scale = 0.5;
  const auto path = temp().file("realnvp.pt");
  pb::save_untrained_flow(options, 4, path);
  const auto flow = pb::load_generator(path);

  const auto outcome = run(pb::FlowMapMethodOptions{}, path);
  EXPECT_TRUE(outcome.converged) << outcome.warning;
  const auto& y = problem().y;
  const Dense& a = problem().forward->matrix();
  const auto objective = [&](const std::vector<double>& z) {
    std::vector<double> x(kN), log_det(1);
    flow->decode(z, 1, x);
    flow->flow()->log_det_inverse(x, 1, log_det);
    const auto ax = pb::testing_support::multiply(a, x);
    double value = -log_det[0];
    for (int i = 0; i < kD; ++i) {
      const auto k = static_cast<std::size_t>(i);
      value += 0.5 * (y[k] - ax[k]) * (y[k] - ax[k]) / (kSigma * kSigma);
    }
    for (const double zj : z) value += 0.5 * zj * zj;
    return value;
  };
  const double h = 1e-5;
  for (std::uint64_t stream = 20; stream < 23; ++stream) {
    const auto direction = normals(kN, stream);
    auto plus = outcome.latent, minus = outcome.latent;
    for (int i = 0; i < kN; ++i) {
      plus[static_cast<std::size_t>(i)] += h * direction[static_cast<std::size_t>(i)];
      minus[static_cast<std::size_t>(i)] -= h * direction[static_cast<std::size_t>(i)];
    }
    // The scale of F's gradient away from the optimum: ‖A‖²/σ² times the pixel scale.
    EXPECT_LT(std::abs(objective(plus) - objective(minus)) / (2 * h), 1e-4) << "stream " << stream;
  }
  const auto latent = run(pb::LatentMapMethodOptions{}, path);
  EXPECT_GT(
      pb::testing_support::max_abs_difference(pb::petsc::gather_all(latent.mean), pb::petsc::gather_all(outcome.mean)),
      1e-4)
      << "latent_map ignores the log-determinant, so its image should differ";
}
