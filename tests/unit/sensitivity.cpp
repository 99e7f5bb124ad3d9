// The diagnostics of DESIGN §3 against independent dense references:
// - the SLEPc SVD of M = A J(z*) against the eigen-decomposition of the densely formed
//   MᵀM (LAPACK), for the linear oracle and a nonlinear generator μ(z) = tanh(W z) + b
//   written here; Fisher information, identifiable directions, Cramér–Rao bounds against
//   the inverse of the dense Fisher; a W with a zero column (one unidentifiable direction)
//   and d < m (a null space that SLEPc cannot return, completed by the code);
// - the distance to the range against the orthogonal-complement closed form of a linear
//   generator, and zero for an image on the range of the nonlinear one;
// - the collapse diagnostics of a linear generator whose W has a zero column against the
//   closed-form posterior q(z|x) = N(P⁻¹Wᵀ(x − b)/γ², P⁻¹), P = I + WᵀW/γ².

#include <gtest/gtest.h>
#include <petscsys.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>

#include "core/dense.hpp"
#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/random.hpp"
#include "diagnostics/range_distance.hpp"
#include "diagnostics/sensitivity.hpp"
#include "generative/linear_generator.hpp"
#include "generative/posterior_collapse.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::DenseMatrix;
using pb::testing_support::Dense;
using pb::testing_support::DenseForwardOperator;

namespace {

constexpr pb::ImageShape kShape{5, 6};  // n = 30
constexpr std::size_t kLatent = 5;      // m
constexpr int kData = 20;               // d

double draw(std::uint64_t stream, std::uint64_t index) {
  return pb::CounterRandom(7, stream, pb::Purpose::test_values).normal(index);
}

DenseMatrix random_matrix(std::size_t rows, std::size_t cols, std::uint64_t stream, double scale) {
  DenseMatrix matrix(rows, cols);
  for (std::size_t i = 0; i < rows * cols; ++i) matrix.values()[i] = scale * draw(stream, i);
  return matrix;
}

std::vector<double> random_vector(std::size_t size, std::uint64_t stream, double scale) {
  std::vector<double> values(size);
  for (std::size_t i = 0; i < size; ++i) values[i] = scale * draw(stream, i);
  return values;
}

// μ(z) = tanh(W z) + b, J(z) = diag(1 − tanh²(W z)) W: a smooth nonlinear generator with a
// closed-form Jacobian.
class TanhGenerator final : public pb::Generator {
 public:
  TanhGenerator(pb::ImageShape shape, DenseMatrix weights, std::vector<double> offset)
      : pb::Generator(weights.cols(), shape, pb::DecoderVariance::none),
        weights_(std::move(weights)),
        offset_(std::move(offset)) {}

  std::string description() const override { return "tanh test generator"; }
  std::string route() const override { return "test"; }
  bool has_encoder() const override { return false; }

  DenseMatrix reference_jacobian(std::span<const double> latent) const {
    const auto slope = slopes(latent);
    DenseMatrix result = weights_;
    for (std::size_t j = 0; j < result.cols(); ++j)
      for (std::size_t i = 0; i < result.rows(); ++i) result(i, j) *= slope[i];
    return result;
  }

 protected:
  void decode_impl(std::span<const double> latents, std::size_t batch, std::span<double> means) const override {
    const std::size_t m = latent_dimension(), n = image_size();
    for (std::size_t item = 0; item < batch; ++item) {
      const auto a = activation(latents.subspan(item * m, m));
      for (std::size_t i = 0; i < n; ++i) means[item * n + i] = std::tanh(a[i]) + offset_[i];
    }
  }
  void decoder_variance_impl(std::span<const double>, std::span<double> variance) const override {
    std::fill(variance.begin(), variance.end(), 0.0);
  }
  void jvp_impl(std::span<const double> latent, std::span<const double> direction,
                std::span<double> out) const override {
    const auto slope = slopes(latent);
    pb::gemv(false, 1.0, weights_, direction, 0.0, out);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] *= slope[i];
  }
  void vjp_impl(std::span<const double> latent, std::span<const double> cotangent,
                std::span<double> out) const override {
    auto scaled = slopes(latent);
    for (std::size_t i = 0; i < scaled.size(); ++i) scaled[i] *= cotangent[i];
    pb::gemv(true, 1.0, weights_, scaled, 0.0, out);
  }
  void jacobian_impl(std::span<const double> latent, DenseMatrix& jacobian) const override {
    jacobian = reference_jacobian(latent);
  }

 private:
  std::vector<double> activation(std::span<const double> latent) const {
    std::vector<double> a(weights_.rows());
    pb::gemv(false, 1.0, weights_, latent, 0.0, a);
    return a;
  }
  std::vector<double> slopes(std::span<const double> latent) const {
    auto a = activation(latent);
    for (double& value : a) value = 1.0 - std::tanh(value) * std::tanh(value);
    return a;
  }

  DenseMatrix weights_;
  std::vector<double> offset_;
};

std::shared_ptr<const DenseForwardOperator> make_forward(int rows, std::uint64_t stream) {
  Dense a(rows, kShape.size());
  for (std::size_t i = 0; i < a.values.size(); ++i) a.values[i] = draw(stream, i) / std::sqrt(double(rows));
  return std::make_shared<const DenseForwardOperator>(PETSC_COMM_WORLD, std::move(a));
}

std::shared_ptr<const pb::LinearGenerator> make_linear(int zero_column = -1, double gamma2 = 0.01) {
  DenseMatrix w = random_matrix(kShape.size(), kLatent, 11, 0.3);
  if (zero_column >= 0) {
    for (double& value : w.column(static_cast<std::size_t>(zero_column))) value = 0.0;
  }
  return std::make_shared<const pb::LinearGenerator>(kShape, std::move(w), random_vector(kShape.size(), 12, 0.5),
                                                     gamma2);
}

std::shared_ptr<const TanhGenerator> make_tanh(int zero_column = -1) {
  DenseMatrix w = random_matrix(kShape.size(), kLatent, 13, 0.4);
  if (zero_column >= 0) {
    for (double& value : w.column(static_cast<std::size_t>(zero_column))) value = 0.0;
  }
  return std::make_shared<const TanhGenerator>(kShape, std::move(w), random_vector(kShape.size(), 14, 0.2));
}

// M = A J formed densely (d×m), independently of the code under test.
DenseMatrix dense_sensitivity(const DenseForwardOperator& forward, const DenseMatrix& jacobian) {
  const Dense& a = forward.matrix();
  DenseMatrix m(static_cast<std::size_t>(a.rows), jacobian.cols());
  for (int i = 0; i < a.rows; ++i)
    for (std::size_t j = 0; j < jacobian.cols(); ++j)
      for (int l = 0; l < a.cols; ++l) m(i, j) += a(i, l) * jacobian(l, j);
  return m;
}

struct DenseSvd {
  std::vector<double> values;  // descending
  DenseMatrix vectors;         // columns in the same order
};

// Singular values and right vectors from the eigen-decomposition of MᵀM.
DenseSvd dense_svd(const DenseMatrix& m) {
  DenseMatrix gram(m.cols(), m.cols());
  pb::gemm(true, false, 1.0, m, m, 0.0, gram);
  const auto eigen = pb::symmetric_eigen(gram);
  DenseSvd svd{{}, DenseMatrix(m.cols(), m.cols())};
  for (std::size_t c = 0; c < m.cols(); ++c) {
    const std::size_t source = m.cols() - 1 - c;
    svd.values.push_back(std::sqrt(std::max(eigen.values[source], 0.0)));
    const auto column = eigen.vectors.column(source);
    std::copy(column.begin(), column.end(), svd.vectors.column(c).begin());
  }
  return svd;
}

Dense fisher_of(const DenseMatrix& m, double sigma) {
  Dense fisher(static_cast<int>(m.cols()), static_cast<int>(m.cols()));
  for (std::size_t i = 0; i < m.cols(); ++i)
    for (std::size_t j = 0; j < m.cols(); ++j) {
      double value = 0;
      for (std::size_t r = 0; r < m.rows(); ++r) value += m(r, i) * m(r, j);
      fisher(int(i), int(j)) = value / (sigma * sigma);
    }
  return fisher;
}

double dot(std::span<const double> a, std::span<const double> b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

// The SVD, Fisher information and direction images against the dense reference.
void expect_matches_dense(const pb::SensitivityResult& r, const DenseMatrix& m, const DenseMatrix& jacobian,
                          double sigma) {
  const auto reference = dense_svd(m);
  ASSERT_EQ(r.singular_values.size(), kLatent);
  for (std::size_t i = 0; i < kLatent; ++i) {
    EXPECT_NEAR(r.singular_values[i], reference.values[i], 1e-10 * reference.values[i]) << "s_" << i;
    // Same direction up to sign: |v_iᵀ v_ref,i| = 1.
    EXPECT_NEAR(std::abs(dot(r.right_vectors.column(i), reference.vectors.column(i))), 1.0, 1e-9) << "v_" << i;
    EXPECT_LT(r.relative_errors[i], 1e-10);
    EXPECT_LT(r.norm_errors[i], 1e-12);
  }
  const Dense fisher = fisher_of(m, sigma);
  double scale = 0;
  for (const double value : fisher.values) scale = std::max(scale, std::abs(value));
  for (std::size_t i = 0; i < kLatent; ++i)
    for (std::size_t j = 0; j < kLatent; ++j) EXPECT_NEAR(r.fisher(i, j), fisher(int(i), int(j)), 1e-12 * scale);
  EXPECT_LT(r.fisher_discrepancy, 1e-10);
  for (std::size_t i = 0; i < kLatent; ++i) {
    EXPECT_NEAR(r.fisher_eigenvalues[i], r.singular_values[i] * r.singular_values[i] / (sigma * sigma),
                1e-12 * r.fisher_eigenvalues[0]);
    std::vector<double> image(jacobian.rows());
    pb::gemv(false, 1.0, jacobian, r.right_vectors.column(i), 0.0, image);
    for (std::size_t p = 0; p < image.size(); ++p) EXPECT_NEAR(r.direction_images(p, i), image[p], 1e-12);
  }
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_GT(r.svd_reason, 0) << r.svd_reason_name;
  EXPECT_GE(r.svd_converged, static_cast<std::int64_t>(kLatent));
}

std::vector<double> test_latent() { return random_vector(kLatent, 15, 0.7); }

std::vector<double> sample_images(const pb::LinearGenerator& g, std::size_t count);

// Sets a PETSc option for the lifetime of the object.
class ScopedOption {
 public:
  ScopedOption(const char* name, const char* value) : name_(name) {
    PB_PETSC(PetscOptionsSetValue(nullptr, name, value));
  }
  ~ScopedOption() { PetscOptionsClearValue(nullptr, name_); }

 private:
  const char* name_;
};

int rank() {
  int value = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &value);
  return value;
}

}  // namespace

TEST(Sensitivity, LinearGeneratorMatchesDenseSvd) {
  const auto generator = make_linear();
  const auto forward = make_forward(kData, 21);
  const auto latent = test_latent();
  const double sigma = 0.05;
  const auto r = pb::analyze_sensitivity(generator, forward, sigma, latent);
  const DenseMatrix m = dense_sensitivity(*forward, generator->weights());
  expect_matches_dense(r, m, generator->weights(), sigma);
  EXPECT_EQ(r.numerical_rank, kLatent);
  EXPECT_EQ(r.svd_type, "trlanczos");
  EXPECT_EQ(r.latent, latent);
  EXPECT_EQ(r.data_size, std::size_t(kData));
  EXPECT_EQ(r.generator_jacobians, 1);
  EXPECT_EQ(r.operator_forward, r.sensitivity_forward);
  EXPECT_EQ(r.operator_adjoint, r.sensitivity_adjoint);
  EXPECT_GE(r.sensitivity_forward, static_cast<std::int64_t>(kLatent));  // at least the m columns
}

TEST(Sensitivity, NonlinearGeneratorMatchesDenseSvd) {
  const auto generator = make_tanh();
  const auto forward = make_forward(kData, 22);
  const auto latent = test_latent();
  const double sigma = 0.02;
  const auto r = pb::analyze_sensitivity(generator, forward, sigma, latent);
  const DenseMatrix jacobian = generator->reference_jacobian(latent);
  expect_matches_dense(r, dense_sensitivity(*forward, jacobian), jacobian, sigma);
}

TEST(Sensitivity, ProductRouteAgreesWithDenseRoute) {
  const auto generator = make_tanh();
  const auto forward = make_forward(kData, 22);
  const auto latent = test_latent();
  pb::SensitivityOptions options;
  options.route = pb::JacobianRoute::products;
  const auto r = pb::analyze_sensitivity(generator, forward, 0.02, latent, options);
  const DenseMatrix jacobian = generator->reference_jacobian(latent);
  expect_matches_dense(r, dense_sensitivity(*forward, jacobian), jacobian, 0.02);
  EXPECT_EQ(r.jacobian_route, "products");
  EXPECT_EQ(r.generator_jacobians, 0);
  EXPECT_EQ(r.generator_jvp, r.sensitivity_forward + static_cast<std::int64_t>(kLatent));  // + the m images
  EXPECT_EQ(r.generator_vjp, r.sensitivity_adjoint);
}

TEST(Sensitivity, IdentifiableDirectionsAndCramerRao) {
  const auto generator = make_linear();
  const auto forward = make_forward(kData, 21);
  const DenseMatrix m = dense_sensitivity(*forward, generator->weights());
  const auto reference = dense_svd(m);
  // σ between s_2 and s_3: exactly two directions are identifiable.
  const double sigma = std::sqrt(reference.values[1] * reference.values[2]);
  const auto r = pb::analyze_sensitivity(generator, forward, sigma, test_latent());
  EXPECT_EQ(r.identifiable_directions, 2u);
  const Dense inverse = pb::testing_support::spd_inverse(fisher_of(m, sigma));
  for (std::size_t j = 0; j < kLatent; ++j) {
    EXPECT_NEAR(r.cramer_rao[j], inverse(int(j), int(j)), 1e-9 * inverse(int(j), int(j))) << "z_" << j;
    EXPECT_LT(r.null_components[j], 1e-20);
  }
  EXPECT_NE(r.summary().find("identifiable directions (s_i > sigma): 2 of 5"), std::string::npos) << r.summary();
}

// Column 2 of W is zero: J e_2 = 0, so M e_2 = 0 and z_2 cannot be identified at all.
TEST(Sensitivity, ZeroColumnIsUnidentifiable) {
  for (const bool linear : {true, false}) {
    SCOPED_TRACE(linear ? "linear" : "tanh");
    std::shared_ptr<const pb::Generator> generator;
    DenseMatrix jacobian;
    const auto latent = test_latent();
    if (linear) {
      auto g = make_linear(2);
      jacobian = g->weights();
      generator = g;
    } else {
      auto g = make_tanh(2);
      jacobian = g->reference_jacobian(latent);
      generator = g;
    }
    const auto forward = make_forward(kData, 23);
    const double sigma = 0.05;
    const auto r = pb::analyze_sensitivity(generator, forward, sigma, latent);
    const DenseMatrix m = dense_sensitivity(*forward, jacobian);
    const auto reference = dense_svd(m);
    for (std::size_t i = 0; i + 1 < kLatent; ++i) {
      EXPECT_NEAR(r.singular_values[i], reference.values[i], 1e-10 * reference.values[i]);
    }
    EXPECT_LT(r.singular_values.back(), 1e-12 * r.singular_values.front());
    EXPECT_NEAR(std::abs(r.right_vectors(2, kLatent - 1)), 1.0, 1e-10);  // the null direction is e_2
    EXPECT_EQ(r.numerical_rank, kLatent - 1);
    EXPECT_TRUE(std::isinf(r.cramer_rao[2]));
    EXPECT_NEAR(r.null_components[2], 1.0, 1e-10);
    EXPECT_TRUE(std::isinf(r.relative_errors.back()) || r.relative_errors.back() > 1.0);

    // The other coordinates: the inverse of the Fisher information without row and column 2.
    const Dense fisher = fisher_of(m, sigma);
    Dense reduced(int(kLatent) - 1, int(kLatent) - 1);
    const std::vector<int> kept = {0, 1, 3, 4};
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) reduced(i, j) = fisher(kept[i], kept[j]);
    const Dense inverse = pb::testing_support::spd_inverse(reduced);
    for (int i = 0; i < 4; ++i) {
      EXPECT_NEAR(r.cramer_rao[std::size_t(kept[i])], inverse(i, i), 1e-8 * inverse(i, i)) << "z_" << kept[i];
    }
    EXPECT_NE(r.summary().find("UNIDENTIFIABLE"), std::string::npos);
  }
}

// Every rank returns bit-identical results (the SVD's values and vectors are reduced
// collectively; the collapse sums are combined in rank order).
TEST(Sensitivity, EveryRankAgrees) {
  const auto generator = make_tanh();
  const auto s = pb::analyze_sensitivity(generator, make_forward(kData, 22), 0.02, test_latent());
  const auto linear = make_linear(2, 0.05);
  const auto c = pb::diagnose_posterior_collapse(*linear, sample_images(*linear, 9), 9, PETSC_COMM_WORLD);
  std::vector<double> values = s.singular_values;
  values.insert(values.end(), s.right_vectors.values().begin(), s.right_vectors.values().end());
  values.insert(values.end(), s.cramer_rao.begin(), s.cramer_rao.end());
  values.insert(values.end(), c.kl.begin(), c.kl.end());
  values.insert(values.end(), c.activity.begin(), c.activity.end());
  std::vector<double> smallest(values.size()), largest(values.size());
  MPI_Allreduce(values.data(), smallest.data(), int(values.size()), MPI_DOUBLE, MPI_MIN, PETSC_COMM_WORLD);
  MPI_Allreduce(values.data(), largest.data(), int(values.size()), MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD);
  EXPECT_EQ(smallest, largest);
}

// M = 2 [e_3 e_8 e_13 e_18 e_23]: every singular value is 2, so a Lanczos process breaks
// down after one step; any orthonormal V is right.
TEST(Sensitivity, RepeatedSingularValues) {
  DenseMatrix w(kShape.size(), kLatent);
  for (std::size_t j = 0; j < kLatent; ++j) w(3 + 5 * j, j) = 2.0;
  const auto generator = std::make_shared<const pb::LinearGenerator>(kShape, w, std::vector<double>(30, 0.1), 0.01);
  Dense identity(kShape.size(), kShape.size());
  for (int i = 0; i < kShape.size(); ++i) identity(i, i) = 1.0;
  const auto forward = std::make_shared<const DenseForwardOperator>(PETSC_COMM_WORLD, identity);
  const double sigma = 0.5;
  const auto r = pb::analyze_sensitivity(generator, forward, sigma, test_latent());
  for (const double s : r.singular_values) EXPECT_NEAR(s, 2.0, 1e-12);
  for (std::size_t i = 0; i < kLatent; ++i) {
    for (std::size_t j = 0; j < kLatent; ++j) {
      EXPECT_NEAR(dot(r.right_vectors.column(i), r.right_vectors.column(j)), i == j ? 1.0 : 0.0, 1e-12);
      EXPECT_NEAR(r.fisher(i, j), i == j ? 16.0 : 0.0, 1e-12);
    }
    EXPECT_NEAR(r.cramer_rao[i], 1.0 / 16.0, 1e-14);
  }
  EXPECT_EQ(r.identifiable_directions, kLatent);
}

// d = 3 < m = 5: SLEPc returns three triplets; the two-dimensional null space is completed.
TEST(Sensitivity, FewerDataThanLatents) {
  const auto generator = make_tanh();
  const auto forward = make_forward(3, 24);
  const auto latent = test_latent();
  const auto r = pb::analyze_sensitivity(generator, forward, 0.05, latent);
  const DenseMatrix m = dense_sensitivity(*forward, generator->reference_jacobian(latent));
  const auto reference = dense_svd(m);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_NEAR(r.singular_values[i], reference.values[i], 1e-10 * reference.values[i]);
  EXPECT_EQ(r.singular_values[3], 0.0);
  EXPECT_EQ(r.singular_values[4], 0.0);
  EXPECT_EQ(r.numerical_rank, 3u);
  for (std::size_t i = 0; i < kLatent; ++i) {
    for (std::size_t j = 0; j < kLatent; ++j) {
      EXPECT_NEAR(dot(r.right_vectors.column(i), r.right_vectors.column(j)), i == j ? 1.0 : 0.0, 1e-12);
    }
  }
  for (std::size_t i = 3; i < kLatent; ++i) {  // M v = 0 on the completed directions
    std::vector<double> image(3);
    pb::gemv(false, 1.0, m, r.right_vectors.column(i), 0.0, image);
    for (const double value : image) EXPECT_NEAR(value, 0.0, 1e-12);
  }
  for (const double bound : r.cramer_rao) EXPECT_TRUE(std::isinf(bound));
}

// -sensitivity_svd_type wins over the default; every SLEPc solver that works with
// MatMult and MatMultTranspose alone gives the same numbers, a zero singular value included.
TEST(Sensitivity, SvdOptionsPassThrough) {
  const auto generator = make_tanh(2);
  const auto forward = make_forward(kData, 22);
  const auto latent = test_latent();
  const auto reference = dense_svd(dense_sensitivity(*forward, generator->reference_jacobian(latent)));
  for (const char* type : {"cross", "lanczos", "trlanczos"}) {
    SCOPED_TRACE(type);
    ScopedOption option("-sensitivity_svd_type", type);
    const auto r = pb::analyze_sensitivity(generator, forward, 0.02, latent);
    EXPECT_EQ(r.svd_type, type);
    for (std::size_t i = 0; i + 1 < kLatent; ++i) {
      EXPECT_NEAR(r.singular_values[i], reference.values[i], 1e-9 * reference.values[i]);
    }
    EXPECT_LT(r.singular_values.back(), 1e-6 * r.singular_values.front());  // cross: about √ε s_1
    EXPECT_EQ(r.numerical_rank, kLatent - 1);
    EXPECT_TRUE(std::isinf(r.cramer_rao[2]));
    EXPECT_LT(r.fisher_discrepancy, 1e-9);
  }
}

TEST(Sensitivity, UnconvergedSvdIsAnErrorNamingTheCount) {
  const auto generator = make_tanh();
  const auto forward = make_forward(kData, 22);
  ScopedOption tolerance("-sensitivity_svd_tol", "1e-300");
  ScopedOption iterations("-sensitivity_svd_max_it", "1");
  try {
    pb::analyze_sensitivity(generator, forward, 0.02, test_latent());
    FAIL() << "expected an error";
  } catch (const pb::Error& error) {
    EXPECT_NE(std::string(error.what()).find("converged"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("of the 5 singular triplets"), std::string::npos) << error.what();
  }
}

TEST(Sensitivity, RejectsBadInput) {
  const auto generator = make_linear();
  const auto forward = make_forward(kData, 21);
  EXPECT_THROW(pb::analyze_sensitivity(generator, forward, 0.0, test_latent()), pb::Error);
  EXPECT_THROW(pb::analyze_sensitivity(generator, forward, 0.1, std::vector<double>(3, 0.0)), pb::Error);
  Dense wrong(4, 7);
  const auto mismatched = std::make_shared<const DenseForwardOperator>(PETSC_COMM_WORLD, wrong);
  EXPECT_THROW(pb::analyze_sensitivity(generator, mismatched, 0.1, test_latent()), pb::Error);
}

TEST(Sensitivity, SaveWritesEveryField) {
  const auto r = pb::analyze_sensitivity(make_linear(2), make_forward(kData, 23), 0.05, test_latent());
  if (rank() != 0) return;
  const auto path =
      (std::filesystem::temp_directory_path() / ("priorbench_sensitivity_" + std::to_string(::getpid()) + ".h5"))
          .string();
  {
    auto file = pb::h5::create_file(path, true);
    r.save(pb::h5::create_group(file, "sensitivity"));
  }
  auto file = pb::h5::open_file(path);
  auto group = pb::h5::open_group(file, "sensitivity");
  pb::h5::Shape shape;
  EXPECT_EQ(pb::h5::read_doubles(group, "singular_values"), r.singular_values);
  const auto vectors = pb::h5::read_doubles(group, "right_vectors", &shape);
  EXPECT_EQ(shape, (pb::h5::Shape{kLatent, kLatent}));
  for (std::size_t j = 0; j < kLatent; ++j) EXPECT_EQ(vectors[kLatent * 1 + j], r.right_vectors(j, 1));  // row 1 = v_1
  pb::h5::read_doubles(group, "direction_images", &shape);
  EXPECT_EQ(shape, (pb::h5::Shape{kLatent, 5, 6}));
  EXPECT_TRUE(std::isinf(pb::h5::read_doubles(group, "cramer_rao")[2]));
  EXPECT_EQ(pb::h5::read_integer_attribute(group, "numerical_rank"), std::int64_t(kLatent - 1));
  EXPECT_EQ(pb::h5::read_string_attribute(group, "svd_type"), "trlanczos");
  std::filesystem::remove(path);
}

// ‖(I − P_W)(x† − b)‖ for a linear generator, by the normal equations written here.
double linear_distance(const pb::LinearGenerator& g, const std::vector<double>& image) {
  const DenseMatrix& w = g.weights();
  const std::size_t n = w.rows(), m = w.cols();
  std::vector<double> centred(n);
  for (std::size_t i = 0; i < n; ++i) centred[i] = image[i] - g.offset()[i];
  Dense gram(static_cast<int>(m), static_cast<int>(m));
  std::vector<double> rhs(m, 0.0);
  for (std::size_t a = 0; a < m; ++a) {
    rhs[a] = dot(w.column(a), centred);
    for (std::size_t b = 0; b < m; ++b) gram(int(a), int(b)) = dot(w.column(a), w.column(b));
  }
  const auto coefficients = pb::testing_support::multiply(pb::testing_support::spd_inverse(gram), rhs);
  double squared = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double residual = centred[i];
    for (std::size_t a = 0; a < m; ++a) residual -= w(i, a) * coefficients[a];
    squared += residual * residual;
  }
  return std::sqrt(squared);
}

TEST(RangeDistance, LinearGeneratorOrthogonalComplement) {
  const auto generator = make_linear();
  const auto image = random_vector(kShape.size(), 31, 1.0);  // off the range
  const auto r = pb::distance_to_range(*generator, image);
  const double expected = linear_distance(*generator, image);
  EXPECT_GT(expected, 0.5);
  EXPECT_NEAR(r.distance, expected, 1e-10 * expected);
  EXPECT_NEAR(r.relative_distance, expected / std::sqrt(dot(image, image)), 1e-10);
  EXPECT_TRUE(r.converged) << r.summary();
  ASSERT_EQ(r.starts.size(), 5u);  // zero, encoder, three prior draws
  EXPECT_EQ(r.starts[0].kind, "zero");
  EXPECT_EQ(r.starts[1].kind, "encoder");
  EXPECT_EQ(r.starts[4].kind, "prior_draw_2");
  for (const auto& start : r.starts) {
    EXPECT_TRUE(start.converged()) << start.kind << " " << start.reason_name;
    EXPECT_NEAR(start.distance, expected, 1e-10 * expected) << start.kind;
  }
  // The projection is μ at the minimizer and the residual is orthogonal to the range.
  std::vector<double> residual(image.size()), gradient(kLatent);
  for (std::size_t i = 0; i < image.size(); ++i) residual[i] = r.projection[i] - image[i];
  pb::gemv(true, 1.0, generator->weights(), residual, 0.0, gradient);
  for (const double value : gradient) EXPECT_NEAR(value, 0.0, 1e-10);
}

TEST(RangeDistance, ZeroColumnLinearGenerator) {
  const auto generator = make_linear(2);
  const auto image = random_vector(kShape.size(), 32, 1.0);
  const auto r = pb::distance_to_range(*generator, image);
  // z_2 does not enter μ: the distance is that to the range of the other four columns.
  DenseMatrix kept(kShape.size(), kLatent - 1);
  for (std::size_t a = 0, c = 0; a < kLatent; ++a) {
    if (a == 2) continue;
    std::copy(generator->weights().column(a).begin(), generator->weights().column(a).end(), kept.column(c++).begin());
  }
  const pb::LinearGenerator reduced(kShape, kept, generator->offset(), 0.01);
  const double expected = linear_distance(reduced, image);
  EXPECT_NEAR(r.distance, expected, 1e-10 * expected);
  EXPECT_TRUE(r.converged) << r.summary();
}

TEST(RangeDistance, ZeroForAnImageOnTheRange) {
  const auto generator = make_tanh();
  const auto truth = random_vector(kLatent, 33, 0.8);
  std::vector<double> image(kShape.size());
  generator->decode(truth, 1, image);
  pb::RangeDistanceOptions options;
  options.extra_starts.push_back(std::vector<double>(kLatent, 0.1));
  const auto r = pb::distance_to_range(*generator, image, options);
  EXPECT_LT(r.distance, 1e-10 * std::sqrt(dot(image, image))) << r.summary();
  EXPECT_LT(r.relative_distance, 1e-10);
  EXPECT_TRUE(r.converged) << r.summary();
  ASSERT_EQ(r.starts.size(), 5u);  // zero, three prior draws (no encoder), one extra
  EXPECT_EQ(r.starts.back().kind, "extra_0");
  EXPECT_EQ(r.starts[r.best_start].reason_name, "converged_zero_residual");
  EXPECT_GT(r.generator_counts.jacobians, 0);
}

TEST(RangeDistance, SaveWritesTheStarts) {
  const auto generator = make_linear();
  const auto r = pb::distance_to_range(*generator, random_vector(kShape.size(), 31, 1.0));
  if (rank() != 0) return;
  const auto path =
      (std::filesystem::temp_directory_path() / ("priorbench_range_" + std::to_string(::getpid()) + ".h5")).string();
  {
    auto file = pb::h5::create_file(path, true);
    r.save(pb::h5::create_group(file, "range"));
  }
  auto file = pb::h5::open_file(path);
  auto group = pb::h5::open_group(file, "range");
  pb::h5::Shape shape;
  EXPECT_EQ(pb::h5::read_double_attribute(group, "distance"), r.distance);
  EXPECT_EQ(pb::h5::read_doubles(group, "latent"), r.latent);
  pb::h5::read_doubles(group, "projection", &shape);
  EXPECT_EQ(shape, (pb::h5::Shape{5, 6}));
  auto starts = pb::h5::open_group(group, "starts");
  pb::h5::read_doubles(starts, "latent", &shape);
  EXPECT_EQ(shape, (pb::h5::Shape{5, kLatent}));
  EXPECT_EQ(pb::h5::read_string_attribute(starts, "kinds"), "zero,encoder,prior_draw_0,prior_draw_1,prior_draw_2");
  std::filesystem::remove(path);
}

TEST(RangeDistance, RejectsBadInput) {
  const auto generator = make_tanh();
  EXPECT_THROW(pb::distance_to_range(*generator, std::vector<double>(7, 0.0)), pb::Error);
  pb::RangeDistanceOptions options;
  options.extra_starts.push_back({1.0});
  EXPECT_THROW(pb::distance_to_range(*generator, std::vector<double>(kShape.size(), 0.0), options), pb::Error);
}

namespace {

// Images x = W z + b + γ ξ from the generative model itself.
std::vector<double> sample_images(const pb::LinearGenerator& g, std::size_t count) {
  const std::size_t n = g.image_size();
  std::vector<double> pixels(count * n);
  for (std::size_t item = 0; item < count; ++item) {
    const auto z = random_vector(kLatent, 100 + item, 1.0);
    std::span<double> image(pixels.data() + item * n, n);
    g.decode(z, 1, image);
    for (std::size_t i = 0; i < n; ++i) image[i] += std::sqrt(g.gamma2()) * draw(1000 + item, i);
  }
  return pixels;
}

// The exact posterior N(P⁻¹Wᵀ(x − b)/γ², P⁻¹), P = I + WᵀW/γ², formed here.
struct Posterior {
  std::vector<std::vector<double>> means;
  std::vector<double> variances;
};

Posterior exact_posterior(const pb::LinearGenerator& g, const std::vector<double>& pixels, std::size_t count) {
  const DenseMatrix& w = g.weights();
  const std::size_t n = w.rows();
  Dense precision(static_cast<int>(kLatent), static_cast<int>(kLatent));
  for (std::size_t a = 0; a < kLatent; ++a)
    for (std::size_t b = 0; b < kLatent; ++b)
      precision(int(a), int(b)) = (a == b ? 1.0 : 0.0) + dot(w.column(a), w.column(b)) / g.gamma2();
  const Dense covariance = pb::testing_support::spd_inverse(precision);
  Posterior posterior;
  for (std::size_t a = 0; a < kLatent; ++a) posterior.variances.push_back(covariance(int(a), int(a)));
  for (std::size_t item = 0; item < count; ++item) {
    std::vector<double> projected(kLatent);
    for (std::size_t a = 0; a < kLatent; ++a) {
      for (std::size_t i = 0; i < n; ++i) projected[a] += w(i, a) * (pixels[item * n + i] - g.offset()[i]) / g.gamma2();
    }
    posterior.means.push_back(pb::testing_support::multiply(covariance, projected));
  }
  return posterior;
}

}  // namespace

TEST(PosteriorCollapse, ZeroColumnCollapsesAgainstClosedForm) {
  const auto generator = make_linear(2, 0.05);
  const std::size_t count = 40;
  const auto pixels = sample_images(*generator, count);
  pb::PosteriorCollapseOptions options;
  options.jacobian_images = 7;
  const auto r = pb::diagnose_posterior_collapse(*generator, pixels, count, PETSC_COMM_WORLD, options);
  const auto exact = exact_posterior(*generator, pixels, count);

  EXPECT_EQ(r.images, count);
  EXPECT_EQ(r.jacobian_images, 7u);
  for (std::size_t j = 0; j < kLatent; ++j) {
    double kl = 0, mean = 0, squares = 0;
    for (std::size_t item = 0; item < count; ++item) {
      const double mu = exact.means[item][j], s2 = exact.variances[j];
      kl += 0.5 * (mu * mu + s2 - 1.0 - std::log(s2)) / double(count);
      mean += mu / double(count);
    }
    for (std::size_t item = 0; item < count; ++item) squares += std::pow(exact.means[item][j] - mean, 2);
    EXPECT_NEAR(r.kl[j], kl, 1e-9 * std::max(1.0, kl)) << "z_" << j;
    EXPECT_NEAR(r.activity[j], squares / double(count - 1), 1e-9) << "z_" << j;
    EXPECT_NEAR(r.mean_encoder_variance[j], exact.variances[j], 1e-12);
    EXPECT_NEAR(r.decoder_column_norms[j],
                std::sqrt(dot(generator->weights().column(j), generator->weights().column(j))), 1e-12);
    EXPECT_EQ(r.active[j], j == 2 ? 0 : 1) << "z_" << j << " activity " << r.activity[j];
    EXPECT_EQ(r.collapsed[j], j == 2 ? 1 : 0) << "z_" << j;
  }
  EXPECT_NEAR(r.kl[2], 0.0, 1e-12);
  EXPECT_NEAR(r.activity[2], 0.0, 1e-20);
  EXPECT_EQ(r.decoder_column_norms[2], 0.0);
  EXPECT_EQ(r.active_count, kLatent - 1);
  EXPECT_EQ(r.collapsed_count, 1u);
  pb::PosteriorCollapse reread{r.images, r.jacobian_images, r.activity_threshold, r.kl_threshold, r.kl, r.activity};
  reread.classify();  // as after reading the statistics from a file
  EXPECT_EQ(reread.collapsed, r.collapsed);
  EXPECT_EQ(reread.active_count, r.active_count);
  EXPECT_EQ(reread.total_kl, r.total_kl);
  const std::string summary = r.summary();
  EXPECT_EQ(summary.rfind("POSTERIOR COLLAPSE: 1 of 5 latent dimensions collapsed (z_j, j = 2)", 0), 0u) << summary;
  EXPECT_NE(summary.find("NO information from the data y"), std::string::npos);
}

TEST(PosteriorCollapse, LimitImageSetAndErrors) {
  const auto generator = make_linear(2, 0.05);
  const auto pixels = sample_images(*generator, 12);
  pb::data::ImageSet set{kShape, 12, pixels, {}};
  pb::PosteriorCollapseOptions options;
  options.max_images = 5;
  const auto limited = pb::diagnose_posterior_collapse(*generator, set, PETSC_COMM_WORLD, options);
  const auto first =
      pb::diagnose_posterior_collapse(*generator, std::span<const double>(pixels).first(5 * 30), 5, PETSC_COMM_WORLD);
  EXPECT_EQ(limited.images, 5u);
  EXPECT_EQ(limited.jacobian_images, 5u);
  for (std::size_t j = 0; j < kLatent; ++j) {
    EXPECT_NEAR(limited.kl[j], first.kl[j], 1e-14);
    EXPECT_NEAR(limited.activity[j], first.activity[j], 1e-14);
  }
  EXPECT_THROW(pb::diagnose_posterior_collapse(*make_tanh(), pixels, 12, PETSC_COMM_WORLD), pb::Error);
  EXPECT_THROW(pb::diagnose_posterior_collapse(*generator, pixels, 11, PETSC_COMM_WORLD), pb::Error);
  pb::data::ImageSet wrong{{6, 5}, 12, pixels, {}};
  EXPECT_THROW(pb::diagnose_posterior_collapse(*generator, wrong, PETSC_COMM_WORLD), pb::Error);
}

TEST(PosteriorCollapse, NoCollapseIsSaidQuietlyAndSaved) {
  const auto generator = make_linear(-1, 0.05);
  const auto pixels = sample_images(*generator, 20);
  const auto r = pb::diagnose_posterior_collapse(*generator, pixels, 20, PETSC_COMM_WORLD);
  EXPECT_EQ(r.collapsed_count, 0u);
  EXPECT_EQ(r.active_count, kLatent);
  EXPECT_EQ(r.summary().find("POSTERIOR COLLAPSE"), std::string::npos);
  if (rank() != 0) return;
  const auto path =
      (std::filesystem::temp_directory_path() / ("priorbench_collapse_" + std::to_string(::getpid()) + ".h5")).string();
  {
    auto file = pb::h5::create_file(path, true);
    r.save(pb::h5::create_group(file, "collapse"));
  }
  auto file = pb::h5::open_file(path);
  auto group = pb::h5::open_group(file, "collapse");
  EXPECT_EQ(pb::h5::read_doubles(group, "kl"), r.kl);
  EXPECT_EQ(pb::h5::read_integers(group, "active"), r.active);
  EXPECT_EQ(pb::h5::read_integer_attribute(group, "images"), 20);
  std::filesystem::remove(path);
}
