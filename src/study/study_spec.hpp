#pragma once
// A study file (studies/*.toml, documented in docs/study-format.md): which images, which
// operator and data sizes, which noise levels, which methods, how many replicates. Parsed
// and validated here once; every error names the file, the field and the value.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "generative/generator_route.hpp"
#include "methods/method_resources.hpp"
#include "operators/operator_factory.hpp"
#include "study/method_tables.hpp"

namespace priorbench {

enum class TruthKind { test, generated, generated_noisy };

// A kind of truth of a study: test images, or images a generator makes. Generated kinds
// come from [model] ("generated", "generated_noisy") or from [models.NAME]
// ("generated.NAME", "generated_noisy.NAME"), so a study of several prior families can
// give each family truths on its own range.
struct TruthKindSpec {
  TruthKind kind = TruthKind::test;
  std::string model;  // "" for [model]; empty for test truths
  bool operator==(const TruthKindSpec&) const = default;
};

// A generator model of the study besides [model]: [models.NAME] with `file` and `route`.
// Methods choose one by `model = "NAME"`, so one study can compare prior families (a VAE,
// a GAN, a flow) on the same tasks; truths and range distances use [model].
struct NamedModel {
  std::string file;
  GeneratorRoute route = GeneratorRoute::automatic;
};
// A model name is a label (attributes, messages): letters, digits, '_' and '-'.
inline constexpr std::size_t kMaxModelNameBytes = 64;
const char* truth_kind_name(TruthKind kind);
// "test", "generated", "generated_noisy", "generated.NAME" or "generated_noisy.NAME".
std::string truth_kind_name(const TruthKindSpec& kind);

struct StudySpec {
  std::string path;  // where it was read from, for messages
  std::string text;  // the file as read, recorded in every result file
  std::string name;
  std::uint64_t seed = 0;
  int replicates = 1;

  std::string model_file;  // [model] file; needed by generator-based methods and generated truths
  GeneratorRoute model_route = GeneratorRoute::automatic;  // [model] route (docs/model-format.md)
  std::map<std::string, NamedModel> named_models;          // [models.NAME], by name
  std::string training_set = "fashion-mnist";
  std::size_t training_limit = 0;
  std::string test_set = "fashion-mnist:test";

  std::vector<TruthKindSpec> truth_kinds;
  std::vector<std::int64_t> test_indices;  // which test images (test truths)
  int generated_count = 0;                 // truths per generated kind

  OperatorSpec operator_spec;  // name and options; data_size or acceleration set per task
  // The data-size axis of the study: either data sizes d (0: the operator's default) or,
  // for fourier, accelerations R (d ≈ n/R); exactly one of the two is non-empty.
  std::vector<std::int64_t> data_sizes;
  std::vector<double> accelerations;
  std::vector<double> sigmas;

  std::vector<MethodSpec> methods;  // typed options, validated when the file is read
  int saved_tasks = 0;              // reconstructions saved for the first N tasks
};

// Limits checked before anything is allocated for a study. A task is a whole inverse
// problem (seconds to hours), so ten million of them is beyond any allocation on a
// cluster; more means a typo (replicates = 10^8) and would exhaust memory for the task
// table and disk for the results file instead of running.
inline constexpr std::int64_t kMaxStudyTasks = 10'000'000;
// Study files are a few KiB; reading stops here (a study path of /dev/zero).
inline constexpr std::size_t kMaxStudyFileBytes = std::size_t{16} << 20;
// A study name is a label (results attributes, report titles, SLURM job names): a name of
// megabytes is a mistake, and would be copied into every output.
inline constexpr std::size_t kMaxStudyNameBytes = 256;

StudySpec read_study(const std::string& path);

// The training set and models a study's methods load (methods/method_resources.hpp).
ResourceFiles study_resource_files(const StudySpec& study);

// The file of a study's model: [model] for "", [models.NAME] otherwise (which must exist).
const std::string& study_model_file(const StudySpec& study, const std::string& model);
// How messages name it: "s.toml: field 'model.file'" or "s.toml: field 'models.NAME.file'".
std::string study_model_field(const StudySpec& study, const std::string& model);
StudySpec parse_study(const std::string& text, const std::string& path);

// The truth-kind names of a study as its results file numbers them (the /tasks attribute
// `truth_kind_names`): the three kinds of [model] first, whether the study uses them or
// not, so that studies without named-model kinds keep the codes 0, 1, 2 of every earlier
// file; then each named-model kind in the order the study lists it.
std::vector<std::string> truth_kind_names(const StudySpec& study);
// The code of `kind` in truth_kind_names (the /tasks dataset `truth_kind`).
std::int64_t truth_kind_code(const StudySpec& study, const TruthKindSpec& kind);

}  // namespace priorbench
