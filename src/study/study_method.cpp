#include "study/study_method.hpp"

#include <algorithm>
#include <sstream>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "inference/gaussian_posterior.hpp"
#include "priors/variable_space_priors.hpp"
#include "study/generator_methods.hpp"
#include "study/method_options.hpp"

namespace priorbench {

MethodOutcome gaussian_outcome(PosteriorResult result) {
  MethodOutcome outcome;
  outcome.mean = std::move(result.mean);
  outcome.std = std::move(result.std);
  outcome.std_exact = result.std_exact;
  outcome.std_method = result.std_method;
  outcome.solver_reason = result.mean_solve.reason_name;
  outcome.iterations = result.mean_solve.iterations + result.sample_iterations;
  outcome.forward_applications = result.forward_applications;
  outcome.adjoint_applications = result.adjoint_applications;
  outcome.details["ksp_residual_norm"] = result.mean_solve.residual_norm;
  outcome.details["std_samples"] = result.std_samples;
  return outcome;
}

namespace {

// white / empirical / file: a Gaussian prior fixed for the whole study, the exact
// Gaussian posterior per task.
class GaussianPriorMethod final : public StudyMethod {
 public:
  using PriorBuilder = std::function<std::shared_ptr<const DiagonalPlusLowRankPrior>()>;
  GaussianPriorMethod(PriorBuilder builder, PosteriorOptions options)
      : builder_(std::move(builder)), options_(std::move(options)) {}

  MethodOutcome run(const TaskProblem& problem) override {
    if (!prior_) prior_ = builder_();
    PosteriorOptions options = options_;
    options.seed = problem.seed;
    options.task = static_cast<std::uint64_t>(problem.task->id);
    GaussianPosterior posterior(problem.forward, prior_, problem.sigma, options);
    PosteriorResult result = posterior.solve(problem.data);
    MethodOutcome outcome = gaussian_outcome(std::move(result));
    outcome.prior = prior_;
    return outcome;
  }

 private:
  PriorBuilder builder_;
  PosteriorOptions options_;
  std::shared_ptr<const DiagonalPlusLowRankPrior> prior_;
};

TrainingImages as_training(const TrainingImagesView& view) {
  return {view.count, view.pixels_per_image, {view.pixels, view.count * view.pixels_per_image}};
}

std::unique_ptr<StudyMethod> make_gaussian_prior_method(const MethodSpec& spec, const StudySpec& study,
                                                        const StudyResources& resources, MPI_Comm comm) {
  MethodOptions options(spec, study);
  const PosteriorOptions posterior = posterior_options(options);
  GaussianPriorMethod::PriorBuilder builder;
  if (spec.name == "white") {
    const double tau2 = options.number("tau2", 0.0);
    PB_REQUIRE(tau2 >= 0, options.where("tau2"), " must be positive, got ", tau2);
    builder = [=]() -> std::shared_ptr<const DiagonalPlusLowRankPrior> {
      const auto training = as_training(resources.training());
      return make_white_prior(comm, static_cast<PetscInt>(training.pixels_per_image),
                              tau2 > 0 ? tau2 : mean_squared_pixel(training));
    };
  } else if (spec.name == "empirical") {
    EmpiricalPriorOptions empirical;
    empirical.delta = options.number("delta", empirical.delta);
    PB_REQUIRE(empirical.delta > 0, options.where("delta"), " must be positive, got ", empirical.delta);
    empirical.rank = options.count("rank", 0);
    builder = [=]() -> std::shared_ptr<const DiagonalPlusLowRankPrior> {
      return make_empirical_prior(comm, as_training(resources.training()), empirical);
    };
  } else {
    const std::string path = options.text("file", "");
    PB_REQUIRE(!path.empty(), options.where("file"), " is required for method 'file'");
    builder = [=]() -> std::shared_ptr<const DiagonalPlusLowRankPrior> {
      auto file = h5::open_file(path);
      return load_prior(comm, file, path);
    };
  }
  options.refuse_unknown();
  return std::make_unique<GaussianPriorMethod>(std::move(builder), posterior);
}

}  // namespace

const std::vector<std::string>& study_method_names() {
  static const std::vector<std::string> names = {"white",      "empirical",      "file",       "laplace",
                                                 "latent_map", "latent_laplace", "latent_mcmc"};
  return names;
}

std::unique_ptr<StudyMethod> make_study_method(const MethodSpec& spec, const StudySpec& study,
                                               const StudyResources& resources, MPI_Comm comm) {
  if (spec.name == "white" || spec.name == "empirical" || spec.name == "file") {
    return make_gaussian_prior_method(spec, study, resources, comm);
  }
  if (spec.name == "laplace" || spec.name == "latent_map" || spec.name == "latent_laplace" ||
      spec.name == "latent_mcmc") {
    return make_generator_method(spec, study, resources);
  }
  std::string valid;
  for (const auto& name : study_method_names()) valid += (valid.empty() ? "" : ", ") + name;
  PB_FAIL(study.path, ": field 'method.", spec.label, ".name' has unknown method '", spec.name, "' (valid: ", valid,
          ")");
}

}  // namespace priorbench
