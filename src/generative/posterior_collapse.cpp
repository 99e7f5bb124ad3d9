#include "generative/posterior_collapse.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numeric>
#include <sstream>

#include "core/dense.hpp"
#include "core/error.hpp"
#include "core/hdf5.hpp"

namespace priorbench {
namespace {

// Partial sums of one rank, laid out flat for MPI_Allgather:
// [count, mean(m), m2(m), kl(m), variance(m), jacobian_count, column_norms(m)].
struct Partial {
  std::size_t m;
  std::vector<double> values;
  explicit Partial(std::size_t latent_dimension) : m(latent_dimension), values(2 + 5 * latent_dimension, 0.0) {}
  double& count() { return values[0]; }
  std::span<double> mean() { return {values.data() + 1, m}; }
  std::span<double> m2() { return {values.data() + 1 + m, m}; }
  std::span<double> kl() { return {values.data() + 1 + 2 * m, m}; }
  std::span<double> variance() { return {values.data() + 1 + 3 * m, m}; }
  double& jacobian_count() { return values[1 + 4 * m]; }
  std::span<double> column_norms() { return {values.data() + 2 + 4 * m, m}; }
};

// [begin, end) of rank `rank`'s block of `count` items.
std::pair<std::size_t, std::size_t> block(std::size_t count, int rank, int size) {
  const auto r = static_cast<std::size_t>(rank), p = static_cast<std::size_t>(size);
  return {count * r / p, count * (r + 1) / p};
}

// Folds `other` into `total` (Chan, Golub & LeVeque's pairwise update for the variance).
void combine(Partial& total, Partial& other) {
  const double na = total.count(), nb = other.count(), n = na + nb;
  if (nb > 0) {
    for (std::size_t j = 0; j < total.m; ++j) {
      const double delta = other.mean()[j] - total.mean()[j];
      total.mean()[j] += delta * nb / n;
      total.m2()[j] += other.m2()[j] + delta * delta * na * nb / n;
      total.kl()[j] += other.kl()[j];
      total.variance()[j] += other.variance()[j];
    }
    total.count() = n;
  }
  for (std::size_t j = 0; j < total.m; ++j) total.column_norms()[j] += other.column_norms()[j];
  total.jacobian_count() += other.jacobian_count();
}

}  // namespace

PosteriorCollapse diagnose_posterior_collapse(const Generator& generator, std::span<const double> pixels,
                                              std::size_t count, MPI_Comm comm,
                                              const PosteriorCollapseOptions& options) {
  PB_REQUIRE(generator.has_encoder(), "posterior-collapse diagnostics need an encoder, and ", generator.description(),
             " has none");
  const std::size_t m = generator.latent_dimension(), n = generator.image_size();
  PB_REQUIRE(pixels.size() == count * n, "posterior-collapse diagnostics: ", count, " images of ", n, " pixels need ",
             count * n, " values, got ", pixels.size());
  const std::size_t images = options.max_images > 0 ? std::min(options.max_images, count) : count;
  PB_REQUIRE(images > 0, "posterior-collapse diagnostics need at least one image");
  const std::size_t jacobian_images = std::min(options.jacobian_images, images);
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);

  // 1. This rank's block of images: encoder moments and KL (Welford for the means).
  Partial local(m);
  std::vector<double> mean(m), variance(m);
  const auto [begin, end] = block(images, rank, size);
  for (std::size_t i = begin; i < end; ++i) {
    generator.encode(pixels.subspan(i * n, n), mean, variance);
    local.count() += 1;
    for (std::size_t j = 0; j < m; ++j) {
      PB_REQUIRE(variance[j] > 0 && std::isfinite(variance[j]) && std::isfinite(mean[j]),
                 "posterior-collapse diagnostics: the encoder returned mean ", mean[j], " and variance ", variance[j],
                 " for dimension ", j, " of image ", i);
      const double delta = mean[j] - local.mean()[j];
      local.mean()[j] += delta / local.count();
      local.m2()[j] += delta * (mean[j] - local.mean()[j]);
      local.kl()[j] += 0.5 * (mean[j] * mean[j] + variance[j] - 1.0 - std::log(variance[j]));
      local.variance()[j] += variance[j];
    }
  }

  // 2. This rank's block of the Jacobian images: ‖J(μ_e(x)) e_j‖.
  DenseMatrix jacobian;
  const auto [jacobian_begin, jacobian_end] = block(jacobian_images, rank, size);
  for (std::size_t i = jacobian_begin; i < jacobian_end; ++i) {
    generator.encode(pixels.subspan(i * n, n), mean, variance);
    generator.jacobian(mean, jacobian);
    for (std::size_t j = 0; j < m; ++j) {
      const auto column = jacobian.column(j);
      local.column_norms()[j] += std::sqrt(std::inner_product(column.begin(), column.end(), column.begin(), 0.0));
    }
    local.jacobian_count() += 1;
  }

  // 3. Every rank's sums, combined in rank order so all ranks agree to the last bit.
  std::vector<double> all(local.values.size() * static_cast<std::size_t>(size));
  MPI_Allgather(local.values.data(), static_cast<int>(local.values.size()), MPI_DOUBLE, all.data(),
                static_cast<int>(local.values.size()), MPI_DOUBLE, comm);
  Partial total(m);
  for (int r = 0; r < size; ++r) {
    Partial part(m);
    std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(r * local.values.size()), local.values.size(),
                part.values.begin());
    combine(total, part);
  }

  PosteriorCollapse result;
  result.images = images;
  result.jacobian_images = jacobian_images;
  result.activity_threshold = options.activity_threshold;
  result.kl_threshold = options.kl_threshold;
  const double count_images = static_cast<double>(images);
  for (std::size_t j = 0; j < m; ++j) {
    result.kl.push_back(total.kl()[j] / count_images);
    result.activity.push_back(images > 1 ? total.m2()[j] / (count_images - 1) : 0.0);
    result.mean_encoder_variance.push_back(total.variance()[j] / count_images);
    result.decoder_column_norms.push_back(jacobian_images > 0 ? total.column_norms()[j] / total.jacobian_count() : 0.0);
  }
  result.classify();
  return result;
}

PosteriorCollapse diagnose_posterior_collapse(const Generator& generator, const data::ImageSet& images, MPI_Comm comm,
                                              const PosteriorCollapseOptions& options) {
  PB_REQUIRE(images.shape == generator.image_shape(), "posterior-collapse diagnostics: the images are ",
             images.shape.height, " x ", images.shape.width, " but the generator makes ",
             generator.image_shape().height, " x ", generator.image_shape().width);
  return diagnose_posterior_collapse(generator, images.pixels, images.count, comm, options);
}

void PosteriorCollapse::classify() {
  PB_REQUIRE(activity.size() == kl.size(), "posterior-collapse diagnostics: ", kl.size(), " KL values but ",
             activity.size(), " activities");
  active.assign(kl.size(), 0);
  collapsed.assign(kl.size(), 0);
  active_count = collapsed_count = 0;
  total_kl = 0;
  for (std::size_t j = 0; j < kl.size(); ++j) {
    active[j] = activity[j] > activity_threshold ? 1 : 0;
    collapsed[j] = !active[j] && kl[j] < kl_threshold ? 1 : 0;
    active_count += static_cast<std::size_t>(active[j]);
    collapsed_count += static_cast<std::size_t>(collapsed[j]);
    total_kl += kl[j];
  }
}

std::string PosteriorCollapse::summary() const {
  std::ostringstream out;
  const std::size_t m = latent_dimension();
  if (collapsed_count > 0) {
    out << "POSTERIOR COLLAPSE: " << collapsed_count << " of " << m << " latent dimensions collapsed (z_j, j =";
    for (std::size_t j = 0; j < m; ++j) {
      if (collapsed[j]) out << " " << j;
    }
    out << "): Var_x E[z_j|x] <= " << activity_threshold << " and KL < " << kl_threshold << " nats over " << images
        << " images. A collapsed dimension carries NO information from the data y: its posterior stays the "
           "prior whatever y is.\n";
  }
  out << "posterior-collapse diagnostics over " << images << " images (decoder column norms at the encoder means of "
      << jacobian_images << "):\n";
  out << "  dim   KL (nats)   Var E[z|x]   E[var q]   |J e_j|   status\n";
  for (std::size_t j = 0; j < m; ++j) {
    const char* status = collapsed[j] ? "COLLAPSED" : (active[j] ? "active" : "inactive");
    out << "  " << std::setw(3) << j << std::fixed << std::setprecision(4) << std::setw(12) << kl[j] << std::setw(13)
        << activity[j] << std::setw(11) << mean_encoder_variance[j] << std::setw(10) << decoder_column_norms[j] << "   "
        << status << "\n";
  }
  out << std::defaultfloat << "  active units: " << active_count << " of " << m << " (Var E[z_j|x] > "
      << activity_threshold << "); collapsed: " << collapsed_count << "; total KL " << std::setprecision(4) << total_kl
      << " nats\n";
  return out.str();
}

void PosteriorCollapse::save(hid_t group) const {
  h5::write_attribute(group, "images", static_cast<std::int64_t>(images));
  h5::write_attribute(group, "jacobian_images", static_cast<std::int64_t>(jacobian_images));
  h5::write_attribute(group, "activity_threshold", activity_threshold);
  h5::write_attribute(group, "kl_threshold", kl_threshold);
  h5::write_attribute(group, "active_count", static_cast<std::int64_t>(active_count));
  h5::write_attribute(group, "collapsed_count", static_cast<std::int64_t>(collapsed_count));
  h5::write_attribute(group, "total_kl", total_kl);
  h5::write(group, "kl", kl);
  h5::write(group, "activity", activity);
  h5::write(group, "mean_encoder_variance", mean_encoder_variance);
  h5::write(group, "decoder_column_norms", decoder_column_norms);
  h5::write(group, "active", active);
  h5::write(group, "collapsed", collapsed);
}

}  // namespace priorbench
