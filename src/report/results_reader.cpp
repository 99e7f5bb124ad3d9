#include "report/results_reader.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/task_checksum.hpp"

namespace priorbench::report {
namespace {

// Text stored either as a variable-length string (h5py's default, our serial writers) or
// as a fixed-length one (the parallel results writer).
std::string read_text(hid_t object, hid_t stored_type, bool attribute, const std::string& where) {
  h5::require_single_value(object, where);
  h5::Object type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_cset(type, H5Tget_cset(stored_type));  // HDF5 converts no string between ASCII and UTF-8
  if (H5Tis_variable_str(stored_type) > 0) {
    H5Tset_size(type, H5T_VARIABLE);
    char* text = nullptr;
    const herr_t status =
        attribute ? H5Aread(object, type, &text) : H5Dread(object, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text);
    PB_REQUIRE(status >= 0, "cannot read ", where, " as text");
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  PB_REQUIRE(H5Tget_class(stored_type) == H5T_STRING, where, " is not text");
  std::string value(H5Tget_size(stored_type) + 1, '\0');
  H5Tset_size(type, value.size());
  const herr_t status = attribute ? H5Aread(object, type, value.data())
                                  : H5Dread(object, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, value.data());
  PB_REQUIRE(status >= 0, "cannot read ", where, " as text");
  value.resize(std::strlen(value.c_str()));
  return value;
}

std::string text_attribute(hid_t location, const std::string& name) {
  const std::string where = h5::describe(location, name);
  PB_REQUIRE(h5::has_attribute(location, name), "attribute ", where, " does not exist");
  h5::Object attribute(H5Aopen(location, name.c_str(), H5P_DEFAULT), H5Aclose);
  PB_REQUIRE(attribute.id() >= 0, "cannot open attribute ", where);
  h5::Object stored(H5Aget_type(attribute), H5Tclose);
  return read_text(attribute, stored, true, where);
}

std::string optional_text_attribute(hid_t location, const std::string& name) {
  return h5::has_attribute(location, name) ? text_attribute(location, name) : "";
}

std::string text_dataset(hid_t location, const std::string& name) {
  const std::string where = h5::describe(location, name);
  PB_REQUIRE(h5::exists(location, name), "dataset ", where, " does not exist");
  h5::Object dataset(H5Dopen2(location, name.c_str(), H5P_DEFAULT), H5Dclose);
  PB_REQUIRE(dataset.id() >= 0, "cannot open dataset ", where);
  h5::Object stored(H5Dget_type(dataset), H5Tclose);
  return read_text(dataset, stored, false, where);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string part = text.substr(start, comma - start);
    const auto first = part.find_first_not_of(" \t\n");
    const auto last = part.find_last_not_of(" \t\n");
    parts.push_back(first == std::string::npos ? "" : part.substr(first, last - first + 1));
    start = comma + 1;
  }
  return parts;
}

std::vector<std::string> group_members(hid_t group) {
  H5G_info_t info;
  PB_REQUIRE(H5Gget_info(group, &info) >= 0, "cannot list ", h5::describe(group, ""));
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    PB_REQUIRE(size >= 0, "cannot list ", h5::describe(group, ""));
    std::string name(static_cast<std::size_t>(size) + 1, '\0');
    H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(size));
    names.push_back(name);
  }
  return names;
}

std::string shape_text(const h5::Shape& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

void require_shape(hid_t location, const std::string& name, const h5::Shape& shape, const h5::Shape& expected,
                   const std::string& meaning) {
  PB_REQUIRE(shape == expected, h5::describe(location, name), " has shape ", shape_text(shape), "; expected ",
             shape_text(expected), " (", meaning, ")");
}

// The shape is checked before the values are read: a dataset claiming 10^11 rows is
// refused, not allocated.
std::vector<double> doubles(hid_t location, const std::string& name, const h5::Shape& expected,
                            const std::string& meaning) {
  require_shape(location, name, h5::shape_of(location, name), expected, meaning);
  return h5::read_doubles(location, name);
}

std::vector<std::int64_t> integers(hid_t location, const std::string& name, const h5::Shape& expected,
                                   const std::string& meaning) {
  require_shape(location, name, h5::shape_of(location, name), expected, meaning);
  return h5::read_integers(location, name);
}

void read_header(hid_t file, Results& results) {
  const std::string& path = results.path;
  PB_REQUIRE(h5::has_attribute(file, "format"), path, " is not a priorbench study results file: it has no 'format' ",
             "attribute (expected '", kResultsFormat, "', written by `priorbench run`)");
  const std::string format = text_attribute(file, "format");
  PB_REQUIRE(format == kResultsFormat || format == kResultsFormatV1, path, ": format '", format, "' is not '",
             kResultsFormat, "' (or the older '", kResultsFormatV1,
             "'); `priorbench report` reads the results of `priorbench run` only");
  results.format = format;
  results.model_sha256 = optional_text_attribute(file, "model_sha256");
  results.study_name = optional_text_attribute(file, "study_name");
  results.study_hash = optional_text_attribute(file, "study_hash");
  results.priorbench_version = optional_text_attribute(file, "priorbench_version");
  results.git_version = optional_text_attribute(file, "git_version");
  results.libraries = optional_text_attribute(file, "libraries");
  const std::string dirty = optional_text_attribute(file, "git_dirty");
  results.source_tree_recorded = dirty == "true" || dirty == "false";
  if (results.source_tree_recorded) {
    results.source_tree = dirty == "true" ? SourceTree::dirty : SourceTree::clean;
  } else if (results.git_version.ends_with("-dirty")) {
    results.source_tree = SourceTree::dirty;
  }
  results.height = h5::read_integer_attribute(file, "height");
  results.width = h5::read_integer_attribute(file, "width");
  PB_REQUIRE(results.height > 0 && results.width > 0, h5::describe(file, ""), ": image shape ", results.height, "x",
             results.width, " must be positive");
  if (h5::exists(file, "study_text")) results.study_text = text_dataset(file, "study_text");
}

void read_methods(hid_t file, Results& results) {
  h5::Object methods = h5::open_group(file, "methods");
  results.methods = split_list(text_attribute(methods, "labels"));
  for (const auto& label : results.methods) {
    PB_REQUIRE(!label.empty(), h5::describe(methods, "labels"), " has an empty method label: '",
               text_attribute(methods, "labels"), "'");
    const bool described = h5::exists(methods, label);
    results.method_kinds.push_back(described ? optional_text_attribute(h5::open_group(methods, label), "name") : "");
    // "model" ([model]) and an absent attribute (files of one model) are the same generator.
    const std::string model = described ? optional_text_attribute(h5::open_group(methods, label), "model") : "";
    results.method_models.push_back(model == "model" ? "" : model);
  }
}

void read_tasks(hid_t file, Results& results) {
  h5::Object group = h5::open_group(file, "tasks");
  const h5::Shape shape = h5::shape_of(group, "sigma");
  PB_REQUIRE(shape.size() == 1, h5::describe(group, "sigma"), " has shape ", shape_text(shape),
             "; expected one entry per task");
  const h5::Shape t = shape;
  const std::string one_per_task = "one entry per task";
  TaskTable& tasks = results.tasks;
  tasks.sigma = doubles(group, "sigma", t, one_per_task);
  tasks.truth_kind = integers(group, "truth_kind", t, one_per_task);
  tasks.truth_number = integers(group, "truth_number", t, one_per_task);
  tasks.test_index = integers(group, "test_index", t, one_per_task);
  tasks.data_size = integers(group, "data_size", t, one_per_task);
  tasks.replicate = integers(group, "replicate", t, one_per_task);
  const auto done = integers(group, "done", t, one_per_task);
  tasks.done.assign(done.begin(), done.end());
  tasks.rank = integers(group, "rank", t, one_per_task);
  tasks.seconds = doubles(group, "seconds", t, one_per_task);
  tasks.truth_norm = doubles(group, "truth_norm", t, one_per_task);
  tasks.range_distance = doubles(group, "range_distance", t, one_per_task);
}

// Format 2: a task marked done counts only when its rows give its checksum; the others are
// read as not done and listed as damaged.
void apply_completion_records(hid_t file, Results& results) {
  if (results.format != kResultsFormat) return;
  TaskIntegrity integrity = verify_task_checksums(file);
  PB_REQUIRE(integrity.complete.size() == results.tasks.size(), h5::describe(file, "tasks/checksum"), " has ",
             integrity.complete.size(), " entries for ", results.tasks.size(), " tasks");
  for (std::size_t i = 0; i < results.tasks.size(); ++i) {
    results.tasks.done[i] = results.tasks.done[i] && integrity.complete[i];
  }
  results.damaged = std::move(integrity.damaged);
  results.checksums_recorded = true;
}

void check_tasks(hid_t file, Results& results) {
  h5::Object group = h5::open_group(file, "tasks");
  TaskTable& tasks = results.tasks;

  // Kind names: the writer's /tasks attribute `truth_kind_names`, or `names` on the dataset.
  std::string names;
  if (h5::has_attribute(group, "truth_kind_names")) {
    names = text_attribute(group, "truth_kind_names");
  } else {
    h5::Object dataset(H5Dopen2(group, "truth_kind", H5P_DEFAULT), H5Dclose);
    names = h5::has_attribute(dataset, "names") ? text_attribute(dataset, "names") : "test,generated,generated_noisy";
  }
  results.truth_kind_names = split_list(names);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const auto kind = tasks.truth_kind[i];
    PB_REQUIRE(kind >= 0 && kind < static_cast<std::int64_t>(results.truth_kind_names.size()),
               h5::describe(group, "truth_kind"), "[", i, "] = ", kind, " is not a known truth kind (", names, ")");
    if (tasks.done[i]) {
      PB_REQUIRE(tasks.sigma[i] > 0, h5::describe(group, "sigma"), "[", i, "] = ", tasks.sigma[i],
                 " of a done task must be positive");
      PB_REQUIRE(tasks.data_size[i] > 0, h5::describe(group, "data_size"), "[", i, "] = ", tasks.data_size[i],
                 " of a done task must be positive");
    }
  }
}

void read_metrics(hid_t file, Results& results) {
  h5::Object group = h5::open_group(file, "metrics");
  const std::size_t t = results.tasks.size(), m = results.methods.size();
  for (const auto& name : group_members(group)) {
    MetricTable table;
    table.tasks = t;
    table.methods = m;
    table.values = doubles(group, name, {t, m}, "tasks × methods");
    results.metrics.emplace(name, std::move(table));
  }
  PB_REQUIRE(results.has_metric("relative_error"), "dataset ", h5::describe(group, "relative_error"),
             " does not exist; every results file has it");
}

void read_operator_name(hid_t file, Results& results) {
  if (!h5::exists(file, "reconstructions")) return;
  results.operator_name = optional_text_attribute(h5::open_group(file, "reconstructions"), "operator");
}

void read_reconstructions(hid_t file, Results& results) {
  if (!h5::exists(file, "reconstructions")) return;
  h5::Object group = h5::open_group(file, "reconstructions");
  Reconstructions& saved = results.reconstructions;
  const h5::Shape shape = h5::shape_of(group, "task");
  PB_REQUIRE(shape.size() == 1, h5::describe(group, "task"), " has shape ", shape_text(shape),
             "; expected one entry per saved task");
  const hsize_t s = shape[0], m = results.methods.size();
  const auto h = static_cast<hsize_t>(results.height), w = static_cast<hsize_t>(results.width);
  saved.task = integers(group, "task", {s}, "saved tasks");
  for (std::size_t i = 0; i < saved.task.size(); ++i) {
    PB_REQUIRE(saved.task[i] >= 0 && saved.task[i] < static_cast<std::int64_t>(results.tasks.size()),
               h5::describe(group, "task"), "[", i, "] = ", saved.task[i], " is not a task id (", results.tasks.size(),
               " tasks)");
  }
  saved.truth = doubles(group, "truth", {s, h, w}, "saved tasks × height × width");
  saved.backprojection = doubles(group, "backprojection", {s, h, w}, "saved tasks × height × width");
  saved.mean = doubles(group, "mean", {s, m, h, w}, "saved tasks × methods × height × width");
  saved.std = doubles(group, "std", {s, m, h, w}, "saved tasks × methods × height × width");
}

}  // namespace

const char* source_tree_name(SourceTree tree) {
  switch (tree) {
    case SourceTree::clean:
      return "clean";
    case SourceTree::dirty:
      return "dirty";
    case SourceTree::unknown:
      return "unknown";
  }
  return "unknown";
}

std::size_t Results::done_count() const {
  return static_cast<std::size_t>(std::count(tasks.done.begin(), tasks.done.end(), true));
}

const MetricTable& Results::metric(const std::string& name) const {
  const auto found = metrics.find(name);
  PB_REQUIRE(found != metrics.end(), "dataset ", path, ":/metrics/", name, " does not exist");
  return found->second;
}

std::string Results::truth_kind_name(std::int64_t kind) const {
  return kind >= 0 && kind < static_cast<std::int64_t>(truth_kind_names.size())
             ? truth_kind_names[static_cast<std::size_t>(kind)]
             : "kind" + std::to_string(kind);
}

Results read_results(const std::string& path, bool with_reconstructions) {
  Results results;
  results.path = path;
  h5::Object file = h5::open_file(path);
  read_header(file, results);
  read_methods(file, results);
  read_tasks(file, results);
  read_metrics(file, results);
  apply_completion_records(file, results);
  check_tasks(file, results);
  read_operator_name(file, results);
  if (with_reconstructions) read_reconstructions(file, results);
  return results;
}

}  // namespace priorbench::report
