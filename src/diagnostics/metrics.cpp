#include "diagnostics/metrics.hpp"

#include <mpi.h>

#include <cmath>
#include <limits>

#include "core/petsc.hpp"

namespace priorbench {

ReconstructionMetrics compute_metrics(Vec estimate, Vec std, Vec truth) {
  PetscInt n = 0;
  PB_PETSC(VecGetSize(truth, &n));
  // Local sums: squared error, squared truth, covered pixels, variance, std.
  double sums[5] = {0, 0, 0, 0, 0};
  {
    petsc::ReadView x(estimate), t(truth);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double error = x[i] - t[i];
      sums[0] += error * error;
      sums[1] += t[i] * t[i];
    }
    if (std != nullptr) {
      petsc::ReadView s(std);
      for (std::size_t i = 0; i < x.size(); ++i) {
        sums[2] += std::abs(x[i] - t[i]) <= kNormalQuantile975 * s[i] ? 1.0 : 0.0;
        sums[3] += s[i] * s[i];
        sums[4] += s[i];
      }
    }
  }
  MPI_Allreduce(MPI_IN_PLACE, sums, 5, MPI_DOUBLE, MPI_SUM, petsc::comm_of(truth));
  const double count = static_cast<double>(n);
  const double mse = sums[0] / count;
  ReconstructionMetrics metrics;
  metrics.relative_error = std::sqrt(sums[0]) / std::sqrt(sums[1]);
  metrics.psnr = 10.0 * std::log10(1.0 / mse);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  metrics.expected_squared_error = std != nullptr ? mse + sums[3] / count : nan;
  metrics.coverage_95 = std != nullptr ? sums[2] / count : nan;
  metrics.mean_interval_width = std != nullptr ? 2.0 * kNormalQuantile975 * sums[4] / count : nan;
  return metrics;
}

}  // namespace priorbench
