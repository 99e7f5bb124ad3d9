// The [[method]] tables of a study file read into the typed options of the methods layer
// (study/method_tables.hpp, methods/method_fields.hpp): every key lands in its field,
// defaults stay where a key is absent, every error names the file, the field and the
// value, numbers that would wrap are refused, and the options recorded in a results file
// list every field with the value it ran with; named models ([models.NAME]), a method's
// choice among them and the generated truths of each. And the provenance rule of `priorbench run`:
// results under results/ only from a clean source tree, unless --allow-dirty.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/random.hpp"
#include "generative/linear_generator.hpp"
#include "methods/method_fields.hpp"
#include "methods/method_resources.hpp"
#include "study/provenance.hpp"
#include "study/study_spec.hpp"
#include "study/task_inputs.hpp"
#include "study/task_scheduler.hpp"
#include "study/tasks.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::testing_support::expect_error;

namespace {

std::string study_with(const std::string& methods, const std::string& extra = "") {
  return "[study]\nname = \"t\"\n" + extra +
         "[model]\nfile = \"model.pt\"\n[truth]\nkinds = [\"test\"]\ntest_count = 2\n"
         "[operator]\nname = \"inpaint\"\ndata_sizes = [392]\n[noise]\nsigmas = [0.1]\n" +
         methods;
}

pb::StudySpec parse(const std::string& methods, const std::string& extra = "") {
  return pb::parse_study(study_with(methods, extra), "s.toml");
}

}  // namespace

TEST(StudyMethods, EveryKeyLandsInItsTypedField) {
  const pb::StudySpec study = parse(
      "[[method]]\nname = \"white\"\ntau2 = 0.25\nstd = \"samples\"\nstd_samples = 32\n"
      "[[method]]\nname = \"empirical\"\nlabel = \"pca\"\nrank = 16\ndelta = 0.05\n"
      "[[method]]\nname = \"laplace\"\nz0 = \"encoder\"\nnugget = 1e-4\nlikelihood = \"marginal\"\n"
      "[[method]]\nname = \"latent_mcmc\"\nsampler = \"pcn\"\nchains = 8\nburn_in = 10\nsamples = 20\n"
      "thinning = 2\ntemperatures = 1\nhottest_inverse_temperature = 0.5\nmap_prior_starts = 0\n"
      "[[method]]\nname = \"latent_map\"\nmap_solver = \"lbfgs\"\n"
      "[[method]]\nname = \"latent_mcmc\"\nlabel = \"nuts\"\nwarmup = 200\nsamples = 300\nmax_tree_depth = 8\n"
      "target_acceptance = 0.9\nmetric = \"diagonal\"\nbase_window = 60\nstart_spread = 1.5\npredictive = true\n");
  ASSERT_EQ(study.methods.size(), 6u);
  const auto& white = std::get<pb::WhiteOptions>(study.methods[0].options);
  EXPECT_EQ(white.tau2, 0.25);
  EXPECT_EQ(white.std.route, pb::VarianceRoute::samples);
  EXPECT_EQ(white.std.samples, 32);
  EXPECT_EQ(study.methods[1].name, "empirical");
  EXPECT_EQ(study.methods[1].label, "pca");
  const auto& empirical = std::get<pb::EmpiricalOptions>(study.methods[1].options);
  EXPECT_EQ(empirical.prior.rank, 16u);
  EXPECT_EQ(empirical.prior.delta, 0.05);
  EXPECT_EQ(empirical.std.route, pb::VarianceRoute::automatic);  // default kept
  const auto& laplace = std::get<pb::LaplaceOptions>(study.methods[2].options);
  EXPECT_EQ(laplace.z0, pb::LinearizationPoint::encoder);
  EXPECT_EQ(laplace.nugget, 1e-4);
  EXPECT_EQ(laplace.latent.likelihood, pb::LatentLikelihood::marginal);
  const auto& mcmc = std::get<pb::LatentMcmcOptions>(study.methods[3].options);
  EXPECT_EQ(mcmc.sampler, pb::LatentSampler::pcn);
  EXPECT_EQ(mcmc.chains, 8u);
  EXPECT_EQ(mcmc.pcn.burn_in, 10u);
  EXPECT_EQ(mcmc.pcn.samples, 20u);
  EXPECT_EQ(mcmc.pcn.thinning, 2u);
  EXPECT_EQ(mcmc.pcn.temperatures, 1u);
  EXPECT_EQ(mcmc.pcn.hottest_inverse_temperature, 0.5);
  EXPECT_EQ(mcmc.latent.map_prior_starts, 0);
  EXPECT_FALSE(mcmc.predictive);
  const auto& nuts = std::get<pb::LatentMcmcOptions>(study.methods[5].options);
  EXPECT_EQ(nuts.sampler, pb::LatentSampler::nuts);  // the default
  EXPECT_EQ(nuts.chains, 4u);
  EXPECT_EQ(nuts.nuts.warmup, 200u);
  EXPECT_EQ(nuts.nuts.samples, 300u);
  EXPECT_EQ(nuts.nuts.max_tree_depth, 8u);
  EXPECT_EQ(nuts.nuts.target_acceptance, 0.9);
  EXPECT_EQ(nuts.nuts.metric, pb::MetricKind::diagonal);
  EXPECT_EQ(nuts.nuts.base_window, 60u);
  EXPECT_EQ(nuts.nuts.start_spread, 1.5);
  EXPECT_TRUE(nuts.predictive);
  EXPECT_EQ(nuts.pcn.samples, pb::LatentPcnSettings{}.samples);  // the other sampler's keys untouched
  const auto& map = std::get<pb::LatentMapMethodOptions>(study.methods[4].options);
  EXPECT_EQ(map.latent.map_prior_starts, 2);  // default
  EXPECT_EQ(map.latent.map_solver, pb::LatentMapSolver::lbfgs);
  EXPECT_EQ(mcmc.latent.map_solver, pb::LatentMapSolver::levenberg_marquardt);  // default
  EXPECT_EQ(pb::method_name(study.methods[4].options), "latent_map");
}

TEST(StudyMethods, ErrorsNameFileFieldAndValue) {
  const auto refused = [](const std::string& methods, const std::vector<std::string>& fragments,
                          const std::string& extra = "") { expect_error([&] { parse(methods, extra); }, fragments); };
  refused("[[method]]\nname = \"whit\"\n", {"s.toml: field 'method[0].name'", "unknown method 'whit'", "white"});
  refused("[[method]]\nname = \"white\"\ntau = 1\n",
          {"s.toml: unknown field 'method.white.tau' for method 'white'", "tau2"});
  refused("[[method]]\nname = \"white\"\nstd = \"exact\"\n",
          {"s.toml: field 'method.white.std' must be one of auto, woodbury, dense, samples, none, got 'exact'"});
  refused("[[method]]\nname = \"laplace\"\nlabel = \"lin\"\nnugget = -1\n",
          {"s.toml: field 'method.lin.nugget' must be non-negative, got -1"});
  refused("[[method]]\nname = \"laplace\"\nz0 = \"nearest\"\n",
          {"field 'method.laplace.z0' must be one of zero, latent_map, encoder, got 'nearest'"});
  refused("[[method]]\nname = \"empirical\"\nrank = -3\n", {"field 'method.empirical.rank' must be an integer in [0,"});
  refused("[[method]]\nname = \"empirical\"\nrank = 2.5\n", {"field 'method.empirical.rank' must be an integer"});
  refused("[[method]]\nname = \"latent_mcmc\"\nchains = 2\n",
          {"field 'method.latent_mcmc.chains' must be in [4, 1024]"});
  // Each sampler accepts only its own keys: burn_in is pCN's.
  refused("[[method]]\nname = \"latent_mcmc\"\nburn_in = 500\n",
          {"unknown field 'method.latent_mcmc.burn_in' for method 'latent_mcmc'", "sampler = \"pcn\"", "warmup"});
  refused("[[method]]\nname = \"latent_mcmc\"\nsampler = \"pcn\"\nwarmup = 500\n",
          {"unknown field 'method.latent_mcmc.warmup'", "burn_in"});
  refused("[[method]]\nname = \"latent_mcmc\"\nsampler = \"hmc\"\n",
          {"field 'method.latent_mcmc.sampler' must be one of nuts, pcn, got 'hmc'"});
  refused("[[method]]\nname = \"latent_mcmc\"\npredictive = 1\n",
          {"field 'method.latent_mcmc.predictive' must be true or false"});
  refused("[[method]]\nname = \"latent_mcmc\"\nmetric = \"unit\"\n",
          {"field 'method.latent_mcmc.metric' must be one of dense, diagonal, got 'unit'"});
  refused("[[method]]\nname = \"white\"\n[[method]]\nname = \"white\"\n", {"two methods share the label 'white'"});
  // Numbers that do not fit are refused, not wrapped (4294967297 replicates were once 1).
  refused("[[method]]\nname = \"white\"\n",
          {"s.toml: field 'study.replicates' must be an integer in [-2147483648, 2147483647], got 4294967297"},
          "replicates = 4294967297\n");
  refused("[[method]]\nname = \"white\"\n", {"field 'study.save_reconstructions' must be an integer in"},
          "save_reconstructions = 9999999999\n");
  std::string text = study_with("[[method]]\nname = \"latent_map\"\n");
  text.erase(text.find("[model]"), std::string("[model]\nfile = \"model.pt\"\n").size());
  expect_error([&] { pb::parse_study(text, "s.toml"); },
               {"s.toml: method 'latent_map' needs a generator: set [model] file"});
}

TEST(StudyMethods, TheRecordedOptionsListEveryFieldWithItsValue) {
  const pb::StudySpec study = parse("[[method]]\nname = \"laplace\"\nnugget = 0.5\n");
  EXPECT_EQ(pb::describe_fields(study.methods[0].options),
            "likelihood = \"seeds\"\nmap_solver = \"lm\"\nmap_prior_starts = 2\nz0 = \"latent_map\"\nnugget = 0.5\nstd "
            "= \"auto\"\n"
            "std_samples = 64\n");
  // Read back, the record gives the same options: a results file's options are a study table.
  const pb::StudySpec again = parse("[[method]]\nname = \"laplace\"\n" + pb::describe_fields(study.methods[0].options));
  EXPECT_EQ(pb::describe_fields(again.methods[0].options), pb::describe_fields(study.methods[0].options));
}

TEST(Provenance, ResultsUnderResultsComeOnlyFromACleanTree) {
  EXPECT_TRUE(pb::is_under_results_directory("results/quick.h5"));
  EXPECT_TRUE(pb::is_under_results_directory("/tmp/x/results/sub/quick.h5"));
  EXPECT_TRUE(pb::is_under_results_directory("a/../results/quick.h5"));
  EXPECT_FALSE(pb::is_under_results_directory("results.h5"));
  EXPECT_FALSE(pb::is_under_results_directory("my-results/quick.h5"));
  EXPECT_FALSE(pb::is_under_results_directory("results/../elsewhere/quick.h5"));
  EXPECT_NO_THROW(pb::require_reproducible_output("results/quick.h5", "clean", "abc123", false));
  EXPECT_NO_THROW(pb::require_reproducible_output("scratch/quick.h5", "dirty", "abc123-dirty", false));
  EXPECT_NO_THROW(pb::require_reproducible_output("results/quick.h5", "dirty", "abc123-dirty", true));
  expect_error([] { pb::require_reproducible_output("results/quick.h5", "dirty", "abc123-dirty", false); },
               {"-o results/quick.h5", "dirty source tree (abc123-dirty)", "clean commit", "--allow-dirty"});
  expect_error([] { pb::require_reproducible_output("results/quick.h5", "unknown", "unknown", false); },
               {"unknown source tree"});
  EXPECT_EQ(pb::git_dirty_attribute("dirty"), "true");
  EXPECT_EQ(pb::git_dirty_attribute("clean"), "false");
  EXPECT_EQ(pb::git_dirty_attribute("unknown"), "unknown");
  EXPECT_EQ(pb::merged_git_dirty("false", "false"), "false");
  EXPECT_EQ(pb::merged_git_dirty("false", "true"), "true");
  EXPECT_EQ(pb::merged_git_dirty("unknown", "false"), "unknown");
  EXPECT_EQ(pb::merged_git_dirty("true", "unknown"), "true");
}

TEST(StudyTasks, LongestExpectedTasksAreHandedOutFirst) {
  std::string text = study_with("[[method]]\nname = \"white\"\n");
  const auto substitute = [&text](const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
  };
  substitute("data_sizes = [392]", "data_sizes = [196, 392]");
  substitute("sigmas = [0.1]", "sigmas = [0.1, 0.001, 0.01]");
  const pb::StudySpec study = pb::parse_study(text, "s.toml");
  const auto tasks = pb::enumerate_tasks(study);
  std::vector<std::int64_t> pending;
  for (const auto& task : tasks) pending.push_back(task.id);
  const auto order = pb::longest_first(pending, tasks);
  ASSERT_EQ(order.size(), tasks.size());
  EXPECT_TRUE(std::is_permutation(order.begin(), order.end(), pending.begin()));
  for (std::size_t k = 1; k < order.size(); ++k) {
    const pb::Task& before = tasks[static_cast<std::size_t>(order[k - 1])];
    const pb::Task& after = tasks[static_cast<std::size_t>(order[k])];
    EXPECT_LE(before.sigma, after.sigma);  // small σ first
    if (before.sigma == after.sigma) {
      EXPECT_GE(before.data_size, after.data_size);                             // then more data first
      if (before.data_size == after.data_size) EXPECT_LT(before.id, after.id);  // then id order
    }
  }
  EXPECT_EQ(tasks[static_cast<std::size_t>(order.front())].sigma, 0.001);
}

TEST(StudyMethods, TheSamplerRecordsItsOwnKeys) {
  const pb::StudySpec study = parse(
      "[[method]]\nname = \"latent_mcmc\"\n[[method]]\nname = \"latent_mcmc\"\nlabel = \"pcn\"\n"
      "sampler = \"pcn\"\n");
  const pb::LatentNutsSettings nuts;
  const pb::LatentPcnSettings pcn;
  EXPECT_EQ(pb::describe_fields(study.methods[0].options),
            "likelihood = \"seeds\"\nmap_solver = \"lm\"\nmap_prior_starts = 2\nsampler = \"nuts\"\nchains = "
            "4\npredictive = false\n"
            "warmup = " +
                std::to_string(nuts.warmup) + "\nsamples = " + std::to_string(nuts.samples) +
                "\nmax_tree_depth = 10\ntarget_acceptance = 0.80000000000000004\nmetric = \"dense\"\n"
                "base_window = 0\nstart_spread = 2\n");
  EXPECT_EQ(pb::describe_fields(study.methods[1].options),
            "likelihood = \"seeds\"\nmap_solver = \"lm\"\nmap_prior_starts = 2\nsampler = \"pcn\"\nchains = "
            "4\npredictive = false\n"
            "temperatures = 4\nburn_in = 1000\nsamples = " +
                std::to_string(pcn.samples) + "\nthinning = 1\nhottest_inverse_temperature = 0.050000000000000003\n");
  for (const auto& method : study.methods) {  // a record reads back as the same options
    const pb::StudySpec again = parse("[[method]]\nname = \"latent_mcmc\"\n" + pb::describe_fields(method.options));
    EXPECT_EQ(pb::describe_fields(again.methods[0].options), pb::describe_fields(method.options));
  }
}

// [models.NAME] and a method's `model`: a study that compares prior families names its
// generators and lets each generator method choose one.
TEST(StudyModels, MethodsChooseANamedModelOrTheDefault) {
  const pb::StudySpec study = parse(
      "[models.gan]\nfile = \"gan.pt\"\n[models.flow]\nfile = \"flow.pt\"\nroute = \"torchscript\"\n"
      "[[method]]\nname = \"latent_map\"\n"
      "[[method]]\nname = \"latent_map\"\nlabel = \"gan_map\"\nmodel = \"gan\"\n"
      "[[method]]\nname = \"flow_map\"\nmodel = \"flow\"\n"
      "[[method]]\nname = \"white\"\n");
  ASSERT_EQ(study.named_models.size(), 2u);
  EXPECT_EQ(study.named_models.at("gan").file, "gan.pt");
  EXPECT_EQ(study.named_models.at("gan").route, pb::GeneratorRoute::automatic);
  EXPECT_EQ(study.named_models.at("flow").route, pb::GeneratorRoute::torchscript);
  EXPECT_EQ(study.methods[0].model, "");
  EXPECT_EQ(study.methods[1].model, "gan");
  EXPECT_EQ(study.methods[2].model, "flow");
  EXPECT_EQ(pb::study_model_file(study, ""), "model.pt");
  EXPECT_EQ(pb::study_model_file(study, "gan"), "gan.pt");
  EXPECT_EQ(pb::study_model_field(study, "flow"), "s.toml: field 'models.flow.file'");
  const pb::ResourceFiles files = pb::study_resource_files(study);
  EXPECT_EQ(files.named_models.at("flow").file, "flow.pt");
  EXPECT_EQ(files.named_models.at("flow").field, "s.toml: field 'models.flow.file'");
  EXPECT_EQ(files.model_name, "s.toml: field 'model.file'");
}

TEST(StudyModels, ErrorsNameTheModelAndTheMethod) {
  const auto refused = [](const std::string& methods, const std::vector<std::string>& fragments) {
    expect_error([&] { parse(methods); }, fragments);
  };
  const std::string gan = "[models.gan]\nfile = \"gan.pt\"\n";
  refused(gan + "[[method]]\nname = \"latent_map\"\nmodel = \"flow\"\n",
          {"s.toml: field 'method.latent_map.model' names 'flow', which is not a [models.NAME] table of the study",
           "(known: gan)"});
  refused("[[method]]\nname = \"latent_map\"\nmodel = \"gan\"\n", {"names 'gan'", "(it has none)"});
  refused(gan + "[[method]]\nname = \"white\"\nmodel = \"gan\"\n",
          {"s.toml: field 'method.white.model': method 'white' uses no generator; remove the field"});
  refused(gan + "[[method]]\nname = \"latent_map\"\nmodel = \"\"\n",
          {"s.toml: field 'method[0].model' must name one of the study's [models.NAME] tables, not be empty"});
  refused("[models.\"a b\"]\nfile = \"x.pt\"\n[[method]]\nname = \"white\"\n",
          {"s.toml: model name 'a b' in [models] must be 1 to 64 letters, digits, '_' or '-'"});
  refused("[models]\ngan = \"gan.pt\"\n[[method]]\nname = \"white\"\n",
          {"s.toml: 'models.gan' must be a table ([models.gan])"});
  refused("[models.gan]\nroute = \"native\"\n[[method]]\nname = \"white\"\n",
          {"s.toml: field 'models.gan.file' is required"});
  refused("[models.gan]\nfile = \"gan.pt\"\nlatent = 3\n[[method]]\nname = \"white\"\n",
          {"unknown field 'models.gan.latent'"});
  refused("[models.again]\nfile = \"model.pt\"\nroute = \"torchscript\"\n[[method]]\nname = \"white\"\n",
          {"s.toml: field 'models.again.route' is torchscript but the same file model.pt is loaded with route "
           "automatic elsewhere in the study; give it one route"});
}

namespace {

// x = W z + b on 4x4 images with W_ij = scale · (i + 1) / (j + 2), b = 0.1.
std::shared_ptr<const pb::Generator> linear_generator(std::size_t latent, double scale, double gamma2) {
  const pb::ImageShape shape{4, 4};
  pb::DenseMatrix weights(16, latent);
  for (std::size_t i = 0; i < 16; ++i) {
    for (std::size_t j = 0; j < latent; ++j)
      weights(i, j) = scale * static_cast<double>(i + 1) / static_cast<double>(j + 2);
  }
  return std::make_shared<pb::LinearGenerator>(shape, std::move(weights), std::vector<double>(16, 0.1), gamma2);
}

}  // namespace

// "generated.NAME": truths on the range of [models.NAME], decoded from a z† of that model's
// latent dimension and drawn from a stream of its own; the results file numbers the kinds
// after the three of [model], which keep the codes of every earlier file.
TEST(StudyModels, EachModelMakesItsOwnGeneratedTruths) {
  const pb::StudySpec study = pb::parse_study(
      "[study]\nname = \"t\"\nseed = 5\n[model]\nfile = \"a.pt\"\n[models.wide]\nfile = \"b.pt\"\n"
      "[truth]\nkinds = [\"generated\", \"generated.wide\", \"generated_noisy.wide\"]\ngenerated_count = 2\n"
      "[operator]\nname = \"identity\"\n[noise]\nsigmas = [0.1]\n"
      "[[method]]\nname = \"latent_map\"\n[[method]]\nname = \"latent_map\"\nlabel = \"wide_map\"\nmodel = \"wide\"\n",
      "s.toml");
  EXPECT_EQ(pb::truth_kind_names(study), (std::vector<std::string>{"test", "generated", "generated_noisy",
                                                                   "generated.wide", "generated_noisy.wide"}));
  EXPECT_EQ(pb::truth_kind_names(parse("[[method]]\nname = \"white\"\n")),
            (std::vector<std::string>{"test", "generated", "generated_noisy"}));
  const auto tasks = pb::enumerate_tasks(study);
  ASSERT_EQ(tasks.size(), 6u);
  const std::vector<std::int64_t> codes = {1, 1, 3, 3, 4, 4};
  const std::vector<std::string> models = {"", "", "wide", "wide", "wide", "wide"};
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    EXPECT_EQ(tasks[t].truth_kind_code, codes[t]) << t;
    EXPECT_EQ(tasks[t].truth_model, models[t]) << t;
  }

  const auto narrow = linear_generator(2, 0.05, 0.01), wide = linear_generator(3, 0.02, 0.04);
  pb::LazyMethodResources files(pb::study_resource_files(study),
                                [&](const std::string& path) { return path == "a.pt" ? narrow : wide; });
  const pb::TaskInputs inputs(study, [&files](const std::string& model) { return files.view(model); });
  const auto decoded = [](const pb::Generator& generator, const std::vector<double>& latent) {
    std::vector<double> image(generator.image_size());
    generator.decode(latent, 1, image);
    return image;
  };
  // [model]'s truths are those of every earlier study: stream 0 of the truth's counter.
  std::vector<double> expected(2);
  pb::CounterRandom(5, 1, pb::Purpose::study_truth).fill_normal(expected, 0);
  EXPECT_EQ(inputs.truth_latent(tasks[1]), expected);
  EXPECT_EQ(inputs.truth(tasks[1]), decoded(*narrow, expected));
  // [models.wide]'s: its own latent dimension, its own stream, the same z† with and without
  // decoder noise.
  const std::vector<double> latent = inputs.truth_latent(tasks[3]);
  ASSERT_EQ(latent.size(), 3u);
  EXPECT_NE(latent[0], expected[0]);
  EXPECT_EQ(inputs.truth_latent(tasks[5]), latent);
  const std::vector<double> clean = inputs.truth(tasks[3]), noisy = inputs.truth(tasks[5]);
  EXPECT_EQ(clean, decoded(*wide, latent));
  double squared = 0;
  for (std::size_t i = 0; i < clean.size(); ++i) squared += (noisy[i] - clean[i]) * (noisy[i] - clean[i]);
  EXPECT_GT(squared, 0.0);  // decoder noise of variance γ² = 0.04 per pixel, 16 pixels
  EXPECT_LT(squared, 16 * 0.04 * 8);
}

TEST(StudyModels, GeneratedKindsNameAModelOfTheStudy) {
  const auto refused = [](const std::string& kinds, const std::vector<std::string>& fragments) {
    std::string text = study_with("[models.gan]\nfile = \"gan.pt\"\n[[method]]\nname = \"white\"\n");
    text.replace(text.find("kinds = [\"test\"]"), 16, "kinds = " + kinds + "\ngenerated_count = 1");
    expect_error([&] { pb::parse_study(text, "s.toml"); }, fragments);
  };
  refused("[\"generated.flow\"]",
          {"s.toml: field 'truth.kinds' has 'generated.flow', but 'flow' is not a [models.NAME] table of the study",
           "(known: gan)"});
  refused("[\"test.gan\"]", {"s.toml: field 'truth.kinds' has unknown kind 'test.gan'", "generated.NAME"});
  refused("[\"generated.gan\", \"test\", \"generated.gan\"]",
          {"s.toml: field 'truth.kinds' lists 'generated.gan' twice"});
  refused("[\"generated.\"]", {"'' is not a [models.NAME] table"});
}
