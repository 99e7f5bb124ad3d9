#include "operators/inpaint_operator.hpp"

#include "core/hdf5.hpp"
#include "core/random.hpp"
#include "operators/operator_io.hpp"

namespace priorbench {
namespace {

PetscInt checked_size(const std::vector<std::int64_t>& observed, PetscInt n) {
  PB_REQUIRE(!observed.empty(), "inpaint: no observed pixels (the data size must be at least 1)");
  PB_REQUIRE(static_cast<std::int64_t>(observed.size()) <= n, "inpaint: ", observed.size(),
             " observed pixels exceed the number of pixels ", n);
  for (std::size_t i = 0; i < observed.size(); ++i) {
    PB_REQUIRE(observed[i] >= 0 && observed[i] < n, "inpaint: observed pixel ", observed[i], " out of range [0, ", n,
               ")");
    PB_REQUIRE(i == 0 || observed[i - 1] < observed[i],
               "inpaint: observed pixel indices must be sorted and distinct, but ", observed[i], " follows ",
               observed[i - 1]);
  }
  return static_cast<PetscInt>(observed.size());
}

}  // namespace

InpaintOperator::InpaintOperator(MPI_Comm comm, PetscInt n, std::vector<std::int64_t> observed,
                                 std::string mask_description)
    : ForwardOperator(comm, checked_size(observed, n), n),
      observed_(std::move(observed)),
      mask_description_(std::move(mask_description)) {
  // Each rank asks for the pixels behind the data entries it owns.
  const petsc::Vector image = make_domain_vector();
  const petsc::Vector data = make_range_vector();
  const auto [begin, end] = petsc::ownership(data);
  std::vector<PetscInt> wanted(observed_.begin() + begin, observed_.begin() + end);
  petsc::IndexSet from;
  petsc::IndexSet to;
  PB_PETSC(ISCreateGeneral(PETSC_COMM_SELF, end - begin, wanted.data(), PETSC_COPY_VALUES, from.out()));
  PB_PETSC(ISCreateStride(PETSC_COMM_SELF, end - begin, begin, 1, to.out()));
  PB_PETSC(VecScatterCreate(image, from, data, to, scatter_.out()));
}

std::vector<std::int64_t> InpaintOperator::random_mask(PetscInt n, PetscInt d, std::uint64_t seed) {
  PB_REQUIRE(d >= 1 && d <= n, "inpaint: the data size ", d, " must lie in [1, ", n, "] (the number of pixels)");
  return CounterRandom(seed, 0, Purpose::inpaint_mask).sample_without_replacement(n, d);
}

void InpaintOperator::apply_impl(Vec x, Vec y) const {
  PB_PETSC(VecScatterBegin(scatter_, x, y, INSERT_VALUES, SCATTER_FORWARD));
  PB_PETSC(VecScatterEnd(scatter_, x, y, INSERT_VALUES, SCATTER_FORWARD));
}

void InpaintOperator::apply_transpose_impl(Vec y, Vec x) const {
  // The indices are distinct, so inserting is the exact adjoint; unobserved pixels get 0.
  PB_PETSC(VecSet(x, 0.0));
  PB_PETSC(VecScatterBegin(scatter_, y, x, INSERT_VALUES, SCATTER_REVERSE));
  PB_PETSC(VecScatterEnd(scatter_, y, x, INSERT_VALUES, SCATTER_REVERSE));
}

void InpaintOperator::save(hid_t group) const {
  operator_io::write_header(group, *this);
  h5::write(group, "observed", observed_);
  if (!mask_description_.empty()) {
    h5::write_attribute(group, "mask", mask_description_);
  }
}

std::shared_ptr<InpaintOperator> InpaintOperator::load(MPI_Comm comm, hid_t group) {
  operator_io::require_name(group, "inpaint");
  const auto header = operator_io::read_header(group);
  std::string mask = h5::has_attribute(group, "mask") ? h5::read_string_attribute(group, "mask") : "";
  return std::make_shared<InpaintOperator>(comm, static_cast<PetscInt>(header.cols),
                                           h5::read_integers(group, "observed"), std::move(mask));
}

std::vector<double> InpaintOperator::sampling_pattern() const {
  std::vector<double> pattern(static_cast<std::size_t>(cols()), 0.0);
  for (const auto pixel : observed_) pattern[static_cast<std::size_t>(pixel)] = 1.0;
  return pattern;
}

void InpaintOperator::apply_to_columns_impl(const DenseMatrix& x, DenseMatrix& y) const {
  for (std::size_t j = 0; j < x.cols(); ++j) {
    const auto in = x.column(j);
    auto out = y.column(j);
    for (std::size_t i = 0; i < observed_.size(); ++i) out[i] = in[static_cast<std::size_t>(observed_[i])];
  }
}

}  // namespace priorbench
