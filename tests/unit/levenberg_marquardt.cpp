// Levenberg–Marquardt (inference/levenberg_marquardt.hpp) on sums of squares whose minima
// are known: a linear least-squares problem (the normal equations, solved here by the
// test's own dense algebra), Rosenbrock's function as ½‖R‖² with R = (10(x₂ − x₁²), 1 − x₁)
// (minimum at (1, 1)), and objectives that break down (non-finite values) or cannot
// converge within the iteration limit.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/random.hpp"
#include "inference/levenberg_marquardt.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::testing_support::Dense;

namespace {

// A problem given by its residual R(x) and Jacobian J_R(x) (rows × dimension, row-major).
struct LeastSquares {
  std::size_t dimension = 0;
  std::function<std::vector<double>(std::span<const double>)> residual;
  std::function<Dense(std::span<const double>)> jacobian;

  double objective(std::span<const double> x) const {
    double sum = 0;
    for (const double r : residual(x)) sum += r * r;
    return 0.5 * sum;
  }
  pb::GaussNewtonModel model(std::span<const double> x) const {
    const auto r = residual(x);
    const Dense j = jacobian(x);
    pb::GaussNewtonModel model{objective(x), std::vector<double>(dimension, 0.0),
                               pb::DenseMatrix(dimension, dimension)};
    for (std::size_t a = 0; a < dimension; ++a) {
      for (int i = 0; i < j.rows; ++i) model.gradient[a] += j(i, int(a)) * r[std::size_t(i)];
      for (std::size_t b = 0; b < dimension; ++b) {
        for (int i = 0; i < j.rows; ++i) model.normal(a, b) += j(i, int(a)) * j(i, int(b));
      }
    }
    return model;
  }
  // The batched callbacks, counting how many points each saw.
  pb::GaussNewtonModels models(std::size_t* count = nullptr) const {
    return [this, count](std::span<const double> points, std::size_t batch) {
      if (count) *count += batch;
      std::vector<pb::GaussNewtonModel> out;
      for (std::size_t k = 0; k < batch; ++k) out.push_back(model(points.subspan(k * dimension, dimension)));
      return out;
    };
  }
  pb::BatchedObjectives objectives() const {
    return [this](std::span<const double> points, std::size_t batch, std::span<double> out) {
      for (std::size_t k = 0; k < batch; ++k) out[k] = objective(points.subspan(k * dimension, dimension));
    };
  }
};

// Stops only on a (near) zero gradient, so the points can be compared with the exact minima.
pb::LevenbergMarquardtOptions tight() {
  pb::LevenbergMarquardtOptions options;
  options.gradient_atol = 1e-13;
  options.gradient_rtol = 0;
  options.step_rtol = 0;
  options.objective_rtol = 0;
  return options;
}

LeastSquares rosenbrock() {
  LeastSquares p;
  p.dimension = 2;
  p.residual = [](std::span<const double> x) { return std::vector<double>{10 * (x[1] - x[0] * x[0]), 1 - x[0]}; };
  p.jacobian = [](std::span<const double> x) {
    Dense j(2, 2);
    j(0, 0) = -20 * x[0];
    j(0, 1) = 10;
    j(1, 0) = -1;
    return j;
  };
  return p;
}

}  // namespace

TEST(LevenbergMarquardt, LinearLeastSquaresReachTheNormalEquationsSolution) {
  const int rows = 12, n = 5;
  Dense a(rows, n);
  std::vector<double> b(rows);
  const pb::CounterRandom random(5, 0, pb::Purpose::test_values);
  for (int i = 0; i < rows; ++i) {
    b[std::size_t(i)] = random.normal(std::uint64_t(1000 + i));
    for (int j = 0; j < n; ++j) a(i, j) = random.normal(std::uint64_t(i * n + j));
  }
  LeastSquares p;
  p.dimension = n;
  p.residual = [&](std::span<const double> x) {
    std::vector<double> r = pb::testing_support::multiply(a, std::vector<double>(x.begin(), x.end()));
    for (int i = 0; i < rows; ++i) r[std::size_t(i)] -= b[std::size_t(i)];
    return r;
  };
  p.jacobian = [&](std::span<const double>) { return a; };
  using namespace pb::testing_support;
  const std::vector<double> exact = multiply(spd_inverse(multiply(transpose(a), a)), multiply(transpose(a), b));

  const std::vector<double> starts(3 * n, 0.0);
  const auto runs = pb::levenberg_marquardt(starts, n, p.models(), p.objectives(), tight());
  ASSERT_EQ(runs.size(), 3u);
  for (const auto& run : runs) {
    EXPECT_TRUE(run.converged) << run.reason;  // GATOL, or PRECISION where rounding ends the descent
    EXPECT_LT(max_abs_difference(run.point, exact), 1e-10);
    EXPECT_LE(run.iterations, 12);  // a quadratic: a few damped steps, the damping shrinking by 3 each time
    for (std::size_t k = 1; k < run.objective_history.size(); ++k) {  // accepted steps descend, or
      const double resolution = 8 * std::numeric_limits<double>::epsilon() * run.objective_history[k - 1];
      EXPECT_LE(run.objective_history[k], run.objective_history[k - 1] + resolution);  // polish within rounding
    }
  }
}

TEST(LevenbergMarquardt, RosenbrockFromSeveralStartsAtOnceEqualsOneAtATime) {
  const LeastSquares p = rosenbrock();
  const std::vector<double> starts = {-1.2, 1.0, 2.0, -1.0, 0.0, 0.0, -3.0, 5.0};
  std::size_t modelled = 0;
  const auto together = pb::levenberg_marquardt(starts, 2, p.models(&modelled), p.objectives(), tight());
  for (std::size_t s = 0; s < 4; ++s) {
    const auto& run = together[s];
    EXPECT_TRUE(run.converged) << run.reason;
    EXPECT_NEAR(run.point[0], 1.0, 1e-8);
    EXPECT_NEAR(run.point[1], 1.0, 1e-8);
    EXPECT_LT(run.objective, 1e-16);
    // Batching changes nothing: the same start alone takes the same path, bit for bit.
    const auto alone = pb::levenberg_marquardt(std::span<const double>(starts).subspan(2 * s, 2), 2, p.models(),
                                               p.objectives(), tight())[0];
    EXPECT_EQ(alone.point, run.point);
    EXPECT_EQ(alone.objective_history, run.objective_history);
    EXPECT_EQ(alone.reason, run.reason);
  }
  std::size_t accepted = 4;  // the initial models
  for (const auto& run : together) accepted += static_cast<std::size_t>(run.accepted_steps);
  EXPECT_EQ(modelled, accepted);  // a model (Jacobian) only at accepted points
}

TEST(LevenbergMarquardt, BreakdownsAreNamedNotHidden) {
  const LeastSquares p = rosenbrock();
  pb::LevenbergMarquardtOptions few;
  few.max_iterations = 3;
  const auto stopped = pb::levenberg_marquardt(std::vector<double>{-1.2, 1.0}, 2, p.models(), p.objectives(), few);
  EXPECT_FALSE(stopped[0].converged);
  EXPECT_EQ(stopped[0].reason, "LM_DIVERGED_MAXITS");
  EXPECT_EQ(stopped[0].iterations, 3);

  const std::vector<double> nan_start = {std::nan(""), 1.0};
  EXPECT_EQ(pb::levenberg_marquardt(nan_start, 2, p.models(), p.objectives())[0].reason, "LM_DIVERGED_NAN");

  // A trial point whose f is not finite (here: the first evaluation fails) is a rejected
  // step, never an accepted one; the run goes on with more damping and still converges.
  const auto inner = p.objectives();
  int calls = 0;
  const pb::BatchedObjectives failing_once = [&](std::span<const double> points, std::size_t batch,
                                                 std::span<double> out) {
    inner(points, batch, out);
    if (calls++ == 0) out[0] = std::nan("");
  };
  const auto clean = pb::levenberg_marquardt(std::vector<double>{-1.2, 1.0}, 2, p.models(), p.objectives(), tight())[0];
  const auto run = pb::levenberg_marquardt(std::vector<double>{-1.2, 1.0}, 2, p.models(), failing_once, tight())[0];
  EXPECT_TRUE(run.converged) << run.reason;
  EXPECT_NEAR(run.point[0], 1.0, 1e-8);
  EXPECT_NEAR(run.point[1], 1.0, 1e-8);
  EXPECT_EQ(run.objective_history.front(), clean.objective_history.front());
  EXPECT_GT(run.iterations, run.accepted_steps);  // the failed trial counted as a rejected step
}
