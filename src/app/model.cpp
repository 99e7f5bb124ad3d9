// `priorbench model`: checks a generator model file against the contract of
// docs/model-format.md, prints what it declares (and the collapse diagnostics stored by
// `priorbench train`), and optionally evaluates it on given latents and images.
//
// Sample runs:
//   priorbench model models/fmnist-vae-mlp-m16.pt
//   priorbench model my_pytorch_model.pt --latents z.h5:z --encode x.h5:images -o evaluated.h5
//   priorbench model models/fmnist-vae-mlp-m16.pt --samples 16 --seed 3 -o samples.h5

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>

#include "app/command.hpp"
#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/memory_budget.hpp"
#include "core/output_files.hpp"
#include "core/random.hpp"
#include "generative/torch/torch_generator.hpp"

namespace priorbench::app {
namespace {

const char* const kEvaluationFormat = "priorbench-model-evaluation-1";

struct ModelOptions {
  std::string model;
  std::string latents;  // FILE:DATASET, batch × m
  std::string images;   // FILE:DATASET, batch × H × W
  std::size_t samples = 0;
  std::uint64_t seed = 0;
  std::string output;
  bool force = false;
  int threads = 0;
};

struct Dataset {
  std::vector<double> values;
  h5::Shape shape;
};

Dataset read_dataset(const std::string& option, const std::string& specification) {
  const auto colon = specification.rfind(':');
  PB_REQUIRE(colon != std::string::npos && colon > 0 && colon + 1 < specification.size(), option, " ", specification,
             ": expected FILE:DATASET");
  const auto path = specification.substr(0, colon);
  auto file = h5::open_file(path);
  Dataset dataset;
  dataset.values = h5::read_doubles(file, specification.substr(colon + 1), &dataset.shape);
  return dataset;
}

void print_info(const TorchGenerator& generator) {
  const auto& info = generator.info();
  std::cout << "model " << generator.path() << ": obeys the contract (format_version " << info.format_version << ")\n"
            << "  kind " << generator_kind_name(info.kind) << ", latent_dim " << info.latent_dim << ", image "
            << info.shape.height << "x" << info.shape.width << ", variance_kind "
            << variance_kind_name(info.variance_kind) << ", encoder " << (info.has_encoder ? "yes" : "no") << "\n";
  if (!info.description.empty()) std::cout << "  description: " << info.description << "\n";
  if (info.test_elbo)
    std::cout << "  test ELBO " << std::fixed << std::setprecision(2) << *info.test_elbo << " nats/image\n";
  if (info.test_bits_per_dim)
    std::cout << "  test log-likelihood " << std::fixed << std::setprecision(4) << *info.test_bits_per_dim
              << " bits per dimension (8-bit images, dequantized)\n";
  if (info.diagnostics) std::cout << info.diagnostics->summary();
  if (info.kind == GeneratorKind::gan) {
    std::cout << "  a GAN: Gamma = 0, no encoder; the laplace method needs a nugget eta^2 > 0\n";
  }
  if (info.kind == GeneratorKind::flow) {
    std::cout << "  a normalizing flow: a bijection of the image space (m = n) with an exact density; inverse and "
                 "log_det_jacobian checked at the probe, and inverse(decode(z)) = z there\n";
  }
  std::cout << "  note: a model file is code: loading and evaluating it runs its TorchScript with your rights; "
               "use only files you trust (docs/model-format.md)\n"
            << std::flush;
}

// Refuses NaN and infinite values, naming the first: a model's outputs are not written, and
// its inputs not evaluated, unless they are numbers.
void require_finite(std::span<const double> values, std::size_t row_size, const std::string& what) {
  const auto bad = std::find_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); });
  if (bad == values.end()) return;
  const auto index = static_cast<std::size_t>(bad - values.begin());
  PB_FAIL(what, " has a non-finite value (", *bad, ") in row ", index / row_size, ", column ", index % row_size);
}

// The latents to decode: --latents, or --samples draws of N(0, I), checked before use.
Dataset latents(const ModelOptions& o, const TorchGenerator& generator) {
  const std::size_t m = generator.latent_dimension(), n = generator.image_size();
  Dataset z;
  if (!o.latents.empty()) {
    z = read_dataset("--latents", o.latents);
    PB_REQUIRE(z.shape.size() == 2 && z.shape[1] == m, "--latents ", o.latents, ": expected a batch x ", m,
               " dataset for latent_dim ", m);
    require_finite(z.values, m, "--latents " + o.latents);
  } else if (o.samples > 0) {
    // The latents, means and variances of every sample are held at once.
    require_memory({o.samples, m + 2 * n}, sizeof(double), "--samples " + std::to_string(o.samples) + " of " + o.model);
    z.values.resize(o.samples * m);
    z.shape = {o.samples, m};
    CounterRandom(o.seed, 0, Purpose::latent_prior_samples).fill_normal(z.values, 0);
  }
  return z;
}

struct Evaluations {
  Dataset z;
  std::vector<double> means, variances;                  // batch x n, of z
  std::vector<double> log_dets;                          // a flow's log|det ∂f⁻¹/∂x| at the means
  std::vector<double> encoder_means, encoder_variances;  // batch x m, of the images
  std::size_t images = 0;
};

// Every evaluation, each checked finite, before any file is made.
Evaluations evaluations(const ModelOptions& o, const TorchGenerator& generator) {
  const std::size_t m = generator.latent_dimension(), n = generator.image_size();
  const auto shape = generator.image_shape();
  Evaluations e;
  e.z = latents(o, generator);
  if (!e.z.values.empty()) {
    const std::size_t batch = e.z.shape[0];
    e.means.resize(batch * n);
    e.variances.resize(batch * n);
    generator.decode(e.z.values, batch, e.means);
    for (std::size_t i = 0; i < batch; ++i) {
      generator.decoder_variance(std::span<const double>(e.z.values).subspan(i * m, m),
                                 std::span<double>(e.variances).subspan(i * n, n));
    }
    require_finite(e.means, n, o.model + ": decode(z) of the latents");
    require_finite(e.variances, n, o.model + ": the decoder variance of the latents");
    if (const FlowDensity* flow = generator.flow()) {
      e.log_dets.resize(batch);
      flow->log_det_inverse(e.means, batch, e.log_dets);
      require_finite(e.log_dets, 1, o.model + ": log_det_jacobian(decode(z)) of the latents");
    }
  }
  if (!o.images.empty()) {
    const auto x = read_dataset("--encode", o.images);
    PB_REQUIRE(x.shape.size() == 3 && x.shape[1] == static_cast<hsize_t>(shape.height) &&
                   x.shape[2] == static_cast<hsize_t>(shape.width),
               "--encode ", o.images, ": expected a batch x ", shape.height, " x ", shape.width, " dataset");
    require_finite(x.values, n, "--encode " + o.images);
    e.images = x.shape[0];
    e.encoder_means.resize(e.images * m);
    e.encoder_variances.resize(e.images * m);
    generator.encode(x.values, e.images, e.encoder_means, e.encoder_variances);
    require_finite(e.encoder_means, m, o.model + ": encode(x) means");
    require_finite(e.encoder_variances, m, o.model + ": encode(x) variances");
  }
  return e;
}

void evaluate(const ModelOptions& o, const TorchGenerator& generator) {
  const Evaluations e = evaluations(o, generator);
  const std::size_t m = generator.latent_dimension();
  const auto shape = generator.image_shape();
  const hsize_t height = static_cast<hsize_t>(shape.height), width = static_cast<hsize_t>(shape.width);
  AtomicFile output(o.output);
  auto file = h5::create_file(output.path(), true);
  h5::write_attribute(file, "format", kEvaluationFormat);
  h5::write_attribute(file, "command_line", command_line_text());
  h5::write_attribute(file, "description", generator.description());
  if (!e.z.values.empty()) {
    const std::size_t batch = e.z.shape[0];
    h5::write(file, "latents", e.z.values, {batch, m});
    h5::write(file, "means", e.means, {batch, height, width});
    h5::write(file, "decoder_variances", e.variances, {batch, height, width});
    if (!e.log_dets.empty()) h5::write(file, "log_det_jacobians", e.log_dets, {batch});
  }
  if (e.images > 0) {
    h5::write(file, "encoder_means", e.encoder_means, {e.images, m});
    h5::write(file, "encoder_variances", e.encoder_variances, {e.images, m});
  }
  file = h5::Object();
  output.commit();
  std::cout << "wrote " << o.output << std::endl;
}

}  // namespace

CommandRunner register_model(CLI::App& app) {
  auto* command = app.add_subcommand("model", "Check a model file against the contract and evaluate it");
  auto o = std::make_shared<ModelOptions>();
  command->add_option("model", o->model, "TorchScript model file")->required();
  command->add_option("--latents", o->latents, "Decode these latents: FILE.h5:DATASET (batch x m)");
  command->add_option("--samples", o->samples, "Decode this many z ~ N(0, I) (instead of --latents)");
  command->add_option("--seed", o->seed, "Seed of --samples")->capture_default_str();
  command->add_option("--encode", o->images, "Encode these images: FILE.h5:DATASET (batch x H x W)");
  command->add_option("-o,--output", o->output, "HDF5 file for the evaluations")->check(non_empty_path());
  command->add_flag("--force", o->force, "Replace an existing output file");
  command->add_option("--threads", o->threads, "Torch threads (0: $PRIORBENCH_TORCH_THREADS, else 1)")
      ->check(CLI::Range(0, kMaxTorchThreads));
  return [o](const Session& session) {
    const bool evaluates = !o->latents.empty() || o->samples > 0 || !o->images.empty();
    PB_REQUIRE(!evaluates || !o->output.empty(), "--latents, --samples and --encode need -o FILE.h5");
    PB_REQUIRE(o->latents.empty() || o->samples == 0, "give --latents or --samples, not both");
    if (!o->output.empty()) {
      check_replaceable(o->output, o->force, hdf5_with_format(kEvaluationFormat));
      check_output_directory(o->output);
    }
    const TorchGenerator generator(o->model, {o->threads});
    PB_REQUIRE(o->images.empty() || generator.has_encoder(), "--encode: ", o->model, " has no method 'encode'");
    if (session.rank() != 0) return;
    print_info(generator);
    if (evaluates) evaluate(*o, generator);
  };
}

}  // namespace priorbench::app
