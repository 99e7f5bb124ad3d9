// `priorbench solve`: one image, one operator, one noise level, the variable-space
// Gaussian priors; writes everything needed to recompute the result into one HDF5 file
// (layout in docs/solve-output.md) and prints a comparison on rank 0.

#include <hdf5.h>
#include <petscsys.h>
#include <slepcsys.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "app/command.hpp"
#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/output_files.hpp"
#include "core/random.hpp"
#include "core/version.hpp"
#include "core/versions.hpp"
#include "data/image_source.hpp"
#include "generative/torch/torch_generator.hpp"
#include "inference/gaussian_posterior.hpp"
#include "inference/metrics.hpp"
#include "operators/operator_factory.hpp"
#include "priors/variable_space_priors.hpp"
#include "study/study_method.hpp"

namespace priorbench::app {
namespace {

const char* const kSolveFormat = "priorbench-solve-1";
const std::vector<std::string> kGeneratorMethods = {"laplace", "latent_map", "latent_laplace", "latent_mcmc"};

OperatorSpec default_operator_spec() {
  OperatorSpec spec;
  spec.name = "identity";
  return spec;
}

struct SolveOptions {
  std::string image;
  std::string data_file;
  std::string image_shape;
  OperatorSpec op = default_operator_spec();
  double sigma = 0;
  std::vector<std::string> methods = {"white", "empirical"};
  std::uint64_t seed = 0;
  std::string training = "fashion-mnist";
  std::size_t training_limit = 0;
  double tau2 = 0;  // 0: from the training set
  EmpiricalPriorOptions empirical;
  std::string prior_file;
  std::string model;
  std::string likelihood = "seeds";
  std::string laplace_z0 = "latent_map";
  double laplace_nugget = 0;
  std::size_t mcmc_chains = 4, mcmc_temperatures = 4, mcmc_burn_in = 1000, mcmc_samples = 2000;
  PosteriorOptions posterior;
  std::string output;
  bool force = false;
  std::string command_line;
};

// The observation: shape, operator, y, σ, and the truth when known.
struct Problem {
  ImageShape shape;
  std::optional<std::vector<double>> truth;
  std::string source;
  std::shared_ptr<ForwardOperator> forward;
  petsc::Vector data;
  double sigma = 0;
};

struct SolvedMethod {
  std::string method;
  MethodOutcome outcome;
  double seconds = 0;
  std::optional<ReconstructionMetrics> metrics;
};

void add_options(CLI::App& command, SolveOptions& o) {
  command.add_option(
      "--image", o.image,
      "Truth image: fashion-mnist:SPLIT:INDEX, mri:..., fastmri:..., FILE.h5:DATASET[:INDEX] (docs/data.md)");
  command.add_option("--data", o.data_file, "Observed data instead of --image: HDF5 with dataset y (see docs)");
  command.add_option("--image-shape", o.image_shape, "HxW of the unknown image with --data (default: from the file)");
  command.add_option("--operator", o.op.name, "Forward operator")
      ->check(CLI::IsMember(operator_names()))
      ->capture_default_str();
  command.add_option("--data-size", o.op.data_size, "Data size d (default: the operator's, see docs/operators.md)");
  command.add_option("--acceleration", o.op.acceleration,
                     "fourier: undersampling factor R >= 1, d = about n/R (instead of --data-size)");
  command.add_option("--blur-width", o.op.blur_width, "blur: Gaussian PSF standard deviation in pixels")
      ->capture_default_str();
  command.add_option("--fourier-mask", o.op.fourier_mask, "fourier: k-space mask")
      ->check(CLI::IsMember(fourier_mask_names()))
      ->capture_default_str();
  command
      .add_option("--fourier-center-fraction", o.op.fourier_center_fraction,
                  "fourier: fully sampled low-frequency fraction")
      ->capture_default_str();
  command.add_option("--matrix-file", o.op.matrix_file, "matrix: HDF5 CSR file (docs/operators.md)");
  command.add_option("--sigma", o.sigma, "Noise standard deviation sigma > 0 (default with --data: the file's)");
  command
      .add_option("--method", o.methods,
                  "Comma-separated methods: white, empirical, file, laplace, latent_map, latent_laplace, "
                  "latent_mcmc")
      ->delimiter(',')
      ->capture_default_str();
  command.add_option("--seed", o.seed, "Seed of the noise, masks and samples")->capture_default_str();
  command.add_option("--training", o.training, "Training set for tau^2 and the empirical prior")->capture_default_str();
  command.add_option("--training-limit", o.training_limit, "Use the first N training images (0: all)")
      ->capture_default_str();
  command.add_option("--tau2", o.tau2, "white: prior variance (default: mean squared training pixel)");
  command.add_option("--empirical-delta", o.empirical.delta, "empirical: nugget delta in S + delta^2 I")
      ->capture_default_str();
  command
      .add_option("--empirical-rank", o.empirical.rank,
                  "empirical: principal components kept (0: all; probabilistic PCA otherwise)")
      ->capture_default_str();
  command.add_option("--prior-file", o.prior_file, "file: HDF5 prior with datasets mean, diagonal, factor");
  command.add_option("--model", o.model, "Generator model file (TorchScript, docs/model-format.md)");
  command.add_option("--likelihood", o.likelihood, "Latent methods: seeds (sigma^2 I) or marginal (+ A Gamma A^T)")
      ->check(CLI::IsMember({"seeds", "marginal"}))
      ->capture_default_str();
  command.add_option("--laplace-z0", o.laplace_z0, "laplace: linearization point zero, latent_map or encoder")
      ->check(CLI::IsMember({"zero", "latent_map", "encoder"}))
      ->capture_default_str();
  command.add_option("--laplace-nugget", o.laplace_nugget, "laplace: nugget eta^2 added to Gamma(z0)")
      ->capture_default_str();
  command.add_option("--mcmc-chains", o.mcmc_chains, "latent_mcmc: independent chains")->capture_default_str();
  command.add_option("--mcmc-temperatures", o.mcmc_temperatures, "latent_mcmc: parallel-tempering levels")
      ->capture_default_str();
  command.add_option("--mcmc-burn-in", o.mcmc_burn_in, "latent_mcmc: burn-in steps")->capture_default_str();
  command.add_option("--mcmc-samples", o.mcmc_samples, "latent_mcmc: steps after burn-in")->capture_default_str();
  command.add_option("--std", o.posterior.std_method, "Pixel std route: auto, woodbury, dense, samples, none")
      ->check(CLI::IsMember({"auto", "woodbury", "dense", "samples", "none"}))
      ->capture_default_str();
  command.add_option("--std-samples", o.posterior.std_samples, "Posterior samples for the sampled std")
      ->capture_default_str();
  command.add_option("--rtol", o.posterior.relative_tolerance, "CG relative tolerance")->capture_default_str();
  command.add_option("-o,--output", o.output, "Output HDF5 file")->required();
  command.add_flag("--force", o.force, "Replace an existing output file");
}

void validate(const SolveOptions& o) {
  PB_REQUIRE(o.image.empty() != o.data_file.empty(), "give exactly one of --image and --data");
  PB_REQUIRE(!o.data_file.empty() || o.sigma > 0, "--sigma must be positive, got ", o.sigma);
  PB_REQUIRE(o.sigma >= 0 && std::isfinite(o.sigma), "--sigma must be positive, got ", o.sigma);
  PB_REQUIRE(!o.methods.empty(), "--method lists no method");
  const auto& valid = study_method_names();
  for (const auto& method : o.methods) {
    PB_REQUIRE(std::find(valid.begin(), valid.end(), method) != valid.end(), "--method: unknown method '", method,
               "' (valid: white, empirical, file, laplace, latent_map, latent_laplace, latent_mcmc)");
    const bool generator =
        std::find(kGeneratorMethods.begin(), kGeneratorMethods.end(), method) != kGeneratorMethods.end();
    PB_REQUIRE(!generator || !o.model.empty(), "--method ", method, " needs a generator: pass --model FILE");
  }
  const bool wants_file = std::find(o.methods.begin(), o.methods.end(), "file") != o.methods.end();
  PB_REQUIRE(!wants_file || !o.prior_file.empty(), "--method file needs --prior-file");
  PB_REQUIRE(o.tau2 >= 0, "--tau2 must be positive, got ", o.tau2);
  PB_REQUIRE(o.posterior.std_samples >= 2, "--std-samples must be at least 2, got ", o.posterior.std_samples);
  PB_REQUIRE(o.posterior.relative_tolerance > 0 && o.posterior.relative_tolerance < 1, "--rtol must be in (0, 1), got ",
             o.posterior.relative_tolerance);
  check_replaceable(o.output, o.force, hdf5_with_format(kSolveFormat));
  check_output_directory(o.output);
}

ImageShape parse_shape(const std::string& text) {
  long height = 0, width = 0;
  char separator = 0;
  std::istringstream in(text);
  PB_REQUIRE((in >> height >> separator >> width) && separator == 'x' && in.eof() && height > 0 && width > 0,
             "--image-shape: expected HxW such as 28x28, got '", text, "'");
  return {static_cast<PetscInt>(height), static_cast<PetscInt>(width)};
}

Problem simulate_problem(const SolveOptions& o, MPI_Comm comm) {
  const auto image = data::load_image(o.image);
  Problem problem{image.shape, image.pixels, image.source, make_operator(comm, image.shape, o.op), {}, o.sigma};
  auto truth = problem.forward->make_domain_vector();
  petsc::set_from_global(truth, image.pixels);
  problem.data = problem.forward->make_range_vector();
  problem.forward->apply(truth, problem.data);
  auto noise = problem.forward->make_range_vector();
  CounterRandom(o.seed, 0, Purpose::data_noise).fill_normal(noise);
  PB_PETSC(VecAXPY(problem.data, o.sigma, noise));
  return problem;
}

// --data FILE: dataset y; optional attribute sigma, dataset truth (H×W), attributes
// height/width and group operator (as written by this command, so an output file is a
// valid input).
Problem observed_problem(const SolveOptions& o, MPI_Comm comm) {
  auto file = h5::open_file(o.data_file);
  Problem problem;
  problem.source = o.data_file;
  if (h5::exists(file, "truth")) {
    h5::Shape shape;
    problem.truth = h5::read_doubles(file, "truth", &shape);
    PB_REQUIRE(shape.size() == 2, o.data_file, ":/truth must be a 2-D image, it has ", shape.size(), " dimensions");
    problem.shape = {static_cast<PetscInt>(shape[0]), static_cast<PetscInt>(shape[1])};
  } else if (h5::has_attribute(file, "height") && h5::has_attribute(file, "width")) {
    problem.shape = {static_cast<PetscInt>(h5::read_integer_attribute(file, "height")),
                     static_cast<PetscInt>(h5::read_integer_attribute(file, "width"))};
  }
  if (!o.image_shape.empty()) {
    const ImageShape given = parse_shape(o.image_shape);
    PB_REQUIRE(problem.shape.size() == 0 || given == problem.shape, "--image-shape ", o.image_shape, " disagrees with ",
               o.data_file, " (", problem.shape.height, "x", problem.shape.width, ")");
    problem.shape = given;
  }
  PB_REQUIRE(problem.shape.size() > 0, o.data_file,
             " declares no image shape (no truth, no height/width attributes); pass --image-shape HxW");
  problem.forward = h5::exists(file, "operator") ? load_operator(comm, problem.shape, h5::open_group(file, "operator"))
                                                 : make_operator(comm, problem.shape, o.op);
  const auto y = h5::read_doubles(file, "y");
  PB_REQUIRE(static_cast<PetscInt>(y.size()) == problem.forward->rows(), o.data_file, ":/y has ", y.size(),
             " values but operator '", problem.forward->name(), "' produces ", problem.forward->rows());
  problem.data = problem.forward->make_range_vector();
  petsc::set_from_global(problem.data, y);
  problem.sigma = o.sigma;
  if (problem.sigma == 0) {
    PB_REQUIRE(h5::has_attribute(file, "sigma"), o.data_file, " has no sigma attribute; pass --sigma");
    problem.sigma = h5::read_double_attribute(file, "sigma");
    PB_REQUIRE(problem.sigma > 0, o.data_file, ":/sigma must be positive, got ", problem.sigma);
  }
  return problem;
}

// Training images and the generator, read once and only if a method needs them.
class SolveResources {
 public:
  SolveResources(const SolveOptions& o, ImageShape shape) : options_(o), shape_(shape) {}

  StudyResources view() {
    StudyResources resources;
    resources.training = [this]() -> const TrainingImagesView& {
      if (!images_) {
        images_ = data::load_training_set(options_.training, options_.training_limit);
        PB_REQUIRE(images_->shape == shape_, "--training ", options_.training, " has images of ", images_->shape.height,
                   "x", images_->shape.width, " but the problem's image is ", shape_.height, "x", shape_.width);
        view_ = {images_->count, static_cast<std::size_t>(images_->shape.size()), images_->pixels.data()};
      }
      return view_;
    };
    resources.generator = [this]() -> std::shared_ptr<const Generator> {
      if (!generator_) {
        auto generator = std::make_shared<TorchGenerator>(options_.model);
        PB_REQUIRE(generator->image_shape() == shape_, "--model ", options_.model, " makes images of ",
                   generator->image_shape().height, "x", generator->image_shape().width, " but the problem's image is ",
                   shape_.height, "x", shape_.width);
        generator_ = std::move(generator);
      }
      return generator_;
    };
    return resources;
  }

 private:
  const SolveOptions& options_;
  ImageShape shape_;
  std::optional<data::ImageSet> images_;
  TrainingImagesView view_;
  std::shared_ptr<const Generator> generator_;
};

std::string text_of(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

// The command-line options of one method, in the form a study's [[method]] table has.
MethodSpec method_spec(const std::string& method, const SolveOptions& o) {
  MethodSpec spec{method, method, {}};
  auto& options = spec.options;
  const bool gaussian_std = method == "white" || method == "empirical" || method == "file" || method == "laplace";
  if (gaussian_std) {
    options["std"] = o.posterior.std_method;
    options["std_samples"] = std::to_string(o.posterior.std_samples);
  }
  if (method == "white" && o.tau2 > 0) options["tau2"] = text_of(o.tau2);
  if (method == "empirical") {
    options["delta"] = text_of(o.empirical.delta);
    options["rank"] = std::to_string(o.empirical.rank);
  }
  if (method == "file") options["file"] = o.prior_file;
  if (std::find(kGeneratorMethods.begin(), kGeneratorMethods.end(), method) != kGeneratorMethods.end()) {
    options["likelihood"] = o.likelihood;
  }
  if (method == "laplace") {
    options["z0"] = o.laplace_z0;
    options["nugget"] = text_of(o.laplace_nugget);
  }
  if (method == "latent_mcmc") {
    options["chains"] = std::to_string(o.mcmc_chains);
    options["temperatures"] = std::to_string(o.mcmc_temperatures);
    options["burn_in"] = std::to_string(o.mcmc_burn_in);
    options["samples"] = std::to_string(o.mcmc_samples);
  }
  return spec;
}

std::vector<SolvedMethod> run_methods(const SolveOptions& o, const Problem& problem, MPI_Comm comm) {
  SolveResources resources(o, problem.shape);
  const StudyResources view = resources.view();
  StudySpec context;
  context.path = "priorbench solve";
  std::optional<petsc::Vector> truth;
  if (problem.truth) {
    truth = problem.forward->make_domain_vector();
    petsc::set_from_global(*truth, *problem.truth);
  }
  Task task;
  task.sigma = problem.sigma;
  std::vector<SolvedMethod> solved;
  for (std::size_t index = 0; index < o.methods.size(); ++index) {
    task.id = static_cast<std::int64_t>(index);  // each method its own random streams, as before
    const auto method = make_study_method(method_spec(o.methods[index], o), context, view, comm);
    const TaskProblem task_problem{&task, o.seed, problem.shape, problem.forward, problem.data, problem.sigma};
    const auto start = std::chrono::steady_clock::now();
    SolvedMethod result{o.methods[index], method->run(task_problem), 0, {}};
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (truth) result.metrics = compute_metrics(result.outcome.mean, result.outcome.std, *truth);
    solved.push_back(std::move(result));
  }
  return solved;
}

void write_metrics(hid_t group, const ReconstructionMetrics& metrics) {
  h5::write_attribute(group, "relative_error", metrics.relative_error);
  h5::write_attribute(group, "psnr", metrics.psnr);
  h5::write_attribute(group, "expected_squared_error", metrics.expected_squared_error);
  h5::write_attribute(group, "coverage_95", metrics.coverage_95);
  h5::write_attribute(group, "mean_interval_width", metrics.mean_interval_width);
}

void write_method_record(hid_t group, const SolvedMethod& solved) {
  const MethodOutcome& o = solved.outcome;
  h5::write_attribute(group, "std_method", o.std ? o.std_method : std::string("none"));
  h5::write_attribute(group, "std_exact", static_cast<std::int64_t>(o.std_exact));
  h5::write_attribute(group, "converged", static_cast<std::int64_t>(o.converged));
  h5::write_attribute(group, "solver_reason", o.solver_reason);
  h5::write_attribute(group, "warning", o.warning);
  h5::write_attribute(group, "iterations", o.iterations);
  h5::write_attribute(group, "forward_applications", o.forward_applications);
  h5::write_attribute(group, "adjoint_applications", o.adjoint_applications);
  h5::write_attribute(group, "decoder_passes", o.decoder_passes);
  h5::write_attribute(group, "seconds", solved.seconds);
  for (const auto& [key, value] : o.details) h5::write_attribute(group, key, value);
  if (!o.latent.empty()) h5::write(group, "latent", o.latent);
}

// Collective (vectors and priors are gathered); rank 0 writes. The file is written under
// a temporary name and renamed at the end, so an existing result is replaced only by a
// complete one.
void write_output(const SolveOptions& o, const Problem& problem, const std::vector<SolvedMethod>& outcomes,
                  const Session& session) {
  std::optional<AtomicFile> temporary;
  h5::Object file;
  if (session.rank() == 0) {
    temporary.emplace(o.output);
    file = h5::create_file(temporary->path(), true);
    h5::write_attribute(file, "format", kSolveFormat);
    h5::write_attribute(file, "priorbench_version", kVersion);
    h5::write_attribute(file, "git_version", kGitVersion);
    h5::write_attribute(file, "libraries", library_versions());
    h5::write_attribute(file, "command_line", o.command_line);
    h5::write_attribute(file, "ranks", static_cast<std::int64_t>(session.size()));
    h5::write_attribute(file, "image_source", problem.source);
    h5::write_attribute(file, "height", static_cast<std::int64_t>(problem.shape.height));
    h5::write_attribute(file, "width", static_cast<std::int64_t>(problem.shape.width));
    h5::write_attribute(file, "sigma", problem.sigma);
    h5::write_attribute(file, "seed", static_cast<std::int64_t>(o.seed));
    if (problem.truth)
      h5::write(file, "truth", *problem.truth, {hsize_t(problem.shape.height), hsize_t(problem.shape.width)});
  }
  const auto y = petsc::gather_to_zero(problem.data);
  if (session.rank() == 0) {
    h5::write(file, "y", y);
    auto group = h5::create_group(file, "operator");
    problem.forward->save(group);
    h5::create_group(file, "methods");
  }
  const h5::Shape image_shape = {hsize_t(problem.shape.height), hsize_t(problem.shape.width)};
  for (const auto& solved : outcomes) {
    const MethodOutcome& outcome = solved.outcome;
    const auto mean = petsc::gather_to_zero(outcome.mean);
    const auto std = outcome.std ? petsc::gather_to_zero(outcome.std) : std::vector<double>{};
    h5::Object group, prior_group;
    if (session.rank() == 0) {
      group = h5::create_group(file, "methods/" + solved.method);
      if (outcome.prior) prior_group = h5::create_group(group, "prior");
      h5::write(group, "mean", mean, image_shape);
      if (outcome.std) h5::write(group, "std", std, image_shape);
      write_method_record(group, solved);
      if (solved.metrics) write_metrics(group, *solved.metrics);
    }
    if (outcome.prior) outcome.prior->save(prior_group);  // collective
  }
  if (session.rank() == 0) {
    file = h5::Object();
    temporary->commit();
  }
}

std::string fixed(double value, int precision) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(precision) << value;
  return out.str();
}

void print_summary(const SolveOptions& o, const Problem& problem, const std::vector<SolvedMethod>& outcomes,
                   const Session& session) {
  if (session.rank() != 0) return;
  std::cout << "priorbench solve: " << problem.source << ", operator " << problem.forward->name()
            << " (d = " << problem.forward->rows() << ", n = " << problem.shape.size()
            << (o.op.acceleration > 0 ? ", acceleration " + text_of(o.op.acceleration) : "")
            << "), sigma = " << problem.sigma << ", " << session.size() << " rank" << (session.size() > 1 ? "s" : "")
            << "\n";
  std::cout << std::left << std::setw(16) << "method" << std::setw(10) << "rel.err" << std::setw(8) << "PSNR"
            << std::setw(9) << "cover95" << std::setw(14) << "std" << std::setw(7) << "iter" << std::setw(26)
            << "reason"
            << "time\n";
  for (const auto& solved : outcomes) {
    const MethodOutcome& r = solved.outcome;
    std::string std_route = r.std ? r.std_method : "none";
    if (r.std_method == "samples") std_route = "~" + text_of(r.details.at("std_samples")) + " samples";
    std::cout << std::left << std::setw(16) << solved.method << std::setw(10)
              << (solved.metrics ? fixed(solved.metrics->relative_error, 4) : "-") << std::setw(8)
              << (solved.metrics ? fixed(solved.metrics->psnr, 2) : "-") << std::setw(9)
              << (solved.metrics && r.std ? fixed(solved.metrics->coverage_95, 3) : "-") << std::setw(14) << std_route
              << std::setw(7) << r.iterations << std::setw(26) << r.solver_reason << fixed(solved.seconds, 3) << " s\n";
    if (!r.warning.empty()) std::cout << "  warning (" << solved.method << "): " << r.warning << "\n";
  }
  std::cout << "wrote " << o.output << std::endl;
}

}  // namespace

CommandRunner register_solve(CLI::App& app) {
  auto* command = app.add_subcommand("solve", "Reconstruct one image with every method of DESIGN §2");
  auto options = std::make_shared<SolveOptions>();
  add_options(*command, *options);
  return [options](const Session& session) {
    options->command_line = command_line_text();
    validate(*options);
    const Problem problem = options->data_file.empty() ? simulate_problem(*options, session.comm())
                                                       : observed_problem(*options, session.comm());
    const auto outcomes = run_methods(*options, problem, session.comm());
    write_output(*options, problem, outcomes, session);
    print_summary(*options, problem, outcomes, session);
  };
}

}  // namespace priorbench::app
