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
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include "app/command.hpp"
#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/output_files.hpp"
#include "core/version.hpp"
#include "core/versions.hpp"
#include "data/image_source.hpp"
#include "diagnostics/metrics.hpp"
#include "generative/torch/generator_loader.hpp"
#include "methods/method_factory.hpp"
#include "methods/method_resources.hpp"
#include "methods/observation.hpp"
#include "operators/operator_factory.hpp"

namespace priorbench::app {
namespace {

const char* const kSolveFormat = "priorbench-solve-1";

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
  std::string model;
  GeneratorRoute generator_route = GeneratorRoute::automatic;
  // The typed options of each method, filled by the flags below; the flags every
  // Gaussian-posterior method shares (--std, --std-samples, --rtol) and every generator
  // method shares (--likelihood) are kept once and copied in (method_options).
  WhiteOptions white;
  EmpiricalOptions empirical;
  FilePriorOptions file;
  LaplaceOptions laplace;
  LatentMcmcOptions latent_mcmc;
  std::size_t mcmc_samples = 0;  // --mcmc-samples for the sampler chosen; 0: its default
  GaussianStdOptions std;
  LatentOptions latent;
  FlowOptions flow;
  std::string output;
  bool force = false;
  std::string command_line;
};

// The observation, and the truth and its source when known.
struct Problem {
  Observation observation;
  std::optional<std::vector<double>> truth;
  std::string source;
};

struct SolvedMethod {
  std::string method;
  MethodOutcome outcome;
  std::optional<ReconstructionMetrics> metrics;
};

// An enum option from its names (in enum order), for CLI11.
template <class Enum>
std::map<std::string, Enum> choices(const std::vector<std::string>& names) {
  std::map<std::string, Enum> map;
  for (std::size_t i = 0; i < names.size(); ++i) map[names[i]] = static_cast<Enum>(i);
  return map;
}

// The flag that sets an option key, for error messages.
std::string flag_of(const std::string& method, const std::string& key) {
  static const std::map<std::string, std::string> shared = {{"std", "--std"},   {"std_samples", "--std-samples"},
                                                            {"rtol", "--rtol"}, {"likelihood", "--likelihood"},
                                                            {"tau2", "--tau2"}, {"file", "--prior-file"}};
  if (const auto found = shared.find(key); found != shared.end()) return found->second;
  if (method.starts_with("flow_") && key == "map_prior_starts") return "--flow-prior-starts";
  const std::string prefix = method == "latent_mcmc" ? "--mcmc-" : "--" + method + "-";
  std::string flag = prefix + key;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

// The flags of latent_mcmc; those of one sampler only are listed in sampler_flags().
void add_mcmc_options(CLI::App& command, SolveOptions& o) {
  LatentMcmcOptions& mcmc = o.latent_mcmc;
  command.add_option("--mcmc-sampler", mcmc.sampler, "latent_mcmc: nuts (the default) or pcn")
      ->transform(CLI::CheckedTransformer(choices<LatentSampler>(latent_sampler_names())));
  command.add_option("--mcmc-chains", mcmc.chains, "latent_mcmc: independent chains")->capture_default_str();
  command.add_flag("--mcmc-predictive", mcmc.predictive,
                   "latent_mcmc: pixel std of x = mu(z) + Gamma^(1/2) eps instead of mu(z)");
  command.add_option("--mcmc-samples", o.mcmc_samples,
                     "latent_mcmc: kept iterations per chain (default: nuts " + std::to_string(mcmc.nuts.samples) +
                         ", pcn " + std::to_string(mcmc.pcn.samples) + ")");
  command.add_option("--mcmc-warmup", mcmc.nuts.warmup, "latent_mcmc nuts: warm-up iterations")->capture_default_str();
  command.add_option("--mcmc-max-tree-depth", mcmc.nuts.max_tree_depth, "latent_mcmc nuts: most tree doublings")
      ->capture_default_str();
  command
      .add_option("--mcmc-target-acceptance", mcmc.nuts.target_acceptance,
                  "latent_mcmc nuts: acceptance statistic the step size adapts to")
      ->capture_default_str();
  command.add_option("--mcmc-metric", mcmc.nuts.metric, "latent_mcmc nuts: dense (the default) or diagonal")
      ->transform(CLI::CheckedTransformer(choices<MetricKind>(metric_kind_names())));
  command.add_option("--mcmc-temperatures", mcmc.pcn.temperatures, "latent_mcmc pcn: parallel-tempering levels")
      ->capture_default_str();
  command.add_option("--mcmc-burn-in", mcmc.pcn.burn_in, "latent_mcmc pcn: burn-in steps")->capture_default_str();
}

// Flags that belong to one sampler: given with the other one, they are refused.
const std::map<std::string, LatentSampler>& sampler_flags() {
  static const std::map<std::string, LatentSampler> flags = {{"--mcmc-warmup", LatentSampler::nuts},
                                                             {"--mcmc-max-tree-depth", LatentSampler::nuts},
                                                             {"--mcmc-target-acceptance", LatentSampler::nuts},
                                                             {"--mcmc-metric", LatentSampler::nuts},
                                                             {"--mcmc-temperatures", LatentSampler::pcn},
                                                             {"--mcmc-burn-in", LatentSampler::pcn}};
  return flags;
}

void check_sampler_flags(const CLI::App& command, const SolveOptions& o) {
  for (const auto& [flag, sampler] : sampler_flags()) {
    PB_REQUIRE(command.count(flag) == 0 || sampler == o.latent_mcmc.sampler, flag, " is an option of --mcmc-sampler ",
               latent_sampler_names().at(static_cast<std::size_t>(sampler)), ", not of ",
               latent_sampler_names().at(static_cast<std::size_t>(o.latent_mcmc.sampler)));
  }
}

void add_options(CLI::App& command, SolveOptions& o) {
  command.add_option(
      "--image", o.image,
      "Truth image: fashion-mnist:SPLIT:INDEX, mri:..., fastmri:..., FILE.h5:DATASET[:INDEX] (docs/data.md)");
  command.add_option("--data", o.data_file, "Observed data instead of --image: HDF5 with dataset y (see docs)");
  command.add_option("--image-shape", o.image_shape, "HxW of the unknown image with --data (default: from the file)");
  command.add_option("--operator", o.op.name, "Forward operator")
      ->check(CLI::IsMember(operator_names()))
      ->capture_default_str();
  command.add_option("--data-size", o.op.data_size, "Data size d (default: the operator's, see docs/operators.md)")
      ->check(CLI::Range(PetscInt{1}, std::numeric_limits<PetscInt>::max()));
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
                  "latent_mcmc, flow_map, flow_laplace (the last two need a --model of kind flow)")
      ->delimiter(',')
      ->capture_default_str();
  command.add_option("--seed", o.seed, "Seed of the noise, masks and samples")->capture_default_str();
  command.add_option("--training", o.training, "Training set for tau^2 and the empirical prior")->capture_default_str();
  command.add_option("--training-limit", o.training_limit, "Use the first N training images (0: all)")
      ->capture_default_str();
  command.add_option("--tau2", o.white.tau2, "white: prior variance (default: mean squared training pixel)");
  command.add_option("--empirical-delta", o.empirical.prior.delta, "empirical: nugget delta in S + delta^2 I")
      ->capture_default_str();
  command
      .add_option("--empirical-rank", o.empirical.prior.rank,
                  "empirical: principal components kept (0: all; probabilistic PCA otherwise)")
      ->capture_default_str();
  command.add_option("--prior-file", o.file.file, "file: HDF5 prior with datasets mean, diagonal, factor");
  command.add_option("--model", o.model, "Generator model file (TorchScript, docs/model-format.md)");
  command
      .add_option("--generator-route", o.generator_route,
                  "How the model is evaluated: automatic (the default: native where recognized), native, torchscript")
      ->transform(CLI::CheckedTransformer(choices<GeneratorRoute>(generator_route_names())));
  command
      .add_option("--likelihood", o.latent.likelihood,
                  "Latent methods: seeds (sigma^2 I, the default) or marginal (+ A Gamma A^T)")
      ->transform(CLI::CheckedTransformer(choices<LatentLikelihood>(likelihood_names())));
  command
      .add_option("--laplace-z0", o.laplace.z0,
                  "laplace: linearization point zero, latent_map (the default) or encoder")
      ->transform(CLI::CheckedTransformer(choices<LinearizationPoint>(linearization_point_names())));
  command.add_option("--laplace-nugget", o.laplace.nugget, "laplace: nugget eta^2 added to Gamma(z0)")
      ->capture_default_str();
  add_mcmc_options(command, o);
  command
      .add_option("--flow-prior-starts", o.flow.map_prior_starts,
                  "flow_map, flow_laplace: prior draws among the flow MAP's starts (besides zero and adjoint)")
      ->capture_default_str();
  command.add_option("--std", o.std.route, "Pixel std route: auto (the default), woodbury, dense, samples, none")
      ->transform(CLI::CheckedTransformer(choices<VarianceRoute>(variance_route_names())));
  command.add_option("--std-samples", o.std.samples, "Posterior samples for the sampled std")->capture_default_str();
  command.add_option("--rtol", o.std.relative_tolerance, "CG relative tolerance")->capture_default_str();
  command.add_option("-o,--output", o.output, "Output HDF5 file")->required()->check(non_empty_path());
  command.add_flag("--force", o.force, "Replace an existing output file");
}

// The typed options of `method`, from the flags (the shared ones copied in).
MethodOptions method_options(const std::string& method, const SolveOptions& o) {
  MethodOptions options = default_method_options(method, "--method");
  std::visit(
      [&o](auto& typed) {
        using Options = std::decay_t<decltype(typed)>;
        if constexpr (std::is_same_v<Options, WhiteOptions>) typed = o.white;
        if constexpr (std::is_same_v<Options, EmpiricalOptions>) typed = o.empirical;
        if constexpr (std::is_same_v<Options, FilePriorOptions>) typed = o.file;
        if constexpr (std::is_same_v<Options, LaplaceOptions>) typed = o.laplace;
        if constexpr (std::is_same_v<Options, LatentMcmcOptions>) {
          typed = o.latent_mcmc;
          auto& samples = typed.sampler == LatentSampler::nuts ? typed.nuts.samples : typed.pcn.samples;
          if (o.mcmc_samples > 0) samples = o.mcmc_samples;
        }
        if constexpr (requires { typed.std; }) typed.std = o.std;
        if constexpr (requires { typed.latent; }) typed.latent = o.latent;
        if constexpr (requires { typed.flow; }) typed.flow = o.flow;
      },
      options);
  return options;
}

void validate(const SolveOptions& o) {
  PB_REQUIRE(o.image.empty() != o.data_file.empty(), "give exactly one of --image and --data");
  PB_REQUIRE(!o.data_file.empty() || o.sigma > 0, "--sigma must be positive, got ", o.sigma);
  PB_REQUIRE(o.sigma >= 0 && std::isfinite(o.sigma), "--sigma must be positive, got ", o.sigma);
  PB_REQUIRE(!o.methods.empty(), "--method lists no method");
  for (const auto& method : o.methods) {
    const MethodOptions options = method_options(method, o);
    PB_REQUIRE(!needs_generator(options) || !o.model.empty(), "--method ", method,
               " needs a generator: pass --model FILE");
    validate(options, [&method](const std::string& key) { return flag_of(method, key); });
  }
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

// The operator as specified, its random parts (inpaint and fourier masks, the gaussian
// matrix) drawn from --seed like the noise.
OperatorSpec seeded_operator(const SolveOptions& o) {
  OperatorSpec spec = o.op;
  spec.seed = o.seed;
  return spec;
}

Problem simulate_problem(const SolveOptions& o, MPI_Comm comm) {
  const auto image = data::load_image(o.image);
  auto forward = make_operator(comm, image.shape, seeded_operator(o));
  return {simulate_observation(std::move(forward), image.shape, image.pixels, o.sigma, {o.seed, 0}), image.pixels,
          image.source};
}

// --data FILE: dataset y; optional attribute sigma, dataset truth (H×W), attributes
// height/width and group operator (as written by this command, so an output file is a
// valid input).
Problem observed_problem(const SolveOptions& o, MPI_Comm comm) {
  auto file = h5::open_file(o.data_file);
  Problem problem;
  problem.source = o.data_file;
  ImageShape shape;
  if (h5::exists(file, "truth")) {
    h5::Shape truth_shape;
    problem.truth = h5::read_doubles(file, "truth", &truth_shape);
    PB_REQUIRE(truth_shape.size() == 2, o.data_file, ":/truth must be a 2-D image, it has ", truth_shape.size(),
               " dimensions");
    shape = {static_cast<PetscInt>(truth_shape[0]), static_cast<PetscInt>(truth_shape[1])};
  } else if (h5::has_attribute(file, "height") && h5::has_attribute(file, "width")) {
    shape = {static_cast<PetscInt>(h5::read_integer_attribute(file, "height")),
             static_cast<PetscInt>(h5::read_integer_attribute(file, "width"))};
  }
  if (!o.image_shape.empty()) {
    const ImageShape given = parse_shape(o.image_shape);
    PB_REQUIRE(shape.size() == 0 || given == shape, "--image-shape ", o.image_shape, " disagrees with ", o.data_file,
               " (", shape.height, "x", shape.width, ")");
    shape = given;
  }
  PB_REQUIRE(shape.size() > 0, o.data_file,
             " declares no image shape (no truth, no height/width attributes); pass --image-shape HxW");
  Observation& observation = problem.observation;
  observation.shape = shape;
  observation.random = {o.seed, 0};
  observation.forward = h5::exists(file, "operator") ? load_operator(comm, shape, h5::open_group(file, "operator"))
                                                     : make_operator(comm, shape, seeded_operator(o));
  const auto y = h5::read_doubles(file, "y");
  PB_REQUIRE(static_cast<PetscInt>(y.size()) == observation.forward->rows(), o.data_file, ":/y has ", y.size(),
             " values but operator '", observation.forward->name(), "' produces ", observation.forward->rows());
  observation.data = observation.forward->make_range_vector();
  petsc::set_from_global(observation.data, y);
  observation.sigma = o.sigma;
  if (observation.sigma == 0) {
    PB_REQUIRE(h5::has_attribute(file, "sigma"), o.data_file, " has no sigma attribute; pass --sigma");
    observation.sigma = h5::read_double_attribute(file, "sigma");
    PB_REQUIRE(observation.sigma > 0, o.data_file, ":/sigma must be positive, got ", observation.sigma);
  }
  return problem;
}

std::string text_of(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

// Each method draws from its own random stream (method i: task i), as solve always has.
std::vector<SolvedMethod> run_methods(const SolveOptions& o, const Problem& problem) {
  const Observation& observation = problem.observation;
  ResourceFiles files{o.training, o.training_limit, o.model, observation.shape, "--training", "--model", {}};
  LazyMethodResources resources(
      std::move(files), [route = o.generator_route](const std::string& path) -> std::shared_ptr<const Generator> {
        return load_generator(path, route);
      });
  std::optional<petsc::Vector> truth;
  if (problem.truth) {
    truth = observation.forward->make_domain_vector();
    petsc::set_from_global(*truth, *problem.truth);
  }
  std::vector<SolvedMethod> solved;
  for (std::size_t index = 0; index < o.methods.size(); ++index) {
    const auto method = make_method(method_options(o.methods[index], o), resources.view());
    SolvedMethod result{o.methods[index], method->reconstruct(observation.with_random({o.seed, index})), {}};
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
  if (!o.generator_route.empty()) h5::write_attribute(group, "generator_route", o.generator_route);
  h5::write_attribute(group, "std_exact", static_cast<std::int64_t>(o.std_exact));
  h5::write_attribute(group, "converged", static_cast<std::int64_t>(o.converged));
  h5::write_attribute(group, "solver_reason", o.solver_reason);
  h5::write_attribute(group, "warning", o.warning);
  h5::write_attribute(group, "iterations", o.iterations);
  h5::write_attribute(group, "forward_applications", o.forward_applications);
  h5::write_attribute(group, "adjoint_applications", o.adjoint_applications);
  h5::write_attribute(group, "decoder_passes", o.decoder_passes);
  h5::write_attribute(group, "seconds", o.seconds);
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
    h5::write_attribute(file, "height", static_cast<std::int64_t>(problem.observation.shape.height));
    h5::write_attribute(file, "width", static_cast<std::int64_t>(problem.observation.shape.width));
    h5::write_attribute(file, "sigma", problem.observation.sigma);
    h5::write_attribute(file, "seed", static_cast<std::int64_t>(o.seed));
    if (problem.truth)
      h5::write(file, "truth", *problem.truth,
                {hsize_t(problem.observation.shape.height), hsize_t(problem.observation.shape.width)});
  }
  const auto y = petsc::gather_to_zero(problem.observation.data);
  if (session.rank() == 0) {
    h5::write(file, "y", y);
    auto group = h5::create_group(file, "operator");
    problem.observation.forward->save(group);
    h5::create_group(file, "methods");
  }
  const h5::Shape image_shape = {hsize_t(problem.observation.shape.height), hsize_t(problem.observation.shape.width)};
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
  std::cout << "priorbench solve: " << problem.source << ", operator " << problem.observation.forward->name()
            << " (d = " << problem.observation.forward->rows() << ", n = " << problem.observation.shape.size()
            << (o.op.acceleration > 0 ? ", acceleration " + text_of(o.op.acceleration) : "")
            << "), sigma = " << problem.observation.sigma << ", " << session.size() << " rank"
            << (session.size() > 1 ? "s" : "") << "\n";
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
              << std::setw(7) << r.iterations << std::setw(26) << r.solver_reason << fixed(r.seconds, 3) << " s\n";
    if (!r.warning.empty()) std::cout << "  warning (" << solved.method << "): " << r.warning << "\n";
  }
  std::cout << "wrote " << o.output << std::endl;
}

}  // namespace

CommandRunner register_solve(CLI::App& app) {
  auto* command = app.add_subcommand("solve", "Reconstruct one image with every method of DESIGN §2");
  auto options = std::make_shared<SolveOptions>();
  add_options(*command, *options);
  return [options, command](const Session& session) {
    options->command_line = command_line_text();
    check_sampler_flags(*command, *options);
    validate(*options);
    const Problem problem = options->data_file.empty() ? simulate_problem(*options, session.comm())
                                                       : observed_problem(*options, session.comm());
    const auto outcomes = run_methods(*options, problem);
    write_output(*options, problem, outcomes, session);
    print_summary(*options, problem, outcomes, session);
  };
}

}  // namespace priorbench::app
