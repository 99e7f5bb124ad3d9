#include "inference/latent_problem.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"

namespace priorbench {

std::string likelihood_name(LatentLikelihood likelihood) {
  return likelihood == LatentLikelihood::seeds ? "seeds" : "marginal";
}

const std::vector<std::string>& likelihood_names() {
  static const std::vector<std::string> names = {"seeds", "marginal"};
  return names;
}

LatentLikelihood parse_likelihood(const std::string& name) {
  if (name == "seeds") return LatentLikelihood::seeds;
  if (name == "marginal") return LatentLikelihood::marginal;
  PB_FAIL("unknown latent likelihood '", name, "' (valid: seeds, marginal)");
}

LatentProblem::LatentProblem(std::shared_ptr<const Generator> generator, std::shared_ptr<const ForwardOperator> forward,
                             Vec data, double sigma, LatentProblemOptions options)
    : generator_(std::move(generator)), forward_(std::move(forward)), sigma_(sigma), options_(options) {
  PB_REQUIRE(generator_ != nullptr, "a latent problem needs a generator");
  PB_REQUIRE(sigma_ > 0 && std::isfinite(sigma_), "the noise level sigma must be positive, got ", sigma_);
  PB_REQUIRE(generator_->image_size() == forward_.image_size(), "the generator makes images of ",
             generator_->image_size(), " pixels but operator '", forward_.forward().name(), "' acts on ",
             forward_.image_size());
  PetscInt data_length = 0;
  PB_PETSC(VecGetSize(data, &data_length));
  PB_REQUIRE(static_cast<std::size_t>(data_length) == forward_.data_size(), "the data hold ", data_length,
             " values but operator '", forward_.forward().name(), "' produces ", forward_.data_size());
  data_ = petsc::gather_all(data);
  if (options_.likelihood == LatentLikelihood::marginal) {
    setup_marginal_noise();
  }
}

void LatentProblem::setup_marginal_noise() {
  const std::size_t n = image_size(), d = data_size();
  frozen_variance_.assign(n, 0.0);
  const std::vector<double> zero(latent_dimension(), 0.0);
  generator_->decoder_variance(zero, frozen_variance_);
  const auto [smallest, largest] = std::minmax_element(frozen_variance_.begin(), frozen_variance_.end());
  PB_REQUIRE(*smallest >= 0, "the decoder variance must be non-negative, its smallest entry is ", *smallest);
  if (*largest == 0) {
    return;  // Γ = 0: the marginal likelihood is the seeds' one; route stays "scalar"
  }
  const bool scalar = *smallest == *largest;
  if (forward_.forward().gram_is_diagonal(scalar)) {
    noise_route_ = "diagonal";
    noise_diagonal_.assign(d, 0.0);
    forward_.apply_squared(frozen_variance_, noise_diagonal_);
    for (double& value : noise_diagonal_) value += sigma_ * sigma_;
    return;
  }
  PB_REQUIRE(d <= options_.dense_noise_limit, "the marginal likelihood with operator '", forward_.forward().name(),
             "' needs the dense noise covariance sigma^2 I + A Gamma A^T (A Gamma A^T is not diagonal) but d = ", d,
             " exceeds dense_noise_limit = ", options_.dense_noise_limit,
             "; use the seeds likelihood or raise the limit");
  noise_route_ = "dense";
  noise_factor_ = DenseMatrix(d, d);
  std::vector<double> unit(d, 0.0), pixels(n), column(d);
  for (std::size_t i = 0; i < d; ++i) {
    unit[i] = 1.0;
    forward_.apply_transpose(unit, pixels);
    unit[i] = 0.0;
    for (std::size_t j = 0; j < n; ++j) pixels[j] *= frozen_variance_[j];
    forward_.apply(pixels, column);
    std::copy(column.begin(), column.end(), noise_factor_.column(i).begin());
    noise_factor_(i, i) += sigma_ * sigma_;
  }
  for (std::size_t j = 0; j < d; ++j) {  // symmetrize the rounding of A Γ Aᵀ
    for (std::size_t i = j + 1; i < d; ++i) {
      const double mean = 0.5 * (noise_factor_(i, j) + noise_factor_(j, i));
      noise_factor_(i, j) = noise_factor_(j, i) = mean;
    }
  }
  cholesky_in_place(noise_factor_, "the marginal noise covariance sigma^2 I + A Gamma A^T");
}

void LatentProblem::whiten(std::span<double> residual) const {
  if (noise_route_ == "scalar") {
    for (double& value : residual) value /= sigma_;
  } else if (noise_route_ == "diagonal") {
    for (std::size_t i = 0; i < residual.size(); ++i) residual[i] /= std::sqrt(noise_diagonal_[i]);
  } else {
    DenseMatrix row(1, residual.size());  // rᵀ L⁻ᵀ = (L⁻¹ r)ᵀ
    std::copy(residual.begin(), residual.end(), row.data());
    right_solve_lower_transpose(noise_factor_, row);
    std::copy(row.data(), row.data() + residual.size(), residual.begin());
  }
}

void LatentProblem::apply_noise_inverse(std::span<double> residual) const {
  if (noise_route_ == "scalar") {
    for (double& value : residual) value /= sigma_ * sigma_;
  } else if (noise_route_ == "diagonal") {
    for (std::size_t i = 0; i < residual.size(); ++i) residual[i] /= noise_diagonal_[i];
  } else {
    cholesky_solve(noise_factor_, residual);
  }
}

std::vector<double> LatentProblem::residual_of(std::span<const double> image) const {
  std::vector<double> residual = forward_.apply(image);
  for (std::size_t i = 0; i < residual.size(); ++i) residual[i] = data_[i] - residual[i];
  return residual;
}

double LatentProblem::misfit(std::span<const double> latent) const {
  double value = 0;
  misfits(latent, 1, std::span<double>(&value, 1));
  return value;
}

void LatentProblem::misfits(std::span<const double> latents, std::size_t batch, std::span<double> out,
                            std::span<double> images) const {
  const std::size_t m = latent_dimension(), n = image_size();
  PB_REQUIRE(latents.size() == batch * m && out.size() == batch, "misfits: expected ", batch, " latents of length ", m);
  std::vector<double> own_images;
  if (images.empty()) {
    own_images.resize(batch * n);
    images = own_images;
  }
  PB_REQUIRE(images.size() == batch * n, "misfits: the image buffer holds ", images.size(), " values, expected ",
             batch * n);
  generator_->decode(latents, batch, images);
  for (std::size_t item = 0; item < batch; ++item) {
    std::vector<double> residual = residual_of(images.subspan(item * n, n));
    whiten(residual);
    out[item] = 0.5 * std::inner_product(residual.begin(), residual.end(), residual.begin(), 0.0);
  }
}

double LatentProblem::objective_and_gradient(std::span<const double> latent, std::span<double> gradient) const {
  const std::size_t m = latent_dimension(), n = image_size();
  PB_REQUIRE(latent.size() == m && gradient.size() == m, "objective_and_gradient: latents have length ", m);
  std::vector<double> image(n);
  generator_->decode(latent, 1, image);
  std::vector<double> residual = residual_of(image);
  std::vector<double> weighted = residual;
  apply_noise_inverse(weighted);
  const double misfit = 0.5 * std::inner_product(residual.begin(), residual.end(), weighted.begin(), 0.0);
  const std::vector<double> pulled = forward_.apply_transpose(weighted);
  generator_->vjp(latent, pulled, gradient);
  double prior = 0;
  for (std::size_t j = 0; j < m; ++j) {
    gradient[j] = latent[j] - gradient[j];
    prior += 0.5 * latent[j] * latent[j];
  }
  return misfit + prior;
}

void LatentProblem::objectives_and_gradients(std::span<const double> latents, std::size_t batch,
                                             std::span<double> values, std::span<double> gradients) const {
  const std::size_t m = latent_dimension(), n = image_size();
  PB_REQUIRE(latents.size() == batch * m && values.size() == batch && gradients.size() == batch * m,
             "objectives_and_gradients: expected ", batch, " latents and gradients of length ", m, " and ", batch,
             " values");
  std::vector<double> means(batch * n);
  const auto misfit_cotangents = [&](std::span<const double> decoded, std::span<double> cotangents) {
    for (std::size_t item = 0; item < batch; ++item) {
      values[item] = misfit_and_cotangent(decoded.subspan(item * n, n), cotangents.subspan(item * n, n));
    }
  };
  generator_->decode_and_vjp(latents, batch, means, misfit_cotangents, gradients);
  for (std::size_t item = 0; item < batch; ++item) {
    const auto z = latents.subspan(item * m, m);
    values[item] += 0.5 * std::inner_product(z.begin(), z.end(), z.begin(), 0.0);
    for (std::size_t j = 0; j < m; ++j) gradients[item * m + j] += z[j];
  }
}

double LatentProblem::misfit_and_cotangent(std::span<const double> image, std::span<double> cotangent) const {
  const std::vector<double> residual = residual_of(image);
  std::vector<double> weighted = residual;  // Σ⁻¹ (y − A x)
  apply_noise_inverse(weighted);
  const double misfit = 0.5 * std::inner_product(residual.begin(), residual.end(), weighted.begin(), 0.0);
  for (double& value : weighted) value = -value;
  forward_.apply_transpose(weighted, cotangent);
  return misfit;
}

double LatentProblem::objective(std::span<const double> latent) const {
  const double prior = 0.5 * std::inner_product(latent.begin(), latent.end(), latent.begin(), 0.0);
  return misfit(latent) + prior;
}

void LatentProblem::objectives(std::span<const double> latents, std::size_t batch, std::span<double> out) const {
  const std::size_t m = latent_dimension();
  misfits(latents, batch, out);
  for (std::size_t item = 0; item < batch; ++item) {
    const auto z = latents.subspan(item * m, m);
    out[item] += 0.5 * std::inner_product(z.begin(), z.end(), z.begin(), 0.0);
  }
}

GaussNewtonModel LatentProblem::gauss_newton_model(std::span<const double> latent) const {
  const std::size_t m = latent_dimension();
  const Linearization linearization = linearize(latent);
  std::vector<double> residual = residual_of(linearization.image);
  whiten(residual);
  const DenseMatrix& sensitivity = linearization.whitened_sensitivity;
  GaussNewtonModel model;
  model.objective = 0.5 * std::inner_product(residual.begin(), residual.end(), residual.begin(), 0.0) +
                    0.5 * std::inner_product(latent.begin(), latent.end(), latent.begin(), 0.0);
  model.gradient.assign(latent.begin(), latent.end());
  gemv(true, -1.0, sensitivity, residual, 1.0, model.gradient);
  model.normal = DenseMatrix(m, m);
  gemm(true, false, 1.0, sensitivity, sensitivity, 0.0, model.normal);
  for (std::size_t j = 0; j < m; ++j) model.normal(j, j) += 1.0;
  return model;
}

Linearization LatentProblem::linearize(std::span<const double> latent) const {
  const std::size_t m = latent_dimension(), n = image_size(), d = data_size();
  Linearization result;
  result.image.resize(n);
  generator_->decode(latent, 1, result.image);
  generator_->jacobian(latent, result.jacobian);
  PB_REQUIRE(result.jacobian.rows() == n && result.jacobian.cols() == m, "the generator's Jacobian is ",
             result.jacobian.rows(), " x ", result.jacobian.cols(), ", expected ", n, " x ", m);
  result.whitened_sensitivity = DenseMatrix(d, m);
  for (std::size_t j = 0; j < m; ++j) {
    auto column = result.whitened_sensitivity.column(j);
    forward_.apply(result.jacobian.column(j), column);
    whiten(column);
  }
  return result;
}

CostMeter::CostMeter(const LatentProblem& problem)
    : problem_(problem),
      generator_start_(problem.generator().counts()),
      operator_start_(problem.forward().forward().counts()),
      clock_start_(std::chrono::steady_clock::now()) {}

GeneratorCounts CostMeter::generator_counts() const {
  const GeneratorCounts& now = problem_.generator().counts();
  return {now.decoder_passes - generator_start_.decoder_passes, now.jvp - generator_start_.jvp,
          now.vjp - generator_start_.vjp, now.jacobians - generator_start_.jacobians};
}

OperatorCounts CostMeter::operator_counts() const {
  const OperatorCounts& now = problem_.forward().forward().counts();
  return {now.forward - operator_start_.forward, now.adjoint - operator_start_.adjoint};
}

double CostMeter::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start_).count();
}

}  // namespace priorbench
