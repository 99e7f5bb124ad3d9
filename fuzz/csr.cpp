// Sparse matrix files in the CSR layout of scipy (operators/matrix_operator.hpp): a 3 x 4
// matrix with an unsorted row and a repeated column, written by write_csr, edited by the
// input (fuzz/hdf5_layout.hpp), read and validated, then built as PETSc matrices (the
// canonical form and the AIJ preallocation) and applied once.

#include "core/hdf5.hpp"
#include "core/petsc.hpp"
#include "hdf5_layout.hpp"
#include "operators/matrix_operator.hpp"
#include "support.hpp"

namespace pb = priorbench;
namespace pf = priorbench::fuzz;

namespace {

const pf::Hdf5Layout& base() {
  static const pf::Hdf5Layout layout = [] {
    const std::string path = pf::scratch_path("baseline.h5");
    {
      const pb::h5::Object file = pb::h5::create_file(path, true);
      pb::CsrMatrix csr;
      csr.rows = 3;
      csr.cols = 4;
      csr.indptr = {0, 2, 2, 5};
      csr.indices = {3, 0, 1, 2, 1};
      csr.data = {1.5, -2, 0.25, 4, 1};
      pb::write_csr(file, csr);
    }
    return pf::read_layout(path);
  }();
  return layout;
}

void read_and_apply(const std::string& path) {
  const auto op = pb::MatrixOperator::from_file(PETSC_COMM_SELF, path);
  const pb::petsc::Vector x = op->make_domain_vector();
  const pb::petsc::Vector y = op->make_range_vector();
  PB_PETSC(VecSet(x, 1.0));
  op->apply(x, y);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pf::initialize_process_with_petsc();
  base();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const pf::Vocabulary vocabulary = pf::vocabulary_of(base());
  FuzzedDataProvider input(data, size);
  pf::Hdf5Layout layout = base();
  pf::edit_layout(layout, input, vocabulary);
  const std::string path = pf::scratch_path("matrix.h5");
  pf::write_layout(layout, path);
  pf::expect_success_or_error([&] { read_and_apply(path); });
  return 0;
}
