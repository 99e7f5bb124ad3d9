#include "diagnostics/sample_quality.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace priorbench {
namespace {

// Queries go through in blocks, so a block's distance matrix (references × block) stays
// at a few tens of MB for 60,000 references.
constexpr std::size_t kBlock = 64;

std::vector<double> squared_norms(const DenseMatrix& points) {
  std::vector<double> norms(points.cols());
  for (std::size_t j = 0; j < points.cols(); ++j) {
    double sum = 0;
    for (const double value : points.column(j)) sum += value * value;
    norms[j] = sum;
  }
  return norms;
}

DenseMatrix columns(const DenseMatrix& points, std::size_t first, std::size_t count) {
  DenseMatrix block(points.rows(), count);
  std::copy_n(points.data() + first * points.rows(), count * points.rows(), block.data());
  return block;
}

// Calls visit(query index, squared distances to every reference) for each query.
template <class Visit>
void for_each_distance_row(const DenseMatrix& queries, const DenseMatrix& references, Visit&& visit) {
  PB_REQUIRE(queries.rows() == references.rows(), "sample quality: points of dimension ", queries.rows(), " and ",
             references.rows());
  const auto reference_norms = squared_norms(references);
  const std::size_t r = references.cols();
  std::vector<double> row(r);
  for (std::size_t first = 0; first < queries.cols(); first += kBlock) {
    const std::size_t count = std::min(kBlock, queries.cols() - first);
    const DenseMatrix block = columns(queries, first, count);
    const auto block_norms = squared_norms(block);
    DenseMatrix products(r, count);  // referencesᵀ block
    gemm(true, false, 1.0, references, block, 0.0, products);
    for (std::size_t q = 0; q < count; ++q) {
      for (std::size_t j = 0; j < r; ++j) {
        row[j] = std::max(0.0, reference_norms[j] + block_norms[q] - 2 * products(j, q));
      }
      visit(first + q, row);
    }
  }
}

}  // namespace

std::vector<double> nearest_distances(const DenseMatrix& queries, const DenseMatrix& references) {
  PB_REQUIRE(references.cols() > 0, "sample quality: no reference points");
  std::vector<double> nearest(queries.cols());
  for_each_distance_row(queries, references, [&](std::size_t q, const std::vector<double>& row) {
    nearest[q] = std::sqrt(*std::min_element(row.begin(), row.end()));
  });
  return nearest;
}

std::vector<double> kth_neighbour_radii(const DenseMatrix& points, std::size_t k) {
  PB_REQUIRE(k >= 1 && points.cols() > k,
             "sample quality: the k-th neighbour needs k >= 1 and more than k points, got k = ", k, " and ",
             points.cols(), " points");
  std::vector<double> radii(points.cols()), others;
  for_each_distance_row(points, points, [&](std::size_t q, const std::vector<double>& row) {
    others = row;
    others.erase(others.begin() + static_cast<std::ptrdiff_t>(q));  // the point itself
    std::nth_element(others.begin(), others.begin() + static_cast<std::ptrdiff_t>(k - 1), others.end());
    radii[q] = std::sqrt(others[k - 1]);
  });
  return radii;
}

double fraction_covered(const DenseMatrix& queries, const DenseMatrix& centres, const std::vector<double>& radii) {
  PB_REQUIRE(radii.size() == centres.cols(), "sample quality: ", radii.size(), " radii for ", centres.cols(),
             " centres");
  PB_REQUIRE(queries.cols() > 0, "sample quality: no query points");
  std::size_t covered = 0;
  for_each_distance_row(queries, centres, [&](std::size_t, const std::vector<double>& row) {
    for (std::size_t j = 0; j < row.size(); ++j) {
      if (row[j] <= radii[j] * radii[j]) {
        ++covered;
        return;
      }
    }
  });
  return static_cast<double>(covered) / static_cast<double>(queries.cols());
}

PrecisionRecall manifold_precision_recall(const DenseMatrix& real, const DenseMatrix& generated, std::size_t k) {
  PrecisionRecall result;
  result.k = k;
  result.real = real.cols();
  result.generated = generated.cols();
  result.precision = fraction_covered(generated, real, kth_neighbour_radii(real, k));
  result.recall = fraction_covered(real, generated, kth_neighbour_radii(generated, k));
  return result;
}

}  // namespace priorbench
