// Normalizing flows (kind "flow", issue 15): the RealNVP of `priorbench train --kind flow`
// (untrained, its couplings far from the identity) at 28², each property against a
// reference computed here without the flow's own log-determinant:
//
//   round trips      inverse(decode(z)) = z and decode(inverse(x)) = x to 1e-10
//   log-determinant  log_det_inverse(f(z)) = −log|det J_f(z)|, J_f the dense Jacobian by
//                    forward-mode AD and its log-determinant by LU (LAPACK dgetrf), to 1e-8
//   flow_map pieces  decode_and_log_det_gradient against central finite differences of
//                    ½‖f(z) − y‖² − ℓ(f(z))
//   the contract     a hand-written affine flow loads with its closed-form log-determinant;
//                    a flow with m ≠ n, without inverse, with a wrong inverse or a
//                    log-determinant of the wrong shape is refused naming the file.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <span>

#include "core/random.hpp"
#include "generative/flow_density.hpp"
#include "generative/torch/flow_model.hpp"
#include "generative/torch/generator_loader.hpp"
#include "generative/torch/script_module.hpp"
#include "test_support.hpp"

extern "C" void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* pivots, int* info);

namespace pb = priorbench;
using pb::testing_support::expect_error;

namespace {

const pb::testing_support::TempDir& temp() {
  static const pb::testing_support::TempDir directory("priorbench_flow");
  return directory;
}

std::shared_ptr<const pb::Generator> untrained_flow() {
  static const std::shared_ptr<const pb::Generator> generator = [] {
    pb::FlowModelOptions options;
    options.couplings = {2, 2};
    options.hidden = {16};
    options.coupling_init_scale = 0.5;
    const auto path = temp().file("untrained_flow.pt");
    pb::save_untrained_flow(options, 3, path);
    return pb::load_generator(path);
  }();
  return generator;
}

std::vector<double> normals(std::size_t count, std::uint64_t stream, double scale = 1.0) {
  std::vector<double> values(count);
  pb::CounterRandom(7, stream, pb::Purpose::test_values).fill_normal(values, 0);
  for (double& value : values) value *= scale;
  return values;
}

// log|det M| by LU with partial pivoting.
double log_abs_determinant(pb::DenseMatrix matrix) {
  const int n = static_cast<int>(matrix.rows());
  std::vector<int> pivots(matrix.rows());
  int info = 0;
  dgetrf_(&n, &n, matrix.data(), &n, pivots.data(), &info);
  EXPECT_EQ(info, 0) << "singular Jacobian";
  double sum = 0;
  for (std::size_t i = 0; i < matrix.rows(); ++i) sum += std::log(std::abs(matrix(i, i)));
  return sum;
}

}  // namespace

TEST(Flow, LoadsAsAFlowOnEitherRoute) {
  const auto flow = untrained_flow();  // the automatic route: native for a flow of priorbench train
  ASSERT_NE(flow->flow(), nullptr);
  EXPECT_EQ(flow->latent_dimension(), 784u);
  EXPECT_EQ(flow->route(), "native");
  EXPECT_FALSE(flow->has_encoder());
  EXPECT_EQ(flow->decoder_variance_kind(), pb::DecoderVariance::none);
  const auto torchscript = pb::load_generator(temp().file("untrained_flow.pt"), pb::GeneratorRoute::torchscript);
  ASSERT_NE(torchscript->flow(), nullptr);
  EXPECT_EQ(torchscript->route(), "torchscript");
}

namespace {

// Every operation of the Generator and FlowDensity interfaces on both routes of one file,
// at latents of scale 0.8 (a batch of 3), to 1e-12 relative to each result's magnitude.
void expect_routes_agree(const std::string& path) {
  SCOPED_TRACE(path);
  const auto native = pb::load_generator(path, pb::GeneratorRoute::native);
  const auto torch = pb::load_generator(path, pb::GeneratorRoute::torchscript);
  ASSERT_EQ(native->route(), "native");
  const std::size_t n = native->image_size(), batch = 3;
  const auto z = normals(batch * n, 30, 0.8), v = normals(batch * n, 31), u = normals(batch * n, 32);
  const auto y = normals(batch * n, 33, 0.3);
  const auto compare = [&](const char* what, auto&& call) {
    std::vector<double> a, b;
    call(*native, a);
    call(*torch, b);
    EXPECT_LE(pb::testing_support::max_relative_difference(a, b), 1e-12) << what;
  };
  compare("decode", [&](const pb::Generator& g, std::vector<double>& out) {
    out.resize(batch * n);
    g.decode(z, batch, out);
  });
  compare("jvp", [&](const pb::Generator& g, std::vector<double>& out) {
    out.resize(batch * n);
    g.jvp(z, batch, v, out);
  });
  compare("vjp", [&](const pb::Generator& g, std::vector<double>& out) {
    out.resize(batch * n);
    g.vjp(z, batch, u, out);
  });
  compare("jacobian", [&](const pb::Generator& g, std::vector<double>& out) {
    pb::DenseMatrix jacobian;
    g.jacobian(std::span(z).first(n), jacobian);
    out = jacobian.values();
  });
  const auto misfit_cotangents = [&](std::span<const double> images, std::span<double> cotangents) {
    for (std::size_t i = 0; i < images.size(); ++i) cotangents[i] = images[i] - y[i];
  };
  compare("decode_and_vjp", [&](const pb::Generator& g, std::vector<double>& out) {
    std::vector<double> means(batch * n);
    out.resize(batch * n);
    g.decode_and_vjp(z, batch, means, misfit_cotangents, out);
  });
  std::vector<double> images(batch * n);
  torch->decode(z, batch, images);
  compare("inverse", [&](const pb::Generator& g, std::vector<double>& out) {
    out.resize(batch * n);
    g.flow()->inverse(images, batch, out);
  });
  compare("log_det_inverse", [&](const pb::Generator& g, std::vector<double>& out) {
    out.resize(batch);
    g.flow()->log_det_inverse(images, batch, out);
  });
  for (const bool gradient : {true, false}) {
    compare(gradient ? "gradient of decode_and_log_det_gradient" : "log-dets of decode_and_log_det_gradient",
            [&](const pb::Generator& g, std::vector<double>& out) {
              std::vector<double> x(batch * n), gradients(batch * n), log_dets(batch);
              g.flow()->decode_and_log_det_gradient(z, batch, x, misfit_cotangents, gradients, log_dets);
              out = gradient ? gradients : log_dets;
            });
  }
}

}  // namespace

TEST(Flow, NativeRouteMatchesTorchScriptOnTheShippedFlow) {
  const char* source = std::getenv("PRIORBENCH_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "PRIORBENCH_SOURCE_DIR is not set (ctest sets it)";
  expect_routes_agree(std::string(source) + "/models/fmnist-flow-realnvp.pt");
}

// Untrained flows far from the identity, of shapes that make every size odd somewhere:
// 28² with two levels, and 6×5 with three levels (30, 15, 8 variables; conditioning halves
// 15, 7, 4) and a different width per level.
TEST(Flow, NativeRouteMatchesTorchScriptOnUntrainedFlows) {
  untrained_flow();
  expect_routes_agree(temp().file("untrained_flow.pt"));
  pb::FlowModelOptions options;
  options.shape = {6, 5};
  options.couplings = {2, 1, 2};
  options.hidden = {7, 5, 3};
  options.coupling_init_scale = 1.0;
  const auto path = temp().file("odd_flow.pt");
  pb::save_untrained_flow(options, 11, path);
  expect_routes_agree(path);
}

// The native route takes the centred pre-processing only: a logit flow stays on TorchScript
// when the route is automatic, and asking for native says why not.
TEST(Flow, ALogitFlowStaysOnTorchScript) {
  pb::FlowModelOptions options;
  options.shape = {6, 5};
  options.couplings = {1, 1};
  options.hidden = {4};
  options.preprocessing = pb::FlowPreprocessing::logit;
  const auto path = temp().file("logit_flow.pt");
  pb::save_untrained_flow(options, 12, path);
  EXPECT_EQ(pb::load_generator(path)->route(), "torchscript");
  expect_error([&] { pb::load_generator(path, pb::GeneratorRoute::native); },
               {path, "not recognized", "logit pre-processing"});
}

TEST(Flow, DecodeAndInverseUndoEachOther) {
  const auto flow = untrained_flow();
  const std::size_t n = flow->image_size(), batch = 3;
  const auto z = normals(batch * n, 1);
  std::vector<double> x(batch * n), back(batch * n);
  flow->decode(z, batch, x);
  flow->flow()->inverse(x, batch, back);
  EXPECT_LE(pb::testing_support::max_abs_difference(back, z), 1e-10);

  std::vector<double> images(batch * n);
  pb::CounterRandom random(7, 2, pb::Purpose::test_values);
  for (std::size_t i = 0; i < images.size(); ++i) images[i] = 0.02 + 0.96 * random.uniform(i);
  flow->flow()->inverse(images, batch, back);
  flow->decode(back, batch, x);
  EXPECT_LE(pb::testing_support::max_abs_difference(x, images), 1e-10);
}

// The shipped flow (scripts/train-flow.sh) at prior draws: the round trip of a trained
// flow, whose images stay within the pre-processing's range.
TEST(Flow, TheShippedFlowRoundTrips) {
  const char* source = std::getenv("PRIORBENCH_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "PRIORBENCH_SOURCE_DIR is not set (ctest sets it)";
  const auto flow = pb::load_generator(std::string(source) + "/models/fmnist-flow-realnvp.pt");
  ASSERT_NE(flow->flow(), nullptr);
  const std::size_t n = flow->image_size(), batch = 4;
  const auto z = normals(batch * n, 20);
  std::vector<double> x(batch * n), back(batch * n);
  flow->decode(z, batch, x);
  flow->flow()->inverse(x, batch, back);
  EXPECT_LE(pb::testing_support::max_abs_difference(back, z), 1e-10);
}

TEST(Flow, LogDeterminantEqualsTheDenseJacobiansByLU) {
  const auto flow = untrained_flow();
  const std::size_t n = flow->image_size();
  for (std::uint64_t stream = 3; stream < 5; ++stream) {
    const auto z = normals(n, stream);
    std::vector<double> x(n), log_det(1);
    flow->decode(z, 1, x);
    flow->flow()->log_det_inverse(x, 1, log_det);
    pb::DenseMatrix jacobian;
    flow->jacobian(z, jacobian);
    const double reference = -log_abs_determinant(jacobian);
    EXPECT_NEAR(log_det[0], reference, 1e-8) << "stream " << stream;
    double off_diagonal = 0;
    for (std::size_t j = 0; j < n; ++j) {
      for (std::size_t i = 0; i < n; ++i)
        off_diagonal = std::max(off_diagonal, i == j ? 0.0 : std::abs(jacobian(i, j)));
    }
    EXPECT_GT(off_diagonal, 1e-2) << "the couplings should mix pixels (a diagonal Jacobian tests little)";
  }
}

TEST(Flow, LogDetGradientMatchesFiniteDifferences) {
  const auto flow = untrained_flow();
  const std::size_t n = flow->image_size();
  const auto z = normals(n, 5, 0.7);
  const auto y = normals(n, 6, 0.1);
  // φ(z) = ½‖f(z) − y‖² − ℓ(f(z)); its gradient is J_fᵀ(f − y) − ∇_z ℓ(f(z)).
  const auto phi = [&](const std::vector<double>& latent) {
    std::vector<double> x(n), log_det(1);
    flow->decode(latent, 1, x);
    flow->flow()->log_det_inverse(x, 1, log_det);
    double misfit = 0;
    for (std::size_t i = 0; i < n; ++i) misfit += 0.5 * (x[i] - y[i]) * (x[i] - y[i]);
    return misfit - log_det[0];
  };
  std::vector<double> x(n), gradient(n), log_det(1);
  flow->flow()->decode_and_log_det_gradient(
      z, 1, x,
      [&](std::span<const double> images, std::span<double> cotangents) {
        for (std::size_t i = 0; i < n; ++i) cotangents[i] = images[i] - y[i];
      },
      gradient, log_det);
  std::vector<double> expected_x(n), expected_log_det(1);
  flow->decode(z, 1, expected_x);
  flow->flow()->log_det_inverse(expected_x, 1, expected_log_det);
  EXPECT_LE(pb::testing_support::max_abs_difference(x, expected_x), 1e-14);
  EXPECT_NEAR(log_det[0], expected_log_det[0], 1e-9);
  const double h = 1e-5;
  for (std::uint64_t stream = 10; stream < 13; ++stream) {
    const auto direction = normals(n, stream);
    auto plus = z, minus = z;
    for (std::size_t i = 0; i < n; ++i) {
      plus[i] += h * direction[i];
      minus[i] -= h * direction[i];
    }
    const double finite_difference = (phi(plus) - phi(minus)) / (2 * h);
    double directional = 0;
    for (std::size_t i = 0; i < n; ++i) directional += gradient[i] * direction[i];
    EXPECT_NEAR(directional, finite_difference, 1e-6 * (1 + std::abs(finite_difference))) << "stream " << stream;
  }
}

namespace {

// x = 2 z + 0.25 on a 1×2 image: ℓ(x) = log|det ∂z/∂x| = −2 log 2.
pb::ScriptModuleSpec affine_flow() {
  pb::ScriptModuleSpec spec;
  spec.int_attributes = {{"format_version", 2}, {"latent_dim", 2}, {"image_height", 1}, {"image_width", 2}};
  spec.string_attributes = {{"kind", "flow"}, {"variance_kind", "none"}};
  spec.source =
      "def decode(self, z: Tensor) -> Tensor:\n    return (2 * z + 0.25).reshape([z.shape[0], 1, 2])\n\n"
      "def inverse(self, x: Tensor) -> Tensor:\n    return (x.reshape([x.shape[0], 2]) - 0.25) / 2\n\n"
      "def log_det_jacobian(self, x: Tensor) -> Tensor:\n"
      "    return torch.full_like(x.reshape([x.shape[0], 2])[:, 0], -1.3862943611198906)\n";
  return spec;
}

std::string saved(const pb::ScriptModuleSpec& spec, const std::string& name) {
  const auto path = temp().file(name);
  pb::save_script_module(spec, path);
  return path;
}

}  // namespace

TEST(FlowContract, AHandWrittenAffineFlowLoadsWithItsClosedForm) {
  const pb::TorchGenerator flow(saved(affine_flow(), "affine.pt"));
  EXPECT_EQ(flow.info().kind, pb::GeneratorKind::flow);
  ASSERT_NE(flow.flow(), nullptr);
  std::vector<double> z = {0.5, -1.0}, x(2), back(2), log_det(1);
  flow.decode(z, 1, x);
  EXPECT_DOUBLE_EQ(x[0], 1.25);
  EXPECT_DOUBLE_EQ(x[1], -1.75);
  flow.flow()->inverse(x, 1, back);
  EXPECT_DOUBLE_EQ(back[0], 0.5);
  flow.flow()->log_det_inverse(x, 1, log_det);
  EXPECT_DOUBLE_EQ(log_det[0], -2 * std::log(2.0));
}

TEST(FlowContract, EveryViolationNamesTheFile) {
  auto wrong_size = affine_flow();
  wrong_size.int_attributes[1] = {"latent_dim", 3};
  expect_error([&] { pb::TorchGenerator flow(saved(wrong_size, "m3.pt")); },
               {"m3.pt: attribute latent_dim is 3 but a flow is a bijection of the image space",
                "latent_dim must be image_height x image_width = 2"});
  auto noisy = affine_flow();
  noisy.string_attributes[1] = {"variance_kind", "scalar"};
  expect_error([&] { pb::TorchGenerator flow(saved(noisy, "noisy.pt")); },
               {"noisy.pt: attribute variance_kind is 'scalar' but a model of kind 'flow' has Gamma = 0"});
  auto no_inverse = affine_flow();
  no_inverse.source = no_inverse.source.substr(0, no_inverse.source.find("def inverse")) +
                      no_inverse.source.substr(no_inverse.source.find("def log_det_jacobian"));
  expect_error([&] { pb::TorchGenerator flow(saved(no_inverse, "no_inverse.pt")); },
               {"no_inverse.pt: method 'inverse' missing (required by kind 'flow')"});
  auto wrong_inverse = affine_flow();
  wrong_inverse.source.replace(wrong_inverse.source.find("- 0.25) / 2"), 11, "- 0.25) / 3");
  expect_error([&] { pb::TorchGenerator flow(saved(wrong_inverse, "wrong_inverse.pt")); },
               {"wrong_inverse.pt: inverse(decode(z)) differs from z by", "decode and inverse are not inverse maps"});
  auto wrong_shape = affine_flow();
  wrong_shape.source.replace(wrong_shape.source.find("[:, 0], -1.386"), 7, ",");
  expect_error([&] { pb::TorchGenerator flow(saved(wrong_shape, "log_det_shape.pt")); },
               {"log_det_shape.pt: log_det_jacobian(x) on x = decode(z) of shape [2, 1, 2] returned shape [2, 2]; "
                "expected [2]"});
}
