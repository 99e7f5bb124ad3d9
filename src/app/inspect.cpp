// `priorbench inspect`: the seeds' sensitivity analysis (DESIGN §3) for one model, image,
// operator and noise level — the MAP z* (a VAE's or GAN's latent MAP; a normalizing
// flow's pixel-space MAP with its exact density, flow_map), the SVD of M = A J(z*), Fisher
// information, identifiable directions, Cramér–Rao bounds, the images J v_i of the
// leading and trailing directions (PNG), the image's distance to the generator's range,
// and the model's posterior-collapse diagnostics. Layout: docs/diagnostics.md.

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <limits>

#include "app/command.hpp"
#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/output_files.hpp"
#include "core/png.hpp"
#include "data/image_source.hpp"
#include "diagnostics/range_distance.hpp"
#include "diagnostics/sensitivity.hpp"
#include "generative/posterior_collapse.hpp"
#include "generative/torch/generator_loader.hpp"
#include "inference/flow_map.hpp"
#include "inference/latent_map.hpp"
#include "inference/latent_problem.hpp"
#include "methods/observation.hpp"
#include "operators/operator_factory.hpp"

namespace priorbench::app {
namespace {

struct InspectOptions {
  std::string model;
  std::string image;
  OperatorSpec op;
  double sigma = 0;
  std::uint64_t seed = 0;
  std::string likelihood = "seeds";
  std::string collapse_set = "fashion-mnist:test";
  std::size_t collapse_images = 2000;
  std::size_t directions_shown = 8;
  std::string output;
  bool force = false;
};

void add_options(CLI::App& command, InspectOptions& o) {
  o.op.name = "inpaint";
  command.add_option("--model", o.model, "Generator model file")->required();
  command
      .add_option(
          "--image", o.image,
          "Truth image: fashion-mnist:SPLIT:INDEX, mri:..., fastmri:..., FILE.h5:DATASET[:INDEX] (docs/data.md)")
      ->required();
  command.add_option("--operator", o.op.name, "Forward operator")
      ->check(CLI::IsMember(operator_names()))
      ->capture_default_str();
  command.add_option("--data-size", o.op.data_size, "Data size d (default: the operator's)")
      ->check(CLI::Range(PetscInt{1}, std::numeric_limits<PetscInt>::max()));
  command.add_option("--acceleration", o.op.acceleration, "fourier: undersampling factor R >= 1, d = about n/R");
  command.add_option("--blur-width", o.op.blur_width, "blur: PSF standard deviation in pixels")->capture_default_str();
  command.add_option("--fourier-mask", o.op.fourier_mask, "fourier: k-space mask")
      ->check(CLI::IsMember(fourier_mask_names()))
      ->capture_default_str();
  command.add_option("--fourier-center-fraction", o.op.fourier_center_fraction, "fourier: centre fraction")
      ->capture_default_str();
  command.add_option("--matrix-file", o.op.matrix_file, "matrix: HDF5 CSR file");
  command.add_option("--sigma", o.sigma, "Noise standard deviation sigma > 0")->required();
  command.add_option("--seed", o.seed, "Seed of the noise, masks and starts")->capture_default_str();
  command.add_option("--likelihood", o.likelihood, "seeds or marginal")
      ->check(CLI::IsMember({"seeds", "marginal"}))
      ->capture_default_str();
  command.add_option("--collapse-set", o.collapse_set, "Images for the collapse diagnostics")->capture_default_str();
  command.add_option("--collapse-images", o.collapse_images, "How many of them (0: all)")->capture_default_str();
  command.add_option("--directions-shown", o.directions_shown, "Leading and trailing directions drawn in the PNG")
      ->capture_default_str();
  command.add_option("-o,--output", o.output, "Output HDF5 file (PNGs beside it)")->required()->check(non_empty_path());
  command.add_flag("--force", o.force, "Replace existing output files");
}

const char* const kInspectFormat = "priorbench-inspect-1";

// The directions PNG is ours when the inspect output beside it is ours and names it.
std::string directions_png_owner(const std::string& output, const std::string& png) {
  const std::string not_ours = "a file that no priorbench inspect output (" + output + ") names as its own";
  if (!std::filesystem::exists(output) || !hdf5_with_format(kInspectFormat)(output).empty()) return not_ours;
  const auto file = h5::open_file(output);
  const bool named =
      h5::has_attribute(file, "directions_png") && h5::read_string_attribute(file, "directions_png") == png;
  return named ? "" : not_ours;
}

std::string stem_of(const std::string& output) {
  const std::filesystem::path path(output);
  return (path.parent_path() / path.stem()).string();
}

// Leading and trailing directions J v_i as one PNG grid: first row leading, second trailing.
void draw_directions(const std::string& path, const SensitivityResult& result, std::size_t shown) {
  const std::size_t m = result.singular_values.size();
  const std::size_t count = std::min(shown, m);
  std::vector<std::vector<double>> tiles;
  auto tile = [&](std::size_t i) {
    const auto column = result.direction_images.column(i);
    tiles.emplace_back(column.begin(), column.end());
  };
  for (std::size_t i = 0; i < count; ++i) tile(i);
  for (std::size_t i = m - count; i < m; ++i) tile(i);
  write_png_grid(path, tiles, static_cast<std::size_t>(result.image_shape.height),
                 static_cast<std::size_t>(result.image_shape.width), count, true);
}

// The point of the analysis: for a flow, the MAP of its exact pixel-space posterior
// (flow_map), where the data-misfit Hessian in z, MᵀM/σ², is the Gauss–Newton part of the
// posterior's curvature that flow_laplace uses; for a VAE or GAN, the latent MAP.
struct AnalysisPoint {
  std::string method;  // "flow_map" or "latent_map": also the output group's name
  LatentMapResult map;
};

AnalysisPoint find_analysis_point(const LatentProblem& problem, std::uint64_t seed) {
  const bool flow = problem.generator().flow() != nullptr;
  LatentMapOptions options = flow ? default_flow_map_options() : LatentMapOptions{};
  options.seed = seed;
  if (flow) return {"flow_map", flow_map(problem, options)};
  return {"latent_map", latent_map(problem, options)};
}

}  // namespace

CommandRunner register_inspect(CLI::App& app) {
  auto* command = app.add_subcommand("inspect", "Sensitivity analysis of a generator under an operator (DESIGN §3)");
  auto options = std::make_shared<InspectOptions>();
  add_options(*command, *options);
  return [options](const Session& session) {
    const InspectOptions& o = *options;
    PB_REQUIRE(o.sigma > 0, "--sigma must be positive, got ", o.sigma);
    const std::string png = stem_of(o.output) + "-directions.png";
    check_replaceable(o.output, o.force, hdf5_with_format(kInspectFormat));
    check_replaceable(png, o.force, [&](const std::filesystem::path&) { return directions_png_owner(o.output, png); });
    check_output_directory(o.output);

    const std::shared_ptr<const Generator> generator = load_generator(o.model);
    const auto image = data::load_image(o.image);
    PB_REQUIRE(generator->image_shape() == image.shape, "--model ", o.model, " makes ", generator->image_shape().height,
               "x", generator->image_shape().width, " images but --image ", o.image, " is ", image.shape.height, "x",
               image.shape.width);
    OperatorSpec spec = o.op;
    spec.seed = o.seed;
    const std::shared_ptr<const ForwardOperator> forward = make_operator(session.comm(), image.shape, spec);
    const Observation observation = simulate_observation(forward, image.shape, image.pixels, o.sigma, {o.seed, 0});

    LatentProblemOptions problem_options;
    problem_options.likelihood = parse_likelihood(o.likelihood);
    const LatentProblem problem(generator, forward, observation.data, o.sigma, problem_options);
    const AnalysisPoint point = find_analysis_point(problem, o.seed);
    const LatentMapResult& map = point.map;
    const SensitivityResult sensitivity = analyze_sensitivity(generator, forward, o.sigma, map.latent);
    RangeDistanceOptions range_options;
    range_options.seed = o.seed;
    const RangeDistanceResult range = distance_to_range(*generator, image.pixels, range_options);
    std::optional<PosteriorCollapse> collapse;
    if (generator->has_encoder()) {
      const auto images = data::load_training_set(o.collapse_set, o.collapse_images);
      collapse = diagnose_posterior_collapse(*generator, images, session.comm());
    }

    if (session.rank() != 0) return;
    AtomicFile output(o.output);
    {
      auto file = h5::create_file(output.path(), true);
      h5::write_attribute(file, "format", kInspectFormat);
      h5::write_attribute(file, "directions_png", png);
      h5::write_attribute(file, "model", o.model);
      h5::write_attribute(file, "generator_route", generator->route());
      h5::write_attribute(file, "image_source", image.source);
      h5::write_attribute(file, "operator", forward->name());
      h5::write_attribute(file, "sigma", o.sigma);
      h5::write_attribute(file, "seed", static_cast<std::int64_t>(o.seed));
      h5::write_attribute(file, "command_line", command_line_text());
      h5::write_attribute(file, "analysis_point", point.method);
      h5::write(file, "truth", image.pixels, {hsize_t(image.shape.height), hsize_t(image.shape.width)});
      auto map_group = h5::create_group(file, point.method);
      h5::write(map_group, "latent", map.latent);
      h5::write(map_group, "image", map.image, {hsize_t(image.shape.height), hsize_t(image.shape.width)});
      h5::write_attribute(map_group, "objective", map.objective);
      h5::write_attribute(map_group, "misfit", map.misfit);
      h5::write_attribute(map_group, "prior_term", map.prior_term);
      h5::write_attribute(map_group, "converged", static_cast<std::int64_t>(map.converged));
      h5::write_attribute(map_group, "reason", map.starts.empty() ? "" : map.starts[map.best_start].reason_name);
      auto sensitivity_group = h5::create_group(file, "sensitivity");
      sensitivity.save(sensitivity_group);
      auto range_group = h5::create_group(file, "range_distance");
      range.save(range_group);
      if (collapse) {
        auto collapse_group = h5::create_group(file, "collapse");
        collapse->save(collapse_group);
      }
    }
    draw_directions(png, sensitivity, o.directions_shown);
    output.commit();

    std::cout << "priorbench inspect: " << image.source << ", operator " << forward->name()
              << " (d = " << forward->rows() << "), sigma = " << o.sigma << "\n"
              << (point.method == "flow_map" ? "flow MAP (exact density)" : "latent MAP") << ": objective "
              << map.objective << (map.converged ? "" : " (NOT converged)") << "\n"
              << sensitivity.summary() << "\n"
              << range.summary() << "\n";
    if (collapse) std::cout << collapse->summary() << "\n";
    std::cout << "wrote " << o.output << " and " << png << " (first row: leading directions J v_i, second row: "
              << "trailing)" << std::endl;
  };
}

}  // namespace priorbench::app
