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
std::shared_ptr<ForwardOperator> make_operator(MPI_Comm comm, ImageShape shape, const OperatorSpec& spec);

// Rebuilds an operator from the group its save() wrote, checking it fits `shape`.
std::shared_ptr<ForwardOperator> load_operator(MPI_Comm comm, ImageShape shape, hid_t group);

// "identity", "inpaint", "blur", "fourier", "gaussian", "matrix".
const std::vector<std::string>& operator_names();
const std::vector<std::string>& fourier_mask_names();

}  // namespace priorbench
