// The latent methods and the laplace prior of DESIGN §2 against the linear oracle
// (latent_oracle.hpp): μ(z) = W z + b, Γ = γ² I, with real operators (inpaint, gaussian,
// blur, fourier), both likelihoods, and against an analytic nonlinear generator
// μ(z) = tanh(W z) + b for the TAO path (Taylor test of the gradient, convergence rules).

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "inference/gaussian_posterior.hpp"
#include "inference/latent_laplace.hpp"
#include "inference/latent_map.hpp"
#include "latent_oracle.hpp"
#include "methods/linearization_point.hpp"
#include "methods/method_options.hpp"
#include "priors/linearized_generator_prior.hpp"
#include "tanh_generator.hpp"

namespace pb = priorbench;
using pb::LatentLikelihood;
using pb::testing_support::Dense;
using pb::testing_support::LinearOracle;
using pb::testing_support::TanhGenerator;

namespace {

pb::LatentMapOptions tight_map_options() {
  pb::LatentMapOptions options;
  options.gradient_atol = 1e-11;  // lbfgs (TAO)
  options.gradient_rtol = 0;
  options.levenberg_marquardt.gradient_atol = 1e-11;  // lm, the default: stops only on the gradient
  options.levenberg_marquardt.gradient_rtol = 0;
  options.levenberg_marquardt.step_rtol = 0;
  options.levenberg_marquardt.objective_rtol = 0;
  options.seed = 11;
  return options;
}

struct OperatorCase {
  std::string name;
  PetscInt data_size;
  std::string marginal_route;  // the noise route of the marginal likelihood
};

class LinearOracleTest : public ::testing::TestWithParam<OperatorCase> {};

TEST_P(LinearOracleTest, LatentMapMatchesTheClosedFormMode) {
  const auto& c = GetParam();
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, c.name, c.data_size);
  for (const bool marginal : {false, true}) {
    const auto problem =
        pb::testing_support::make_latent_problem(o, marginal ? LatentLikelihood::marginal : LatentLikelihood::seeds);
    EXPECT_EQ(problem->noise_route(), marginal ? c.marginal_route : "scalar");
    const auto exact = pb::testing_support::closed_latent_posterior(o, marginal);
    const pb::LatentMapResult map = pb::latent_map(*problem, tight_map_options());
    EXPECT_TRUE(map.converged) << map.warning;
    EXPECT_EQ(map.likelihood, marginal ? "marginal" : "seeds");
    ASSERT_EQ(map.starts.size(), 4u);  // zero, encoder, two prior draws
    EXPECT_EQ(map.starts[1].kind, "encoder");
    for (const auto& start : map.starts) {
      EXPECT_TRUE(start.accepted) << start.kind << ": " << start.reason_name;
      EXPECT_LT(pb::testing_support::relative_difference(start.latent, exact.latent_mean), 1e-8) << start.kind;
    }
    EXPECT_LT(pb::testing_support::relative_difference(map.latent, exact.latent_mean), 1e-8)
        << c.name << (marginal ? " marginal" : " seeds");
    EXPECT_LT(pb::testing_support::relative_difference(map.image, exact.image_mean), 1e-8);
    EXPECT_NEAR(map.objective, map.misfit + map.prior_term, 1e-12 * map.objective);
    // Levenberg–Marquardt: a Jacobian at every accepted point, A on its columns, no Aᵀ but
    // the one Aᵀy of the encoder start.
    EXPECT_GT(map.generator_counts.jacobians, 0);
    EXPECT_EQ(map.generator_counts.vjp, 0);
    EXPECT_EQ(map.operator_counts.adjoint, 1);
  }
}

TEST_P(LinearOracleTest, LatentLaplaceIsExact) {
  const auto& c = GetParam();
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, c.name, c.data_size);
  for (const bool marginal : {false, true}) {
    const auto problem =
        pb::testing_support::make_latent_problem(o, marginal ? LatentLikelihood::marginal : LatentLikelihood::seeds);
    const auto exact = pb::testing_support::closed_latent_posterior(o, marginal);
    const pb::LatentLaplaceResult laplace = pb::latent_laplace(*problem, exact.latent_mean);
    EXPECT_LT(pb::testing_support::relative_difference(laplace.image, exact.image_mean), 1e-10);
    EXPECT_LT(pb::testing_support::relative_difference(laplace.image_std, exact.image_std), 1e-10);
    EXPECT_LT(
        pb::testing_support::relative_difference(laplace.latent_covariance.values(), exact.latent_covariance.values),
        1e-10);
    EXPECT_EQ(pb::petsc::gather_all(laplace.std), laplace.image_std);
    EXPECT_EQ(laplace.operator_counts.forward, static_cast<std::int64_t>(o.m));  // M = A J, m applications
    EXPECT_EQ(laplace.generator_counts.jacobians, 1);
  }
}

TEST_P(LinearOracleTest, LaplacePriorIsTheExactMarginalAtAnyPoint) {
  const auto& c = GetParam();
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, c.name, c.data_size);
  const auto n = static_cast<int>(o.b.size());
  Dense c0 = pb::testing_support::multiply(o.w, pb::testing_support::transpose(o.w));
  for (int i = 0; i < n; ++i) c0(i, i) += o.gamma2;
  for (const std::vector<double>& z0 : {std::vector<double>(o.m, 0.0), std::vector<double>{0.3, -1.2, 2.0, 0.1}}) {
    const auto prior = pb::make_linearized_generator_prior(PETSC_COMM_WORLD, *o.generator, z0, 0.0);
    EXPECT_LT(pb::testing_support::max_abs_difference(pb::petsc::gather_all(prior->mean()), o.b), 1e-14);
    EXPECT_LT(pb::testing_support::max_abs_difference(pb::testing_support::covariance_of(*prior).values, c0.values),
              1e-14);
    EXPECT_TRUE(prior->diagonal_is_scalar());
    EXPECT_EQ(prior->parameters().at("linearization"), 3.0);  // given
    EXPECT_EQ(prior->parameters().at("z0[1]"), z0[1]);
  }

  // GaussianPosterior with it is the exact posterior of x under the marginal prior.
  const auto prior =
      pb::make_linearized_generator_prior(PETSC_COMM_WORLD, *o.generator, std::vector<double>(o.m, 0.5), 0.0);
  pb::GaussianPosterior posterior(o.forward, prior, o.sigma);
  const pb::PosteriorResult result = posterior.solve(o.data_vector);
  Dense k = pb::testing_support::multiply(pb::testing_support::multiply(o.a, c0), pb::testing_support::transpose(o.a));
  for (int i = 0; i < k.rows; ++i) k(i, i) += o.sigma * o.sigma;
  const Dense gain = pb::testing_support::multiply(
      pb::testing_support::multiply(c0, pb::testing_support::transpose(o.a)), pb::testing_support::spd_inverse(k));
  std::vector<double> residual = pb::testing_support::multiply(o.a, o.b);
  for (std::size_t i = 0; i < residual.size(); ++i) residual[i] = o.data[i] - residual[i];
  std::vector<double> mean = pb::testing_support::multiply(gain, residual);
  for (int i = 0; i < n; ++i) mean[i] += o.b[i];
  const Dense reduction = pb::testing_support::multiply(gain, pb::testing_support::multiply(o.a, c0));
  std::vector<double> std;
  for (int i = 0; i < n; ++i) std.push_back(std::sqrt(c0(i, i) - reduction(i, i)));
  EXPECT_LT(pb::testing_support::relative_difference(pb::petsc::gather_all(result.mean), mean), 1e-8);
  EXPECT_LT(pb::testing_support::relative_difference(pb::petsc::gather_all(result.std), std), 1e-8);
}

TEST_P(LinearOracleTest, LaplacePriorLinearizationStrategies) {
  const auto& c = GetParam();
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, c.name, c.data_size);
  const auto problem = pb::testing_support::make_latent_problem(o, LatentLikelihood::seeds);
  const auto exact = pb::testing_support::closed_latent_posterior(o, false);

  for (const auto point :
       {pb::LinearizationPoint::zero, pb::LinearizationPoint::encoder, pb::LinearizationPoint::latent_map}) {
    const std::string strategy = pb::linearization_point_name(point);
    const pb::ChosenLinearization chosen = pb::choose_linearization_point(*problem, point, tight_map_options());
    const auto prior =
        pb::make_linearized_generator_prior(problem->comm(), problem->generator(), chosen.point, 0.0, strategy);
    EXPECT_EQ(prior->name(), "laplace");
    EXPECT_EQ(chosen.latent_map.has_value(), strategy == "latent_map");
    EXPECT_LT(pb::testing_support::max_abs_difference(pb::petsc::gather_all(prior->mean()), o.b), 1e-14);
    std::vector<double> expected_point(o.m, 0.0);
    if (strategy == "latent_map") expected_point = exact.latent_mean;
    if (strategy == "encoder") {  // the exact p(z | x = Aᵀy) under x | z ~ N(Wz + b, γ² I)
      using namespace pb::testing_support;
      Dense precision = multiply(transpose(o.w), o.w);
      for (double& value : precision.values) value /= o.gamma2;
      for (std::size_t j = 0; j < o.m; ++j) precision(int(j), int(j)) += 1.0;
      std::vector<double> image = multiply(transpose(o.a), o.data);
      for (std::size_t i = 0; i < image.size(); ++i) image[i] = (image[i] - o.b[i]) / o.gamma2;
      expected_point = multiply(spd_inverse(precision), multiply(transpose(o.w), image));
    }
    EXPECT_LT(pb::testing_support::max_abs_difference(chosen.point, expected_point), 1e-8) << strategy;
    const auto& parameters = prior->parameters();
    EXPECT_EQ(parameters.at("linearization"), strategy == "zero" ? 0.0 : strategy == "latent_map" ? 1.0 : 2.0);
    EXPECT_EQ(parameters.at("z0[0]"), chosen.point[0]);
    EXPECT_EQ(parameters.at("nugget"), 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Operators, LinearOracleTest,
                         ::testing::Values(OperatorCase{"inpaint", 40, "diagonal"},
                                           OperatorCase{"gaussian", 30, "dense"}, OperatorCase{"blur", 0, "dense"},
                                           OperatorCase{"fourier", 0, "diagonal"}),
                         [](const auto& info) { return info.param.name; });

TEST(LaplacePrior, GanLikeGeneratorNeedsAStatedNugget) {
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, "inpaint", 40, 4, 0.1, 0.0);
  const std::vector<double> z0(o.m, 0.0);
  try {
    pb::make_linearized_generator_prior(PETSC_COMM_WORLD, *o.generator, z0, 0.0);
    FAIL() << "a Gamma = 0 generator without a nugget was accepted";
  } catch (const pb::Error& error) {
    EXPECT_NE(std::string(error.what()).find("nugget"), std::string::npos) << error.what();
  }
  const auto prior = pb::make_linearized_generator_prior(PETSC_COMM_WORLD, *o.generator, z0, 1e-4);
  EXPECT_EQ(prior->parameters().at("nugget"), 1e-4);
  EXPECT_DOUBLE_EQ(pb::petsc::gather_all(prior->diagonal())[7], 1e-4);

  const auto problem = pb::testing_support::make_latent_problem(o, LatentLikelihood::marginal);
  EXPECT_EQ(problem->noise_route(), "scalar");  // Γ = 0: the marginal likelihood is the seeds' one
  EXPECT_THROW(pb::choose_linearization_point(*problem, pb::LinearizationPoint::encoder, {}), pb::Error);  // no encoder
  const auto field = [](const std::string& key) { return "field '" + key + "'"; };
  EXPECT_THROW(pb::parse_choice("nearest", pb::linearization_point_names(), field, "z0"), pb::Error);
}

TEST(LatentProblem, MarginalLikelihoodRefusesALargeDenseNoiseCovariance) {
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, "blur", 0);
  pb::LatentProblemOptions options;
  options.likelihood = LatentLikelihood::marginal;
  options.dense_noise_limit = 10;
  EXPECT_THROW(pb::LatentProblem(o.generator, o.forward, o.data_vector, o.sigma, options), pb::Error);
  EXPECT_EQ(pb::parse_likelihood("marginal"), LatentLikelihood::marginal);
  EXPECT_THROW(pb::parse_likelihood("exact"), pb::Error);
}

// ---------------------------------------------------------------------------------------
// The nonlinear generator (tanh_generator.hpp) for the TAO path.
struct NonlinearCase {
  std::shared_ptr<TanhGenerator> generator;
  std::shared_ptr<pb::ForwardOperator> forward;
  pb::petsc::Vector data;
  double sigma = 0.05;
};

NonlinearCase make_nonlinear_case(const std::string& operator_name, PetscInt data_size) {
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, operator_name, data_size, 3);
  NonlinearCase c;
  pb::DenseMatrix weights(o.b.size(), o.m);
  for (std::size_t i = 0; i < o.b.size(); ++i)
    for (std::size_t j = 0; j < o.m; ++j) weights(i, j) = 4 * o.w(int(i), int(j));  // well into the nonlinearity
  c.generator = std::make_shared<TanhGenerator>(o.shape, weights, o.b);
  c.forward = o.forward;
  std::vector<double> truth(o.b.size());
  c.generator->decode(std::vector<double>{0.8, -1.1, 0.4}, 1, truth);
  std::vector<double> y = pb::testing_support::multiply(o.a, truth);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] += c.sigma * pb::testing_support::oracle_draw(9, i);
  c.data = c.forward->make_range_vector();
  pb::petsc::set_from_global(c.data, y);
  return c;
}

TEST(NonlinearLatentMap, GradientPassesATaylorTest) {
  const NonlinearCase c = make_nonlinear_case("gaussian", 30);
  for (const auto likelihood : {LatentLikelihood::seeds, LatentLikelihood::marginal}) {
    pb::LatentProblemOptions options;
    options.likelihood = likelihood;
    const pb::LatentProblem problem(c.generator, c.forward, c.data, c.sigma, options);
    const std::vector<double> z = {0.3, -0.2, 0.7}, v = {0.5, 0.9, -0.4};
    std::vector<double> gradient(3);
    const double f = problem.objective_and_gradient(z, gradient);
    EXPECT_DOUBLE_EQ(f, problem.objective(z));
    const double slope = gradient[0] * v[0] + gradient[1] * v[1] + gradient[2] * v[2];
    // |f(z + εv) − f(z) − ε ∇f·v| = O(ε²): the remainder falls by 4 when ε halves.
    double previous = 0;
    for (int k = 0; k < 6; ++k) {
      const double epsilon = 1e-2 / std::pow(2.0, k);
      std::vector<double> moved = z;
      for (std::size_t j = 0; j < 3; ++j) moved[j] += epsilon * v[j];
      const double remainder = std::abs(problem.objective(moved) - f - epsilon * slope);
      if (k > 0) EXPECT_NEAR(previous / remainder, 4.0, 0.1) << "epsilon " << epsilon;
      previous = remainder;
    }
  }
}

TEST(NonlinearLatentMap, ConvergesFromEveryStartAndAgreesAcrossTaoTypes) {
  const NonlinearCase c = make_nonlinear_case("inpaint", 40);
  const pb::LatentProblem problem(c.generator, c.forward, c.data, c.sigma);
  pb::LatentMapOptions options = tight_map_options();
  options.prior_draw_starts = 3;
  const pb::LatentMapResult map = pb::latent_map(problem, options);
  EXPECT_TRUE(map.converged) << map.warning;
  EXPECT_TRUE(map.warning.empty());
  EXPECT_EQ(map.starts.size(), 4u);  // no encoder start: the generator has no encoder
  for (const auto& start : map.starts) {
    EXPECT_LE(map.objective, start.objective);
    EXPECT_LT(start.objective, start.initial_objective) << start.kind;
    EXPECT_FALSE(start.reason_name.empty());
  }
  std::vector<double> gradient(3);
  problem.objective_and_gradient(map.latent, gradient);
  EXPECT_LT(std::hypot(gradient[0], gradient[1], gradient[2]), 1e-9)
      << map.starts[map.best_start].reason_name << " |g| " << map.gradient_norm << " f " << map.objective;

  // With the lbfgs solver the command line picks another TAO method through the options prefix.
  PB_PETSC(PetscOptionsSetValue(nullptr, "-test_cg_tao_type", "bncg"));
  options.solver = pb::LatentMapSolver::lbfgs;
  options.options_prefix = "test_cg_";
  options.gradient_atol = 1e-9;
  const pb::LatentMapResult cg = pb::latent_map(problem, options);
  PB_PETSC(PetscOptionsClearValue(nullptr, "-test_cg_tao_type"));
  EXPECT_TRUE(cg.converged) << cg.warning;
  EXPECT_LT(pb::testing_support::max_abs_difference(cg.latent, map.latent), 1e-7);
}

TEST(NonlinearLatentMap, AStoppedRunIsFlaggedNeverSilent) {
  const NonlinearCase c = make_nonlinear_case("inpaint", 40);
  const pb::LatentProblem problem(c.generator, c.forward, c.data, c.sigma);
  pb::LatentMapOptions options;
  options.levenberg_marquardt.max_iterations = 1;
  options.prior_draw_starts = 1;
  const pb::LatentMapResult lm = pb::latent_map(problem, options);
  EXPECT_FALSE(lm.converged);
  EXPECT_NE(lm.warning.find("LM_DIVERGED_MAXITS"), std::string::npos) << lm.warning;
  for (const auto& start : lm.starts) {
    EXPECT_EQ(start.solver, "lm");
    EXPECT_EQ(start.reason_name, "LM_DIVERGED_MAXITS");
    EXPECT_EQ(start.status, "failed");
  }
  options.solver = pb::LatentMapSolver::lbfgs;
  options.max_iterations = 2;
  options.prior_draw_starts = 1;
  const pb::LatentMapResult map = pb::latent_map(problem, options);
  EXPECT_FALSE(map.converged);
  EXPECT_NE(map.warning.find("TAO_DIVERGED_MAXITS"), std::string::npos) << map.warning;
  for (const auto& start : map.starts) {
    EXPECT_EQ(start.reason_name, "TAO_DIVERGED_MAXITS");
    EXPECT_EQ(start.status, "failed");
  }
  options.require_convergence = true;
  EXPECT_THROW(pb::latent_map(problem, options), pb::Error);
}

TEST(LatentMapRule, AcceptsStopsOnlyWithProgressJudged) {
  pb::LatentMapOptions options;  // accept_gradient_rtol 1e-4, stall_rtol 1e-9, stall_window 5
  const std::vector<double> stalled = {10, 5, 3, 2.5, 2.4, 2.4, 2.4, 2.4, 2.4, 2.4};
  const std::vector<double> moving = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  EXPECT_EQ(pb::judge_tao_run(TAO_CONVERGED_GATOL, moving, 1, 1, options), "converged");
  EXPECT_EQ(pb::judge_tao_run(TAO_DIVERGED_LS_FAILURE, moving, 1, 1e-5, options), "small_gradient");
  EXPECT_EQ(pb::judge_tao_run(TAO_DIVERGED_LS_FAILURE, stalled, 1, 0.5, options), "stalled_objective");
  EXPECT_EQ(pb::judge_tao_run(TAO_DIVERGED_MAXITS, stalled, 1, 0.5, options), "stalled_objective");
  EXPECT_EQ(pb::judge_tao_run(TAO_DIVERGED_LS_FAILURE, moving, 1, 0.5, options), "failed");
  EXPECT_EQ(pb::judge_tao_run(TAO_DIVERGED_LS_FAILURE, {10, 10}, 1, 0.5, options), "failed");  // too short
  EXPECT_EQ(pb::judge_tao_run(TAO_DIVERGED_NAN, stalled, 1, 1e-9, options), "failed");
  EXPECT_EQ(pb::judge_tao_run(TAO_DIVERGED_LS_FAILURE, stalled, 1, NAN, options), "failed");
}

}  // namespace

namespace {

// μ(z) = b + W |z| (componentwise): a decoder with a kink, like ReLU. With data that pull
// every |z_j| down, the MAP is z = 0 at a V-shaped kink where the gradient never vanishes
// (DESIGN §6): TAO's line search fails there and the objective rule must judge the run.
class KinkGenerator final : public pb::Generator {
 public:
  KinkGenerator(pb::ImageShape shape, pb::DenseMatrix weights, std::vector<double> offset)
      : pb::Generator(weights.cols(), shape, pb::DecoderVariance::none),
        weights_(std::move(weights)),
        offset_(std::move(offset)) {}
  std::string description() const override { return "kink test generator"; }
  std::string route() const override { return "test"; }
  bool has_encoder() const override { return false; }

 protected:
  void decode_impl(std::span<const double> latents, std::size_t batch, std::span<double> means) const override {
    const std::size_t m = latent_dimension(), n = image_size();
    for (std::size_t item = 0; item < batch; ++item) {
      std::vector<double> magnitude(m);
      for (std::size_t j = 0; j < m; ++j) magnitude[j] = std::abs(latents[item * m + j]);
      auto mean = means.subspan(item * n, n);
      std::copy(offset_.begin(), offset_.end(), mean.begin());
      pb::gemv(false, 1.0, weights_, magnitude, 1.0, mean);
    }
  }
  void decoder_variance_impl(std::span<const double>, std::span<double> variance) const override {
    std::fill(variance.begin(), variance.end(), 0.0);
  }
  void jvp_impl(std::span<const double> z, std::span<const double> v, std::span<double> out) const override {
    std::vector<double> scaled(v.begin(), v.end());
    for (std::size_t j = 0; j < scaled.size(); ++j) scaled[j] *= sign(z[j]);
    pb::gemv(false, 1.0, weights_, scaled, 0.0, out);
  }
  void vjp_impl(std::span<const double> z, std::span<const double> u, std::span<double> out) const override {
    pb::gemv(true, 1.0, weights_, u, 0.0, out);
    for (std::size_t j = 0; j < out.size(); ++j) out[j] *= sign(z[j]);
  }
  void jacobian_impl(std::span<const double> z, pb::DenseMatrix& jacobian) const override {
    jacobian = weights_;
    for (std::size_t j = 0; j < jacobian.cols(); ++j)
      for (double& value : jacobian.column(j)) value *= sign(z[j]);
  }

 private:
  static double sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }
  pb::DenseMatrix weights_;
  std::vector<double> offset_;
};

TEST(NonlinearLatentMap, AKinkAtTheMinimumIsJudgedByTheObjective) {
  const LinearOracle o = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, "inpaint", 40, 2);
  pb::DenseMatrix weights(o.b.size(), 2);
  for (std::size_t i = 0; i < o.b.size(); ++i)
    for (std::size_t j = 0; j < 2; ++j) weights(i, j) = 0.1 + std::abs(o.w(int(i), int(j)));
  auto generator = std::make_shared<KinkGenerator>(o.shape, weights, o.b);
  std::vector<double> pulled(o.b.size());
  generator->decode(std::vector<double>{0.5, 0.5}, 1, pulled);  // y = A(2b − μ(0.5, 0.5)): residual −A W (0.5, 0.5)
  for (std::size_t i = 0; i < pulled.size(); ++i) pulled[i] = 2 * o.b[i] - pulled[i];
  auto data = o.forward->make_range_vector();
  pb::petsc::set_from_global(data, pb::testing_support::multiply(o.a, pulled));
  const pb::LatentProblem problem(generator, o.forward, data, o.sigma);

  pb::LatentMapOptions options;
  options.zero_start = false;
  options.extra_starts = {{1.0, -0.7}};
  options.prior_draw_starts = 0;
  // Levenberg–Marquardt reaches the kink and stops there (its steps shrink, no step descends
  // further) with the gradient still large: judged by progress, never reported as converged.
  const pb::LatentMapResult lm = pb::latent_map(problem, options);
  EXPECT_NE(lm.starts.front().status, "converged") << lm.starts.front().reason_name;
  EXPECT_EQ(lm.starts.front().reason_name.rfind("LM_", 0), 0u);
  EXPECT_GT(lm.starts.front().gradient_norm, 100.0);
  EXPECT_LT(std::hypot(lm.latent[0], lm.latent[1]), 0.01);

  options.solver = pb::LatentMapSolver::lbfgs;
  const pb::LatentMapResult map = pb::latent_map(problem, options);
  const pb::LatentMapStart& start = map.starts.front();
  // TAO creeps toward the kink, its line search fails with a large gradient, restarts
  // help but do not finish: the run is flagged, never reported as converged.
  EXPECT_EQ(start.reason_name, "TAO_DIVERGED_LS_FAILURE");
  EXPECT_EQ(start.restarts, options.max_restarts);
  EXPECT_EQ(start.reason_history.size(), static_cast<std::size_t>(options.max_restarts + 1));
  EXPECT_GT(start.gradient_norm, 100.0);
  EXPECT_LT(std::hypot(map.latent[0], map.latent[1]), 0.01);
  EXPECT_GT(map.objective, problem.objective(std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(start.status, "failed");
  EXPECT_FALSE(map.converged);
  EXPECT_NE(map.warning.find("TAO_DIVERGED_LS_FAILURE"), std::string::npos);

  // A looser progress rule (objective stalled to 5 % over the last 5 iterations) accepts it.
  options.stall_rtol = 0.05;
  const pb::LatentMapResult loose = pb::latent_map(problem, options);
  EXPECT_EQ(loose.starts.front().status, "stalled_objective")
      << ::testing::PrintToString(loose.starts.front().objective_history);
  EXPECT_TRUE(loose.converged);
}

}  // namespace
