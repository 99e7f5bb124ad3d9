#include "study/study_spec.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

#include "core/error.hpp"
#include "core/memory_budget.hpp"
#include "core/paths.hpp"
#include "study/table_reader.hpp"

namespace priorbench {

const char* truth_kind_name(TruthKind kind) {
  switch (kind) {
    case TruthKind::test:
      return "test";
    case TruthKind::generated:
      return "generated";
    case TruthKind::generated_noisy:
      return "generated_noisy";
  }
  return "?";
}

std::string truth_kind_name(const TruthKindSpec& kind) {
  return kind.model.empty() ? truth_kind_name(kind.kind) : truth_kind_name(kind.kind) + ("." + kind.model);
}

namespace {

const toml::table* table_of(const toml::table& root, const std::string& key, const std::string& path) {
  if (!root.contains(key)) return nullptr;
  const toml::table* table = root.get(key)->as_table();
  PB_REQUIRE(table != nullptr, path, ": '", key, "' must be a table ([", key, "])");
  return table;
}

void read_study_table(const toml::table& root, StudySpec& spec) {
  PB_REQUIRE(root.contains("study"), spec.path, ": table [study] is required");
  TableReader study(table_of(root, "study", spec.path), spec.path, "study");
  spec.name = study.require<std::string>("name");
  PB_REQUIRE(!spec.name.empty(), spec.path, ": field 'study.name' must not be empty");
  PB_REQUIRE(spec.name.size() <= kMaxStudyNameBytes, spec.path, ": field 'study.name' is ", spec.name.size(),
             " bytes long, above the limit of ", kMaxStudyNameBytes);
  const auto seed = study.get<std::int64_t>("seed", 0);
  PB_REQUIRE(seed >= 0, spec.path, ": field 'study.seed' must be non-negative, got ", seed);
  spec.seed = static_cast<std::uint64_t>(seed);
  spec.replicates = study.get<int>("replicates", 1);
  PB_REQUIRE(spec.replicates >= 1, spec.path, ": field 'study.replicates' must be at least 1, got ", spec.replicates);
  spec.saved_tasks = study.get<int>("save_reconstructions", 0);
  PB_REQUIRE(spec.saved_tasks >= 0, spec.path, ": field 'study.save_reconstructions' must be non-negative, got ",
             spec.saved_tasks);
  study.refuse_unknown();
}

GeneratorRoute read_route(TableReader& model) {
  const std::string route = model.get<std::string>("route", route_name(GeneratorRoute::automatic));
  return static_cast<GeneratorRoute>(parse_choice(
      route, generator_route_names(), [&](const std::string& key) { return model.where(key); }, "route"));
}

bool is_model_name(const std::string& name) {
  return !name.empty() && name.size() <= kMaxModelNameBytes &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

// [models.NAME] tables: each a model file and route, as [model].
void read_named_models(const toml::table& root, StudySpec& spec) {
  const toml::table* models = table_of(root, "models", spec.path);
  if (models == nullptr) return;
  for (const auto& [key, node] : *models) {
    const std::string name(key.str());
    PB_REQUIRE(is_model_name(name), spec.path, ": model name '", name, "' in [models] must be 1 to ",
               kMaxModelNameBytes, " letters, digits, '_' or '-'");
    const toml::table* table = node.as_table();
    PB_REQUIRE(table != nullptr, spec.path, ": 'models.", name, "' must be a table ([models.", name, "])");
    TableReader model(table, spec.path, "models." + name);
    NamedModel named;
    named.file = model.require<std::string>("file");
    PB_REQUIRE(!named.file.empty(), model.where("file"), " must not be empty");
    named.route = read_route(model);
    model.refuse_unknown();
    spec.named_models.emplace(name, std::move(named));
  }
  // The loader finds a model's route by its file: one file, one route.
  std::map<std::string, GeneratorRoute> routes;
  if (!spec.model_file.empty()) routes.emplace(spec.model_file, spec.model_route);
  for (const auto& [name, model] : spec.named_models) {
    const auto [found, added] = routes.emplace(model.file, model.route);
    PB_REQUIRE(added || found->second == model.route, spec.path, ": field 'models.", name, ".route' is ",
               route_name(model.route), " but the same file ", model.file, " is loaded with route ",
               route_name(found->second), " elsewhere in the study; give it one route");
  }
}

std::string known_models(const StudySpec& spec) {
  if (spec.named_models.empty()) return " (it has none)";
  std::string names;
  for (const auto& [name, model] : spec.named_models) names += (names.empty() ? "" : ", ") + name;
  return " (known: " + names + ")";
}

// "test", "generated", "generated_noisy", or one of the last two with ".NAME" of a
// [models.NAME] table (read before [truth]).
TruthKindSpec parse_truth_kind(const std::string& name, const StudySpec& spec) {
  const auto dot = name.find('.');
  const std::string base = name.substr(0, dot);
  TruthKindSpec kind;
  if (base == "test" && dot == std::string::npos) {
    kind.kind = TruthKind::test;
  } else if (base == "generated") {
    kind.kind = TruthKind::generated;
  } else if (base == "generated_noisy") {
    kind.kind = TruthKind::generated_noisy;
  } else {
    PB_FAIL(spec.path, ": field 'truth.kinds' has unknown kind '", name,
            "' (valid: test, generated, generated_noisy, generated.NAME, generated_noisy.NAME)");
  }
  if (dot == std::string::npos) return kind;
  kind.model = name.substr(dot + 1);
  PB_REQUIRE(spec.named_models.count(kind.model) > 0, spec.path, ": field 'truth.kinds' has '", name, "', but '",
             kind.model, "' is not a [models.NAME] table of the study", known_models(spec));
  return kind;
}

void read_data_tables(const toml::table& root, StudySpec& spec) {
  TableReader model(table_of(root, "model", spec.path), spec.path, "model");
  spec.model_file = model.get<std::string>("file", "");
  spec.model_route = read_route(model);
  model.refuse_unknown();
  read_named_models(root, spec);

  TableReader data(table_of(root, "data", spec.path), spec.path, "data");
  spec.training_set = data.get<std::string>("training", spec.training_set);
  const auto limit = data.get<std::int64_t>("training_limit", 0);
  PB_REQUIRE(limit >= 0, spec.path, ": field 'data.training_limit' must be non-negative, got ", limit);
  spec.training_limit = static_cast<std::size_t>(limit);
  spec.test_set = data.get<std::string>("test", spec.test_set);
  data.refuse_unknown();

  PB_REQUIRE(root.contains("truth"), spec.path, ": table [truth] is required");
  TableReader truth(table_of(root, "truth", spec.path), spec.path, "truth");
  for (const auto& name : truth.get_array<std::string>("kinds")) {
    const TruthKindSpec kind = parse_truth_kind(name, spec);
    PB_REQUIRE(std::find(spec.truth_kinds.begin(), spec.truth_kinds.end(), kind) == spec.truth_kinds.end(), spec.path,
               ": field 'truth.kinds' lists '", name, "' twice");
    spec.truth_kinds.push_back(kind);
  }
  PB_REQUIRE(!spec.truth_kinds.empty(), spec.path, ": field 'truth.kinds' must list at least one kind");
  spec.test_indices = truth.get_array<std::int64_t>("test_indices");
  const int test_count = truth.get<int>("test_count", 0);
  PB_REQUIRE(test_count >= 0, spec.path, ": field 'truth.test_count' must be non-negative, got ", test_count);
  PB_REQUIRE(test_count <= kMaxStudyTasks, spec.path, ": field 'truth.test_count' is ", test_count,
             ", above the limit of ", kMaxStudyTasks, " tasks a study may have");
  PB_REQUIRE(spec.test_indices.empty() || test_count == 0, spec.path,
             ": give either 'truth.test_indices' or 'truth.test_count', not both");
  for (int i = 0; i < test_count; ++i) spec.test_indices.push_back(i);
  for (const auto index : spec.test_indices) {
    PB_REQUIRE(index >= 0, spec.path, ": field 'truth.test_indices' has a negative index ", index);
  }
  spec.generated_count = truth.get<int>("generated_count", 0);
  PB_REQUIRE(spec.generated_count >= 0, spec.path, ": field 'truth.generated_count' must be non-negative, got ",
             spec.generated_count);
  truth.refuse_unknown();
  const bool wants_test = std::count(spec.truth_kinds.begin(), spec.truth_kinds.end(), TruthKindSpec{}) > 0;
  const bool wants_generated = spec.truth_kinds.size() > (wants_test ? 1u : 0u);
  PB_REQUIRE(!wants_test || !spec.test_indices.empty(), spec.path,
             ": truth kind 'test' needs 'truth.test_indices' or 'truth.test_count'");
  PB_REQUIRE(!wants_generated || spec.generated_count > 0, spec.path,
             ": generated truth kinds need 'truth.generated_count' > 0");
  for (const TruthKindSpec& kind : spec.truth_kinds) {
    PB_REQUIRE(kind.kind == TruthKind::test || !kind.model.empty() || !spec.model_file.empty(), spec.path,
               ": truth kind '", truth_kind_name(kind), "' needs a generator: set [model] file");
  }
}

// operator.data_sizes, or operator.accelerations (fourier only), not both.
void read_data_size_axis(TableReader& op, StudySpec& spec) {
  const bool has_sizes = op.has("data_sizes"), has_accelerations = op.has("accelerations");
  spec.data_sizes = op.get_array<std::int64_t>("data_sizes");
  spec.accelerations = op.get_array<double>("accelerations");
  PB_REQUIRE(!(has_sizes && has_accelerations), spec.path,
             ": give either 'operator.data_sizes' or 'operator.accelerations', not both");
  if (has_accelerations) {
    PB_REQUIRE(spec.operator_spec.name == "fourier", spec.path,
               ": field 'operator.accelerations' applies only to operator fourier, not '", spec.operator_spec.name,
               "'; use 'operator.data_sizes'");
    PB_REQUIRE(!spec.accelerations.empty(), spec.path,
               ": field 'operator.accelerations' must list at least one acceleration");
    for (const double r : spec.accelerations) {
      PB_REQUIRE(std::isfinite(r) && r >= 1, spec.path, ": field 'operator.accelerations' has ", r,
                 "; accelerations (undersampling factors n/d) must be at least 1");
    }
    return;
  }
  // 0 stands for the operator's default inside priorbench, so a written 0 is refused, not
  // silently read as the default.
  for (const auto d : spec.data_sizes) {
    PB_REQUIRE(d > 0 && d <= std::numeric_limits<std::int32_t>::max(), spec.path, ": field 'operator.data_sizes' has ",
               d, "; data sizes must be positive and fit PETSc's 32-bit indices");
  }
  if (spec.data_sizes.empty()) spec.data_sizes.push_back(0);  // the operator's default
}

void read_problem_tables(const toml::table& root, StudySpec& spec) {
  PB_REQUIRE(root.contains("operator"), spec.path, ": table [operator] is required");
  TableReader op(table_of(root, "operator", spec.path), spec.path, "operator");
  spec.operator_spec.name = op.require<std::string>("name");
  const auto& names = operator_names();
  PB_REQUIRE(std::find(names.begin(), names.end(), spec.operator_spec.name) != names.end(), spec.path,
             ": field 'operator.name' has unknown operator '", spec.operator_spec.name, "'");
  read_data_size_axis(op, spec);
  spec.operator_spec.blur_width = op.get<double>("blur_width", spec.operator_spec.blur_width);
  spec.operator_spec.fourier_mask = op.get<std::string>("fourier_mask", spec.operator_spec.fourier_mask);
  spec.operator_spec.fourier_center_fraction =
      op.get<double>("fourier_center_fraction", spec.operator_spec.fourier_center_fraction);
  spec.operator_spec.matrix_file = op.get<std::string>("matrix_file", "");
  op.refuse_unknown();

  PB_REQUIRE(root.contains("noise"), spec.path, ": table [noise] is required");
  TableReader noise(table_of(root, "noise", spec.path), spec.path, "noise");
  spec.sigmas = noise.get_array<double>("sigmas");
  PB_REQUIRE(!spec.sigmas.empty(), spec.path, ": field 'noise.sigmas' must list at least one noise level");
  for (const double sigma : spec.sigmas) {
    PB_REQUIRE(sigma > 0 && std::isfinite(sigma), spec.path, ": field 'noise.sigmas' has ", sigma,
               "; noise levels must be positive");
  }
  noise.refuse_unknown();
}

// The number of tasks enumerate_tasks makes (kind -> truth -> data size -> sigma ->
// replicate), refused above kMaxStudyTasks before any task exists.
void check_task_count(const StudySpec& spec) {
  std::uint64_t truths = 0;
  for (const TruthKindSpec& kind : spec.truth_kinds) {
    truths +=
        kind.kind == TruthKind::test ? spec.test_indices.size() : static_cast<std::uint64_t>(spec.generated_count);
  }
  const std::uint64_t axis = spec.data_sizes.size() + spec.accelerations.size();
  const std::array<std::uint64_t, 4> factors = {truths, axis, spec.sigmas.size(),
                                                static_cast<std::uint64_t>(spec.replicates)};
  const auto count = checked_product(factors);
  PB_REQUIRE(count && *count <= static_cast<std::uint64_t>(kMaxStudyTasks), spec.path, ": ", truths, " truths x ", axis,
             " data sizes x ", spec.sigmas.size(), " noise levels x ", spec.replicates, " replicates make ",
             count ? std::to_string(*count) : "more than 2^64", " tasks, above the limit of ", kMaxStudyTasks,
             " tasks a study may have");
}

void read_methods(const toml::table& root, StudySpec& spec) {
  PB_REQUIRE(root.contains("method"), spec.path, ": at least one [[method]] is required");
  const toml::array* methods = root.get("method")->as_array();
  PB_REQUIRE(methods != nullptr && !methods->empty(), spec.path, ": 'method' must be an array of tables ([[method]])");
  std::set<std::string> labels;
  for (std::size_t i = 0; i < methods->size(); ++i) {
    const toml::table* table = methods->get(i)->as_table();
    PB_REQUIRE(table != nullptr, spec.path, ": method entry ", i, " must be a table ([[method]])");
    MethodSpec method = read_method_table(*table, spec.path, i);
    PB_REQUIRE(labels.insert(method.label).second, spec.path, ": two methods share the label '", method.label,
               "'; give one a distinct 'label'");
    if (!method.model.empty()) {
      PB_REQUIRE(spec.named_models.count(method.model) > 0, spec.path, ": field 'method.", method.label,
                 ".model' names '", method.model, "', which is not a [models.NAME] table of the study",
                 known_models(spec));
      PB_REQUIRE(needs_generator(method.options), spec.path, ": field 'method.", method.label, ".model': method '",
                 method.name, "' uses no generator; remove the field");
    }
    PB_REQUIRE(!needs_generator(method.options) || !study_model_file(spec, method.model).empty(), spec.path,
               ": method '", method.label, "' needs a generator: set [model] file");
    spec.methods.push_back(std::move(method));
  }
}

}  // namespace

StudySpec parse_study(const std::string& text, const std::string& path) {
  StudySpec spec;
  spec.path = path;
  spec.text = text;
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& error) {
    PB_FAIL(path, ":", error.source().begin.line, ": ", error.description());
  }
  for (const auto& [key, node] : root) {
    const std::string name(key.str());
    PB_REQUIRE(name == "study" || name == "model" || name == "data" || name == "truth" || name == "operator" ||
                   name == "noise" || name == "method" || name == "models",
               path, ": unknown table '", name,
               "' (known: study, model, models, data, truth, operator, noise, method)");
  }
  read_study_table(root, spec);
  read_data_tables(root, spec);
  read_problem_tables(root, spec);
  check_task_count(spec);
  read_methods(root, spec);
  return spec;
}

StudySpec read_study(const std::string& path) {
  PB_REQUIRE(!is_directory_path(path), "study file ", path, " is a directory");
  std::ifstream in(path, std::ios::binary);
  PB_REQUIRE(in.good(), "study file ", path, " cannot be read");
  std::string text;
  std::array<char, 1 << 16> block{};
  while (in.read(block.data(), block.size()) || in.gcount() > 0) {
    text.append(block.data(), static_cast<std::size_t>(in.gcount()));
    PB_REQUIRE(text.size() <= kMaxStudyFileBytes, "study file ", path, " is larger than ", kMaxStudyFileBytes >> 20,
               " MiB; a study file is a few KiB of TOML");
  }
  return parse_study(text, path);
}

ResourceFiles study_resource_files(const StudySpec& study) {
  ResourceFiles files;
  files.training_set = study.training_set;
  files.training_limit = study.training_limit;
  files.model_file = study.model_file;
  files.training_name = study.path + ": field 'data.training'";
  files.model_name = study_model_field(study, "");
  for (const auto& [name, model] : study.named_models) {
    files.named_models[name] = {model.file, study_model_field(study, name)};
  }
  return files;
}

const std::string& study_model_file(const StudySpec& study, const std::string& model) {
  if (model.empty()) return study.model_file;
  const auto found = study.named_models.find(model);
  PB_REQUIRE(found != study.named_models.end(), study.path, ": no model '", model, "' in [models]");
  return found->second.file;
}

std::string study_model_field(const StudySpec& study, const std::string& model) {
  return study.path + ": field '" + (model.empty() ? std::string("model") : "models." + model) + ".file'";
}

std::vector<std::string> truth_kind_names(const StudySpec& study) {
  std::vector<std::string> names = {truth_kind_name(TruthKind::test), truth_kind_name(TruthKind::generated),
                                    truth_kind_name(TruthKind::generated_noisy)};
  for (const TruthKindSpec& kind : study.truth_kinds) {
    if (!kind.model.empty()) names.push_back(truth_kind_name(kind));
  }
  return names;
}

std::int64_t truth_kind_code(const StudySpec& study, const TruthKindSpec& kind) {
  const auto names = truth_kind_names(study);
  const auto found = std::find(names.begin(), names.end(), truth_kind_name(kind));
  PB_REQUIRE(found != names.end(), "internal error: truth kind '", truth_kind_name(kind), "' is not one of study ",
             study.path);
  return found - names.begin();
}

}  // namespace priorbench
