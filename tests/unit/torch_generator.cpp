// TorchGenerator: the model contract (every violation a clear error naming the file), an
// analytic model checked against a hand-written closed form, Taylor tests of the JVP and
// VJP against finite differences, the adjoint identity, the three Jacobian routes, and
// save → load round trips. Models are written at run time (script_module.hpp, vae_model.hpp).

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <unistd.h>

#include "core/error.hpp"
#include "core/random.hpp"
#include "generative/torch/script_module.hpp"
#include "generative/torch/torch_generator.hpp"
#include "generative/torch/vae_model.hpp"

#include "test_support.hpp"

namespace pb = priorbench;
namespace fs = std::filesystem;

namespace {

using priorbench::testing_support::TempDir;

const TempDir& temp() {
  static const TempDir directory("priorbench_torch");
  return directory;
}

std::vector<double> normals(std::size_t count, std::uint64_t stream) {
  std::vector<double> values(count);
  pb::CounterRandom(11, stream, pb::Purpose::test_values).fill_normal(values, 0);
  return values;
}

double dot(std::span<const double> a, std::span<const double> b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

double max_abs_difference(std::span<const double> a, std::span<const double> b) {
  double result = 0;
  for (std::size_t i = 0; i < a.size(); ++i) result = std::max(result, std::abs(a[i] - b[i]));
  return result;
}

// μ(z) = sigmoid(W tanh(V z + c) + b) as a 2×3 image; m = 3, hidden 4, n = 6;
// log γ² = -3 (scalar); q(z|x) = N(E x, diag e^{s}).
struct Analytic {
  std::vector<double> V = normals(12, 1), c = normals(4, 2), W = normals(24, 3), b = normals(6, 4), E = normals(18, 5),
                      s = {-1.0, -0.5, 0.25};
  double log_gamma2 = -3.0;

  pb::ScriptModuleSpec spec() const {
    pb::ScriptModuleSpec spec;
    spec.int_attributes = {{"format_version", 1}, {"latent_dim", 3}, {"image_height", 2}, {"image_width", 3}};
    spec.string_attributes = {{"variance_kind", "scalar"}, {"description", "analytic test model"}};
    spec.parameters = {{"V", {4, 3}, V},
                       {"c", {4}, c},
                       {"W", {6, 4}, W},
                       {"b", {6}, b},
                       {"E", {3, 6}, E},
                       {"s", {3}, s},
                       {"log_gamma2", {1}, {log_gamma2}}};
    spec.source = R"(
def decode(self, z: Tensor) -> Tensor:
    h = torch.tanh(torch.matmul(z, self.V.t()) + self.c)
    return torch.sigmoid(torch.matmul(h, self.W.t()) + self.b).reshape([z.shape[0], 2, 3])

def decoder_log_variance(self, z: Tensor) -> Tensor:
    return self.log_gamma2.expand([z.shape[0]])

def encode(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    flat = x.reshape([x.shape[0], 6])
    return (torch.matmul(flat, self.E.t()), self.s.expand([x.shape[0], 3]))
)";
    return spec;
  }

  // The closed forms, written independently of Torch.
  std::vector<double> hidden(std::span<const double> z) const {
    std::vector<double> h(4);
    for (int i = 0; i < 4; ++i) {
      double a = c[i];
      for (int j = 0; j < 3; ++j) a += V[i * 3 + j] * z[j];
      h[i] = std::tanh(a);
    }
    return h;
  }
  std::vector<double> mean(std::span<const double> z) const {
    const auto h = hidden(z);
    std::vector<double> mu(6);
    for (int p = 0; p < 6; ++p) {
      double a = b[p];
      for (int i = 0; i < 4; ++i) a += W[p * 4 + i] * h[i];
      mu[p] = 1.0 / (1.0 + std::exp(-a));
    }
    return mu;
  }
  pb::DenseMatrix jacobian(std::span<const double> z) const {  // diag(μ(1−μ)) W diag(1−h²) V
    const auto h = hidden(z);
    const auto mu = mean(z);
    pb::DenseMatrix j(6, 3);
    for (int p = 0; p < 6; ++p) {
      for (int k = 0; k < 3; ++k) {
        double sum = 0;
        for (int i = 0; i < 4; ++i) sum += W[p * 4 + i] * (1 - h[i] * h[i]) * V[i * 3 + k];
        j(p, k) = mu[p] * (1 - mu[p]) * sum;
      }
    }
    return j;
  }
};

std::string analytic_model() {
  static const std::string path = [] {
    const auto file = temp().file("analytic.pt");
    pb::save_script_module(Analytic().spec(), file);
    return file;
  }();
  return path;
}

std::string vae_model(pb::VaeArchitecture architecture, pb::DecoderVariance variance) {
  pb::VaeModelOptions options;
  options.architecture = architecture;
  options.variance = variance;
  options.latent_dim = 4;
  options.shape = {8, 8};
  options.hidden = {32, 16};
  options.channels = {4, 8};
  const auto path =
      temp().file("vae_" + pb::architecture_name(architecture) + "_" + pb::variance_kind_name(variance) + ".pt");
  if (!fs::exists(path)) pb::save_untrained_vae(options, 5, path);
  return path;
}

// The message of the Error a call throws ("" if none).
template <class Call>
std::string error_of(Call&& call) {
  try {
    call();
  } catch (const pb::Error& error) {
    return error.what();
  }
  return "";
}

std::string load_error(const pb::ScriptModuleSpec& spec, const std::string& name) {
  const auto path = temp().file(name);
  pb::save_script_module(spec, path);
  return error_of([&] { pb::TorchGenerator generator(path); });
}

}  // namespace

TEST(TorchGenerator, AnalyticModelMatchesItsClosedForm) {
  const Analytic analytic;
  const pb::TorchGenerator generator(analytic_model());
  EXPECT_EQ(generator.latent_dimension(), 3u);
  EXPECT_EQ(generator.image_shape(), (pb::ImageShape{2, 3}));
  EXPECT_EQ(generator.decoder_variance_kind(), pb::DecoderVariance::scalar);
  EXPECT_TRUE(generator.has_encoder());
  EXPECT_NE(generator.description().find("analytic test model"), std::string::npos);

  const auto z = normals(6, 7);  // two latents
  std::vector<double> means(12);
  generator.decode(z, 2, means);
  for (int item = 0; item < 2; ++item) {
    const auto expected = analytic.mean(std::span<const double>(z).subspan(item * 3, 3));
    EXPECT_LT(max_abs_difference(std::span<const double>(means).subspan(item * 6, 6), expected), 1e-15);
  }
  std::vector<double> variance(6);
  generator.decoder_variance(std::span<const double>(z).first(3), variance);
  for (const double v : variance) EXPECT_DOUBLE_EQ(v, std::exp(analytic.log_gamma2));

  pb::DenseMatrix jacobian;
  generator.jacobian(std::span<const double>(z).first(3), jacobian);
  const auto expected = analytic.jacobian(std::span<const double>(z).first(3));
  EXPECT_LT(max_abs_difference(jacobian.values(), expected.values()), 1e-15);

  const auto x = normals(6, 8);
  std::vector<double> mean(3), q_variance(3);
  generator.encode(x, mean, q_variance);
  for (int k = 0; k < 3; ++k) {
    double e = 0;
    for (int p = 0; p < 6; ++p) e += analytic.E[k * 6 + p] * x[p];
    EXPECT_NEAR(mean[k], e, 1e-14);
    EXPECT_DOUBLE_EQ(q_variance[k], std::exp(analytic.s[k]));
  }
}

TEST(TorchGenerator, CountsEveryKindOfPass) {
  const pb::TorchGenerator generator(analytic_model());
  EXPECT_EQ(generator.route(), "torchscript");
  const auto z = normals(9, 9);
  std::vector<double> means(18), out3(3), out6(6), gradients(6);
  generator.decode(z, 3, means);
  generator.jvp(std::span<const double>(z).first(3), std::span<const double>(z).subspan(3, 3), out6);
  generator.vjp(std::span<const double>(z).first(3), std::span<const double>(means).first(6), out3);
  pb::DenseMatrix jacobian;
  generator.jacobian(std::span<const double>(z).first(3), jacobian);
  generator.jacobian(std::span<const double>(z).first(3), jacobian, pb::JacobianMethod::reverse_rows);
  EXPECT_EQ(generator.counts().decoder_passes, 3);
  EXPECT_EQ(generator.counts().jvp, 1);
  EXPECT_EQ(generator.counts().vjp, 1);
  EXPECT_EQ(generator.counts().jacobians, 2);

  // Batched products and the fused call count per item; cost is a difference of counts.
  const auto before = generator.counts();
  generator.jvp(std::span<const double>(z).first(6), 2, std::span<const double>(z).last(6), std::span(means).first(12));
  generator.vjp(std::span<const double>(z).first(6), 2, std::span<const double>(means).first(12), gradients);
  generator.decode_and_vjp(
      std::span<const double>(z).first(6), 2, std::span(means).first(12),
      [](std::span<const double> mu, std::span<double> u) { std::copy(mu.begin(), mu.end(), u.begin()); }, gradients);
  EXPECT_EQ(generator.counts().decoder_passes - before.decoder_passes, 2);
  EXPECT_EQ(generator.counts().jvp - before.jvp, 2);
  EXPECT_EQ(generator.counts().vjp - before.vjp, 4);
  EXPECT_EQ(generator.counts().jacobians - before.jacobians, 0);
}

// The batched products and the fused value-and-gradient call of the base class (one product
// per item) agree with the single products.
TEST(TorchGenerator, BatchedAndFusedCallsMatchSingleProducts) {
  const pb::TorchGenerator generator(analytic_model());
  const auto z = normals(9, 12), v = normals(9, 13), u = normals(18, 14);
  std::vector<double> jv(18), jtu(9), means(18), gradients(9), single6(6), single3(3), seen;
  generator.jvp(z, 3, v, jv);
  generator.vjp(z, 3, u, jtu);
  generator.decode_and_vjp(
      z, 3, means,
      [&](std::span<const double> mu, std::span<double> cotangents) {
        seen.assign(mu.begin(), mu.end());
        std::copy(u.begin(), u.end(), cotangents.begin());
      },
      gradients);
  EXPECT_EQ(seen, means);
  EXPECT_EQ(gradients, jtu);
  for (std::size_t item = 0; item < 3; ++item) {
    const auto latent = std::span<const double>(z).subspan(item * 3, 3);
    generator.jvp(latent, std::span<const double>(v).subspan(item * 3, 3), single6);
    EXPECT_EQ(std::vector<double>(jv.begin() + item * 6, jv.begin() + item * 6 + 6), single6);
    generator.vjp(latent, std::span<const double>(u).subspan(item * 6, 6), single3);
    EXPECT_EQ(std::vector<double>(jtu.begin() + item * 3, jtu.begin() + item * 3 + 3), single3);
  }
  EXPECT_THROW(generator.decode_and_vjp(z, 3, means, nullptr, gradients), pb::Error);
  EXPECT_THROW(generator.jvp(z, 2, v, jv), pb::Error);  // 9 latent values for a batch of 2
}

class VaeGenerators : public ::testing::TestWithParam<std::pair<pb::VaeArchitecture, pb::DecoderVariance>> {};

// ‖μ(z + h v) − μ(z) − h J v‖ = O(h²): the error falls fourfold as h halves. The same for
// the VJP through ⟨u, μ(z + h v)⟩ − ⟨u, μ(z)⟩ − h ⟨Jᵀu, v⟩.
TEST_P(VaeGenerators, JvpAndVjpPassTaylorTests) {
  const pb::TorchGenerator generator(vae_model(GetParam().first, GetParam().second));
  const std::size_t m = generator.latent_dimension(), n = generator.image_size();
  const auto z = normals(m, 20), v = normals(m, 21), u = normals(n, 22);
  std::vector<double> mu(n), jv(n), jtu(m), shifted(n), moved(m);
  generator.decode(z, 1, mu);
  generator.jvp(z, v, jv);
  generator.vjp(z, u, jtu);
  std::vector<double> jvp_errors, vjp_errors;
  for (double h = 0.1; h > 0.1 / 40; h /= 2) {
    for (std::size_t j = 0; j < m; ++j) moved[j] = z[j] + h * v[j];
    generator.decode(moved, 1, shifted);
    double squared = 0;
    for (std::size_t i = 0; i < n; ++i) squared += std::pow(shifted[i] - mu[i] - h * jv[i], 2);
    jvp_errors.push_back(std::sqrt(squared));
    vjp_errors.push_back(std::abs(dot(u, shifted) - dot(u, mu) - h * dot(jtu, v)));
  }
  for (std::size_t k = 1; k < jvp_errors.size(); ++k) {
    EXPECT_NEAR(jvp_errors[k - 1] / jvp_errors[k], 4.0, 0.6) << "JVP, step " << k;
    EXPECT_NEAR(vjp_errors[k - 1] / vjp_errors[k], 4.0, 0.6) << "VJP, step " << k;
  }
  // The adjoint identity ⟨u, J v⟩ = ⟨Jᵀu, v⟩ to rounding.
  EXPECT_NEAR(dot(u, jv), dot(jtu, v), 1e-13 * (std::abs(dot(u, jv)) + 1));
}

// Forward mode batched, m forward-mode columns and n reverse-mode rows agree, and agree
// with single JVPs and VJPs.
TEST_P(VaeGenerators, JacobianRoutesAgree) {
  const pb::TorchGenerator generator(vae_model(GetParam().first, GetParam().second));
  const std::size_t m = generator.latent_dimension(), n = generator.image_size();
  const auto z = normals(m, 30);
  pb::DenseMatrix batched, columns, rows;
  generator.jacobian(z, batched, pb::JacobianMethod::forward_batched);
  generator.jacobian(z, columns, pb::JacobianMethod::forward_columns);
  generator.jacobian(z, rows, pb::JacobianMethod::reverse_rows);
  ASSERT_EQ(batched.rows(), n);
  ASSERT_EQ(batched.cols(), m);
  const double scale = *std::max_element(batched.values().begin(), batched.values().end());
  EXPECT_GT(scale, 1e-3);
  EXPECT_LT(max_abs_difference(batched.values(), columns.values()), 1e-12);
  EXPECT_LT(max_abs_difference(batched.values(), rows.values()), 1e-12);

  const auto v = normals(m, 31), u = normals(n, 32);
  std::vector<double> jv(n), expected_jv(n, 0.0), jtu(m), expected_jtu(m, 0.0);
  generator.jvp(z, v, jv);
  generator.vjp(z, u, jtu);
  pb::gemv(false, 1.0, batched, v, 0.0, expected_jv);
  pb::gemv(true, 1.0, batched, u, 0.0, expected_jtu);
  EXPECT_LT(max_abs_difference(jv, expected_jv), 1e-12);
  EXPECT_LT(max_abs_difference(jtu, expected_jtu), 1e-12);
}

TEST_P(VaeGenerators, SaveThenLoadRoundTripsExactly) {
  const pb::TorchGenerator original(vae_model(GetParam().first, GetParam().second));
  const auto copy_path = temp().file("round_trip.pt");
  original.save(copy_path);
  const pb::TorchGenerator copy(copy_path);
  const std::size_t m = original.latent_dimension(), n = original.image_size();
  const auto z = normals(5 * m, 40), x = normals(n, 41);
  std::vector<double> a(5 * n), b(5 * n), va(n), vb(n), ma(m), mb(m), sa(m), sb(m);
  original.decode(z, 5, a);
  copy.decode(z, 5, b);
  EXPECT_EQ(a, b);
  original.decoder_variance(std::span<const double>(z).first(m), va);
  copy.decoder_variance(std::span<const double>(z).first(m), vb);
  EXPECT_EQ(va, vb);
  original.encode(x, ma, sa);
  copy.encode(x, mb, sb);
  EXPECT_EQ(ma, mb);
  EXPECT_EQ(sa, sb);
  EXPECT_EQ(original.info().description, copy.info().description);
  fs::remove(copy_path);
}

TEST_P(VaeGenerators, DecoderVarianceRespectsTheFloorAndTheKind) {
  const pb::TorchGenerator generator(vae_model(GetParam().first, GetParam().second));
  EXPECT_EQ(generator.decoder_variance_kind(), GetParam().second);
  const auto z = normals(generator.latent_dimension(), 50);
  std::vector<double> variance(generator.image_size()), mean(generator.image_size());
  generator.decoder_variance(z, variance);
  generator.decode(z, 1, mean);
  for (std::size_t i = 0; i < variance.size(); ++i) {
    EXPECT_GE(variance[i], 1e-4);
    EXPECT_GT(mean[i], 0.0);
    EXPECT_LT(mean[i], 1.0);
  }
  EXPECT_NEAR(variance[0], 0.1, 1e-12);  // the initial variance, before training
}

INSTANTIATE_TEST_SUITE_P(Architectures, VaeGenerators,
                         ::testing::Values(std::pair{pb::VaeArchitecture::mlp, pb::DecoderVariance::scalar},
                                           std::pair{pb::VaeArchitecture::mlp, pb::DecoderVariance::per_pixel},
                                           std::pair{pb::VaeArchitecture::conv, pb::DecoderVariance::scalar},
                                           std::pair{pb::VaeArchitecture::conv, pb::DecoderVariance::per_pixel}),
                         [](const auto& info) {
                           return pb::architecture_name(info.param.first) + "_" +
                                  pb::variance_kind_name(info.param.second);
                         });

TEST(ModelContract, MissingAndCorruptFilesAreClearErrors) {
  const auto missing = temp().file("no_such_model.pt");
  EXPECT_NE(error_of([&] { pb::TorchGenerator g(missing); }).find("no_such_model.pt: no such model file"),
            std::string::npos);
  const auto corrupt = temp().file("corrupt.pt");
  std::ofstream(corrupt) << "this is not a zip archive";
  const auto message = error_of([&] { pb::TorchGenerator g(corrupt); });
  EXPECT_NE(message.find("corrupt.pt: not a readable TorchScript model file"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(ModelContract, EveryViolationNamesTheFileAndWhatIsWrong) {
  const auto base = Analytic().spec();
  auto without_attribute = [&](const std::string& name) {
    auto spec = base;
    std::erase_if(spec.int_attributes, [&](const auto& a) { return a.first == name; });
    std::erase_if(spec.string_attributes, [&](const auto& a) { return a.first == name; });
    return spec;
  };
  EXPECT_NE(load_error(without_attribute("latent_dim"), "a.pt").find("a.pt: attribute 'latent_dim' missing"),
            std::string::npos);
  EXPECT_NE(load_error(without_attribute("format_version"), "b.pt").find("b.pt: attribute 'format_version' missing"),
            std::string::npos);
  EXPECT_NE(load_error(without_attribute("variance_kind"), "c.pt").find("c.pt: attribute 'variance_kind' missing"),
            std::string::npos);

  auto wrong_type = without_attribute("latent_dim");
  wrong_type.string_attributes.push_back({"latent_dim", "three"});
  EXPECT_NE(load_error(wrong_type, "d.pt").find("d.pt: attribute 'latent_dim' must be an int"), std::string::npos);

  auto future = without_attribute("format_version");
  future.int_attributes.push_back({"format_version", 3});
  EXPECT_NE(load_error(future, "e.pt")
                .find("e.pt: format_version 3 is not supported (this priorbench reads versions 1 "
                      "to 2)"),
            std::string::npos);

  auto bad_kind = without_attribute("variance_kind");
  bad_kind.string_attributes.push_back({"variance_kind", "diagonal"});
  EXPECT_NE(load_error(bad_kind, "f.pt").find("f.pt: attribute variance_kind is 'diagonal'"), std::string::npos);

  auto no_decode = base;
  no_decode.source = "def encoder_only(self, x: Tensor) -> Tensor:\n    return x\n";
  EXPECT_NE(load_error(no_decode, "g.pt").find("g.pt: method 'decode' missing"), std::string::npos);

  auto no_variance = base;
  no_variance.source =
      "def decode(self, z: Tensor) -> Tensor:\n    return torch.sigmoid(z[:, :1]).expand([z.shape[0], 6])\n";
  EXPECT_NE(load_error(no_variance, "h.pt").find("h.pt: method 'decoder_log_variance' missing"), std::string::npos);

  auto wrong_shape = without_attribute("image_height");
  wrong_shape.int_attributes.push_back({"image_height", 3});
  const auto shape_message = load_error(wrong_shape, "i.pt");
  EXPECT_NE(shape_message.find("i.pt: decode(z) on z of shape [2, 3] returned shape [2, 2, 3]; expected [2, 3, 3]"),
            std::string::npos)
      << shape_message;

  auto failing = base;
  failing.source =
      "def decode(self, z: Tensor) -> Tensor:\n    return torch.matmul(z, self.W)\n\n"
      "def decoder_log_variance(self, z: Tensor) -> Tensor:\n    return self.log_gamma2.expand([z.shape[0]])\n";
  const auto failing_message = load_error(failing, "j.pt");
  EXPECT_NE(failing_message.find("j.pt: decode(z) on z of shape [2, 3] failed:"), std::string::npos) << failing_message;
  EXPECT_EQ(failing_message.find('\n'), std::string::npos) << failing_message;

  auto single = base;
  single.source =
      "def decode(self, z: Tensor) -> Tensor:\n    return torch.sigmoid(z).float().reshape([z.shape[0], 3])\n";
  auto single_shape = single;
  std::erase_if(single_shape.int_attributes, [](const auto& a) { return a.first == "image_width"; });
  single_shape.int_attributes.push_back({"image_width", 1});
  std::erase_if(single_shape.int_attributes, [](const auto& a) { return a.first == "image_height"; });
  single_shape.int_attributes.push_back({"image_height", 3});
  std::erase_if(single_shape.string_attributes, [](const auto& a) { return a.first == "variance_kind"; });
  single_shape.string_attributes.push_back({"variance_kind", "none"});
  EXPECT_NE(load_error(single_shape, "k.pt").find("k.pt: decode(z) on z of shape [2, 3] returned Float"),
            std::string::npos);
}

TEST(ModelContract, AModelWithoutEncoderOrVarianceIsAGanLikeGenerator) {
  pb::ScriptModuleSpec spec;
  spec.int_attributes = {{"format_version", 1}, {"latent_dim", 2}, {"image_height", 1}, {"image_width", 2}};
  spec.string_attributes = {{"variance_kind", "none"}};
  spec.source = "def decode(self, z: Tensor) -> Tensor:\n    return torch.tanh(z)\n";
  const auto path = temp().file("gan.pt");
  pb::save_script_module(spec, path);
  const pb::TorchGenerator generator(path);
  EXPECT_FALSE(generator.has_encoder());
  EXPECT_EQ(generator.decoder_variance_kind(), pb::DecoderVariance::none);
  std::vector<double> z = {0.3, -0.2}, variance(2, 1.0), mean(2), variances(2);
  generator.decoder_variance(z, variance);
  EXPECT_EQ(variance, (std::vector<double>{0.0, 0.0}));
  EXPECT_THROW(generator.encode(z, mean, variances), pb::Error);
  pb::DenseMatrix jacobian;
  generator.jacobian(z, jacobian);
  EXPECT_NEAR(jacobian(0, 0), 1 - std::pow(std::tanh(0.3), 2), 1e-15);
  EXPECT_EQ(jacobian(0, 1), 0.0);
}

// Contract version 2: `kind` names the family; version-1 files (no kind) are VAEs; a GAN
// has Γ = 0 and no encoder (an `encode` it carries is not read).
TEST(ModelContract, VersionTwoNamesTheFamily) {
  const auto save = [](const pb::ScriptModuleSpec& spec, const std::string& name) {
    const auto path = temp().file(name);
    pb::save_script_module(spec, path);
    return path;
  };
  const auto attributes = [](std::int64_t version, std::vector<std::pair<std::string, std::string>> strings) {
    pb::ScriptModuleSpec spec;
    spec.int_attributes = {{"format_version", version}, {"latent_dim", 2}, {"image_height", 1}, {"image_width", 2}};
    spec.string_attributes = std::move(strings);
    spec.source =
        "def decode(self, z: Tensor) -> Tensor:\n    return torch.tanh(z)\n\n"
        "def encode(self, x: Tensor) -> Tuple[Tensor, Tensor]:\n"
        "    flat = x.reshape([x.shape[0], 2])\n    return (flat, flat)\n";
    return spec;
  };
  const pb::TorchGenerator old(save(attributes(1, {{"variance_kind", "none"}}), "v1.pt"));
  EXPECT_EQ(old.info().kind, pb::GeneratorKind::vae);
  EXPECT_TRUE(old.has_encoder());
  const pb::TorchGenerator gan(save(attributes(2, {{"variance_kind", "none"}, {"kind", "gan"}}), "v2_gan.pt"));
  EXPECT_EQ(gan.info().kind, pb::GeneratorKind::gan);
  EXPECT_EQ(gan.info().format_version, 2);
  EXPECT_FALSE(gan.has_encoder()) << "a GAN's encode is not read";
  const pb::TorchGenerator vae(save(attributes(2, {{"variance_kind", "none"}, {"kind", "vae"}}), "v2_vae.pt"));
  EXPECT_EQ(vae.info().kind, pb::GeneratorKind::vae);
  EXPECT_TRUE(vae.has_encoder());

  const auto error = [&](const pb::ScriptModuleSpec& spec, const std::string& name) {
    const auto path = save(spec, name);
    try {
      pb::TorchGenerator generator(path);
    } catch (const pb::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error(attributes(2, {{"variance_kind", "none"}}), "v2_no_kind.pt")
                .find("v2_no_kind.pt: attribute 'kind' missing"),
            std::string::npos);
  EXPECT_NE(error(attributes(1, {{"variance_kind", "none"}, {"kind", "gan"}}), "v1_kind.pt")
                .find("v1_kind.pt: attribute 'kind' is a format_version 2 attribute"),
            std::string::npos);
  EXPECT_NE(error(attributes(2, {{"variance_kind", "scalar"}, {"kind", "gan"}}), "noisy_gan.pt")
                .find("noisy_gan.pt: attribute variance_kind is 'scalar' but a model of kind 'gan' has Gamma = 0"),
            std::string::npos);
  EXPECT_NE(error(attributes(2, {{"variance_kind", "none"}, {"kind", "GAN"}}), "capital.pt")
                .find("capital.pt: attribute kind is 'GAN'; expected 'vae', 'gan' or 'flow'"),
            std::string::npos);
  EXPECT_NE(error(attributes(2, {{"variance_kind", "none"}, {"kind", "flow"}}), "flow.pt")
                .find("flow.pt: method 'inverse' missing (required by kind 'flow')"),
            std::string::npos);
}

TEST(TorchThreads, EnvironmentVariableIsValidated) {
  ::setenv("PRIORBENCH_TORCH_THREADS", "lots", 1);
  const auto message = error_of([] { pb::TorchGenerator g(analytic_model()); });
  ::unsetenv("PRIORBENCH_TORCH_THREADS");
  EXPECT_NE(message.find("PRIORBENCH_TORCH_THREADS must be an integer in [1, 1024], got 'lots'"), std::string::npos);
  // 100000 threads used to be made (model --threads 100000).
  const auto too_many = error_of([] { pb::TorchGenerator g(analytic_model(), {100000}); });
  EXPECT_NE(too_many.find("Torch threads: 100000 is above the limit of 1024"), std::string::npos) << too_many;
  EXPECT_NO_THROW(pb::TorchGenerator(analytic_model(), {2}));
  EXPECT_NO_THROW(pb::TorchGenerator(analytic_model()));
}
