#pragma once
// Quality of a generator's samples that needs no download (no Inception network):
//
// - Nearest-training-neighbour distance: for each sample, min over the training images of
//   ‖x − x_train‖ / √n (a root-mean-square pixel difference). A generator that memorizes
//   puts its samples at distance ≈ 0; one that generalizes puts them about as far from the
//   training set as held-out test images are, so both are reported side by side.
// - Precision and recall of the k-NN manifold estimate (Kynkäänniemi et al. 2019): each
//   set is estimated as the union of balls around its points, each with the radius of the
//   distance to its k-th nearest neighbour within the set. Precision = the fraction of
//   generated points inside the real manifold (samples look real); recall = the fraction
//   of real points inside the generated manifold (the generator covers the data). Computed
//   on feature vectors (here the encoder means of a VAE), so the distances are those of a
//   learned, low-dimensional representation rather than of pixels.
//
// Points are the columns of a DenseMatrix (dimension × count); all distances Euclidean,
// from ‖a‖² + ‖b‖² − 2 aᵀb with one DGEMM per block of queries.

#include <cstddef>
#include <vector>

#include "core/dense.hpp"

namespace priorbench {

// For each column of `queries`, the distance to the nearest column of `references`.
std::vector<double> nearest_distances(const DenseMatrix& queries, const DenseMatrix& references);

// For each column of `points`, the distance to its k-th nearest other column (k ≥ 1;
// needs more than k columns).
std::vector<double> kth_neighbour_radii(const DenseMatrix& points, std::size_t k);

// The fraction of columns of `queries` within radii[j] of some column j of `centres`
// (distance ≤ radius).
double fraction_covered(const DenseMatrix& queries, const DenseMatrix& centres, const std::vector<double>& radii);

struct PrecisionRecall {
  double precision = 0;  // generated points inside the real manifold
  double recall = 0;     // real points inside the generated manifold
  std::size_t k = 0;
  std::size_t real = 0, generated = 0;  // points in each set
};

// Kynkäänniemi et al. (2019), with k-th neighbour radii within each set.
PrecisionRecall manifold_precision_recall(const DenseMatrix& real, const DenseMatrix& generated, std::size_t k);

}  // namespace priorbench
