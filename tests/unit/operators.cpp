// Forward operators (DESIGN §1): for every operator the adjoint identity, the dense matrix
// against the dense transpose, A∘A against the entrywise square of the dense matrix, the
// Gram-diagonal claim against A D Aᵀ formed densely; blur against a direct 2-D
// convolution sum and fourier against a naive DFT sum written here; the Fourier masks;
// save → load round trips; every error path.

#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <numbers>
#include <set>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/petsc.hpp"
#include "core/random.hpp"
#include "operators/blur_operator.hpp"
#include "operators/fourier_mask.hpp"
#include "operators/fourier_operator.hpp"
#include "operators/gaussian_operator.hpp"
#include "operators/identity_operator.hpp"
#include "operators/inpaint_operator.hpp"
#include "operators/matrix_operator.hpp"
#include "operators/operator_factory.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::testing_support::Dense;

namespace {

constexpr double eps = std::numeric_limits<double>::epsilon();
const MPI_Comm self = PETSC_COMM_SELF;

// ---------------------------------------------------------------- vector helpers

std::vector<double> random_values(std::size_t size, std::uint64_t stream) {
  const pb::CounterRandom random(2024, 0, pb::Purpose::test_values, stream);
  std::vector<double> values(size);
  random.fill_normal(values, 0);
  return values;
}

pb::petsc::Vector vector_of(MPI_Comm comm, const std::vector<double>& values) {
  auto vector = pb::petsc::make_vector(comm, static_cast<PetscInt>(values.size()));
  pb::petsc::set_from_global(vector, values);
  return vector;
}

enum class Map { forward, transpose, squared, squared_transpose };

std::vector<double> apply(const pb::ForwardOperator& op, Map map, const std::vector<double>& in) {
  const bool from_domain = map == Map::forward || map == Map::squared;
  auto input = vector_of(op.comm(), in);
  auto output = from_domain ? op.make_range_vector() : op.make_domain_vector();
  switch (map) {
    case Map::forward:
      op.apply(input, output);
      break;
    case Map::transpose:
      op.apply_transpose(input, output);
      break;
    case Map::squared:
      op.apply_squared(input, output);
      break;
    case Map::squared_transpose:
      op.apply_squared_transpose(input, output);
      break;
  }
  return pb::petsc::gather_all(output);
}

// The matrix of `map` column by column (so for the transposes it is Aᵀ, (A∘A)ᵀ).
Dense dense_of_map(const pb::ForwardOperator& op, Map map) {
  const bool from_domain = map == Map::forward || map == Map::squared;
  const int cols = static_cast<int>(from_domain ? op.cols() : op.rows());
  const int rows = static_cast<int>(from_domain ? op.rows() : op.cols());
  Dense result(rows, cols);
  std::vector<double> unit(static_cast<std::size_t>(cols), 0.0);
  for (int j = 0; j < cols; ++j) {
    unit[static_cast<std::size_t>(j)] = 1.0;
    const auto column = apply(op, map, unit);
    unit[static_cast<std::size_t>(j)] = 0.0;
    for (int i = 0; i < rows; ++i) result(i, j) = column[static_cast<std::size_t>(i)];
  }
  return result;
}

Dense entrywise_square(Dense a) {
  for (double& value : a.values) value *= value;
  return a;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

double norm(const std::vector<double>& a) { return std::sqrt(dot(a, a)); }

// ‖A‖₂ from 50 power iterations on AᵀA (dense), rounded up by 1 %.
double spectral_norm(const Dense& a) {
  const Dense at = pb::testing_support::transpose(a);
  std::vector<double> v = random_values(static_cast<std::size_t>(a.cols), 7);
  double estimate = 0;
  for (int iteration = 0; iteration < 50; ++iteration) {
    const double length = norm(v);
    for (double& value : v) value /= length;
    v = pb::testing_support::multiply(at, pb::testing_support::multiply(a, v));
    estimate = std::sqrt(norm(v));
  }
  return 1.01 * estimate;
}

// ---------------------------------------------------------------- independent references

// Direct 2-D sum of the truncated, normalized Gaussian over the square |s|, |t| ≤ r, zero
// outside the image.
std::vector<double> direct_blur(const pb::ImageShape& shape, double width, const std::vector<double>& x) {
  const int radius = static_cast<int>(std::ceil(3 * width));
  double mass = 0;
  for (int s = -radius; s <= radius; ++s)
    for (int t = -radius; t <= radius; ++t) mass += std::exp(-(s * s + t * t) / (2 * width * width));
  std::vector<double> y(x.size(), 0.0);
  for (int i = 0; i < shape.height; ++i) {
    for (int j = 0; j < shape.width; ++j) {
      double sum = 0;
      for (int a = 0; a < shape.height; ++a) {
        for (int b = 0; b < shape.width; ++b) {
          const int s = i - a;
          const int t = j - b;
          if (std::abs(s) > radius || std::abs(t) > radius) continue;
          sum += std::exp(-(s * s + t * t) / (2 * width * width)) / mass * x[a * shape.width + b];
        }
      }
      y[i * shape.width + j] = sum;
    }
  }
  return y;
}

// Unitary DFT coefficient n^{-1/2} Σ_j x_j e^{−2πi (k1 j1 / H + k2 j2 / W)} by direct sum.
std::complex<double> naive_dft(const pb::ImageShape& shape, std::int64_t k, const std::vector<double>& x) {
  const std::int64_t k1 = k / shape.width;
  const std::int64_t k2 = k % shape.width;
  std::complex<double> sum = 0;
  for (std::int64_t j1 = 0; j1 < shape.height; ++j1) {
    for (std::int64_t j2 = 0; j2 < shape.width; ++j2) {
      const double turns = static_cast<double>((k1 * j1) % shape.height) / shape.height +
                           static_cast<double>((k2 * j2) % shape.width) / shape.width;
      sum += x[j1 * shape.width + j2] * std::polar(1.0, -2 * std::numbers::pi * turns);
    }
  }
  return sum / std::sqrt(static_cast<double>(shape.size()));
}

// ---------------------------------------------------------------- the cases

struct Case {
  std::string label;
  std::function<std::shared_ptr<pb::ForwardOperator>()> make;
};

pb::CsrMatrix random_csr(std::int64_t rows, std::int64_t cols, int per_row, std::uint64_t stream) {
  const pb::CounterRandom random(99, 0, pb::Purpose::test_values, stream);
  pb::CsrMatrix csr;
  csr.rows = rows;
  csr.cols = cols;
  csr.indptr.push_back(0);
  std::uint64_t draw = 0;
  for (std::int64_t i = 0; i < rows; ++i) {
    for (int p = 0; p < per_row; ++p) {
      csr.indices.push_back(static_cast<std::int64_t>(random.bits(draw++) % static_cast<std::uint64_t>(cols)));
      csr.data.push_back(random.normal(draw++));
    }
    csr.indptr.push_back(static_cast<std::int64_t>(csr.indices.size()));
  }
  return csr;
}

// Row i holds column `owner[i]` entries; each column appears in at most one row.
pb::CsrMatrix column_single_csr(std::int64_t rows, std::int64_t cols) {
  pb::CsrMatrix csr;
  csr.rows = rows;
  csr.cols = cols;
  csr.indptr.push_back(0);
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = i; j < cols; j += rows) {
      csr.indices.push_back(j);
      csr.data.push_back(0.5 + static_cast<double>((i + j) % 5));
    }
    csr.indptr.push_back(static_cast<std::int64_t>(csr.indices.size()));
  }
  return csr;
}

const pb::ImageShape small{8, 6};
const pb::ImageShape odd{7, 5};
const pb::ImageShape large{28, 28};

std::shared_ptr<pb::ForwardOperator> variable_density(pb::ImageShape shape, PetscInt d, std::uint64_t seed = 3) {
  return std::make_shared<pb::FourierOperator>(self, shape, pb::fourier::variable_density_mask(shape, d, 0.08, seed));
}
std::shared_ptr<pb::ForwardOperator> lines(pb::ImageShape shape, PetscInt d, std::uint64_t seed = 3) {
  return std::make_shared<pb::FourierOperator>(self, shape, pb::fourier::lines_mask(shape, d, 0.1, seed));
}

std::vector<Case> small_cases() {
  const PetscInt n = small.size();
  return {
      {"identity 8x6", [=] { return std::make_shared<pb::IdentityOperator>(self, n); }},
      {"inpaint d=1",
       [=] { return std::make_shared<pb::InpaintOperator>(self, n, pb::InpaintOperator::random_mask(n, 1, 5)); }},
      {"inpaint d=17",
       [=] { return std::make_shared<pb::InpaintOperator>(self, n, pb::InpaintOperator::random_mask(n, 17, 5)); }},
      {"inpaint d=n",
       [=] { return std::make_shared<pb::InpaintOperator>(self, n, pb::InpaintOperator::random_mask(n, n, 5)); }},
      {"blur w=0.7", [] { return std::make_shared<pb::BlurOperator>(self, small, 0.7); }},
      {"blur w=1.5", [] { return std::make_shared<pb::BlurOperator>(self, small, 1.5); }},
      {"blur w=3 (radius beyond the image)", [] { return std::make_shared<pb::BlurOperator>(self, small, 3.0); }},
      {"blur odd w=1", [] { return std::make_shared<pb::BlurOperator>(self, odd, 1.0); }},
      {"fourier vd d=2", [] { return variable_density(small, 2); }},
      {"fourier vd d=7", [] { return variable_density(small, 7); }},
      {"fourier vd d=24", [] { return variable_density(small, 24); }},
      {"fourier vd d=n", [] { return variable_density(small, 48); }},
      {"fourier vd odd d=4", [] { return variable_density(odd, 4); }},
      {"fourier vd odd d=n", [] { return variable_density(odd, 35); }},
      {"fourier lines d=18", [] { return lines(small, 18); }},
      {"fourier lines odd d=15", [] { return lines(odd, 15); }},
      {"gaussian d=5", [=] { return std::make_shared<pb::GaussianOperator>(self, n, 5, 8); }},
      {"gaussian d=n", [=] { return std::make_shared<pb::GaussianOperator>(self, n, n, 8); }},
      {"gaussian d>n", [=] { return std::make_shared<pb::GaussianOperator>(self, n, 60, 8); }},
      {"matrix random", [=] { return std::make_shared<pb::MatrixOperator>(self, random_csr(20, n, 4, 1)); }},
      {"matrix one nonzero per column",
       [=] { return std::make_shared<pb::MatrixOperator>(self, column_single_csr(9, n)); }},
  };
}

std::vector<Case> large_cases() {
  const PetscInt n = large.size();
  return {
      {"inpaint 28x28 d=300",
       [=] { return std::make_shared<pb::InpaintOperator>(self, n, pb::InpaintOperator::random_mask(n, 300, 1)); }},
      {"blur 28x28 w=2", [] { return std::make_shared<pb::BlurOperator>(self, large, 2.0); }},
      {"fourier 28x28 vd d=196", [] { return variable_density(large, 196); }},
      {"fourier 28x28 vd d=201", [] { return variable_density(large, 201); }},
      {"fourier 28x28 lines d=196", [] { return lines(large, 196); }},
      {"gaussian 28x28 d=100", [=] { return std::make_shared<pb::GaussianOperator>(self, n, 100, 2); }},
      {"matrix 28x28 random", [=] { return std::make_shared<pb::MatrixOperator>(self, random_csr(50, n, 30, 2)); }},
  };
}

std::vector<Case> all_cases() {
  auto cases = small_cases();
  for (auto& c : large_cases()) cases.push_back(std::move(c));
  return cases;
}

double max_abs_difference(const Dense& a, const Dense& b) {
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cols, b.cols);
  return pb::testing_support::max_abs_difference(a.values, b.values);
}

std::string temporary_path(const std::string& stem) {
  return (std::filesystem::temp_directory_path() /
          ("priorbench_unit_operators_" + stem + "_" + std::to_string(getpid()) + ".h5"))
      .string();
}

// Runs `body`, which must throw an Error whose message contains `fragment`.
void expect_error(const std::function<void()>& body, const std::string& fragment) {
  try {
    body();
    ADD_FAILURE() << "no error; expected one containing: " << fragment;
  } catch (const pb::Error& error) {
    EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos)
        << "message: " << error.what() << "\nexpected to contain: " << fragment;
  }
}

}  // namespace

// ================================================================ properties of every operator

TEST(Operators, AdjointIdentityHoldsToRounding) {
  for (const auto& c : all_cases()) {
    SCOPED_TRACE(c.label);
    const auto op = c.make();
    const double a_norm = spectral_norm(pb::testing_support::dense_of(*op));
    for (std::uint64_t trial = 0; trial < 3; ++trial) {
      const auto x = random_values(static_cast<std::size_t>(op->cols()), 10 + trial);
      const auto y = random_values(static_cast<std::size_t>(op->rows()), 20 + trial);
      const double lhs = dot(apply(*op, Map::forward, x), y);
      const double rhs = dot(x, apply(*op, Map::transpose, y));
      EXPECT_LE(std::abs(lhs - rhs), 10 * eps * a_norm * norm(x) * norm(y)) << lhs << " vs " << rhs;
    }
  }
}

TEST(Operators, DenseMatrixEqualsTransposeOfDenseTranspose) {
  for (const auto& c : all_cases()) {
    SCOPED_TRACE(c.label);
    const auto op = c.make();
    const Dense a = pb::testing_support::dense_of(*op);
    const Dense at = pb::testing_support::dense_of_transpose(*op);
    const double scale = pb::testing_support::max_abs(a.values);
    EXPECT_LE(max_abs_difference(a, pb::testing_support::transpose(at)), 10 * eps * scale);
  }
}

TEST(Operators, SquaredMapsAreEntrywiseSquaresOfTheDenseMatrix) {
  for (const auto& c : all_cases()) {
    SCOPED_TRACE(c.label);
    const auto op = c.make();
    const Dense square = entrywise_square(pb::testing_support::dense_of(*op));
    const double scale = pb::testing_support::max_abs(square.values);
    EXPECT_LE(max_abs_difference(dense_of_map(*op, Map::squared), square), 10 * eps * scale);
    EXPECT_LE(max_abs_difference(dense_of_map(*op, Map::squared_transpose), pb::testing_support::transpose(square)),
              10 * eps * scale);
  }
}

TEST(Operators, ApplyToColumnsIsAAppliedToEachColumnAndCountsThem) {
  for (const auto& c : all_cases()) {
    SCOPED_TRACE(c.label);
    const auto op = c.make();
    int ranks = 1;
    MPI_Comm_size(op->comm(), &ranks);
    if (ranks > 1) continue;  // a dense route of one rank
    const auto n = static_cast<std::size_t>(op->cols());
    pb::DenseMatrix x(n, 3);
    const auto values = random_values(3 * n, 40);
    std::copy(values.begin(), values.end(), x.data());
    const pb::OperatorCounts before = op->counts();
    pb::DenseMatrix y;
    op->apply_to_columns(x, y);
    EXPECT_EQ(op->counts().forward - before.forward, 3);
    ASSERT_EQ(y.rows(), static_cast<std::size_t>(op->rows()));
    ASSERT_EQ(y.cols(), 3u);
    const Dense a = pb::testing_support::dense_of(*op);
    const double a_norm = spectral_norm(a);
    for (std::size_t j = 0; j < 3; ++j) {
      const auto column = x.column(j);
      const auto expected = pb::testing_support::multiply(a, std::vector<double>(column.begin(), column.end()));
      const auto got = y.column(j);
      EXPECT_LE(pb::testing_support::max_abs_difference(std::vector<double>(got.begin(), got.end()), expected),
                10 * eps * a_norm * norm(std::vector<double>(column.begin(), column.end())));
    }
  }
}

TEST(Operators, GramIsDiagonalExactlyWhenClaimed) {
  for (const auto& c : small_cases()) {
    SCOPED_TRACE(c.label);
    const auto op = c.make();
    const Dense a = pb::testing_support::dense_of(*op);
    const Dense at = pb::testing_support::transpose(a);
    const auto random_weights = random_values(static_cast<std::size_t>(op->cols()), 30);
    for (const bool scalar : {true, false}) {
      SCOPED_TRACE(scalar ? "D = 2.5 I" : "D random diagonal");
      Dense weighted = at;  // D Aᵀ
      for (int j = 0; j < weighted.rows; ++j) {
        const double weight = scalar ? 2.5 : 0.5 + std::abs(random_weights[static_cast<std::size_t>(j)]);
        for (int i = 0; i < weighted.cols; ++i) weighted(j, i) *= weight;
      }
      const Dense gram = pb::testing_support::multiply(a, weighted);
      double diagonal = 0;
      double off_diagonal = 0;
      for (int i = 0; i < gram.rows; ++i) {
        for (int k = 0; k < gram.cols; ++k) {
          (i == k ? diagonal : off_diagonal) = std::max(i == k ? diagonal : off_diagonal, std::abs(gram(i, k)));
        }
      }
      if (op->gram_is_diagonal(scalar)) {
        EXPECT_LE(off_diagonal, 10 * eps * diagonal * std::sqrt(static_cast<double>(op->cols())));
      } else {
        EXPECT_GT(off_diagonal, 1e-3 * diagonal) << "A D Aᵀ is diagonal but the operator says it is not";
      }
    }
  }
}

TEST(Operators, PseudoInverseIsTheDenseMinimumNormSolutionWhereTheGramIsDiagonal) {
  for (const auto& c : small_cases()) {
    SCOPED_TRACE(c.label);
    const auto op = c.make();
    const Dense a = pb::testing_support::dense_of(*op);
    const Dense at = pb::testing_support::transpose(a);
    const Dense gram = pb::testing_support::multiply(a, at);
    const auto y = random_values(static_cast<std::size_t>(op->rows()), 40);
    auto y_vector = vector_of(op->comm(), y);
    auto x_vector = op->make_domain_vector();
    const bool applied = op->apply_pseudo_inverse(y_vector, x_vector);
    EXPECT_EQ(applied, op->gram_is_diagonal(true));
    bool full_rank = true;
    for (int i = 0; i < gram.rows; ++i) full_rank = full_rank && gram(i, i) > 0;
    if (!applied || !full_rank) continue;
    // Aᵀ(AAᵀ)⁻¹y from the dense matrices; A x = y follows.
    const auto expected =
        pb::testing_support::multiply(at, pb::testing_support::multiply(pb::testing_support::spd_inverse(gram), y));
    const auto x = pb::petsc::gather_all(x_vector);
    EXPECT_LE(pb::testing_support::max_abs_difference(x, expected),
              100 * eps * norm(y) * (1 + pb::testing_support::max_abs(x)));
    EXPECT_LE(pb::testing_support::max_abs_difference(pb::testing_support::multiply(a, x), y), 100 * eps * norm(y));
  }
}

// ================================================================ the individual operators

TEST(Identity, IsTheIdentity) {
  const pb::IdentityOperator op(self, 12);
  const Dense a = pb::testing_support::dense_of(op);
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j < 12; ++j) EXPECT_EQ(a(i, j), i == j ? 1.0 : 0.0);
  EXPECT_TRUE(op.gram_is_diagonal(false));
  EXPECT_EQ(op.name(), "identity");
}

TEST(Inpaint, SelectsTheObservedPixels) {
  const std::vector<std::int64_t> observed = {0, 3, 4, 11};
  const pb::InpaintOperator op(self, 12, observed);
  ASSERT_EQ(op.rows(), 4);
  const auto x = random_values(12, 1);
  const auto y = apply(op, Map::forward, x);
  for (std::size_t i = 0; i < observed.size(); ++i) EXPECT_EQ(y[i], x[static_cast<std::size_t>(observed[i])]);
  const auto back = apply(op, Map::transpose, y);
  for (std::size_t j = 0; j < 12; ++j) {
    const bool seen = std::find(observed.begin(), observed.end(), static_cast<std::int64_t>(j)) != observed.end();
    EXPECT_EQ(back[j], seen ? x[j] : 0.0);
  }
}

TEST(Inpaint, RandomMaskIsTheSeededSample) {
  EXPECT_EQ(pb::InpaintOperator::random_mask(784, 100, 9),
            pb::CounterRandom(9, 0, pb::Purpose::inpaint_mask).sample_without_replacement(784, 100));
  EXPECT_NE(pb::InpaintOperator::random_mask(784, 100, 9), pb::InpaintOperator::random_mask(784, 100, 10));
}

TEST(Blur, MatchesADirectTwoDimensionalConvolution) {
  for (const auto& [shape, width] : std::vector<std::pair<pb::ImageShape, double>>{
           {small, 0.7}, {small, 1.5}, {small, 3.0}, {odd, 1.0}, {large, 2.0}, {{5, 30}, 0.4}}) {
    SCOPED_TRACE(testing::Message() << shape.height << "x" << shape.width << " width " << width);
    const pb::BlurOperator op(self, shape, width);
    const auto x = random_values(static_cast<std::size_t>(shape.size()), 4);
    const auto expected = direct_blur(shape, width, x);
    EXPECT_LE(pb::testing_support::max_abs_difference(apply(op, Map::forward, x), expected),
              10 * eps * pb::testing_support::max_abs(x));
  }
}

TEST(Blur, KernelIsNormalizedAndTruncatedAtThreeWidths) {
  const pb::BlurOperator op(self, small, 1.2);
  EXPECT_EQ(op.radius(), 4);
  ASSERT_EQ(op.kernel().size(), 9u);
  double sum = 0;
  for (const double k : op.kernel()) sum += k;
  EXPECT_NEAR(sum, 1.0, 4 * eps);
  EXPECT_NEAR(op.kernel()[5] / op.kernel()[4], std::exp(-0.5 / (1.2 * 1.2)), 4 * eps);
  // Zero boundary: a constant image loses mass at the edges but not in the middle.
  const pb::BlurOperator wide(self, large, 1.0);
  const auto y = apply(wide, Map::forward, std::vector<double>(784, 1.0));
  EXPECT_NEAR(y[14 * 28 + 14], 1.0, 4 * eps);
  EXPECT_LT(y[0], 0.5);
}

TEST(Fourier, MatchesANaiveDftSum) {
  struct Setting {
    pb::ImageShape shape;
    PetscInt d;
    bool use_lines;
  };
  const std::vector<Setting> settings = {{small, 48, false},  {small, 13, false}, {odd, 35, false}, {{6, 7}, 20, false},
                                         {large, 196, false}, {large, 140, true}, {odd, 15, true}};
  for (const auto& [shape, d, use_lines] : settings) {
    SCOPED_TRACE(testing::Message() << shape.height << "x" << shape.width << " d " << d);
    const auto op = use_lines ? lines(shape, d) : variable_density(shape, d);
    const auto& frequencies = dynamic_cast<const pb::FourierOperator&>(*op).frequencies();
    const auto x = random_values(static_cast<std::size_t>(shape.size()), 5);
    const auto y = apply(*op, Map::forward, x);
    std::size_t row = 0;
    double error = 0;
    for (const std::int64_t k : frequencies) {
      const auto expected = naive_dft(shape, k, x);
      error = std::max(error, std::abs(y[row++] - expected.real()));
      if (pb::fourier::is_self_conjugate(shape, k)) {
        EXPECT_LE(std::abs(expected.imag()), 1e-12);
      } else {
        error = std::max(error, std::abs(y[row++] - expected.imag()));
      }
    }
    EXPECT_EQ(row, y.size());
    EXPECT_LE(error, 1e-13 * norm(x));
  }
}

TEST(Fourier, RowsAreOrthogonalWithSquaredNormsHalfOrOne) {
  for (const auto& [shape, d] : std::vector<std::pair<pb::ImageShape, PetscInt>>{
           {small, 48}, {small, 19}, {odd, 35}, {{6, 7}, 42}, {large, 301}}) {
    SCOPED_TRACE(testing::Message() << shape.height << "x" << shape.width << " d " << d);
    const auto op = variable_density(shape, d);
    const auto& frequencies = dynamic_cast<const pb::FourierOperator&>(*op).frequencies();
    std::vector<double> expected_diagonal;
    for (const std::int64_t k : frequencies) {
      if (pb::fourier::is_self_conjugate(shape, k)) {
        expected_diagonal.push_back(1.0);
      } else {
        expected_diagonal.insert(expected_diagonal.end(), {0.5, 0.5});
      }
    }
    const Dense a = pb::testing_support::dense_of(*op);
    const Dense gram = pb::testing_support::multiply(a, pb::testing_support::transpose(a));
    double error = 0;
    for (int i = 0; i < gram.rows; ++i)
      for (int k = 0; k < gram.cols; ++k)
        error = std::max(error, std::abs(gram(i, k) - (i == k ? expected_diagonal[static_cast<std::size_t>(i)] : 0)));
    EXPECT_LE(error, 100 * eps);
  }
}

TEST(Fourier, FullSamplingIsAScaledOrthogonalBasis) {
  // With every half-plane frequency, d = n and Aᵀ W A = I for W = diag(2 or 1).
  for (const auto shape : {small, odd, pb::ImageShape{6, 7}}) {
    const auto op = variable_density(shape, shape.size());
    ASSERT_EQ(op->rows(), shape.size());
    const auto& frequencies = dynamic_cast<const pb::FourierOperator&>(*op).frequencies();
    Dense a = pb::testing_support::dense_of(*op);
    const Dense at = pb::testing_support::transpose(a);
    int row = 0;
    for (const std::int64_t k : frequencies) {
      const int count = pb::fourier::is_self_conjugate(shape, k) ? 1 : 2;
      for (int r = row; r < row + count; ++r)
        for (int j = 0; j < a.cols; ++j) a(r, j) *= count;
      row += count;
    }
    const Dense product = pb::testing_support::multiply(at, a);
    double error = 0;
    for (int i = 0; i < product.rows; ++i)
      for (int j = 0; j < product.cols; ++j) error = std::max(error, std::abs(product(i, j) - (i == j ? 1.0 : 0.0)));
    EXPECT_LE(error, 100 * eps);
  }
}

// Frequency k is in the pattern exactly when the data see the Fourier mode of k: A maps
// cos θ_k· or sin θ_k· to something non-zero (both vanish unless k or −k is sampled).
TEST(Fourier, SamplingPatternMarksTheFrequenciesTheDataSee) {
  for (const auto& [shape, d, use_lines] : std::vector<std::tuple<pb::ImageShape, PetscInt, bool>>{
           {small, 13, false}, {{6, 7}, 20, false}, {odd, 15, true}}) {
    SCOPED_TRACE(testing::Message() << shape.height << "x" << shape.width << " d " << d);
    const auto op = use_lines ? lines(shape, d) : variable_density(shape, d);
    const auto pattern = op->sampling_pattern();
    ASSERT_EQ(pattern.size(), static_cast<std::size_t>(shape.size()));
    for (std::int64_t k = 0; k < shape.size(); ++k) {
      std::vector<double> cosine(static_cast<std::size_t>(shape.size())), sine(cosine.size());
      for (std::int64_t j1 = 0; j1 < shape.height; ++j1) {
        for (std::int64_t j2 = 0; j2 < shape.width; ++j2) {
          const double angle = 2 * std::numbers::pi *
                               (static_cast<double>((k / shape.width) * j1 % shape.height) / shape.height +
                                static_cast<double>((k % shape.width) * j2 % shape.width) / shape.width);
          cosine[static_cast<std::size_t>(j1 * shape.width + j2)] = std::cos(angle);
          sine[static_cast<std::size_t>(j1 * shape.width + j2)] = std::sin(angle);
        }
      }
      const double seen = norm(apply(*op, Map::forward, cosine)) + norm(apply(*op, Map::forward, sine));
      EXPECT_EQ(pattern[static_cast<std::size_t>(k)], seen > 1e-9 ? 1.0 : 0.0) << "frequency " << k;
    }
  }
}

TEST(Inpaint, SamplingPatternIsTheTransposeAppliedToOnes) {
  const PetscInt n = small.size();
  const pb::InpaintOperator op(self, n, pb::InpaintOperator::random_mask(n, 17, 5));
  EXPECT_EQ(op.sampling_pattern(), apply(op, Map::transpose, std::vector<double>(17, 1.0)));
  EXPECT_EQ(pb::IdentityOperator(self, n).sampling_pattern(), std::vector<double>(static_cast<std::size_t>(n), 1.0));
  EXPECT_TRUE(pb::BlurOperator(self, small, 1.0).sampling_pattern().empty());
}

TEST(FourierMask, HalfPlaneConventions) {
  // 8x6: self-conjugate frequencies are (0,0), (0,3), (4,0), (4,3).
  std::set<std::int64_t> self_conjugate;
  std::int64_t half_plane = 0;
  for (std::int64_t k = 0; k < small.size(); ++k) {
    if (pb::fourier::is_self_conjugate(small, k)) self_conjugate.insert(k);
    EXPECT_EQ(pb::fourier::conjugate(small, pb::fourier::conjugate(small, k)), k);
    EXPECT_NE(pb::fourier::in_half_plane(small, k) && !pb::fourier::is_self_conjugate(small, k),
              pb::fourier::in_half_plane(small, pb::fourier::conjugate(small, k)));
    half_plane += pb::fourier::in_half_plane(small, k) ? 1 : 0;
  }
  EXPECT_EQ(self_conjugate, (std::set<std::int64_t>{0, 3, 24, 27}));
  EXPECT_EQ(half_plane, (48 + 4) / 2);
  EXPECT_EQ(pb::fourier::conjugate(small, 1 * 6 + 2), 7 * 6 + 4);
}

TEST(FourierMask, VariableDensityHitsEveryDataSizeExactly) {
  for (const auto shape : {small, odd, pb::ImageShape{8, 5}, pb::ImageShape{1, 9}}) {
    for (PetscInt d = 1; d <= shape.size(); ++d) {
      SCOPED_TRACE(testing::Message() << shape.height << "x" << shape.width << " d " << d);
      const auto mask = pb::fourier::variable_density_mask(shape, d, 0.08, 4);
      EXPECT_EQ(pb::fourier::data_rows(shape, mask), d);
      for (std::size_t i = 0; i < mask.size(); ++i) {
        EXPECT_TRUE(pb::fourier::in_half_plane(shape, mask[i]));
        if (i > 0) EXPECT_LT(mask[i - 1], mask[i]);
      }
      // DC is kept unless parity forbids it (odd x odd image, even d: DC is the only
      // one-row frequency).
      const bool dc_possible = shape.height % 2 == 0 || shape.width % 2 == 0 || d % 2 == 1;
      EXPECT_EQ(!mask.empty() && mask.front() == 0, dc_possible);
    }
  }
}

TEST(FourierMask, VariableDensitySamplesTheCentreFullyAndFavoursLowFrequencies) {
  const double fraction = 0.08;
  const double centre_radius = std::sqrt(fraction / std::numbers::pi);
  std::int64_t inner_hits = 0, inner_total = 0, outer_hits = 0, outer_total = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const auto mask = pb::fourier::variable_density_mask(large, 196, fraction, seed);
    const std::set<std::int64_t> chosen(mask.begin(), mask.end());
    for (std::int64_t k = 0; k < large.size(); ++k) {
      if (!pb::fourier::in_half_plane(large, k)) continue;
      const double radius = pb::fourier::normalized_radius(large, k);
      const bool hit = chosen.count(k) > 0;
      if (radius <= centre_radius) EXPECT_TRUE(hit) << "centre frequency " << k << " missing";
      if (radius > centre_radius && radius <= 0.25) inner_hits += hit, ++inner_total;
      if (radius > 0.45) outer_hits += hit, ++outer_total;
    }
  }
  EXPECT_GT(static_cast<double>(inner_hits) / inner_total, 3.0 * outer_hits / outer_total);
  EXPECT_EQ(pb::fourier::variable_density_mask(large, 196, fraction, 1),
            pb::fourier::variable_density_mask(large, 196, fraction, 1));
  EXPECT_NE(pb::fourier::variable_density_mask(large, 196, fraction, 1),
            pb::fourier::variable_density_mask(large, 196, fraction, 2));
}

TEST(FourierMask, LinesAreWholeAndHitEveryMultipleOfTheWidth) {
  for (const auto shape : {small, odd, large}) {
    // An odd number of rows needs an odd number of lines to keep the DC line.
    const PetscInt step = shape.height % 2 == 0 ? shape.width : 2 * shape.width;
    for (PetscInt d = shape.width; d <= shape.size(); d += step) {
      SCOPED_TRACE(testing::Message() << shape.height << "x" << shape.width << " d " << d);
      const auto mask = pb::fourier::lines_mask(shape, d, 0.1, 6);
      EXPECT_EQ(pb::fourier::data_rows(shape, mask), d);
      const std::set<std::int64_t> chosen(mask.begin(), mask.end());
      std::set<std::int64_t> rows;
      for (const std::int64_t k : mask) rows.insert(k / shape.width);
      EXPECT_TRUE(rows.count(0)) << "the DC line is always sampled";
      for (const std::int64_t k1 : rows)
        for (std::int64_t k2 = 0; k2 < shape.width; ++k2)
          if (pb::fourier::in_half_plane(shape, k1 * shape.width + k2))
            EXPECT_TRUE(chosen.count(k1 * shape.width + k2)) << "line " << k1 << " is incomplete";
    }
  }
  // Centre band 0.25 of 8 lines: |k1| ≤ 1, i.e. line 0 and the pair {1, 7}: 3 lines.
  const auto centre = pb::fourier::lines_mask(small, 18, 0.25, 6);
  std::set<std::int64_t> rows;
  for (const std::int64_t k : centre) rows.insert(k / small.width);
  EXPECT_EQ(rows, (std::set<std::int64_t>{0, 1}));
  EXPECT_NE(pb::fourier::lines_mask(large, 280, 0.1, 1), pb::fourier::lines_mask(large, 280, 0.1, 2));
}

TEST(Gaussian, EntriesAreTheSeededNormalsOverSqrtD) {
  const PetscInt n = 48;
  const PetscInt d = 7;
  const pb::GaussianOperator op(self, n, d, 12);
  const Dense a = pb::testing_support::dense_of(op);
  const pb::CounterRandom random(12, 0, pb::Purpose::gaussian_matrix);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < n; ++j)
      EXPECT_EQ(a(i, j), random.normal(static_cast<std::uint64_t>(i * n + j)) / std::sqrt(7.0));
}

TEST(Matrix, CanonicalizesUnsortedAndRepeatedEntries) {
  pb::CsrMatrix csr;
  csr.rows = 2;
  csr.cols = 4;
  csr.indptr = {0, 3, 4};
  csr.indices = {2, 0, 2, 1};
  csr.data = {1.5, -1.0, 2.0, 3.0};
  const pb::MatrixOperator op(self, csr);
  const Dense a = pb::testing_support::dense_of(op);
  EXPECT_EQ(a.values, (std::vector<double>{-1.0, 0, 3.5, 0, 0, 3.0, 0, 0}));
  EXPECT_EQ(dense_of_map(op, Map::squared).values, (std::vector<double>{1.0, 0, 12.25, 0, 0, 9.0, 0, 0}));
  EXPECT_EQ(op.csr().indices, (std::vector<std::int64_t>{0, 2, 1}));
  EXPECT_TRUE(op.gram_is_diagonal(false));
  csr.indices[3] = 0;  // column 0 now in both rows
  EXPECT_FALSE(pb::MatrixOperator(self, csr).gram_is_diagonal(true));
}

// ================================================================ factory, save and load

TEST(Factory, BuildsEveryOperatorWithItsDefaults) {
  for (const auto& name : pb::operator_names()) {
    if (name == "matrix") continue;
    pb::OperatorSpec spec;
    spec.name = name;
    const auto op = pb::make_operator(self, large, spec);
    EXPECT_EQ(op->name(), name);
    EXPECT_EQ(op->cols(), 784);
  }
  pb::OperatorSpec spec;
  spec.name = "inpaint";
  EXPECT_EQ(pb::make_operator(self, large, spec)->rows(), 392);
  spec.name = "gaussian";
  EXPECT_EQ(pb::make_operator(self, large, spec)->rows(), 196);
  spec.name = "fourier";
  EXPECT_EQ(pb::make_operator(self, large, spec)->rows(), 196);
  spec.fourier_mask = "lines";
  EXPECT_EQ(pb::make_operator(self, large, spec)->rows(), 196);
  spec.data_size = 84;
  EXPECT_EQ(pb::make_operator(self, large, spec)->rows(), 84);
  spec.name = "inpaint";
  spec.seed = 4;
  const auto inpaint = pb::make_operator(self, large, spec);
  EXPECT_EQ(dynamic_cast<const pb::InpaintOperator&>(*inpaint).observed(),
            pb::InpaintOperator::random_mask(784, 84, 4));
}

TEST(Factory, SaveThenLoadRebuildsTheSameOperator) {
  const auto path = temporary_path("roundtrip");
  const auto csr_path = temporary_path("roundtrip_csr");
  {
    auto file = pb::h5::create_file(csr_path, true);
    pb::write_csr(file, random_csr(30, small.size(), 3, 5));
  }
  std::vector<pb::OperatorSpec> specs;
  for (const auto& name : pb::operator_names()) {
    pb::OperatorSpec spec;
    spec.name = name;
    spec.seed = 17;
    spec.blur_width = 1.3;
    spec.matrix_file = csr_path;
    specs.push_back(spec);
  }
  specs.push_back(specs[3]);
  specs.back().fourier_mask = "lines";
  specs.back().data_size = 30;
  {
    auto file = pb::h5::create_file(path, true);
    for (std::size_t i = 0; i < specs.size(); ++i) {
      auto group = pb::h5::create_group(file, "operator" + std::to_string(i));
      pb::make_operator(self, small, specs[i])->save(group);
    }
  }
  auto file = pb::h5::open_file(path);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    SCOPED_TRACE(specs[i].name);
    const auto original = pb::make_operator(self, small, specs[i]);
    const auto group = pb::h5::open_group(file, "operator" + std::to_string(i));
    const auto loaded = pb::load_operator(self, small, group);
    EXPECT_EQ(loaded->name(), original->name());
    EXPECT_EQ(loaded->rows(), original->rows());
    EXPECT_EQ(loaded->gram_is_diagonal(false), original->gram_is_diagonal(false));
    EXPECT_EQ(pb::testing_support::dense_of(*loaded).values, pb::testing_support::dense_of(*original).values);
    EXPECT_EQ(dense_of_map(*loaded, Map::squared).values, dense_of_map(*original, Map::squared).values);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(csr_path);
}

// ================================================================ errors

TEST(Errors, FactoryNamesTheOptionAndValue) {
  const auto make = [](pb::OperatorSpec spec, pb::ImageShape shape = large) {
    return [=] { pb::make_operator(self, shape, spec); };
  };
  pb::OperatorSpec spec;
  spec.name = "deblur";
  expect_error(make(spec),
               "--operator 'deblur' is unknown; valid operators: identity, inpaint, blur, fourier, gaussian, matrix");
  spec.name = "inpaint";
  spec.data_size = 900;
  expect_error(make(spec), "--data-size 900 exceeds the number of pixels 784 for operator inpaint");
  spec.data_size = -3;
  expect_error(make(spec), "--data-size -3 must be positive");
  spec.name = "fourier";
  spec.data_size = 785;
  expect_error(make(spec), "--data-size 785 exceeds the number of pixels 784 for operator fourier");
  spec.data_size = 100;
  spec.fourier_mask = "lines";
  expect_error(make(spec),
               "--data-size 100 is not a whole number of k-space lines for --fourier-mask lines on a "
               "28x28 image: use a multiple of 28 (such as 84 or 112)");
  expect_error(make(spec, {27, 28}),
               "--data-size 100 is not a whole number of k-space lines for --fourier-mask lines "
               "on a 27x28 image: use a multiple of 28 by an odd number (such as 84 or 140)");
  spec.data_size = 112;
  expect_error(make(spec, {27, 28}),
               "--data-size 112 makes 4 k-space lines, but on an image with an odd number of "
               "rows (27x28) an even number of lines leaves out the DC line: use an odd multiple "
               "of 28 (such as 84 or 140)");
  spec.fourier_mask = "spiral";
  expect_error(make(spec), "--fourier-mask 'spiral' is not one of: variable-density, lines");
  spec.fourier_mask = "variable-density";
  spec.fourier_center_fraction = 1.5;
  expect_error(make(spec), "--fourier-center-fraction 1.5 must lie in [0, 1]");
  spec = {};
  spec.name = "identity";
  spec.data_size = 100;
  expect_error(make(spec),
               "--data-size 100 does not apply to operator identity, whose data size is the number of "
               "pixels 784");
  spec.name = "blur";
  expect_error(make(spec), "--data-size 100 does not apply to operator blur");
  spec.data_size = 0;
  for (const double width : {0.0, -1.0, std::nan("")}) {
    spec.blur_width = width;
    expect_error(make(spec), "--blur-width");
  }
  spec = {};
  spec.name = "gaussian";
  expect_error(make(spec, {0, 28}), "image shape 0x28 must be positive");
  spec.name = "matrix";
  expect_error(make(spec), "operator matrix needs --matrix-file");
  spec.matrix_file = "/nonexistent/matrix.h5";
  expect_error(make(spec), "--matrix-file /nonexistent/matrix.h5 does not exist");
}

TEST(Errors, MatrixFilesAreValidatedNamingFileAndDataset) {
  const auto path = temporary_path("bad_csr");
  const auto write_and_load = [&](const pb::CsrMatrix& csr, const std::string& skip = "") {
    return [=] {
      {
        auto file = pb::h5::create_file(path, true);
        if (skip != "shape") pb::h5::write(file, "shape", std::vector<std::int64_t>{csr.rows, csr.cols});
        if (skip != "indptr") pb::h5::write(file, "indptr", csr.indptr);
        if (skip != "indices") pb::h5::write(file, "indices", csr.indices);
        if (skip != "data") pb::h5::write(file, "data", csr.data);
      }
      pb::OperatorSpec spec;
      spec.name = "matrix";
      spec.matrix_file = path;
      pb::make_operator(self, large, spec);
    };
  };
  const pb::CsrMatrix good = random_csr(10, 784, 3, 9);
  auto bad = good;
  bad.indices[4] = 900;
  expect_error(write_and_load(bad), path + ":/indices: column index 900 out of range [0, 784)");
  bad = good;
  bad.indices[2] = -1;
  expect_error(write_and_load(bad), path + ":/indices: column index -1 out of range [0, 784)");
  bad = good;
  std::swap(bad.indptr[3], bad.indptr[4]);
  expect_error(write_and_load(bad), path + ":/indptr: decreases at row 3");
  bad = good;
  bad.indptr.pop_back();
  expect_error(write_and_load(bad), path + ":/indptr: has 10 entries, but a matrix of 10 rows needs 11");
  bad = good;
  bad.indptr.front() = 1;
  expect_error(write_and_load(bad), path + ":/indptr: must start at 0");
  bad = good;
  bad.indices.pop_back();
  bad.data.pop_back();
  expect_error(write_and_load(bad), path + ":/indptr: ends at 30 but " + path + ":/indices has 29 entries");
  bad = good;
  bad.data.pop_back();
  expect_error(write_and_load(bad), path + ":/data: has 29 entries but " + path + ":/indices has 30");
  bad = good;
  bad.data[7] = std::nan("");
  expect_error(write_and_load(bad), path + ":/data: entry 7 is not finite");
  bad = good;
  bad.cols = 100;
  for (auto& index : bad.indices) index %= 100;
  expect_error(write_and_load(bad), path + ":/shape: the matrix has 100 columns but the image has 784 pixels");
  expect_error(write_and_load(good, "indices"), path + ":/indices does not exist");
  expect_error(write_and_load(good, "shape"), path + ":/shape does not exist");
  {
    auto file = pb::h5::create_file(path, true);
    pb::h5::write(file, "shape", std::vector<std::int64_t>{10, 784, 1});
  }
  expect_error([&] { pb::read_csr_file(path); }, path + ":/shape: must hold the 2 values [rows, cols], holds 3");
  {
    auto file = pb::h5::create_file(path, true);
    pb::write_csr(file, good);
  }
  pb::OperatorSpec spec;
  spec.name = "matrix";
  spec.matrix_file = path;
  spec.data_size = 5;
  expect_error([&] { pb::make_operator(self, large, spec); },
               "--data-size 5 does not apply to operator matrix, whose data size is the row count of the matrix in "
               "--matrix-file 10");
  spec.data_size = 10;
  EXPECT_EQ(pb::make_operator(self, large, spec)->rows(), 10);
  std::filesystem::remove(path);
}

TEST(Errors, ConstructorsRejectInconsistentDefinitions) {
  expect_error([] { pb::InpaintOperator(self, 10, {}); }, "inpaint: no observed pixels");
  expect_error([] { pb::InpaintOperator(self, 10, {1, 10}); }, "inpaint: observed pixel 10 out of range [0, 10)");
  expect_error([] { pb::InpaintOperator(self, 10, {3, 2}); }, "must be sorted and distinct, but 2 follows 3");
  expect_error([] { pb::InpaintOperator(self, 10, {2, 2}); }, "must be sorted and distinct, but 2 follows 2");
  expect_error([] { pb::InpaintOperator::random_mask(10, 11, 1); }, "inpaint: the data size 11 must lie in [1, 10]");
  expect_error([] { pb::BlurOperator(self, small, 0.0); }, "blur: width 0 must be a positive number of pixels");
  expect_error([] { pb::BlurOperator(self, small, 1e7); }, "blur: width 10000000 pixels is too large");
  expect_error([] { pb::FourierOperator(self, small, {}); }, "fourier: no sampled frequencies");
  expect_error([] { pb::FourierOperator(self, small, {0, 48}); }, "fourier: frequency index 48 out of range [0, 48)");
  expect_error([] { pb::FourierOperator(self, small, {2, 1}); }, "sorted and distinct, but 1 follows 2");
  expect_error(
      [] {
        pb::FourierOperator(self, small, {0, 5});
      },
      "fourier: frequency (0, 5) is not in the sampled half-plane; sample its conjugate (0, 1) instead");
  expect_error([] { pb::fourier::variable_density_mask(small, 49, 0.1, 1); }, "data size 49 must lie in [1, 48]");
  expect_error([] { pb::fourier::variable_density_mask(small, 4, -0.5, 1); },
               "centre fraction -0.5 must lie in [0, 1]");
  expect_error([] { pb::fourier::lines_mask(small, 10, 0.1, 1); }, "data size 10 is not a whole number of k-space");
  expect_error([] { pb::fourier::lines_mask(odd, 10, 0.1, 1); },
               "fourier lines mask: 2 lines on an image with an odd number of rows (7) would leave out the DC line");
  expect_error([] { pb::GaussianOperator(self, 10, 0, 1); }, "gaussian: the matrix needs positive dimensions");
}

TEST(Errors, LoadChecksTheSavedOperatorFitsTheImage) {
  const auto path = temporary_path("load_errors");
  {
    auto file = pb::h5::create_file(path, true);
    auto blur = pb::h5::create_group(file, "blur");
    pb::BlurOperator(self, small, 1.0).save(blur);
    auto flipped = pb::h5::create_group(file, "flipped");
    pb::FourierOperator(self, {6, 8}, {0, 1}).save(flipped);
    auto unknown = pb::h5::create_group(file, "unknown");
    pb::IdentityOperator(self, 48).save(unknown);
    pb::h5::write_attribute(unknown, "name", "deconvolve");
    pb::h5::create_group(file, "empty");
  }
  auto file = pb::h5::open_file(path);
  expect_error([&] { pb::load_operator(self, large, pb::h5::open_group(file, "blur")); },
               path + ":/blur/cols: operator 'blur' was saved for 48 pixels but the image has 784 (28x28)");
  expect_error([&] { pb::load_operator(self, small, pb::h5::open_group(file, "flipped")); },
               path + ":/flipped/image_height: fourier was saved for a 6x8 image, not 8x6");
  expect_error([&] { pb::load_operator(self, small, pb::h5::open_group(file, "unknown")); },
               path + ":/unknown/name: unknown operator 'deconvolve'");
  expect_error([&] { pb::load_operator(self, small, pb::h5::open_group(file, "empty")); },
               path + ":/empty/name: missing; the group holds no saved operator");
  std::filesystem::remove(path);
}
