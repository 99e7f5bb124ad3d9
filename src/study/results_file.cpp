#include "study/results_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "core/error.hpp"
#include "core/paths.hpp"
#include "core/random.hpp"
#include "core/session.hpp"
#include "core/task_checksum.hpp"
#include "methods/method_factory.hpp"
#include "methods/method_fields.hpp"

namespace priorbench {
namespace {

h5::Object file_access(MPI_Comm comm) {
  h5::Object fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  PB_REQUIRE(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) >= 0, "cannot set up MPI-IO for HDF5");
  // The 1.8 file format checksums HDF5's own metadata (superblock, object headers), so a
  // damaged structure is reported by HDF5 instead of read; the rows have task checksums.
  PB_REQUIRE(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST) >= 0, "cannot set the HDF5 file format");
  return fapl;
}

// Fixed-length strings: parallel HDF5 cannot write variable-length data.
h5::Object fixed_string_type(std::size_t length) {
  h5::Object type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, std::max<std::size_t>(length, 1));
  H5Tset_cset(type, H5T_CSET_UTF8);
  return type;
}

void write_text_attribute(hid_t location, const std::string& name, const std::string& value) {
  h5::Object type = fixed_string_type(value.size());
  h5::Object space(H5Screate(H5S_SCALAR), H5Sclose);
  h5::Object attribute(H5Acreate2(location, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  PB_REQUIRE(attribute.id() >= 0 && H5Awrite(attribute, type, value.c_str()) >= 0, "cannot write attribute ",
             h5::describe(location, name));
}

}  // namespace

std::string read_text_attribute(hid_t location, const std::string& name) {
  PB_REQUIRE(h5::has_attribute(location, name), h5::describe(location, name), " is missing");
  h5::Object attribute(H5Aopen(location, name.c_str(), H5P_DEFAULT), H5Aclose);
  PB_REQUIRE(attribute.id() >= 0, "cannot open ", h5::describe(location, name));
  h5::require_single_value(attribute, h5::describe(location, name));
  h5::Object stored(H5Aget_type(attribute), H5Tclose);
  if (H5Tis_variable_str(stored) > 0) return h5::read_string_attribute(location, name);
  // One byte more than stored: a string written without its terminator (h5py's
  // fixed-length strings) would otherwise lose its last character to the terminator.
  std::string value(H5Tget_size(stored) + 1, '\0');
  h5::Object type = fixed_string_type(value.size());
  H5Tset_cset(type, H5Tget_cset(stored));  // HDF5 converts no string between ASCII (h5py's) and UTF-8
  PB_REQUIRE(H5Aread(attribute, type, value.data()) >= 0, "cannot read ", h5::describe(location, name));
  value.resize(std::strlen(value.c_str()));
  return value;
}

namespace {

// A dataset allocated and filled at creation, so later writes touch raw data only.
void create_dataset(hid_t location, const std::string& name, hid_t type, const std::vector<hsize_t>& shape,
                    const void* fill) {
  h5::Object space(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr), H5Sclose);
  h5::Object properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_alloc_time(properties, H5D_ALLOC_TIME_EARLY);
  H5Pset_fill_time(properties, H5D_FILL_TIME_ALLOC);
  H5Pset_fill_value(properties, type, fill);
  h5::Object dataset(H5Dcreate2(location, name.c_str(), type, space, H5P_DEFAULT, properties, H5P_DEFAULT), H5Dclose);
  PB_REQUIRE(dataset.id() >= 0, "cannot create ", h5::describe(location, name));
}

// Writes a block at `start` of size `count` (independent I/O).
void write_block(hid_t dataset, hid_t memory_type, const std::vector<hsize_t>& start, const std::vector<hsize_t>& count,
                 const void* data) {
  h5::Object file_space(H5Dget_space(dataset), H5Sclose);
  H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  h5::Object memory_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  PB_REQUIRE(H5Dwrite(dataset, memory_type, memory_space, file_space, H5P_DEFAULT, data) >= 0,
             "cannot write to results dataset ", h5::describe(dataset, ""));
}

template <class Value>
void write_whole(hid_t location, const std::string& name, hid_t type, const std::vector<Value>& values) {
  h5::Object dataset(H5Dopen2(location, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!values.empty()) write_block(dataset, type, {0}, {values.size()}, values.data());
}

}  // namespace

std::string study_hash(const std::string& text) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(stable_key(text)));
  return hex;
}

std::vector<std::int64_t> saved_task_ids(const std::vector<Task>& tasks, std::int64_t count) {
  std::vector<std::vector<std::int64_t>> by_kind;  // in the order kinds first appear
  std::vector<std::int64_t> kinds;
  for (const Task& task : tasks) {
    const auto found = std::find(kinds.begin(), kinds.end(), task.truth_kind_code);
    if (found == kinds.end()) {
      kinds.push_back(task.truth_kind_code);
      by_kind.push_back({task.id});
    } else {
      by_kind[static_cast<std::size_t>(found - kinds.begin())].push_back(task.id);
    }
  }
  std::vector<std::int64_t> saved;
  for (std::size_t round = 0; static_cast<std::int64_t>(saved.size()) < count; ++round) {
    bool any = false;
    for (const auto& ids : by_kind) {
      if (round >= ids.size() || static_cast<std::int64_t>(saved.size()) >= count) continue;
      saved.push_back(ids[round]);
      any = true;
    }
    if (!any) break;
  }
  std::sort(saved.begin(), saved.end());
  return saved;
}

ResumeState check_resumable(const std::string& path, const StudySpec& study, const std::string& model_sha256) {
  PB_REQUIRE(H5Fis_hdf5(path.c_str()) > 0, path, " exists and is not an HDF5 file; refusing to touch it");
  const h5::Object file = h5::open_file(path);
  const std::string format = h5::has_attribute(file, "format") ? read_text_attribute(file, "format") : "";
  PB_REQUIRE(format != kResultsFormatV1, path, " is a results file of format ", kResultsFormatV1,
             ", which records no task checksums or model SHA-256; this priorbench resumes ", kResultsFormat,
             " files only: run to a new output file (report still reads this one)");
  PB_REQUIRE(format == kResultsFormat, path, " is not a priorbench study results file (format '", format,
             "'); refusing to touch it");
  const std::string hash = read_text_attribute(file, "study_hash");
  PB_REQUIRE(hash == study_hash(study.text), path, " was written by a different study (study_hash ", hash, ", ",
             study.path, " has ", study_hash(study.text), "); use another output file");
  const std::string recorded = h5::has_attribute(file, "model_sha256") ? read_text_attribute(file, "model_sha256") : "";
  const bool several = !study.named_models.empty();
  const std::string now = several ? "the study's models ([model] and [models.NAME]) now have SHA-256 "
                                  : (study.model_file.empty() ? "the study" : study.model_file) + " now has SHA-256 ";
  PB_REQUIRE(recorded == model_sha256, path, " was made with the model", several ? "s" : "", " of SHA-256 ",
             recorded.empty() ? "(none)" : recorded, " but ", now, model_sha256.empty() ? "(none)" : model_sha256,
             "; resuming would mix two models: restore ", several ? "those models" : "that model",
             " or use another output file");
  const TaskIntegrity integrity = verify_task_checksums(file);
  return {integrity.complete, integrity.damaged};
}

namespace {

// Rank 0 checks; every rank gets its verdict (the same error, or the same complete tasks).
ResumeState check_resumable_on_rank0(const std::string& path, const StudySpec& study, const std::string& model_sha256,
                                     std::size_t task_count, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  ResumeState state;
  run_on_rank0(comm, [&] {
    state = check_resumable(path, study, model_sha256);
    PB_REQUIRE(state.complete.size() == task_count, path, ":/tasks/done has ", state.complete.size(),
               " entries but the study has ", task_count, " tasks");
  });
  std::vector<std::int8_t> complete(task_count, 0);
  if (rank == 0) std::copy(state.complete.begin(), state.complete.end(), complete.begin());
  MPI_Bcast(complete.data(), static_cast<int>(task_count), MPI_INT8_T, 0, comm);
  state.complete.assign(complete.begin(), complete.end());
  std::int64_t damaged = static_cast<std::int64_t>(state.damaged.size());
  MPI_Bcast(&damaged, 1, MPI_INT64_T, 0, comm);
  state.damaged.resize(static_cast<std::size_t>(damaged));
  if (damaged > 0) MPI_Bcast(state.damaged.data(), static_cast<int>(damaged), MPI_INT64_T, 0, comm);
  return state;
}

std::string provenance_value(const std::map<std::string, std::string>& provenance, const std::string& key) {
  const auto found = provenance.find(key);
  return found == provenance.end() ? "" : found->second;
}

}  // namespace

ResultsFile::ResultsFile(const std::string& path, const StudySpec& study, const std::vector<Task>& tasks,
                         ImageShape shape, MPI_Comm comm, const std::map<std::string, std::string>& provenance)
    : path_(path),
      comm_(comm),
      tasks_(tasks),
      task_count_(static_cast<std::int64_t>(tasks.size())),
      method_count_(static_cast<std::int64_t>(study.methods.size())),
      saved_ids_(priorbench::saved_task_ids(tasks, study.saved_tasks)),
      shape_(shape) {
  int exists = path_exists(path) ? 1 : 0;
  MPI_Bcast(&exists, 1, MPI_INT, 0, comm);  // rank 0's view decides, for every rank
  const std::string model_sha256 = provenance_value(provenance, "model_sha256");
  done_.assign(tasks.size(), false);
  if (exists) {
    ResumeState state = check_resumable_on_rank0(path, study, model_sha256, tasks.size(), comm);
    done_ = std::move(state.complete);
    damaged_ = std::move(state.damaged);
    open_existing(provenance);
  } else {
    h5::Object fapl = file_access(comm);
    file_ = h5::Object(H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl), H5Fclose);
    PB_REQUIRE(file_.id() >= 0, "cannot create results file ", path);
    create(study, tasks, shape, provenance);
  }
  open_datasets();
  H5Fflush(file_, H5F_SCOPE_GLOBAL);
}

// Collective: the file passed check_resumable on rank 0.
void ResultsFile::open_existing(const std::map<std::string, std::string>& provenance) {
  h5::Object fapl = file_access(comm_);
  file_ = h5::Object(H5Fopen(path_.c_str(), H5F_ACC_RDWR, fapl), H5Fclose);
  PB_REQUIRE(file_.id() >= 0, "cannot open ", path_, " to resume");
  resumed_ = true;
  // Which tasks the file saves is the file's: older files saved the first ones.
  saved_ids_ = h5::read_integers(file_, "reconstructions/task");
  mark_dirty_if_resumed_dirty(provenance);
}

ResultsFile::~ResultsFile() = default;

// A clean file resumed by a build of a dirty tree holds dirty results from then on.
// Collective (an attribute write is a metadata operation): every rank passes the same.
void ResultsFile::mark_dirty_if_resumed_dirty(const std::map<std::string, std::string>& provenance) {
  const auto dirty = provenance.find("git_dirty");
  if (dirty == provenance.end() || dirty->second == "false") return;
  const std::string recorded = h5::has_attribute(file_, "git_dirty") ? read_text_attribute(file_, "git_dirty") : "";
  if (recorded == "true" || recorded == dirty->second) return;
  if (!recorded.empty()) H5Adelete(file_, "git_dirty");
  write_text_attribute(file_, "git_dirty", dirty->second);
}

void ResultsFile::create(const StudySpec& study, const std::vector<Task>& tasks, ImageShape shape,
                         const std::map<std::string, std::string>& provenance) {
  write_text_attribute(file_, "format", kResultsFormat);
  write_text_attribute(file_, "study_name", study.name);
  write_text_attribute(file_, "study_hash", study_hash(study.text));
  for (const auto& [key, value] : provenance) write_text_attribute(file_, key, value);
  h5::write_attribute(file_, "height", static_cast<std::int64_t>(shape.height));
  h5::write_attribute(file_, "width", static_cast<std::int64_t>(shape.width));

  h5::Object text_type = fixed_string_type(study.text.size() + 1);
  h5::Object scalar(H5Screate(H5S_SCALAR), H5Sclose);
  h5::Object text(H5Dcreate2(file_, "study_text", text_type, scalar, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  PB_REQUIRE(text.id() >= 0, "cannot create ", path_, ":/study_text");

  h5::Object methods(H5Gcreate2(file_, "methods", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  std::string labels;
  for (const auto& method : study.methods) {
    labels += (labels.empty() ? "" : ",") + method.label;
    h5::Object group(H5Gcreate2(methods, method.label.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    write_text_attribute(group, "name", method.name);
    write_text_attribute(group, "options", describe_fields(method.options));
    // Which of the study's models the method used: "model" ([model]) or "models.NAME";
    // only in studies that name models (older files and single-model studies: [model]).
    if (!study.named_models.empty() && needs_generator(method.options)) {
      write_text_attribute(group, "model", method.model.empty() ? "model" : "models." + method.model);
    }
  }
  write_text_attribute(methods, "labels", labels);

  const hsize_t t = static_cast<hsize_t>(task_count_), m = static_cast<hsize_t>(method_count_);
  const hsize_t s = static_cast<hsize_t>(saved_ids_.size()), h = static_cast<hsize_t>(shape.height),
                w = static_cast<hsize_t>(shape.width);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::int64_t zero = 0, minus_one = -1;
  const std::int8_t not_done = 0;
  h5::Object tasks_group(H5Gcreate2(file_, "tasks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  for (const char* name : {"truth_kind", "truth_number", "test_index", "data_size", "replicate"}) {
    create_dataset(tasks_group, name, H5T_STD_I64LE, {t}, &zero);
  }
  create_dataset(tasks_group, "rank", H5T_STD_I64LE, {t}, &minus_one);
  for (const char* name : {"sigma", "seconds", "truth_norm", "range_distance"}) {
    create_dataset(tasks_group, name, H5T_IEEE_F64LE, {t}, &nan);
  }
  const std::uint64_t no_record = 0;
  create_dataset(tasks_group, "checksum", H5T_STD_U64LE, {t}, &no_record);
  create_dataset(tasks_group, "done", H5T_STD_I8LE, {t}, &not_done);
  std::string kind_names;
  for (const auto& name : truth_kind_names(study)) kind_names += (kind_names.empty() ? "" : ",") + name;
  write_text_attribute(tasks_group, "truth_kind_names", kind_names);
  h5::Object metrics(H5Gcreate2(file_, "metrics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  for (const auto& name : result_metric_names()) create_dataset(metrics, name, H5T_IEEE_F64LE, {t, m}, &nan);
  h5::Object saved(H5Gcreate2(file_, "reconstructions", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  create_dataset(saved, "task", H5T_STD_I64LE, {s}, &minus_one);
  create_dataset(saved, "truth", H5T_IEEE_F64LE, {s, h, w}, &nan);
  create_dataset(saved, "backprojection", H5T_IEEE_F64LE, {s, h, w}, &nan);
  create_dataset(saved, "zero_filled", H5T_IEEE_F64LE, {s, h, w}, &nan);
  create_dataset(saved, "sampling", H5T_IEEE_F64LE, {s, h, w}, &nan);
  // What the grid of `sampling` is depends on the operator (pixels, or k-space for fourier).
  write_text_attribute(saved, "operator", study.operator_spec.name);
  create_dataset(saved, "mean", H5T_IEEE_F64LE, {s, m, h, w}, &nan);
  create_dataset(saved, "std", H5T_IEEE_F64LE, {s, m, h, w}, &nan);

  // The static task table: rank 0 writes it (independent I/O).
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  if (rank == 0) {
    PB_REQUIRE(H5Dwrite(text, text_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, study.text.c_str()) >= 0, "cannot write ",
               path_, ":/study_text");
    std::vector<std::int64_t> kind, number, test_index, data_size, replicate;
    std::vector<double> sigma;
    for (const Task& task : tasks) {
      kind.push_back(task.truth_kind_code);
      number.push_back(task.truth_number);
      test_index.push_back(task.test_index);
      data_size.push_back(task.data_size);
      replicate.push_back(task.replicate);
      sigma.push_back(task.sigma);
    }
    write_whole(tasks_group, "truth_kind", H5T_NATIVE_INT64, kind);
    write_whole(tasks_group, "truth_number", H5T_NATIVE_INT64, number);
    write_whole(tasks_group, "test_index", H5T_NATIVE_INT64, test_index);
    write_whole(tasks_group, "data_size", H5T_NATIVE_INT64, data_size);
    write_whole(tasks_group, "replicate", H5T_NATIVE_INT64, replicate);
    write_whole(tasks_group, "sigma", H5T_NATIVE_DOUBLE, sigma);
    write_whole(saved, "task", H5T_NATIVE_INT64, saved_ids_);
  }
}

void ResultsFile::open_datasets() {
  std::vector<std::string> names = {"tasks/data_size",
                                    "tasks/rank",
                                    "tasks/seconds",
                                    "tasks/truth_norm",
                                    "tasks/range_distance",
                                    "tasks/checksum",
                                    "tasks/done",
                                    "reconstructions/truth",
                                    "reconstructions/backprojection",
                                    "reconstructions/mean",
                                    "reconstructions/std"};
  for (const auto& metric : result_metric_names()) {
    if (!is_late_metric(metric)) names.push_back("metrics/" + metric);
  }
  for (const auto& name : names) {
    PB_REQUIRE(h5::exists(file_, name), path_, ":/", name, " is missing; the file is not a complete results file");
    datasets_.emplace(name, h5::Object(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose));
  }
  // Added after the first results files were written: resumed files may lack them.
  std::vector<std::string> late = {"reconstructions/zero_filled", "reconstructions/sampling"};
  for (const auto& name : late) {
    if (h5::exists(file_, name)) {
      datasets_.emplace(name, h5::Object(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose));
    }
  }
  // Every metric the file has, known here or not: a task's checksum covers them all, so a
  // record writes every one of them (NaN where this version computes none).
  h5::Object metrics = h5::open_group(file_, "metrics");
  H5G_info_t info;
  PB_REQUIRE(H5Gget_info(metrics, &info) >= 0, "cannot list ", path_, ":/metrics");
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size = H5Lget_name_by_idx(metrics, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    PB_REQUIRE(size > 0, "cannot list ", path_, ":/metrics");
    std::string name(static_cast<std::size_t>(size) + 1, '\0');
    H5Lget_name_by_idx(metrics, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(size));
    file_metrics_.push_back(name);
    datasets_.emplace("metrics/" + name,
                      h5::Object(H5Dopen2(file_, ("metrics/" + name).c_str(), H5P_DEFAULT), H5Dclose));
  }
  std::sort(file_metrics_.begin(), file_metrics_.end());
  const auto shape = h5::shape_of(file_, "metrics/relative_error");
  PB_REQUIRE(shape.size() == 2 && static_cast<std::int64_t>(shape[0]) == task_count_ &&
                 static_cast<std::int64_t>(shape[1]) == method_count_,
             path_, ":/metrics has shape ", shape.size() == 2 ? shape[0] : 0, " x ", shape.size() == 2 ? shape[1] : 0,
             " but the study has ", task_count_, " tasks and ", method_count_, " methods");
}

std::int64_t ResultsFile::saved_slot(std::int64_t task) const {
  const auto found = std::lower_bound(saved_ids_.begin(), saved_ids_.end(), task);
  return found != saved_ids_.end() && *found == task ? static_cast<std::int64_t>(found - saved_ids_.begin()) : -1;
}

// Row `row` of a per-task dataset: one value of a 1-D tasks/ dataset, or a row of a 2-D
// metrics/ dataset (which has one column per method, so also one value in a study with
// a single method: the selection must still be 2-D).
void ResultsFile::write_row(const std::string& dataset, std::int64_t row, const double* values, std::size_t count) {
  const hid_t id = datasets_.at(dataset);
  if (dataset.rfind("tasks/", 0) == 0) {
    write_block(id, H5T_NATIVE_DOUBLE, {static_cast<hsize_t>(row)}, {1}, values);
  } else {
    write_block(id, H5T_NATIVE_DOUBLE, {static_cast<hsize_t>(row), 0}, {1, count}, values);
  }
}

// Every metric dataset of the file gets the task's row, NaN for one this version does not
// compute, so the file holds exactly what the checksum covers (also over an earlier,
// damaged attempt at the task).
void ResultsFile::write_metrics(const TaskRecord& record, TaskRows& rows, std::vector<std::vector<double>>& storage) {
  for (const auto& [name, values] : record.metrics) {
    PB_REQUIRE(static_cast<std::int64_t>(values.size()) == method_count_, "task ", record.task, ": metric ", name,
               " has ", values.size(), " values for ", method_count_, " methods");
  }
  const auto m = static_cast<std::size_t>(method_count_);
  for (const auto& name : file_metrics_) {
    const auto found = record.metrics.find(name);
    const double* values = nullptr;
    if (found != record.metrics.end()) {
      values = found->second.data();
    } else {
      storage.emplace_back(m, std::numeric_limits<double>::quiet_NaN());
      values = storage.back().data();
    }
    write_row("metrics/" + name, record.task, values, m);
    rows.metric_rows.emplace_back(values, m);
  }
}

// A saved task's row of every image dataset the file has: the record's images, NaN where
// it has none (a method without an estimate, an operator without a sampling pattern, a
// merged shard that did not save the task).
void ResultsFile::write_images(const TaskRecord& record, TaskRows& rows, std::vector<std::vector<double>>& storage) {
  const std::int64_t slot = saved_slot(record.task);
  if (slot < 0) return;
  const auto h = static_cast<hsize_t>(shape_.height), w = static_cast<hsize_t>(shape_.width);
  const auto n = static_cast<std::size_t>(shape_.size()), m = static_cast<std::size_t>(method_count_);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto image_or_nan = [&](const std::vector<double>& image) {
    PB_REQUIRE(image.empty() || image.size() == n, "task ", record.task, ": an image of ", image.size(), " pixels for ",
               h, "x", w);
    storage.push_back(image.empty() ? std::vector<double>(n, nan) : image);
    return storage.back().data();
  };
  const auto per_method = [&](const std::vector<std::vector<double>>& images) {
    std::vector<double> all(m * n, nan);
    for (std::size_t k = 0; k < images.size() && k < m; ++k) {
      if (images[k].size() == n) std::copy(images[k].begin(), images[k].end(), all.begin() + k * n);
    }
    storage.push_back(std::move(all));
    return storage.back().data();
  };
  const auto row = static_cast<hsize_t>(slot);
  for (const auto& name : checksummed_image_datasets()) {
    const std::string dataset = "reconstructions/" + name;
    if (!datasets_.count(dataset)) continue;
    const bool methods = name == "mean" || name == "std";
    const double* values = methods                    ? per_method(name == "mean" ? record.means : record.stds)
                           : name == "truth"          ? image_or_nan(record.truth)
                           : name == "backprojection" ? image_or_nan(record.backprojection)
                           : name == "zero_filled"    ? image_or_nan(record.zero_filled)
                                                      : image_or_nan(record.sampling);
    if (methods) {
      write_block(datasets_.at(dataset), H5T_NATIVE_DOUBLE, {row, 0, 0, 0}, {1, m, h, w}, values);
    } else {
      write_block(datasets_.at(dataset), H5T_NATIVE_DOUBLE, {row, 0, 0}, {1, h, w}, values);
    }
    rows.image_rows.emplace_back(values, methods ? m * n : n);
  }
}

void ResultsFile::record(const TaskRecord& record, int rank) {
  const auto row = static_cast<hsize_t>(record.task);
  PB_REQUIRE(record.task >= 0 && record.task < task_count_, "internal error: task ", record.task, " is not one of the ",
             task_count_, " tasks of ", path_);
  const Task& task = tasks_[static_cast<std::size_t>(record.task)];
  TaskRows rows{record.task,
                task.truth_kind_code,
                task.truth_number,
                task.test_index,
                task.replicate,
                task.sigma,
                record.data_size,
                rank,
                record.seconds,
                record.truth_norm,
                record.range_distance,
                {},
                {}};
  std::vector<std::vector<double>> storage;  // NaN rows; reserved so the spans into it stay valid
  storage.reserve(file_metrics_.size() + checksummed_image_datasets().size());
  write_metrics(record, rows, storage);
  const std::int64_t rank64 = rank;
  write_block(datasets_.at("tasks/data_size"), H5T_NATIVE_INT64, {row}, {1}, &record.data_size);
  write_block(datasets_.at("tasks/rank"), H5T_NATIVE_INT64, {row}, {1}, &rank64);
  write_row("tasks/seconds", record.task, &record.seconds, 1);
  write_row("tasks/truth_norm", record.task, &record.truth_norm, 1);
  write_row("tasks/range_distance", record.task, &record.range_distance, 1);
  write_images(record, rows, storage);
  // Last the completion record, then `done`: a task counts as done only once all of it is
  // written, and as complete only while its rows still give the checksum.
  const std::uint64_t checksum = task_checksum(rows);
  write_block(datasets_.at("tasks/checksum"), H5T_NATIVE_UINT64, {row}, {1}, &checksum);
  const std::int8_t done = 1;
  write_block(datasets_.at("tasks/done"), H5T_NATIVE_INT8, {row}, {1}, &done);
}

}  // namespace priorbench
