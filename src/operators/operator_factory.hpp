#pragma once
// Builds the forward operators of DESIGN §1 by name from command-line or study settings,
// and rebuilds them from what save() wrote. Errors name the option and value at fault.

#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/image_shape.hpp"
#include "operators/forward_operator.hpp"

namespace priorbench {

struct OperatorSpec {
  std::string name;                               // --operator
  PetscInt data_size = 0;                         // --data-size; 0: the operator's default
  double acceleration = 0;                        // --acceleration R (fourier only): d ≈ n/R; 0: not given
  std::uint64_t seed = 0;                         // --seed (inpaint mask, gaussian matrix, fourier mask)
  double blur_width = 1.0;                        // --blur-width, pixels
  std::string fourier_mask = "variable-density";  // --fourier-mask: "variable-density" or "lines"
  double fourier_center_fraction = 0.08;          // --fourier-center-fraction
  std::string matrix_file;                        // --matrix-file (HDF5 CSR, see matrix_operator.hpp)
};

// Default data sizes (data_size = 0): identity, blur: n; inpaint: n/2; gaussian: n/4;
// fourier variable-density: n/4; fourier lines: W·round(H/4) (a quarter of the lines,
// made odd for odd H so the DC line stays);
// matrix: the file's row count. All at least 1 (one line for lines).
// An acceleration R (fourier only, instead of a data size) sets d by
// fourier_data_size_for_acceleration.
std::shared_ptr<ForwardOperator> make_operator(MPI_Comm comm, ImageShape shape, const OperatorSpec& spec);

// The checks make_operator makes of the name, the data size (or acceleration) and, for
// gaussian, the memory of its d x n matrix, without building anything (a matrix file is
// read only when the operator is made): a study checks each of its data sizes this way
// before its results file exists.
void check_operator_spec(ImageShape shape, const OperatorSpec& spec);

// The data size of the fourier mask `mask` that undersamples k-space by the factor
// R ≥ 1 (any real), i.e. d ≈ n/R real rows:
//   variable-density  d = round(n/R) in [1, n]; on an image with both sides odd, where DC
//                     is the only one-row frequency, an even d would leave DC out, so the
//                     nearer odd neighbour is taken instead (n/R ≥ d: d + 1, else d − 1);
//   lines             L = round(H/R) k-space lines in [1, H], d = L·W; for odd H an even L
//                     would leave out the DC line, so the nearer odd neighbour is taken
//                     (H/R ≥ L: L + 1, else L − 1).
// Throws naming --acceleration unless R is finite and ≥ 1.
PetscInt fourier_data_size_for_acceleration(const ImageShape& shape, const std::string& mask, double acceleration);

// Rebuilds an operator from the group its save() wrote, checking it fits `shape`.
std::shared_ptr<ForwardOperator> load_operator(MPI_Comm comm, ImageShape shape, hid_t group);

// "identity", "inpaint", "blur", "fourier", "gaussian", "matrix".
const std::vector<std::string>& operator_names();
const std::vector<std::string>& fourier_mask_names();

}  // namespace priorbench
