#include "generative/torch/torch_generator.hpp"

#include <algorithm>
#include <sstream>

#include "core/error.hpp"
#include "core/watchdog.hpp"
#include "generative/memory_budget.hpp"
#include "generative/torch/allocation_meter.hpp"
#include "generative/torch/torch_model.hpp"

namespace priorbench {
namespace {

// The dual level of forward-mode AD, left on every exit path.
class DualLevel {
 public:
  DualLevel() : level_(torch::autograd::forward_ad::enter_dual_level()) {}
  ~DualLevel() { torch::autograd::forward_ad::exit_dual_level(level_); }
  DualLevel(const DualLevel&) = delete;
  DualLevel& operator=(const DualLevel&) = delete;
  std::int64_t level() const { return static_cast<std::int64_t>(level_); }

 private:
  std::uint64_t level_;
};

// A read-only view of caller memory as a [rows, cols] double tensor (never written).
at::Tensor view(std::span<const double> values, std::int64_t rows, std::int64_t cols) {
  return at::from_blob(const_cast<double*>(values.data()), {rows, cols}, at::TensorOptions().dtype(at::kDouble));
}

void copy_out(const at::Tensor& tensor, std::span<double> out) {
  const auto contiguous = tensor.contiguous();
  PB_REQUIRE(static_cast<std::size_t>(contiguous.numel()) == out.size(), "torch generator: result of ",
             contiguous.numel(), " values for an output of ", out.size());
  std::copy_n(contiguous.data_ptr<double>(), out.size(), out.begin());
}

// The tangent of `dual` at `level`, or zeros when the output does not depend on the input.
at::Tensor tangent_of(const at::Tensor& dual, std::int64_t level) {
  auto tangent = std::get<1>(at::_unpack_dual(dual, level));
  return tangent.defined() ? tangent : at::zeros_like(std::get<0>(at::_unpack_dual(dual, level)));
}

// Columns [first, first + count) of J(z) by one forward-mode pass over `count` copies of z
// with the unit vectors e_first … as tangents: row i of the output tangent is J e_{first+i},
// so the row-major count×n result is `count` consecutive columns of the column-major J.
void jacobian_columns(const TorchGenerator::Impl& impl, const at::Tensor& z, std::int64_t first, std::int64_t count,
                      std::span<double> out) {
  const std::int64_t m = z.size(1);
  torch::NoGradGuard no_grad;
  DualLevel dual;
  const auto options = at::TensorOptions().dtype(at::kDouble);
  const auto tangents = at::eye(count, m, options).roll(first, 1);
  const auto copies = z.expand({count, m}).contiguous();
  const auto dual_z = at::_make_dual(copies, tangents, dual.level());
  copy_out(tangent_of(torch_detail::decode_flat(impl.module, dual_z, impl.info), dual.level()), out);
}

// Directions per chunk from the memory a probe of `directions` directions held at its peak
// (0 when the meter could not be installed: then one direction per chunk, the safe side).
void set_jacobian_chunk(TorchGenerator::Impl& impl, std::size_t peak_bytes, std::size_t directions) {
  if (impl.jacobian_memory == 0) impl.jacobian_memory = jacobian_memory_budget(0);
  impl.jacobian_bytes_per_direction = (peak_bytes + directions - 1) / directions;
  impl.jacobian_chunk =
      peak_bytes == 0
          ? 1
          : std::clamp<std::size_t>(impl.jacobian_memory / impl.jacobian_bytes_per_direction, 1, impl.info.latent_dim);
}

// J(z) by forward-mode passes over chunks of latent directions; the first call measures
// the memory of its first chunk (two directions), which also counts as work done.
void batched_jacobian(TorchGenerator::Impl& impl, const at::Tensor& z, DenseMatrix& jacobian) {
  const std::int64_t m = z.size(1);
  const std::size_t n = jacobian.rows();
  const auto columns = [&](std::int64_t first, std::int64_t count) {
    jacobian_columns(impl, z, first, count,
                     std::span<double>(jacobian.values())
                         .subspan(static_cast<std::size_t>(first) * n, static_cast<std::size_t>(count) * n));
  };
  std::int64_t first = 0;
  if (impl.jacobian_chunk == 0) {
    const std::int64_t probe = std::min<std::int64_t>(m, 2);
    std::size_t peak = 0;
    {
      torch_detail::AllocationMeter meter;
      columns(0, probe);
      peak = meter.installed() ? meter.peak_bytes() : 0;
    }
    set_jacobian_chunk(impl, peak, static_cast<std::size_t>(probe));
    first = probe;
  }
  const auto chunk = static_cast<std::int64_t>(impl.jacobian_chunk);
  for (; first < m; first += chunk) columns(first, std::min(chunk, m - first));
}

// Threads and the memory budget first, so that their errors come before any loading.
// Loading runs the file's code (a class's __setstate__, then every method of the contract
// probe), so it runs under the model-load budget: a decode that never returns ends the
// process with one line instead of hanging it (core/watchdog.hpp says why that is safe
// here: every command loads its model before it creates an output file).
std::unique_ptr<TorchGenerator::Impl> load_impl(const std::string& path, const TorchGeneratorOptions& options) {
  torch_detail::apply_threads(options.threads);
  const std::size_t jacobian_memory = jacobian_memory_budget(options.jacobian_memory);
  const auto budget = model_timeout();
  std::ostringstream message;
  message << path << ": loading the model and its contract probe (docs/model-format.md) did not finish within "
          << (budget ? budget->count() : 0) << " s; a model file is code, and this one may never return ("
          << kModelTimeoutVariable << " sets the budget in seconds)";
  const Watchdog watchdog(budget, message.str());
  auto impl = torch_detail::make_generator_impl(torch_detail::load_module(path), path);
  impl->jacobian_memory = jacobian_memory;
  return impl;
}

}  // namespace

TorchGenerator::TorchGenerator(const std::string& path, TorchGeneratorOptions options)
    : TorchGenerator(load_impl(path, options)) {}

TorchGenerator::TorchGenerator(std::unique_ptr<Impl> impl)
    : Generator(impl->info.latent_dim, impl->info.shape, impl->info.variance_kind), impl_(std::move(impl)) {}
TorchGenerator::~TorchGenerator() = default;
TorchGenerator::TorchGenerator(TorchGenerator&&) noexcept = default;
TorchGenerator& TorchGenerator::operator=(TorchGenerator&&) noexcept = default;

bool TorchGenerator::has_encoder() const { return impl_->info.has_encoder; }

const FlowDensity* TorchGenerator::flow() const {
  return impl_->info.kind == GeneratorKind::flow ? static_cast<const FlowDensity*>(this) : nullptr;
}

void TorchGenerator::require_flow(std::span<const double> images, std::size_t batch, std::span<double> out,
                                  std::size_t out_per_item, const char* call) const {
  PB_REQUIRE(impl_->info.kind == GeneratorKind::flow, impl_->path, ": ", call,
             " needs a model of kind 'flow', this is '", generator_kind_name(impl_->info.kind), "'");
  PB_REQUIRE(images.size() == batch * image_size() && out.size() == batch * out_per_item, impl_->path, ": ", call,
             " of ", batch, " items needs ", batch * image_size(), " input values and ", batch * out_per_item,
             " output values, got ", images.size(), " and ", out.size());
}

void TorchGenerator::inverse(std::span<const double> images, std::size_t batch, std::span<double> latents) const {
  require_flow(images, batch, latents, latent_dimension(), "inverse");
  if (batch == 0) return;
  torch::NoGradGuard no_grad;
  const auto x = view(images, static_cast<std::int64_t>(batch), static_cast<std::int64_t>(image_size()));
  copy_out(torch_detail::call_method(impl_->module, "inverse", {x}).toTensor(), latents);
}

void TorchGenerator::log_det_inverse(std::span<const double> images, std::size_t batch,
                                     std::span<double> log_dets) const {
  require_flow(images, batch, log_dets, 1, "log_det_inverse");
  if (batch == 0) return;
  torch::NoGradGuard no_grad;
  const auto x = view(images, static_cast<std::int64_t>(batch), static_cast<std::int64_t>(image_size()));
  copy_out(torch_detail::call_method(impl_->module, "log_det_jacobian", {x}).toTensor(), log_dets);
}

// One graph: x = f(z), ℓ(x) through the inverse, and the pullback of ⟨x, u⟩ − ℓ to z, so
// autograd returns J_fᵀ u − ∇_z ℓ(f(z)) in one backward sweep.
void TorchGenerator::decode_and_log_det_gradient(std::span<const double> latents, std::size_t batch,
                                                 std::span<double> images, const CotangentFunction& cotangents,
                                                 std::span<double> gradients, std::span<double> log_dets) const {
  require_flow(images, batch, gradients, latent_dimension(), "decode_and_log_det_gradient");
  PB_REQUIRE(latents.size() == batch * latent_dimension() && log_dets.size() == batch, impl_->path,
             ": decode_and_log_det_gradient of ", batch, " items needs ", batch * latent_dimension(), " latents and ",
             batch, " log-determinants");
  if (batch == 0) return;
  const auto b = static_cast<std::int64_t>(batch), n = static_cast<std::int64_t>(image_size());
  torch::AutoGradMode grad_mode(true);
  const auto z = view(latents, b, n).clone().requires_grad_(true);
  const auto x = torch_detail::decode_flat(impl_->module, z, impl_->info);
  copy_out(x.detach(), images);
  std::vector<double> u(batch * image_size());
  cotangents(images, u);
  const auto log_det = torch_detail::call_method(impl_->module, "log_det_jacobian", {x}).toTensor();
  const auto objective = (x * view(u, b, n)).sum() - log_det.sum();
  copy_out(torch::autograd::grad({objective}, {z})[0], gradients);
  copy_out(log_det.detach(), log_dets);
  // Counted as a decode and a VJP per item, like decode_and_vjp; the inverse pass inside ℓ
  // and its share of the backward sweep are not separate counts (GeneratorCounts has none).
  add_counts({.decoder_passes = b, .vjp = b});
}

const ModelInfo& TorchGenerator::info() const { return impl_->info; }
const std::string& TorchGenerator::path() const { return impl_->path; }

std::string TorchGenerator::description() const {
  const auto& info = impl_->info;
  std::ostringstream out;
  out << "TorchScript model " << impl_->path << " (format " << info.format_version << ", m = " << info.latent_dim
      << ", " << info.shape.height << "x" << info.shape.width << ", " << variance_kind_name(info.variance_kind)
      << " decoder variance, " << (info.has_encoder ? "with" : "without") << " encoder)";
  if (!info.description.empty()) out << ": " << info.description;
  return out.str();
}

void TorchGenerator::decode_impl(std::span<const double> latents, std::size_t batch, std::span<double> means) const {
  torch::NoGradGuard no_grad;
  const auto z = view(latents, static_cast<std::int64_t>(batch), static_cast<std::int64_t>(latent_dimension()));
  copy_out(torch_detail::decode_flat(impl_->module, z, impl_->info), means);
}

void TorchGenerator::decoder_variance_impl(std::span<const double> latent, std::span<double> variance) const {
  if (impl_->info.variance_kind == DecoderVariance::none) {
    std::fill(variance.begin(), variance.end(), 0.0);
    return;
  }
  torch::NoGradGuard no_grad;
  const auto m = static_cast<std::int64_t>(latent_dimension());
  const auto log_variance = torch_detail::log_variance_flat(impl_->module, view(latent, 1, m), impl_->info);
  copy_out(log_variance.exp().expand({1, static_cast<std::int64_t>(image_size())}), variance);
}

void TorchGenerator::jvp_impl(std::span<const double> latent, std::span<const double> direction,
                              std::span<double> out) const {
  const auto m = static_cast<std::int64_t>(latent_dimension());
  torch::NoGradGuard no_grad;
  DualLevel dual;
  const auto z = at::_make_dual(view(latent, 1, m), view(direction, 1, m), dual.level());
  copy_out(tangent_of(torch_detail::decode_flat(impl_->module, z, impl_->info), dual.level()), out);
}

void TorchGenerator::vjp_impl(std::span<const double> latent, std::span<const double> cotangent,
                              std::span<double> out) const {
  const auto m = static_cast<std::int64_t>(latent_dimension()), n = static_cast<std::int64_t>(image_size());
  torch::AutoGradMode grad_mode(true);
  const auto z = view(latent, 1, m).clone().requires_grad_(true);
  const auto mean = torch_detail::decode_flat(impl_->module, z, impl_->info);
  const auto gradient = torch::autograd::grad({mean}, {z}, {view(cotangent, 1, n)}, false, false, true)[0];
  if (gradient.defined()) {
    copy_out(gradient, out);
  } else {
    std::fill(out.begin(), out.end(), 0.0);
  }
}

void TorchGenerator::jacobian_impl(std::span<const double> latent, DenseMatrix& jacobian) const {
  compute_jacobian(latent, jacobian, JacobianMethod::forward_batched);
}

void TorchGenerator::jacobian(std::span<const double> latent, DenseMatrix& jacobian, JacobianMethod method) const {
  PB_REQUIRE(latent.size() == latent_dimension(), impl_->path, ": jacobian needs z of length ", latent_dimension(),
             ", got ", latent.size());
  compute_jacobian(latent, jacobian, method);
  add_counts({.jacobians = 1});
}

void TorchGenerator::compute_jacobian(std::span<const double> latent, DenseMatrix& jacobian,
                                      JacobianMethod method) const {
  const std::size_t m = latent_dimension(), n = image_size();
  const auto sm = static_cast<std::int64_t>(m), sn = static_cast<std::int64_t>(n);
  jacobian = DenseMatrix(n, m);
  const auto z = view(latent, 1, sm);
  if (method == JacobianMethod::forward_batched) {
    batched_jacobian(*impl_, z, jacobian);
  } else if (method == JacobianMethod::forward_columns) {
    torch::NoGradGuard no_grad;
    DualLevel dual;
    for (std::int64_t j = 0; j < sm; ++j) {
      const auto unit = at::zeros({1, sm}, at::TensorOptions().dtype(at::kDouble)).index_fill_(1, at::tensor({j}), 1.0);
      const auto dual_z = at::_make_dual(z, unit, dual.level());
      copy_out(tangent_of(torch_detail::decode_flat(impl_->module, dual_z, impl_->info), dual.level()),
               jacobian.column(static_cast<std::size_t>(j)));
    }
  } else {
    torch::AutoGradMode grad_mode(true);
    const auto input = z.clone().requires_grad_(true);
    const auto mean = torch_detail::decode_flat(impl_->module, input, impl_->info);
    for (std::int64_t i = 0; i < sn; ++i) {
      const auto unit = at::zeros({1, sn}, at::TensorOptions().dtype(at::kDouble)).index_fill_(1, at::tensor({i}), 1.0);
      const auto row = torch::autograd::grad({mean}, {input}, {unit}, true, false, true)[0];
      if (!row.defined()) continue;
      const auto values = row.contiguous();
      for (std::size_t j = 0; j < m; ++j) jacobian(static_cast<std::size_t>(i), j) = values.data_ptr<double>()[j];
    }
  }
}

// The first batched Jacobian measures the chunk size; a measurement is not work asked for,
// so it is not counted.
std::size_t TorchGenerator::jacobian_chunk_size() const {
  if (impl_->jacobian_chunk == 0) {
    DenseMatrix jacobian;
    compute_jacobian(std::vector<double>(latent_dimension(), 0.0), jacobian, JacobianMethod::forward_batched);
  }
  return impl_->jacobian_chunk;
}

std::size_t TorchGenerator::jacobian_bytes_per_direction() const {
  jacobian_chunk_size();
  return impl_->jacobian_bytes_per_direction;
}

void TorchGenerator::encode_impl(std::span<const double> image, std::span<double> mean,
                                 std::span<double> variance) const {
  encode(image, 1, mean, variance);
}

void TorchGenerator::encode(std::span<const double> images, std::size_t batch, std::span<double> means,
                            std::span<double> variances) const {
  PB_REQUIRE(impl_->info.has_encoder, impl_->path, ": the model has no method 'encode'");
  const std::size_t m = latent_dimension(), n = image_size();
  PB_REQUIRE(images.size() == batch * n && means.size() == batch * m && variances.size() == batch * m, impl_->path,
             ": encode of ", batch, " images needs ", batch * n, " image values and ", batch * m,
             " values for each of mean and variance");
  if (batch == 0) return;
  torch::NoGradGuard no_grad;
  const auto [mean, log_variance] = torch_detail::encode_flat(
      impl_->module, view(images, static_cast<std::int64_t>(batch), static_cast<std::int64_t>(n)), impl_->info);
  copy_out(mean, means);
  copy_out(log_variance.exp(), variances);
}

void TorchGenerator::save(const std::string& path) const {
  try {
    impl_->module.save(path);
  } catch (const std::exception& error) {
    PB_FAIL(path, ": cannot write the model: ", torch_detail::summarize(error));
  }
}

}  // namespace priorbench
