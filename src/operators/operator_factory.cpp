#include "operators/operator_factory.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/hdf5.hpp"
#include "core/memory_budget.hpp"
#include "core/paths.hpp"
#include "operators/blur_operator.hpp"
#include "operators/fourier_mask.hpp"
#include "operators/fourier_operator.hpp"
#include "operators/gaussian_operator.hpp"
#include "operators/identity_operator.hpp"
#include "operators/inpaint_operator.hpp"
#include "operators/matrix_operator.hpp"
#include "operators/operator_io.hpp"

namespace priorbench {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::ostringstream out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out << (i > 0 ? ", " : "") << names[i];
  }
  return out.str();
}

std::string shape_text(const ImageShape& shape) { return detail::concat(shape.height, "x", shape.width); }

// The requested data size, or `fallback` for 0, checked against 1 ≤ d ≤ n.
PetscInt data_size_up_to_n(const OperatorSpec& spec, PetscInt n, PetscInt fallback) {
  const PetscInt d = spec.data_size == 0 ? std::max<PetscInt>(fallback, 1) : spec.data_size;
  PB_REQUIRE(d <= n, "--data-size ", d, " exceeds the number of pixels ", n, " for operator ", spec.name);
  return d;
}

// For the operators whose data size is fixed by something else.
void require_fixed_data_size(const OperatorSpec& spec, PetscInt fixed, const char* what) {
  PB_REQUIRE(spec.data_size == 0 || spec.data_size == fixed, "--data-size ", spec.data_size,
             " does not apply to operator ", spec.name, ", whose data size is ", what, " ", fixed);
}

std::string seed_text(std::uint64_t seed) { return detail::concat("seed=", seed); }

// Whole k-space lines, and for an odd number of image rows an odd number of them (see
// fourier::lines_mask); the message suggests the nearest valid sizes.
void check_line_data_size(const ImageShape& shape, PetscInt d) {
  const auto valid = [&](PetscInt lines) {
    return lines >= 1 && lines <= shape.height && (shape.height % 2 == 0 || lines % 2 == 1);
  };
  const PetscInt lines = d / shape.width;
  if (d % shape.width == 0 && valid(lines)) {
    return;
  }
  PetscInt below = std::max<PetscInt>(lines, 1);
  while (!valid(below)) {
    --below;
  }
  PetscInt above = lines + 1;
  while (above <= shape.height && !valid(above)) {
    ++above;
  }
  const std::string suggestion = above <= shape.height
                                     ? detail::concat(below * shape.width, " or ", above * shape.width)
                                     : detail::concat(below * shape.width);
  PB_REQUIRE(d % shape.width == 0, "--data-size ", d, " is not a whole number of k-space lines for --fourier-mask ",
             "lines on a ", shape_text(shape), " image: use a multiple of ", shape.width,
             shape.height % 2 == 1 ? " by an odd number" : "", " (such as ", suggestion, ")");
  PB_FAIL("--data-size ", d, " makes ", lines, " k-space lines, but on an image with an odd number of rows (",
          shape_text(shape), ") an even number of lines leaves out the DC line: use an odd multiple of ", shape.width,
          " (such as ", suggestion, ")");
}

// round(target) clamped to [1, top]; when `odd_only`, an even result moves to the odd
// neighbour on target's side (the caller guarantees top is odd then).
PetscInt nearest_count(double target, PetscInt top, bool odd_only) {
  auto count = static_cast<PetscInt>(std::clamp(std::llround(target), 1LL, static_cast<long long>(top)));
  if (odd_only && count % 2 == 0) {
    count += target >= static_cast<double>(count) ? 1 : -1;
  }
  return count;
}

// With --acceleration, the data size it stands for; refuses it for other operators and
// together with --data-size.
OperatorSpec resolve_acceleration(const ImageShape& shape, OperatorSpec spec) {
  if (spec.acceleration == 0) {
    return spec;
  }
  PB_REQUIRE(spec.name == "fourier", "--acceleration applies only to operator fourier, not ", spec.name);
  PB_REQUIRE(spec.data_size == 0, "give either --data-size (", spec.data_size, ") or --acceleration (",
             spec.acceleration, "), not both");
  spec.data_size = fourier_data_size_for_acceleration(shape, spec.fourier_mask, spec.acceleration);
  return spec;
}

std::shared_ptr<ForwardOperator> make_fourier(MPI_Comm comm, const ImageShape& shape, const OperatorSpec& spec) {
  const double fraction = spec.fourier_center_fraction;
  PB_REQUIRE(std::isfinite(fraction) && fraction >= 0 && fraction <= 1, "--fourier-center-fraction ", fraction,
             " must lie in [0, 1]");
  const std::string acceleration = spec.acceleration > 0 ? detail::concat(" acceleration=", spec.acceleration) : "";
  const std::string description =
      detail::concat(spec.fourier_mask, " center_fraction=", fraction, " ", seed_text(spec.seed), acceleration);
  if (spec.fourier_mask == "variable-density") {
    const PetscInt d = data_size_up_to_n(spec, shape.size(), shape.size() / 4);
    return std::make_shared<FourierOperator>(comm, shape, fourier::variable_density_mask(shape, d, fraction, spec.seed),
                                             description);
  }
  if (spec.fourier_mask == "lines") {
    PetscInt fallback_lines = std::max<PetscInt>(1, (shape.height + 2) / 4);
    if (shape.height % 2 == 1 && fallback_lines % 2 == 0) {
      fallback_lines += 1;  // keeps the DC line (see fourier::lines_mask)
    }
    const PetscInt fallback = shape.width * fallback_lines;
    const PetscInt d = data_size_up_to_n(spec, shape.size(), fallback);
    check_line_data_size(shape, d);
    return std::make_shared<FourierOperator>(comm, shape, fourier::lines_mask(shape, d, fraction, spec.seed),
                                             description);
  }
  PB_FAIL("--fourier-mask '", spec.fourier_mask, "' is not one of: ", joined(fourier_mask_names()));
}

std::shared_ptr<ForwardOperator> make_matrix(MPI_Comm comm, const ImageShape& shape, const OperatorSpec& spec) {
  PB_REQUIRE(!spec.matrix_file.empty(), "operator matrix needs --matrix-file (an HDF5 CSR file)");
  PB_REQUIRE(path_exists(spec.matrix_file), "--matrix-file ", spec.matrix_file, " does not exist");
  CsrMatrix csr = read_csr_file(spec.matrix_file);
  PB_REQUIRE(csr.cols == shape.size(), spec.matrix_file, ":/shape: the matrix has ", csr.cols,
             " columns but the image has ", shape.size(), " pixels (", shape_text(shape), ")");
  require_fixed_data_size(spec, static_cast<PetscInt>(csr.rows), "the row count of the matrix in --matrix-file");
  return std::make_shared<MatrixOperator>(comm, std::move(csr), spec.matrix_file);
}

}  // namespace

const std::vector<std::string>& operator_names() {
  static const std::vector<std::string> names = {"identity", "inpaint", "blur", "fourier", "gaussian", "matrix"};
  return names;
}

const std::vector<std::string>& fourier_mask_names() {
  static const std::vector<std::string> names = {"variable-density", "lines"};
  return names;
}

PetscInt fourier_data_size_for_acceleration(const ImageShape& shape, const std::string& mask, double acceleration) {
  PB_REQUIRE(std::isfinite(acceleration) && acceleration >= 1, "--acceleration ", acceleration,
             " must be a real number >= 1 (the undersampling factor n/d of fourier)");
  PB_REQUIRE(shape.height > 0 && shape.width > 0, "image shape ", shape_text(shape), " must be positive");
  if (mask == "variable-density") {
    const bool dc_needs_odd = shape.height % 2 == 1 && shape.width % 2 == 1;
    return nearest_count(static_cast<double>(shape.size()) / acceleration, shape.size(), dc_needs_odd);
  }
  if (mask == "lines") {
    const bool dc_needs_odd = shape.height % 2 == 1;
    return shape.width * nearest_count(static_cast<double>(shape.height) / acceleration, shape.height, dc_needs_odd);
  }
  PB_FAIL("--fourier-mask '", mask, "' is not one of: ", joined(fourier_mask_names()));
}

void check_operator_spec(ImageShape shape, const OperatorSpec& requested) {
  PB_REQUIRE(shape.height > 0 && shape.width > 0, "image shape ", shape_text(shape), " must be positive");
  const auto& names = operator_names();
  PB_REQUIRE(std::find(names.begin(), names.end(), requested.name) != names.end(), "--operator '", requested.name,
             "' is unknown; valid operators: ", joined(names));
  const OperatorSpec spec = resolve_acceleration(shape, requested);
  PB_REQUIRE(spec.data_size >= 0, "--data-size ", spec.data_size,
             " must be positive (or 0 for the operator's default)");
  const PetscInt n = shape.size();
  if (spec.name == "identity" || spec.name == "blur") {
    require_fixed_data_size(spec, n, "the number of pixels");
  } else if (spec.name == "inpaint") {
    data_size_up_to_n(spec, n, n / 2);
  } else if (spec.name == "fourier" && spec.fourier_mask == "variable-density") {
    data_size_up_to_n(spec, n, n / 4);
  } else if (spec.name == "fourier" && spec.fourier_mask == "lines" && spec.data_size > 0) {
    check_line_data_size(shape, data_size_up_to_n(spec, n, 1));
  } else if (spec.name == "gaussian") {
    const PetscInt d = spec.data_size == 0 ? std::max<PetscInt>(n / 4, 1) : spec.data_size;
    require_memory({static_cast<std::uint64_t>(d), static_cast<std::uint64_t>(n)}, sizeof(double),
                   detail::concat("operator gaussian: its ", d, " x ", n, " matrix"));
  }
}

std::shared_ptr<ForwardOperator> make_operator(MPI_Comm comm, ImageShape shape, const OperatorSpec& requested) {
  check_operator_spec(shape, requested);
  const OperatorSpec spec = resolve_acceleration(shape, requested);
  const PetscInt n = shape.size();
  if (spec.name == "identity") {
    require_fixed_data_size(spec, n, "the number of pixels");
    return std::make_shared<IdentityOperator>(comm, n);
  }
  if (spec.name == "inpaint") {
    const PetscInt d = data_size_up_to_n(spec, n, n / 2);
    return std::make_shared<InpaintOperator>(comm, n, InpaintOperator::random_mask(n, d, spec.seed),
                                             "random " + seed_text(spec.seed));
  }
  if (spec.name == "blur") {
    require_fixed_data_size(spec, n, "the number of pixels");
    PB_REQUIRE(std::isfinite(spec.blur_width) && spec.blur_width > 0 && spec.blur_width <= 1e6, "--blur-width ",
               spec.blur_width, " must be a positive number of pixels (at most 1e6)");
    return std::make_shared<BlurOperator>(comm, shape, spec.blur_width);
  }
  if (spec.name == "fourier") {
    return make_fourier(comm, shape, spec);
  }
  if (spec.name == "gaussian") {
    const PetscInt d = spec.data_size == 0 ? std::max<PetscInt>(n / 4, 1) : spec.data_size;
    return std::make_shared<GaussianOperator>(comm, n, d, spec.seed);
  }
  return make_matrix(comm, shape, spec);
}

std::shared_ptr<ForwardOperator> load_operator(MPI_Comm comm, ImageShape shape, hid_t group) {
  const auto header = operator_io::read_header(group);
  PB_REQUIRE(header.cols == shape.size(), h5::describe(group, "cols"), ": operator '", header.name, "' was saved for ",
             header.cols, " pixels but the image has ", shape.size(), " (", shape_text(shape), ")");
  std::shared_ptr<ForwardOperator> op;
  if (header.name == "identity") {
    op = IdentityOperator::load(comm, group);
  } else if (header.name == "inpaint") {
    op = InpaintOperator::load(comm, group);
  } else if (header.name == "blur") {
    auto blur = BlurOperator::load(comm, group);
    PB_REQUIRE(blur->shape() == shape, h5::describe(group, "image_height"), ": blur was saved for a ",
               shape_text(blur->shape()), " image, not ", shape_text(shape));
    op = blur;
  } else if (header.name == "fourier") {
    auto fourier_op = FourierOperator::load(comm, group);
    PB_REQUIRE(fourier_op->shape() == shape, h5::describe(group, "image_height"), ": fourier was saved for a ",
               shape_text(fourier_op->shape()), " image, not ", shape_text(shape));
    op = fourier_op;
  } else if (header.name == "gaussian") {
    op = GaussianOperator::load(comm, group);
  } else if (header.name == "matrix") {
    op = MatrixOperator::load(comm, group);
  } else {
    PB_FAIL(h5::describe(group, "name"), ": unknown operator '", header.name,
            "'; valid operators: ", joined(operator_names()));
  }
  PB_REQUIRE(op->rows() == header.rows, h5::describe(group, "rows"), ": records ", header.rows,
             " data rows but the rebuilt operator has ", op->rows());
  return op;
}

}  // namespace priorbench
