#include "priors/variable_space_priors.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"

namespace priorbench {
namespace {

void check_training(const TrainingImages& training) {
  PB_REQUIRE(training.count >= 2, "an empirical prior needs at least 2 training images, got ", training.count);
  PB_REQUIRE(training.pixels.size() == training.count * training.pixels_per_image, "training set holds ",
             training.pixels.size(), " values, expected ", training.count, " x ", training.pixels_per_image);
}

std::vector<double> pixel_means(const TrainingImages& training) {
  const std::size_t n = training.pixels_per_image;
  std::vector<double> mean(n, 0.0);
  for (std::size_t image = 0; image < training.count; ++image) {
    const double* row = training.pixels.data() + image * n;
    for (std::size_t j = 0; j < n; ++j) mean[j] += row[j];
  }
  for (double& value : mean) value /= static_cast<double>(training.count);
  return mean;
}

// Calls `visit(centred)` with consecutive blocks of centred images (rows), so the whole
// centred data matrix Xc is never held at once. A block holds at most 2048 images and at
// most 64 MiB: 2048 images of 256² pixels would be 1 GiB.
template <class Visit>
void for_each_centred_block(const TrainingImages& training, const std::vector<double>& mean, Visit&& visit) {
  const std::size_t n = training.pixels_per_image;
  const std::size_t block = std::clamp<std::size_t>((64u << 20) / (n * sizeof(double)), 1, 2048);
  for (std::size_t first = 0; first < training.count; first += block) {
    const std::size_t rows = std::min(block, training.count - first);
    DenseMatrix centred(rows, n);
    for (std::size_t r = 0; r < rows; ++r) {
      const double* image = training.pixels.data() + (first + r) * n;
      for (std::size_t j = 0; j < n; ++j) centred(r, j) = image[j] - mean[j];
    }
    visit(centred);
  }
}

// S = Xcᵀ Xc / (count − 1).
DenseMatrix sample_covariance(const TrainingImages& training, const std::vector<double>& mean) {
  const std::size_t n = training.pixels_per_image;
  DenseMatrix covariance(n, n);
  for_each_centred_block(
      training, mean, [&](const DenseMatrix& centred) { gemm(true, false, 1.0, centred, centred, 1.0, covariance); });
  for (double& value : covariance.values()) value /= static_cast<double>(training.count - 1);
  return covariance;
}

// Leading `k` eigenpairs of S without forming it: randomized subspace iteration on the
// centred data (Halko, Martinsson & Tropp 2011, Alg. 4.4), then a Rayleigh–Ritz step.
// Also returns trace(S) so the discarded variance is known exactly.
SymmetricEigen leading_components(const TrainingImages& training, const std::vector<double>& mean, std::size_t k,
                                  double& trace) {
  const std::size_t n = training.pixels_per_image;
  const std::size_t width = std::min(n, k + 10);
  auto apply_covariance = [&](const DenseMatrix& q) {  // S Q = Xcᵀ (Xc Q) / (count − 1)
    DenseMatrix product(n, q.cols());
    for_each_centred_block(training, mean, [&](const DenseMatrix& centred) {
      DenseMatrix projected(centred.rows(), q.cols());
      gemm(false, false, 1.0, centred, q, 0.0, projected);
      gemm(true, false, 1.0, centred, projected, 1.0, product);
    });
    for (double& value : product.values()) value /= static_cast<double>(training.count - 1);
    return product;
  };
  auto orthonormalize = [](DenseMatrix& q) {  // modified Gram–Schmidt, twice for stability
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t j = 0; j < q.cols(); ++j) {
        auto column = q.column(j);
        for (std::size_t i = 0; i < j; ++i) {
          const auto previous = q.column(i);
          const double projection = std::inner_product(previous.begin(), previous.end(), column.begin(), 0.0);
          for (std::size_t r = 0; r < column.size(); ++r) column[r] -= projection * previous[r];
        }
        const double norm = std::sqrt(std::inner_product(column.begin(), column.end(), column.begin(), 0.0));
        for (double& value : column) value = norm > 0 ? value / norm : 0.0;
      }
    }
  };
  DenseMatrix q(n, width);
  const CounterRandom random(0, 0, Purpose::randomized_pca);
  random.fill_normal(q.values(), 0);
  orthonormalize(q);
  for (int iteration = 0; iteration < 6; ++iteration) {
    q = apply_covariance(q);
    orthonormalize(q);
  }
  const DenseMatrix sq = apply_covariance(q);
  DenseMatrix small(width, width);
  gemm(true, false, 1.0, q, sq, 0.0, small);
  auto eigen = symmetric_eigen(small);
  DenseMatrix vectors(n, width);
  gemm(false, false, 1.0, q, eigen.vectors, 0.0, vectors);
  eigen.vectors = std::move(vectors);
  trace = 0;
  for (std::size_t image = 0; image < training.count; ++image) {
    const double* row = training.pixels.data() + image * n;
    for (std::size_t j = 0; j < n; ++j) trace += (row[j] - mean[j]) * (row[j] - mean[j]);
  }
  trace /= static_cast<double>(training.count - 1);
  return eigen;
}

}  // namespace

double mean_squared_pixel(const TrainingImages& training) {
  PB_REQUIRE(!training.pixels.empty(), "cannot estimate tau^2 from an empty training set");
  const double sum = std::inner_product(training.pixels.begin(), training.pixels.end(), training.pixels.begin(), 0.0);
  return sum / static_cast<double>(training.pixels.size());
}

std::shared_ptr<DiagonalPlusLowRankPrior> make_white_prior(MPI_Comm comm, PetscInt n, double tau2) {
  PB_REQUIRE(tau2 > 0 && std::isfinite(tau2), "white prior: tau^2 must be positive and finite, got ", tau2);
  auto mean = petsc::make_vector(comm, n);
  auto diagonal = petsc::make_vector(comm, n);
  PB_PETSC(VecSet(diagonal, tau2));
  auto prior = std::make_shared<DiagonalPlusLowRankPrior>("white", std::move(mean), std::move(diagonal), DenseMatrix());
  prior->parameters()["tau2"] = tau2;
  return prior;
}

std::shared_ptr<DiagonalPlusLowRankPrior> make_empirical_prior(MPI_Comm comm, const TrainingImages& training,
                                                               const EmpiricalPriorOptions& options) {
  check_training(training);
  PB_REQUIRE(options.delta > 0, "empirical prior: delta must be positive, got ", options.delta);
  const std::size_t n = training.pixels_per_image;
  const bool keep_all = options.rank == 0 || options.rank >= n;
  PB_REQUIRE(keep_all ? n <= options.full_covariance_limit : true, "empirical prior: keeping all components of a ", n,
             "-pixel covariance needs an n x n matrix; set a rank k (e.g. 64)");
  const std::vector<double> mean = pixel_means(training);

  std::vector<double> eigenvalues;
  DenseMatrix eigenvectors;
  double discarded_variance = 0;  // s² of probabilistic PCA
  if (n <= options.full_covariance_limit && (keep_all || n <= options.exact_rank_limit)) {
    auto eigen = symmetric_eigen(sample_covariance(training, mean));  // ascending
    const std::size_t keep = keep_all ? n : options.rank;
    const std::size_t first_kept = n - keep;
    if (!keep_all) {
      discarded_variance = std::accumulate(eigen.values.begin(), eigen.values.begin() + first_kept, 0.0) /
                           static_cast<double>(first_kept);
    }
    eigenvalues.assign(eigen.values.begin() + first_kept, eigen.values.end());
    eigenvectors = DenseMatrix(n, keep);
    for (std::size_t j = 0; j < keep; ++j) {
      std::copy(eigen.vectors.column(first_kept + j).begin(), eigen.vectors.column(first_kept + j).end(),
                eigenvectors.column(j).begin());
    }
  } else {
    double trace = 0;
    auto eigen = leading_components(training, mean, options.rank, trace);
    const std::size_t first_kept = eigen.values.size() - options.rank;
    eigenvalues.assign(eigen.values.begin() + first_kept, eigen.values.end());
    const double kept_variance = std::accumulate(eigenvalues.begin(), eigenvalues.end(), 0.0);
    discarded_variance = std::max(0.0, trace - kept_variance) / static_cast<double>(n - options.rank);
    eigenvectors = DenseMatrix(n, options.rank);
    for (std::size_t j = 0; j < options.rank; ++j) {
      std::copy(eigen.vectors.column(first_kept + j).begin(), eigen.vectors.column(first_kept + j).end(),
                eigenvectors.column(j).begin());
    }
  }

  // W = V (Λ − s²)^{1/2}; components with no variance left are dropped (they add nothing).
  const double largest = eigenvalues.empty() ? 0.0 : eigenvalues.back();
  std::vector<std::size_t> kept;
  for (std::size_t j = 0; j < eigenvalues.size(); ++j) {
    if (eigenvalues[j] - discarded_variance > 1e-12 * largest) kept.push_back(j);
  }
  auto mean_vector = petsc::make_vector(comm, static_cast<PetscInt>(n));
  petsc::set_from_global(mean_vector, mean);
  auto diagonal = petsc::make_vector(comm, static_cast<PetscInt>(n));
  const double delta2 = options.delta * options.delta;
  PB_PETSC(VecSet(diagonal, delta2 + discarded_variance));
  const auto [begin, end] = petsc::ownership(mean_vector);
  DenseMatrix factor(static_cast<std::size_t>(end - begin), kept.size());
  for (std::size_t c = 0; c < kept.size(); ++c) {
    const double scale = std::sqrt(eigenvalues[kept[c]] - discarded_variance);
    for (PetscInt i = begin; i < end; ++i) {
      factor(static_cast<std::size_t>(i - begin), c) = scale * eigenvectors(static_cast<std::size_t>(i), kept[c]);
    }
  }
  auto prior = std::make_shared<DiagonalPlusLowRankPrior>("empirical", std::move(mean_vector), std::move(diagonal),
                                                          std::move(factor));
  prior->parameters()["delta2"] = delta2;
  prior->parameters()["ppca_discarded_variance"] = discarded_variance;
  prior->parameters()["training_images"] = static_cast<double>(training.count);
  prior->parameters()["components_requested"] = static_cast<double>(keep_all ? n : options.rank);
  return prior;
}

}  // namespace priorbench
