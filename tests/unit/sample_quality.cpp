// diagnostics/sample_quality.hpp against hand-computed cases on a line (embedded in 3-D and
// rotated, so the DGEMM route sees every coordinate) and against brute-force distances for
// random points across several query blocks.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/random.hpp"
#include "diagnostics/sample_quality.hpp"

namespace pb = priorbench;

namespace {

// Points t_i on the line through the origin along (2, −1, 2)/3.
pb::DenseMatrix on_a_line(const std::vector<double>& t) {
  pb::DenseMatrix points(3, t.size());
  for (std::size_t j = 0; j < t.size(); ++j) {
    points(0, j) = 2 * t[j] / 3;
    points(1, j) = -t[j] / 3;
    points(2, j) = 2 * t[j] / 3;
  }
  return points;
}

}  // namespace

TEST(SampleQuality, HandComputedCasesOnALine) {
  const auto real = on_a_line({0, 1, 2, 3, 4});
  const auto generated = on_a_line({0.5, 10});
  const auto nearest = pb::nearest_distances(generated, real);
  EXPECT_NEAR(nearest[0], 0.5, 1e-12);
  EXPECT_NEAR(nearest[1], 6.0, 1e-12);

  const auto first = pb::kth_neighbour_radii(real, 1);
  for (const double r : first) EXPECT_NEAR(r, 1.0, 1e-12);
  const auto second = pb::kth_neighbour_radii(real, 2);
  EXPECT_NEAR(second[0], 2.0, 1e-12);  // neighbours at 1, 2
  EXPECT_NEAR(second[2], 1.0, 1e-12);  // neighbours at 1, 1
  EXPECT_NEAR(second[4], 2.0, 1e-12);

  // k = 1: real balls of radius 1 hold 0.5 but not 10; the two generated balls of radius 9.5
  // hold every real point.
  const auto pr = pb::manifold_precision_recall(real, generated, 1);
  EXPECT_EQ(pr.precision, 0.5);
  EXPECT_EQ(pr.recall, 1.0);
  EXPECT_EQ(pr.real, 5u);
  EXPECT_EQ(pr.generated, 2u);
  // Identical sets cover each other completely.
  const auto same = pb::manifold_precision_recall(real, real, 1);
  EXPECT_EQ(same.precision, 1.0);
  EXPECT_EQ(same.recall, 1.0);
}

TEST(SampleQuality, MatchesBruteForceAcrossBlocks) {
  const std::size_t dimension = 7, queries = 150, references = 90;
  std::vector<double> values(dimension * (queries + references));
  pb::CounterRandom(3, 0, pb::Purpose::test_values).fill_normal(values, 0);
  pb::DenseMatrix q(dimension, queries), r(dimension, references);
  std::copy_n(values.begin(), dimension * queries, q.data());
  std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(dimension * queries), dimension * references, r.data());
  const auto distance = [&](const pb::DenseMatrix& a, std::size_t i, const pb::DenseMatrix& b, std::size_t j) {
    double sum = 0;
    for (std::size_t k = 0; k < dimension; ++k) sum += (a(k, i) - b(k, j)) * (a(k, i) - b(k, j));
    return std::sqrt(sum);
  };
  const auto nearest = pb::nearest_distances(q, r);
  const auto radii = pb::kth_neighbour_radii(r, 3);
  std::size_t covered = 0;
  for (std::size_t i = 0; i < queries; ++i) {
    double best = INFINITY;
    bool inside = false;
    for (std::size_t j = 0; j < references; ++j) {
      best = std::min(best, distance(q, i, r, j));
      inside = inside || distance(q, i, r, j) <= radii[j];
    }
    EXPECT_NEAR(nearest[i], best, 1e-12 * best);
    covered += inside ? 1 : 0;
  }
  for (std::size_t j = 0; j < references; ++j) {
    std::vector<double> others;
    for (std::size_t l = 0; l < references; ++l) {
      if (l != j) others.push_back(distance(r, j, r, l));
    }
    std::sort(others.begin(), others.end());
    EXPECT_NEAR(radii[j], others[2], 1e-12 * others[2]);
  }
  EXPECT_DOUBLE_EQ(pb::fraction_covered(q, r, radii), static_cast<double>(covered) / queries);
  EXPECT_GT(covered, 0u);
  EXPECT_LT(covered, queries);
}
